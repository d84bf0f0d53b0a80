"""Training lines that look like real print: older typesetting conventions, printing and scanning damage, and
crops of things that are not text at all.

Three parts, each used by `train.py` beside the plain renders of `render.py`:

- `printed_text`: the conventions of older and Sanskrit-heavy print applied to a corpus line: a space before
  `।`/`॥` (both conventions are kept in the data, so the model writes what it sees), verse numbers `॥ १२ ॥`,
  visarga endings, avagraha, long compounds, the abbreviation sign `॰`, `ळ`, dashes and quotes.
- `degrade_print`: what letterpress, photocopies and bilevel scans do to a line: uneven inking, broken and
  filled-in strokes, ink spread, show-through from the other side, specks, low-resolution 1-bit scans,
  fragments of the lines above and below.
- `nontext`: crops with no text (dotted leaders, rules, table borders, speckle, blank paper, picture edges)
  whose target is the empty string, so the decoder learns to say nothing where the image shows nothing.

All of it is procedural (numpy + Pillow), so it is fast enough to run in the render workers on a CPU.
"""
from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DEV_DIGITS = "०१२३४५६७८९"
VOWEL_SIGNS = set("ािीुूृेैोौ")
CONSONANTS = set("कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह")


# Sanskrit (and older Hindi) spelling writes a nasal before a stop as the class nasal with virama, not as
# anusvara: अङ्ग for अंग, सम्बन्ध for संबंध. Fonts then draw the conjuncts ङ्ग, ञ्च, ण्ड, न्द, म्ब.
CLASS_NASAL = {c: n for group, n in (("कखगघ", "ङ्"), ("चछजझ", "ञ्"), ("टठडढ", "ण्"), ("तथदध", "न्"),
                                    ("पफबभ", "म्")) for c in group}
UDATTA, ANUDATTA = "\u0951", "\u0952"


def class_nasals(text: str) -> str:
    out = []
    for i, c in enumerate(text):
        nxt = text[i + 1] if i + 1 < len(text) else ""
        out.append(CLASS_NASAL[nxt] if c == "ं" and nxt in CLASS_NASAL else c)
    return "".join(out)


def with_accents(text: str, rng: random.Random) -> str:
    """Vedic svara marks (udatta above, anudatta below) on some syllables, as accented Vedic print shows them.
    They are drawn but not part of the target: the reading is the text without them."""
    out = []
    for i, c in enumerate(text):
        out.append(c)
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if (c in CONSONANTS or c in VOWEL_SIGNS) and nxt not in VOWEL_SIGNS and nxt not in "्ंःँ़" and rng.random() < 0.2:
            out.append(UDATTA if rng.random() < 0.4 else ANUDATTA)
    return "".join(out)


def _letters(w: str) -> bool:
    return all("\u0900" <= c <= "\u0963" for c in w)


def _dev_number(rng: random.Random) -> str:
    return "".join(rng.choice(DEV_DIGITS) for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))


