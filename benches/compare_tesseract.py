#!/usr/bin/env python3
"""The Rust engine against Tesseract 5 (`hin`), side by side in one run: speed and CER on the dev set.

- Lines: the first N dev line images; Tesseract reads them in one process from a list file with `--psm 7`
  (one text line), so its model loads once, as ours does; `hindi_ocr.Engine.recognize_line` one at a time, and
  `recognize_lines` in batches of 16.
- Pages: the dev page images; Tesseract with its default page segmentation (`--psm 3`), ours with
  `recognize(layout="page")`.
Both on one thread (`OMP_THREAD_LIMIT=1`, `intra_threads=1`); rounds alternate so machine noise hits both.
CER here is the edit distance over NFC code points with whitespace runs as one space, as score.py counts it.

Usage (Debian `tesseract-ocr tesseract-ocr-hin`; the bindings' venv from `make test-py`):
  .venv-py/bin/python benches/compare_tesseract.py [--n 40] [--rounds 3]
"""
from __future__ import annotations

import argparse
import csv
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import hindi_ocr

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "training"))
from metrics import score_cer as cer  # noqa: E402  (CER as score.py counts it)

DEV = REPO.parent / "shared" / "eval" / "dev"


def truth(tsv: pathlib.Path) -> dict[str, str]:
    with open(tsv, newline="", encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return {r[0]: r[1].replace("\\n", "\n") for r in rows if len(r) >= 2}


def tesseract(paths: list[pathlib.Path], psm: int) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        listing = pathlib.Path(tmp) / "list.txt"
        listing.write_text("".join(f"{p}\n" for p in paths))
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        t0 = time.perf_counter()
        out = subprocess.run(["tesseract", str(listing), "stdout", "-l", "hin", "--psm", str(psm)],
                             capture_output=True, text=True, check=True, env=env).stdout
        elapsed = time.perf_counter() - t0
    texts = out.split("\f")[: len(paths)]
    return elapsed, texts + [""] * (len(paths) - len(texts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    line_truth, page_truth = truth(DEV / "lines.tsv"), truth(DEV / "pages.tsv")
    lines = [DEV / f for f in sorted(line_truth)][: args.n]
    pages = [DEV / f for f in sorted(page_truth)]
    engine = hindi_ocr.Engine(intra_threads=1, batch_size=16)
    engine.recognize_line(lines[0])  # warm-up

    times: dict[str, list[float]] = {k: [] for k in ("t_line", "o_line", "o_batch", "t_page", "o_page")}
    for _ in range(args.rounds):
        t, t_lines = tesseract(lines, 7)
        times["t_line"].append(t)
        t0 = time.perf_counter()
        o_lines = [engine.recognize_line(p).text for p in lines]
        times["o_line"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.recognize_lines(lines)
        times["o_batch"].append(time.perf_counter() - t0)
        t, t_pages = tesseract(pages, 3)
        times["t_page"].append(t)
        t0 = time.perf_counter()
        o_pages = [engine.recognize(p, layout="page").text for p in pages]
        times["o_page"].append(time.perf_counter() - t0)

    med = {k: statistics.median(v) for k, v in times.items()}
    lt = [line_truth[str(p.relative_to(DEV))] for p in lines]
    pt = [page_truth[str(p.relative_to(DEV))] for p in pages]
    n, m = len(lines), len(pages)
    print(f"{n} dev lines and {m} dev pages, 1 thread, {args.rounds} alternating rounds, medians:")
    print("| input | hindi-ocr | Tesseract 5.3 hin | Tesseract / hindi-ocr time | CER hindi-ocr | CER Tesseract |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| line, one at a time | {med['o_line'] / n * 1000:.0f} ms | {med['t_line'] / n * 1000:.0f} ms | "
          f"{med['t_line'] / med['o_line']:.2f}x | {100 * cer(o_lines, lt):.2f} % | {100 * cer(t_lines, lt):.2f} % |")
    print(f"| lines, batches of 16 | {med['o_batch'] / n * 1000:.0f} ms | (same) | "
          f"{med['t_line'] / med['o_batch']:.2f}x | | |")
    print(f"| page | {med['o_page'] / m * 1000:.0f} ms | {med['t_page'] / m * 1000:.0f} ms | "
          f"{med['t_page'] / med['o_page']:.2f}x | {100 * cer(o_pages, pt):.2f} % | {100 * cer(t_pages, pt):.2f} % |")


if __name__ == "__main__":
    main()
