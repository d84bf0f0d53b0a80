#!/usr/bin/env python3
"""Real print, side by side: the CLI and Tesseract 5 `hin` on the same real scans, CER per source.

Reads `../shared/eval/real-dev` (lines with `--layout line` / `--psm 7`, pages with `--layout page` /
`--psm 3`), scores both with `../shared/eval/score.py`, and prints one table per set with a row per source
(the TSV's `condition` column) and the overall figure. Evaluation only: the set is read, never trained on.

Usage: python3 benches/real_print.py [--bin target/release/hindi-ocr] [--model DIR] [--set ../shared/eval/real-dev]
       [--text-style as-printed] [--no-tesseract] [--json OUT]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_tsv(path: str) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def ours(binary: str, files: list[str], layout: str, model: str | None, style: str) -> dict[str, str]:
    """The CLI's TSV reading of `files`: path -> text (a file it could not read maps to nothing)."""
    cmd = [binary, "ocr", "--quiet", "--layout", layout, "--format", "tsv", "--text-style", style]
    if model:
        cmd += ["--model", model]
    out = subprocess.run(cmd + files, capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        sys.exit(f"hindi-ocr failed ({out.returncode}): {out.stderr[-2000:]}")
    return dict(row.partition("\t")[::2] for row in out.stdout.splitlines())


def tesseract(files: list[str], psm: int) -> dict[str, str]:
    pred = {}
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    for path in files:
        out = subprocess.run(["tesseract", path, "-", "-l", "hin", "--psm", str(psm)], capture_output=True,
                             text=True, env=env, check=False)
        lines = [ln.strip() for ln in out.stdout.splitlines() if ln.strip()]
        pred[path] = "\\n".join(lines)
    return pred


def score(gt_tsv: str, root: str, pred: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        f.write("file\ttext\n")
        for path, text in pred.items():
            f.write(f"{os.path.relpath(path, root)}\t{text}\n")
        name = f.name
    js = name + ".json"
    subprocess.run([sys.executable, os.path.join(root, "..", "score.py"), gt_tsv, name, "--json", js],
                   check=True, capture_output=True)
    with open(js, encoding="utf-8") as f:
        result = json.load(f)
    os.unlink(name)
    os.unlink(js)
    return result


def cer_by_source(result: dict) -> dict[str, float]:
    """CER in % per group: `all`, then each source (`condition=...`)."""
    return {k.removeprefix("condition="): v["cer"] for k, v in result["groups"].items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "hindi-ocr"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--set", default=os.path.join(ROOT, "..", "shared", "eval", "real-dev"))
    ap.add_argument("--text-style", default="as-printed")
    ap.add_argument("--no-tesseract", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report = {}
    for kind, layout, psm in (("lines", "line", 7), ("pages", "page", 3)):
        gt_tsv = os.path.join(args.set, f"{kind}.tsv")
        files = [os.path.join(args.set, r["file"]) for r in read_tsv(gt_tsv)]
        ours_cer = cer_by_source(score(gt_tsv, args.set, ours(args.bin, files, layout, args.model, args.text_style)))
        tess_cer = {} if args.no_tesseract else cer_by_source(score(gt_tsv, args.set, tesseract(files, psm)))
        report[kind] = {"hindi-ocr": ours_cer, "tesseract": tess_cer}
        print(f"\n{kind} ({len(files)}; hindi-ocr --layout {layout}, tesseract --psm {psm}), CER %")
        print(f"| source | hindi-ocr | Tesseract 5 hin |\n|---|---:|---:|")
        for src, c in ours_cer.items():
            t = tess_cer.get(src)
            print(f"| {src} | {c:.2f} | {'' if t is None else f'{t:.2f}'} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
