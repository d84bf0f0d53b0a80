"""Is a retrained model as good as the shipped one? Dev-line CER of both, side by side, within a bound.

The issue's bar for reproduction: the training command, run from a clean clone, gives a model within 1 CER
point of the shipped one. Both models are read with the same greedy ONNX Runtime reader (`evaluate.py`) and
scored as `../shared/eval/score.py` scores (NFC, whitespace runs as one space). Exit status 1 if the new
model's CER is more than `--max-diff` points above the shipped one's.

Usage: python repro_check.py NEW_MODEL_DIR [--against models/hindi-trocr] [--max-diff 1.0]
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import OnnxRecognizer  # noqa: E402
from metrics import score_cer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.path.join(os.path.dirname(ROOT), "shared", "eval", "dev")


def dev_cer(model: str, rows: list[dict], dev: str) -> dict[str, float]:
    rec = OnnxRecognizer(model)
    pred = [rec.read(Image.open(os.path.join(dev, r["file"]))) for r in rows]
    ref = [r["text"] for r in rows]
    out = {"all": score_cer(pred, ref) * 100}
    for cond in sorted({r.get("condition", "") for r in rows} - {""}):
        idx = [i for i, r in enumerate(rows) if r.get("condition") == cond]
        out[cond] = score_cer([pred[i] for i in idx], [ref[i] for i in idx]) * 100
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--against", default=os.path.join(ROOT, "models", "hindi-trocr"))
    ap.add_argument("--max-diff", type=float, default=1.0, help="CER points the new model may lose")
    ap.add_argument("--dev", default=DEV)
    args = ap.parse_args()
    with open(os.path.join(args.dev, "lines.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    new, old = dev_cer(args.model, rows, args.dev), dev_cer(args.against, rows, args.dev)
    print(f"dev lines ({len(rows)}), CER %")
    print(f"| set | shipped ({args.against}) | new ({args.model}) | difference |")
    print("|---|---:|---:|---:|")
    for k in old:
        print(f"| {k} | {old[k]:.2f} | {new[k]:.2f} | {new[k] - old[k]:+.2f} |")
    diff = new["all"] - old["all"]
    ok = diff <= args.max_diff
    print(f"{'REPRODUCED' if ok else 'NOT REPRODUCED'}: {diff:+.2f} CER points (bound {args.max_diff})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
