"""Render synthetic Hindi text lines the way scans and phone photos show them.

Shaping goes through Pillow's raqm layout (HarfBuzz + FriBiDi): without it matras, reph and conjuncts come out
wrong, so `check_raqm()` refuses to run without it. Every Devanagari font Debian ships is used (fonts-deva,
fonts-noto-core), with each font's own character coverage respected (Samyak has no ASCII, Sarai no curly quotes).

Augmentations (each with its own probability): varied size and margins, cropped margins, synthetic bold, slight
rotation and shear, ink bleed and erosion, underline, paper texture and uneven light, blur, low resolution,
JPEG artefacts. The output is resized to the model's input exactly as the engine does it (Pillow bilinear,
no aspect kept), so training sees what inference sees. Gaussian noise and contrast jitter run on the GPU
(`gpu_augment`) to keep the render workers fast.
"""
from __future__ import annotations

import io
import json
import math
import os
import random
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

from realprint import degrade_print, nontext

FONT_FILES = [
    "Gargi/Gargi.ttf", "Nakula/nakula.ttf", "Sahadeva/sahadeva.ttf", "Sarai/Sarai.ttf",
    "annapurna/AnnapurnaSIL-Regular.ttf", "annapurna/AnnapurnaSIL-Bold.ttf", "fonts-deva-extra/chandas1-2.ttf",
    "fonts-deva-extra/kalimati.ttf", "fonts-deva-extra/samanata.ttf", "lohit-devanagari/Lohit-Devanagari.ttf",
    "noto/NotoSansDevanagari-Regular.ttf", "noto/NotoSansDevanagari-Bold.ttf",
    "noto/NotoSerifDevanagari-Regular.ttf", "noto/NotoSerifDevanagari-Bold.ttf", "samyak/Samyak-Devanagari.ttf",
]
SYSTEM_FONT_DIR = "/usr/share/fonts/truetype"
# Samyak maps digits to empty or wrong glyphs: keep it to Devanagari letters and danda.
ONLY_LETTERS = {"Samyak-Devanagari.ttf"}


def check_raqm() -> None:
    if not features.check("raqm"):
        raise SystemExit("Pillow has no raqm layout (libraqm/libfribidi missing): Devanagari would render wrong")


# Faces with the traditional letter forms of older print (अ झ ण ल), drawn more often.
TRADITIONAL = ("sahadeva", "kalimati", "samanata", "chandas", "tiro-devanagari")


def write_coverage(font_dir: str, out: str, files: list[str] | None = None) -> None:
    """Record each font's cmap (fontTools) so render workers need no fontTools."""
    from fontTools.ttLib import TTFont

    cov = {}
    for rel in files or FONT_FILES:
        cmap = TTFont(os.path.join(font_dir, rel)).getBestCmap()
        cov[rel] = "".join(sorted(chr(c) for c in cmap))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cov, f, ensure_ascii=False)


