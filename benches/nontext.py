#!/usr/bin/env python3
"""Does the engine stay silent where a page shows no text? Crops of dotted leaders, rules, table borders,
speckle, blank paper, picture edges and page shadows (`training/realprint.py`'s `nontext`, drawn here with a
seed of its own, never from an eval set) are read with `--layout line`, where the model is asked about every
crop that has ink; the share of crops read as nothing is the figure (issue bar: at least 95 %).

Usage: python3 benches/nontext.py [--n 240] [--seed 77] [--bin target/release/hindi-ocr] [--model DIR]
       [--keep DIR] [--min-empty 0.95]
Exit status 1 when the share is below --min-empty.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "training"))
from realprint import nontext  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_print import ours  # noqa: E402



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=240)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "hindi-ocr"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--keep", default=None, help="write the crops here instead of a temporary directory")
    ap.add_argument("--min-empty", type=float, default=0.95)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or tmp
        os.makedirs(out, exist_ok=True)
        files = []
        for i in range(args.n):
            img = nontext(rng, rng.randint(20, 48))
            path = os.path.join(out, f"nontext_{i:04d}.png")
            img.save(path)
            files.append(path)
        read = ours(args.bin, files, "line", args.model, "as-printed")
    said = {f: read.get(f, "") for f in files}
    empty = sum(1 for t in said.values() if not t.strip())
    print(f"{empty} of {len(files)} non-text crops read as nothing ({100 * empty / len(files):.1f} %)")
    for f, t in said.items():
        if t.strip():
            print(f"  {os.path.basename(f)}: {t!r}")
    sys.exit(0 if empty / len(files) >= args.min_empty else 1)


if __name__ == "__main__":
    main()
