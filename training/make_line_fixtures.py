"""Render the line images the Rust test `hindi-ocr-core/tests/bundled_model.rs` reads with the bundled model.

Five sentences written for this test (not from the corpus, not from the evaluation set), each in another font,
two of them degraded (blur, grey paper, noise). For each, the expected text and the token ids Python ONNX
Runtime produces with the bundled model are written to `expected.tsv`, so the Rust test checks both the text
and token-level parity with Python. Refuses to write a fixture the model does not read exactly.

Usage: python make_line_fixtures.py [--model models/hindi-trocr]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import OnnxRecognizer  # noqa: E402
from render import SYSTEM_FONT_DIR, check_raqm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "hindi-ocr-core", "tests", "fixtures", "lines")
LINES = [
    ("भारत की राजधानी नई दिल्ली है।", "noto/NotoSansDevanagari-Regular.ttf", False),
    ("आज सुबह बारिश हुई और ठंडी हवा चली।", "Gargi/Gargi.ttf", False),
    ("वर्ष २०२४ में १२ प्रतिशत की वृद्धि दर्ज की गई।", "noto/NotoSerifDevanagari-Bold.ttf", True),
    ("किसानों ने अपनी फ़सल मंडी में बेची।", "lohit-devanagari/Lohit-Devanagari.ttf", True),
    ("विद्यार्थियों के लिए पुस्तकालय सुबह 9 बजे खुलता है।", "annapurna/AnnapurnaSIL-Regular.ttf", False),
]


def draw(text: str, font_rel: str, degraded: bool, seed: int) -> Image.Image:
    font = ImageFont.truetype(os.path.join(SYSTEM_FONT_DIR, font_rel), 30, layout_engine=ImageFont.Layout.RAQM)
    l, t, r, b = font.getbbox(text)
    paper, ink = (205, 40) if degraded else (255, 0)
    img = Image.new("L", (r - l + 24, b - t + 18), paper)
    ImageDraw.Draw(img).text((12 - l, 9 - t), text, font=font, fill=ink)
    if degraded:
        img = img.filter(ImageFilter.GaussianBlur(0.9))
        noise = np.random.default_rng(seed).normal(0, 10, (img.height, img.width))
        img = Image.fromarray(np.clip(np.asarray(img, np.float32) + noise, 0, 255).astype(np.uint8))
    return img


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "hindi-trocr"))
    args = ap.parse_args()
    check_raqm()
    rec = OnnxRecognizer(args.model)
    os.makedirs(OUT, exist_ok=True)
    rows = ["file\ttext\ttoken_ids"]
    for i, (text, font, degraded) in enumerate(LINES, 1):
        name = f"line_{i}.png"
        img = draw(text, font, degraded, i)
        img.save(os.path.join(OUT, name), optimize=True)
        ids = rec.greedy_ids(rec.preprocess(Image.open(os.path.join(OUT, name))))
        got = rec.tok.decode(ids)
        if got != text:
            raise SystemExit(f"{name}: model reads {got!r}, expected {text!r}")
        rows.append(f"{name}\t{text}\t{' '.join(map(str, ids))}")
        print(name, font, "degraded" if degraded else "clean", "ok")
    with open(os.path.join(OUT, "expected.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