def printed_text(text: str, rng: random.Random) -> str:
    """A corpus line rewritten with the conventions of older print (see the module docs)."""
    words = text.split(" ")
    out: list[str] = []
    for w in words:
        if not w:
            continue
        last = w[-1]
        r = rng.random()
        if r < 0.12 and (last in VOWEL_SIGNS or last in CONSONANTS):
            w += "ः"  # Sanskrit nominative endings: रामः, हरेः
        elif r < 0.15 and (last in "ोे"):
            w += "ऽ"  # avagraha after o/e, as in सोऽहम्
        elif r < 0.153 and (last in VOWEL_SIGNS or last in CONSONANTS):
            w += "॰"  # abbreviation sign (rare in running text)
        elif r < 0.163 and "ल" in w:
            w = w.replace("ल", "ळ", 1)
        out.append(w)
    # Long compounds: join neighbours without a space.
    i = 0
    joined: list[str] = []
    while i < len(out):
        w = out[i]
        while i + 1 < len(out) and rng.random() < 0.12 and len(w) < 30 and _letters(w) and _letters(out[i + 1]):
            i += 1
            w += out[i]
        joined.append(w)
        i += 1
    s = " ".join(joined)
    if rng.random() < 0.35:
        s = class_nasals(s)
    spaced = rng.random() < 0.6  # the space before a danda, common in print, for the whole line
    if rng.random() < 0.5 and not s.endswith(("।", "॥")):
        s += " ।" if spaced else "।"
    if rng.random() < 0.12:
        n = _dev_number(rng)
        s += rng.choice((f" ॥ {n} ॥", f" ॥{n}॥", f" ॥ {n}", f"॥ {n} ॥"))
    if rng.random() < 0.05:
        s = rng.choice(("— ", "—")) + s if rng.random() < 0.5 else s + "—"
    if rng.random() < 0.03:
        s = f"‘{s}’"
    if spaced:
        s = s.replace("।", " ।").replace("॥", " ॥").replace("  ", " ").strip()
    return " ".join(s.split())


