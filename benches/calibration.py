#!/usr/bin/env python3
"""Does the confidence the engine reports track how often a line is right?

Renders synthetic lines the way `training/` does (plain renders and real-print damage, with a seed of its own,
never from an eval set) plus crops without text, reads them with `hindi-ocr ocr --layout line --format json`,
and prints a reliability table: for each confidence bin, how many lines fall in it, the share read exactly and
the mean CER. Crops read as nothing (dropped under `--min-confidence` or read empty) get a row of their own:
how many had no text (right) and how many lines were lost.

Usage: .venv-train/bin/python benches/calibration.py [--n 300] [--data training/cache/data-print]
       [--bin target/release/hindi-ocr] [--model DIR] [--seed 4242]
(`--data` is a training data dir: `make train-data`, or the real-print one of training/README.md.)
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "training"))
from PIL import Image  # noqa: E402

from metrics import cer  # noqa: E402
from realprint import degrade_print, printed_text  # noqa: E402
from render import Renderer  # noqa: E402
from train import compose_text, load_lines  # noqa: E402

BINS = [0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--data", default=os.path.join(ROOT, "training", "cache", "data-print"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "hindi-ocr"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--seed", type=int, default=4242)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    r = Renderer(os.path.join(args.data, "fonts"), os.path.join(args.data, "coverage.json"), 48, 768)
    corpus = load_lines(os.path.join(args.data, "corpus.txt.gz"))
    truth = {}
    with tempfile.TemporaryDirectory() as tmp:
        i = 0
        while i < args.n:
            k = rng.random()
            if k < 0.15:
                text, img = "", Image.fromarray(r.nontext(rng))
            else:
                # Natural size matters for the engine's own resize, so keep the render at its drawn size.
                text = compose_text(corpus, rng)
                if k < 0.6:
                    text = printed_text(text, rng)
                rel = r.pick_font(text, rng)
                if rel is None:
                    continue
                img = r.draw(text, rel, rng)
                img = degrade_print(img, rng) if k < 0.6 else r.degrade(img, rng)
            path = os.path.join(tmp, f"c{i:04d}.png")
            img.save(path)
            truth[path] = unicodedata.normalize("NFC", text)
            i += 1
        out = os.path.join(tmp, "out")
        cmd = [args.bin, "ocr", "--quiet", "--layout", "line", "--format", "json", "-o", out]
        if args.model:
            cmd += ["--model", args.model]
        res = subprocess.run(cmd + sorted(truth), capture_output=True, text=True, check=False)
        if res.returncode not in (0, 1):
            sys.exit(f"hindi-ocr failed: {res.stderr[-2000:]}")
        rows = []
        for path, ref in truth.items():
            stem = os.path.splitext(os.path.basename(path))[0]
            found = glob.glob(os.path.join(out, stem + "*.json"))
            doc = json.load(open(found[0], encoding="utf-8")) if found else {"pages": []}
            lines = [ln for p in doc["pages"] for ln in p["lines"]]
            hyp = " ".join(ln["text"] for ln in lines)
            conf = min((ln["confidence"] for ln in lines), default=None)
            rows.append((conf, " ".join(ref.split()), " ".join(hyp.split())))
    print(f"{len(rows)} crops ({sum(1 for r_ in rows if not r_[1])} without text); confidence bins:")
    print("| confidence | lines | read exactly | mean CER % |\n|---|---:|---:|---:|")
    silent = [x for x in rows if x[0] is None]
    missed = sum(1 for _, ref, _ in silent if ref)
    print(f"| read as nothing | {len(silent)} | {len(silent) - missed} without text, {missed} lines lost | |")
    for lo, hi in zip(BINS, BINS[1:]):
        b = [x for x in rows if x[0] is not None and lo <= x[0] < hi]
        if not b:
            continue
        exact = sum(1 for _, ref, hyp in b if ref == hyp) / len(b)
        mean_cer = sum(cer([hyp], [ref]) if ref else float(bool(hyp)) for _, ref, hyp in b) / len(b)
        print(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {len(b)} | {100 * exact:.0f} % | {100 * mean_cer:.1f} |")


if __name__ == "__main__":
    main()
