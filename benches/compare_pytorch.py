#!/usr/bin/env python3
"""The Rust engine against the same model run by Python + PyTorch, side by side in one run.

Both read the same line images with greedy decoding and a key/value cache, on the same number of threads:
- Rust: `hindi_ocr.Engine` (the PyO3 bindings over hindi-ocr-core: Pillow-exact preprocessing in Rust, the
  exported ONNX model through ONNX Runtime), in a child process of the bindings' virtual environment, once
  with the shipped default (`models/hindi-trocr`, int8 weights) and once with its fp32 export
  (`models/hindi-trocr-fp32`, the checkpoint's exact arithmetic);
- PyTorch: `OcrModel.greedy` (training/model.py, eager mode, `torch.no_grad`) with the shipped weights, with
  Pillow preprocessing, in this process. The weights come from the fp32 export (`training/onnx_to_ckpt.py`
  puts them back into the PyTorch modules and gives the same tokens as the export on all 100 dev lines), or
  from a training checkpoint with `--ckpt`.
Rounds alternate (Rust, PyTorch, Rust, ...) so that machine noise hits both; the table gives medians and the
ratio. Texts are compared too: they should agree (same weights).

Usage (after `make training-env` and `make test-py`, which create the two environments; or `make bench-pytorch`):
  .venv-train/bin/python benches/compare_pytorch.py [--ckpt DIR] [--n 40] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "training"))
from model import ModelConfig, OcrModel  # noqa: E402
from onnx_to_ckpt import load_from_export  # noqa: E402
from train import load_ckpt  # noqa: E402

RUST_CHILD = r"""
import json, sys, time
import hindi_ocr
paths, threads, rounds, model = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
engine = hindi_ocr.Engine(model, intra_threads=threads, batch_size=16)
engine.recognize_line(paths[0])  # warm-up: sessions, allocations
out = []
for _ in range(rounds):
    t0 = time.perf_counter(); one = [engine.recognize_line(p).text for p in paths]; t1 = time.perf_counter()
    batch = [r.text for r in engine.recognize_lines(paths)]; t2 = time.perf_counter()
    out.append({"one": t1 - t0, "batch": t2 - t1, "texts": one, "batch_texts": batch})
print(json.dumps(out))
"""


def torch_side(model: OcrModel, cfg: ModelConfig, pre: dict, tok, paths: list[str]) -> dict:
    mean = torch.tensor(pre["image_mean"]).view(3, 1, 1)
    std = torch.tensor(pre["image_std"]).view(3, 1, 1)

    def pixels(p: str) -> torch.Tensor:
        img = Image.open(p).convert("RGB").resize((cfg.width, cfg.height), Image.Resampling.BILINEAR)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) * pre["rescale_factor"]).permute(2, 0, 1)
        return (x - mean) / std

    def text(ids: list[int]) -> str:
        ids = ids[: ids.index(cfg.eos_id)] if cfg.eos_id in ids else ids
        return tok.decode(ids, skip_special_tokens=True)

    t0 = time.perf_counter()
    one = [text(model.greedy(pixels(p)[None], max_len=99)[0].tolist()) for p in paths]
    t1 = time.perf_counter()
    batch = []
    for i in range(0, len(paths), 16):
        x = torch.stack([pixels(p) for p in paths[i : i + 16]])
        batch += [text(row.tolist()) for row in model.greedy(x, max_len=99)]
    t2 = time.perf_counter()
    return {"one": t1 - t0, "batch": t2 - t1, "texts": one, "batch_texts": batch}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=str(REPO / "models" / "hindi-trocr-fp32"),
                    help="the fp32 export whose weights PyTorch runs (training/onnx_to_ckpt.py)")
    ap.add_argument("--ckpt", help="run a training checkpoint in PyTorch instead of --weights")
    ap.add_argument("--models", nargs="+", default=[str(REPO / "models" / "hindi-trocr"),
                                                    str(REPO / "models" / "hindi-trocr-fp32")])
    ap.add_argument("--lines", default=str(REPO.parent / "shared" / "eval" / "dev" / "lines"))
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rust-python", default=str(REPO / ".venv-py" / "bin" / "python"))
    args = ap.parse_args()

    from tokenizers import Tokenizer

    paths = [str(p) for p in sorted(pathlib.Path(args.lines).glob("*.png"))[: args.n]]
    if not paths:
        raise SystemExit(f"no line images in {args.lines}")
    torch.set_num_threads(args.threads)
    if args.ckpt:
        meta = json.load(open(os.path.join(args.ckpt, "ckpt_meta.json")))
        cfg = ModelConfig(**meta["config"])
        model = OcrModel(cfg)
        load_ckpt(model, args.ckpt)
        model.eval()
    else:
        model, cfg = load_from_export(args.weights)
    pre = json.load(open(os.path.join(args.models[0], "preprocessor_config.json")))
    tok = Tokenizer.from_file(os.path.join(args.models[0], "tokenizer.json"))
    model.greedy(torch.zeros(1, 3, cfg.height, cfg.width), max_len=5)  # warm-up

    rust: dict[str, list[dict]] = {m: [] for m in args.models}
    pt = []
    for _ in range(args.rounds):
        for m in args.models:
            child = subprocess.run(
                [args.rust_python, "-c", RUST_CHILD, json.dumps(paths), str(args.threads), "1", m],
                capture_output=True, text=True, check=True,
            )
            rust[m] += json.loads(child.stdout)
        pt.append(torch_side(model, cfg, pre, tok, paths))

    n = len(paths)
    names = [os.path.basename(m.rstrip("/")) for m in args.models]
    print(f"{n} dev lines, {args.threads} thread(s), {args.rounds} alternating rounds, median per line:")
    print("| mode | " + " | ".join(f"Rust `{x}`" for x in names) + " | Python + PyTorch | "
          + " | ".join(f"PyTorch / `{x}`" for x in names) + " |")
    print("|---|" + "---:|" * (2 * len(names) + 1))
    for mode, label in (("one", "one line at a time"), ("batch", "batches of 16")):
        p = statistics.median(x[mode] for x in pt) / n * 1000
        r = [statistics.median(x[mode] for x in rust[m]) / n * 1000 for m in args.models]
        print(f"| {label} | " + " | ".join(f"{v:.1f} ms" for v in r) + f" | {p:.1f} ms | "
              + " | ".join(f"{p / v:.2f}x" for v in r) + " |")
    for m, name in zip(args.models, names):
        same = sum(a == b for a, b in zip(rust[m][-1]["texts"], pt[-1]["texts"]))
        print(f"same text as PyTorch from `{name}`: {same}/{n} lines")


if __name__ == "__main__":
    main()