def _noise_field(h: int, w: int, scale: int, rng: random.Random) -> np.ndarray:
    """Smooth noise in [0, 1] varying over about `scale` pixels."""
    g = np.random.default_rng(rng.getrandbits(32))
    small = g.random((max(2, h // scale + 2), max(2, w // scale + 2))).astype(np.float32)
    return np.asarray(Image.fromarray(small, mode="F").resize((w, h), Image.Resampling.BICUBIC)).clip(0, 1)


def degrade_print(img: Image.Image, rng: random.Random, ghost: Image.Image | None = None,
                  neighbour: Image.Image | None = None) -> Image.Image:
    """Printing and scanning damage on a grey line image at its natural resolution (dark ink on light paper).

    `ghost`: another line to show through from the back of the page; `neighbour`: another line whose edge
    pokes in from above or below."""
    arr = np.asarray(img.convert("L"), dtype=np.float32)
    h, w = arr.shape
    paper = float(np.percentile(arr, 90))
    ink = np.clip((paper - arr) / max(paper, 1.0), 0, 1)  # 0 paper .. 1 full ink
    if rng.random() < 0.6:  # uneven inking across the line
        ink = ink * (0.7 + 0.6 * _noise_field(h, w, rng.randint(6, 30), rng))
    if rng.random() < 0.2:  # broken type: small gaps inside strokes (few: dots of anusvara must survive)
        holes = _noise_field(h, w, rng.randint(3, 5), rng) > rng.uniform(0.86, 0.94)
        ink = np.where(holes, ink * 0.15, ink)
    if ghost is not None and rng.random() < 0.5:  # show-through: the mirrored back page, faint
        g = np.asarray(ghost.convert("L").transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((w, h)), np.float32)
        gink = np.clip((g.max() - g) / 255.0, 0, 1) * rng.uniform(0.05, 0.2)
        ink = np.maximum(ink, gink)
    if neighbour is not None and rng.random() < 0.4:  # a sliver of the line above or below
        n = np.asarray(neighbour.convert("L").resize((w, max(4, int(h * rng.uniform(0.8, 1.2))))), np.float32)
        nink = np.clip((n.max() - n) / 255.0, 0, 1)
        k = rng.randint(1, max(1, int(h * rng.uniform(0.08, 0.2))))
        if rng.random() < 0.5:
            ink[:k] = np.maximum(ink[:k], nink[-k:])
        else:
            ink[-k:] = np.maximum(ink[-k:], nink[:k])
    out = paper - ink * paper * rng.uniform(0.75, 1.0)
    if rng.random() < 0.3:  # yellowed or grey paper with grain
        out = out - rng.uniform(0, 45) * _noise_field(h, w, rng.randint(20, 80), rng)
    if rng.random() < 0.4:  # specks
        g = np.random.default_rng(rng.getrandbits(32))
        n = int(h * w * rng.uniform(0.0003, 0.003))
        ys, xs = g.integers(0, h, n), g.integers(0, w, n)
        out[ys, xs] = g.uniform(0, 90, n)
        if rng.random() < 0.5:
            out[np.clip(ys + 1, 0, h - 1), xs] = out[ys, xs]
    img = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    k = rng.random()
    if k < 0.15:
        img = img.filter(ImageFilter.MinFilter(3))  # ink spread, counters filling in
    elif k < 0.25:
        img = img.filter(ImageFilter.MaxFilter(3))  # thin, worn type
    if rng.random() < 0.5:  # a bilevel scan: sometimes at a low resolution
        if rng.random() < 0.5:
            f = rng.uniform(0.45, 0.9)
            small = img.resize((max(8, int(w * f)), max(6, int(h * f))), Image.Resampling.BILINEAR)
        else:
            small = img
        a = np.asarray(small, np.float32)
        a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 10), a.shape)
        lo, hi = float(np.percentile(a, 1)), float(np.percentile(a, 95))
        t = lo + rng.uniform(0.35, 0.65) * (hi - lo)
        img = Image.fromarray(np.where(a < t, 0, 255).astype(np.uint8))
    return img


def nontext(rng: random.Random, height: int) -> Image.Image:
    """A crop with no text in it: what a line finder hands over from tables, rules, margins and pictures."""
    h = rng.randint(max(12, height // 2), height * 2)
    w = rng.randint(h * 2, h * 20)
    paper = rng.randint(160, 255)
    ink = rng.randint(0, max(0, paper - 90))
    img = Image.new("L", (w, h), paper)
    d = ImageDraw.Draw(img)
    kind = rng.randrange(7)
    if kind == 0:  # dotted leader
        y, step, r = rng.randint(h // 3, h - 3), rng.randint(4, 14), rng.randint(1, 3)
        for x in range(rng.randint(0, step), w, step):
            d.ellipse((x, y - r, x + r * 2, y + r), fill=ink)
    elif kind == 1:  # horizontal rules, single or double
        for _ in range(rng.choice((1, 1, 2))):
            y = rng.randint(0, h - 1)
            d.line((0, y, w, y), fill=ink, width=rng.randint(1, max(1, h // 10)))
    elif kind == 2:  # table borders: a row of cells
        xs = sorted(rng.sample(range(w), min(w - 1, rng.randint(1, 6))))
        for x in xs:
            d.line((x, 0, x, h), fill=ink, width=rng.randint(1, 3))
        if rng.random() < 0.7:
            y = rng.choice((rng.randint(0, 3), h - rng.randint(1, 4)))
            d.line((0, y, w, y), fill=ink, width=rng.randint(1, 3))
    elif kind == 3:  # speckle and dust
        g = np.random.default_rng(rng.getrandbits(32))
        for _ in range(rng.randint(3, 60)):
            x, y, r = int(g.integers(0, w)), int(g.integers(0, h)), int(g.integers(1, 4))
            d.ellipse((x, y, x + r, y + r), fill=ink)
    elif kind == 4:  # picture edge: a dark block with texture
        x0 = rng.randint(0, w // 2)
        a = np.asarray(img, np.float32)
        a[:, x0:] = ink + 60 * _noise_field(h, w - x0, rng.randint(3, 20), rng)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    elif kind == 5:  # page edge / gutter shadow
        a = np.asarray(img, np.float32)
        ramp = np.linspace(0, 1, w, dtype=np.float32) ** rng.uniform(1, 4)
        if rng.random() < 0.5:
            ramp = ramp[::-1]
        a = a - ramp[None, :] * rng.uniform(60, 200)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    # kind 6: blank paper
    a = np.asarray(img, np.float32) - rng.uniform(0, 40) * _noise_field(h, w, rng.randint(10, 60), rng)
    a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 10), a.shape)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.3:
        t = rng.uniform(0.4, 0.6) * 255
        img = img.point(lambda v: 0 if v < t else 255)
    return img