class Renderer:
    """Turns text into a uint8 [height, width] grayscale array at the model's input size."""

    def __init__(self, font_dir: str, coverage_json: str, height: int, width: int):
        self.font_dir, self.height, self.width = font_dir, height, width
        with open(coverage_json, encoding="utf-8") as f:
            cov = json.load(f)
        self.coverage = {rel: set(chars) | {" "} for rel, chars in cov.items()}
        for rel in self.coverage:
            if os.path.basename(rel) in ONLY_LETTERS:
                self.coverage[rel] = {c for c in self.coverage[rel] if "\u0900" <= c <= "\u0963" or c in " ।॥ँंः"}
        self.fonts = list(self.coverage)
        self.weights = [3.0 if any(t in rel.lower() for t in TRADITIONAL) else 1.0 for rel in self.fonts]

    @lru_cache(maxsize=512)
    def font(self, rel: str, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(os.path.join(self.font_dir, rel), size, layout_engine=ImageFont.Layout.RAQM)

    def pick_font(self, text: str, rng: random.Random) -> str | None:
        chars = set(text)
        for _ in range(4):
            rel = rng.choices(self.fonts, self.weights)[0]
            if chars <= self.coverage[rel]:
                return rel
        ok = [r for r in self.fonts if chars <= self.coverage[r]]
        return rng.choice(ok) if ok else None

    def draw(self, text: str, rel: str, rng: random.Random) -> Image.Image:
        """The line at its natural resolution, with its geometric and ink augmentations."""
        size = rng.randint(18, 40)
        font = self.font(rel, size)
        bold = rng.random() < 0.08 and "Bold" not in rel
        stroke = 1 if bold and size > 24 else 0
        l, t, r, b = font.getbbox(text, stroke_width=stroke)
        asc, desc = font.getmetrics()
        line_h = asc + desc
        # Margins as line crops have them: a few pixels to half a line; sometimes cut into the glyphs.
        ml, mr = rng.randint(0, int(size * 0.8)), rng.randint(0, int(size * 0.8))
        mt, mb = rng.randint(0, int(size * 0.4)), rng.randint(0, int(size * 0.4))
        if rng.random() < 0.5:  # crop to the ink box as a line finder would
            top, bottom = t, b
        else:
            top, bottom = min(t, 0), max(b, line_h)
        w, h = (r - l) + ml + mr, (bottom - top) + mt + mb
        paper = rng.randint(170, 255) if rng.random() < 0.7 else rng.randint(120, 255)
        ink = rng.randint(0, min(90, paper - 70))
        img = Image.new("L", (max(w, 8), max(h, 8)), paper)
        d = ImageDraw.Draw(img)
        d.text((ml - l, mt - top), text, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink)
        if rng.random() < 0.05:  # underline
            y = min(h - 1, mt + (b - top) + rng.randint(0, 3))
            d.line([(ml, y), (w - mr, y)], fill=ink, width=max(1, size // 16))
        if rng.random() < 0.08:  # cropped margin: cut a few pixels off a glyph edge
            c = rng.randint(1, max(1, size // 10))
            img = img.crop((0, c, img.width, img.height) if rng.random() < 0.5 else (0, 0, img.width, img.height - c))
        k = rng.random()
        if k < 0.08 and size >= 26:
            img = img.filter(ImageFilter.MinFilter(3))  # ink bleed (dark ink grows)
        elif k < 0.14 and size >= 26:
            img = img.filter(ImageFilter.MaxFilter(3))  # erosion
        if rng.random() < 0.35:
            img = self.rotate_shear(img, rng, paper)
        return img

    @staticmethod
    def rotate_shear(img: Image.Image, rng: random.Random, fill: int) -> Image.Image:
        angle = rng.uniform(-1.5, 1.5)
        shear = rng.uniform(-0.2, 0.2) if rng.random() < 0.5 else 0.0
        w, h = img.size
        if shear:
            extra = int(abs(shear) * h) + 1
            img = img.transform((w + extra, h), Image.Transform.AFFINE,
                                (1, shear, -extra if shear > 0 else 0, 0, 1, 0),
                                resample=Image.Resampling.BILINEAR, fillcolor=fill)
        if abs(angle) > 0.1:
            img = img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
        return img

    def degrade(self, img: Image.Image, rng: random.Random) -> Image.Image:
        """Photometric damage at natural resolution: texture, uneven light, blur, low resolution, JPEG."""
        arr = None
        if rng.random() < 0.4:  # uneven light and paper texture: a smooth field plus grain
            arr = np.asarray(img, dtype=np.float32)
            h, w = arr.shape
            gx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
            gy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
            a, bb, c = rng.uniform(-60, 60), rng.uniform(-30, 30), rng.uniform(0, 2 * math.pi)
            field = a * gx + bb * gy + rng.uniform(0, 25) * np.sin(2 * math.pi * gx * rng.uniform(0.3, 2) + c)
            arr = arr + field
            if rng.random() < 0.5:
                small = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(3, 14), (h // 4 + 1, w // 4 + 1))
                tex = np.asarray(Image.fromarray(small.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))
                arr = arr + tex
            img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        size = img.height  # damage scaled to the text size, so that the line stays readable
        if rng.random() < 0.45:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, max(0.4, min(1.5, size / 30)))))
        if rng.random() < 0.3:  # low resolution: down and back up
            f = rng.uniform(min(0.85, max(0.4, 22 / size)), 0.9)
            w, h = img.size
            img = img.resize((max(8, int(w * f)), max(6, int(h * f))), Image.Resampling.BILINEAR)
            if rng.random() < 0.5:
                img = img.resize((w, h), Image.Resampling.BILINEAR)
        if rng.random() < 0.35:
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=rng.randint(15, 85))
            buf.seek(0)
            img = Image.open(buf).convert("L")
        return img

    def render_print(self, text: str, other: str, rng: random.Random) -> np.ndarray | None:
        """A line as real print shows it (`realprint.degrade_print`); `other` is drawn as show-through and as
        the neighbouring line's edge."""
        rel = self.pick_font(text, rng)
        if rel is None:
            return None
        img = self.draw(text, rel, rng)
        rel2 = self.pick_font(other, rng) or rel
        other_img = self.draw(other, rel2, rng) if other else None
        img = degrade_print(img, rng, ghost=other_img, neighbour=other_img)
        if rng.random() < 0.3:
            img = self.degrade(img, rng)
        return self.to_input(img)

    def nontext(self, rng: random.Random) -> np.ndarray:
        return self.to_input(nontext(rng, rng.randint(20, 48)))

    def to_input(self, img: Image.Image) -> np.ndarray:
        # Exactly what the engine (and ViTImageProcessor) does: Pillow bilinear to the fixed size.
        img = img.convert("RGB").resize((self.width, self.height), Image.Resampling.BILINEAR)
        return np.asarray(img)[:, :, 0].copy()

    def render(self, text: str, rng: random.Random) -> np.ndarray | None:
        rel = self.pick_font(text, rng)
        if rel is None:
            return None
        img = self.draw(text, rel, rng)
        img = self.degrade(img, rng)
        return self.to_input(img)
