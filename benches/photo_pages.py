#!/usr/bin/env python3
"""Phone-photo versions of the dev pages, for checking page analysis on photos (the dev set has none).

Each page is put on a dark, noisy table, turned by 2 degrees, seen a little from below (the top edge 6 %
narrower: a keystone that deskewing cannot remove), lit unevenly, tinted, blurred and saved through JPEG
quality 70, under the page's own file name, so that score.py scores the result against pages.tsv:

  .venv-py/bin/python benches/photo_pages.py /tmp/photos
  (echo -e 'file\\ttext'; target/release/hindi-ocr ocr --quiet --layout page --format tsv /tmp/photos/*.png \\
     | sed 's#^/tmp/photos/#pages/#') > pred.tsv
  python3 ../shared/eval/score.py ../shared/eval/dev/pages.tsv pred.tsv

Needs Pillow and numpy (the bindings' venv has both). Deterministic.
"""
from __future__ import annotations

import argparse
import io
import pathlib

import numpy as np
from PIL import Image, ImageFilter

DEV_PAGES = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev" / "pages"


def perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> np.ndarray:
    """Pillow's PERSPECTIVE transform maps output points to input points: solve for the 8 coefficients."""
    rows = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, dtype=np.float64), np.array(dst, dtype=np.float64).reshape(8))


def photo(page: Image.Image, seed: int, table: int = 70, turn: float = 2.0, keystone: float = 0.03) -> Image.Image:
    page = page.convert("RGB")
    w, h = page.size
    W, H = int(w * 1.24), int(h * 1.48)
    noise = np.random.default_rng(seed).normal(0, 8, (H, W, 3))
    canvas = Image.fromarray(np.clip(np.array([table, table - 10, table - 20]) + noise, 0, 255).astype(np.uint8))
    turned = page.rotate(turn, expand=True, fillcolor=(255, 255, 255), resample=Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).rotate(turn, expand=True, fillcolor=0)
    canvas.paste(turned, ((W - turned.width) // 2, (H - turned.height) // 2), mask)
    k = keystone
    coeffs = perspective_coeffs([(0, 0), (W, 0), (W, H), (0, H)],
                                [(W * k, 0), (W * (1 - k), H * k * 0.5), (W, H), (0, H * (1 - k * 0.3))])
    canvas = canvas.transform((W, H), Image.Transform.PERSPECTIVE, tuple(coeffs), Image.Resampling.BICUBIC,
                              fillcolor=(table, table, table))
    a = np.asarray(canvas).astype(np.float32)
    gx = np.linspace(-1, 1, W)[None, :, None]
    gy = np.linspace(-1, 1, H)[:, None, None]
    a = a * np.array([1.0, 0.95, 0.85])[None, None, :] - 60 * (0.5 * gx + 0.3 * gy + 0.5)  # tint, uneven light
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return Image.open(buf).convert("RGB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--pages", type=pathlib.Path, default=DEV_PAGES)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(sorted(args.pages.glob("*.png"))):
        photo(Image.open(src), seed=i).save(args.out / src.name)
        print(args.out / src.name)


if __name__ == "__main__":
    main()
