"""Read line images with the exported model through ONNX Runtime (Python), as the engine does.

Preprocessing is ViTImageProcessor's (Pillow bilinear resize to the configured size, rescale, normalise);
decoding is greedy with the merged decoder's key/value cache: the cross-attention keys/values come from the
first step only. Usage:
  python evaluate.py MODEL_DIR --tsv DEV/lines.tsv --root DEV --pred PRED.tsv   (then score.py)
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from PIL import Image
from tokenizers import Tokenizer


class OnnxRecognizer:
    def __init__(self, model_dir: str, threads: int = 1):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.enc = ort.InferenceSession(os.path.join(model_dir, "encoder_model.onnx"), so)
        self.dec = ort.InferenceSession(os.path.join(model_dir, "decoder_model_merged.onnx"), so)
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.pre = json.load(open(os.path.join(model_dir, "preprocessor_config.json")))
        self.gen = json.load(open(os.path.join(model_dir, "generation_config.json")))
        cfg = json.load(open(os.path.join(model_dir, "config.json")))["decoder"]
        self.layers, self.heads = cfg["decoder_layers"], cfg["decoder_attention_heads"]
        self.hd = cfg["d_model"] // self.heads

    def preprocess(self, img: Image.Image) -> np.ndarray:
        s = self.pre["size"]
        img = img.convert("RGB").resize((s["width"], s["height"]), Image.Resampling.BILINEAR)
        x = np.asarray(img, dtype=np.float32) * self.pre["rescale_factor"]
        x = (x - np.array(self.pre["image_mean"], np.float32)) / np.array(self.pre["image_std"], np.float32)
        return x.transpose(2, 0, 1)[None]

    def greedy_ids(self, pixel_values: np.ndarray) -> list[int]:
        enc = self.enc.run(["last_hidden_state"], {"pixel_values": pixel_values.astype(np.float32)})[0]
        eos, start = self.gen["eos_token_id"], self.gen["decoder_start_token_id"]
        ids = np.array([[start]], dtype=np.int64)
        feeds = {"encoder_hidden_states": enc, "use_cache_branch": np.array([False])}
        for i in range(self.layers):
            for part in ("decoder", "encoder"):
                for kv in ("key", "value"):
                    feeds[f"past_key_values.{i}.{part}.{kv}"] = np.zeros((1, self.heads, 0, self.hd), np.float32)
        out_names = [o.name for o in self.dec.get_outputs()]
        result, cross = [], None
        for _ in range(self.gen["max_length"] - 1):
            feeds["input_ids"] = ids
            outs = dict(zip(out_names, self.dec.run(None, feeds)))
            nxt = int(outs["logits"][0, -1].argmax())
            if nxt == eos:
                break
            result.append(nxt)
            if cross is None:
                cross = {k.replace("present", "past_key_values"): v for k, v in outs.items() if ".encoder." in k}
            for k, v in outs.items():
                if ".decoder." in k:
                    feeds[k.replace("present", "past_key_values")] = v
            feeds.update(cross)
            feeds["use_cache_branch"] = np.array([True])
            ids = np.array([[nxt]], dtype=np.int64)
        return result

    def read(self, img: Image.Image) -> str:
        return self.tok.decode(self.greedy_ids(self.preprocess(img)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--tsv", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--pred", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    rec = OnnxRecognizer(args.model, args.threads)
    rows = [r.split("\t") for r in open(args.tsv, encoding="utf-8").read().strip().split("\n")[1:]]
    t = time.time()
    with open(args.pred, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(f"{r[0]}\t{rec.read(Image.open(os.path.join(args.root, r[0])))}\n")
    print(f"{len(rows)} lines, {(time.time() - t) / len(rows) * 1000:.1f} ms per line ({args.threads} thread)")


if __name__ == "__main__":
    main()
