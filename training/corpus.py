"""Build the Hindi text corpus the synthetic lines are rendered from.

Sources (all installable here, none from the evaluation set):
  * LibreOffice help pages in Hindi (Debian `libreoffice-help-hi`, MPL-2.0): real sentences written by people;
  * Hindi gettext catalogs under /usr/share/locale/hi (each package's licence, GPL/LGPL family): UI sentences;
  * the Hindi Hunspell dictionary (Debian `hunspell-hi`, GPL-2+): rare word forms;
  * PyPI `wordfreq` (data CC BY-SA 4.0): Hindi and English words with frequencies, sampled into word sequences
    so that the news-like vocabulary is covered in proportion to how often it is printed.
Lines are cleaned to NFC and restricted to Devanagari, ASCII and the punctuation Hindi print uses; digits
(both kinds), danda, dates, numbers and Latin words are mixed in.

Usage: python corpus.py OUT.txt [--lines N] [--seed S]
"""
from __future__ import annotations

import argparse
import gettext
import glob
import html
import random
import re
import unicodedata

HELP_DIR = "/usr/share/libreoffice/help/hi"
LOCALE_GLOB = "/usr/share/locale/hi/LC_MESSAGES/*.mo"
HUNSPELL_DIC = "/usr/share/hunspell/hi_IN.dic"

DEV = "\u0900-\u097F"
ALLOWED = re.compile(rf"^[{DEV} A-Za-z0-9.,;:!?'\"()\[\]\-–/%&+=*@#₹‘’“”]+$")
HAS_DEV = re.compile(rf"[{DEV}]")
DEV_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def clean(text: str) -> str:
    """NFC, one space between words, typographic dashes kept, control and zero-width chars removed."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u200c", "").replace("\u200d", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def usable(line: str) -> bool:
    if not HAS_DEV.search(line) or not ALLOWED.match(line):
        return False
    dev = len(re.findall(rf"[{DEV}]", line))
    return dev >= 0.5 * len(line.replace(" ", ""))


def help_sentences() -> list[str]:
    out = []
    for fn in sorted(glob.glob(f"{HELP_DIR}/text/**/*.html", recursive=True)):
        with open(fn, encoding="utf-8", errors="replace") as f:
            t = f.read()
        t = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", t)
        for part in re.split(r"<[^>]+>", t):
            part = clean(html.unescape(part))
            if part.startswith("Title is:"):
                continue
            for s in re.split(r"(?<=[.?!।])\s+", part):
                out.append(s)
    return out


def gettext_sentences() -> list[str]:
    out = []
    for fn in sorted(glob.glob(LOCALE_GLOB)):
        try:
            with open(fn, "rb") as f:
                cat = gettext.GNUTranslations(f)._catalog  # msgid -> msgstr
        except Exception:
            continue
        for v in cat.values():
            if not isinstance(v, str):
                continue
            v = re.sub(r"%\(?\w*\)?[sdiuf]|\{\w*\}|<[^>]+>|_(?=\S)|&(?=\S)|\\n", " ", v)
            out.extend(clean(x) for x in v.split("\n"))
    return out


def hunspell_words() -> list[str]:
    words = []
    with open(HUNSPELL_DIC, encoding="utf-8", errors="replace") as f:
        next(f)
        for line in f:
            w = clean(line.split("/")[0])
            if w and re.fullmatch(rf"[{DEV}]+", w):
                words.append(w)
    return words


def wordfreq_words(lang: str, n: int) -> tuple[list[str], list[float]]:
    from wordfreq import top_n_list, word_frequency

    words = top_n_list(lang, n)
    if lang == "hi":
        words = [clean(w) for w in words if re.fullmatch(rf"[{DEV}]+", w)]
    else:
        words = [w for w in words if re.fullmatch(r"[A-Za-z]{2,}", w)]
    return words, [word_frequency(w, lang) for w in words]


def number(rng: random.Random) -> str:
    """A number as Hindi print writes them: years, amounts, percentages, dates, ranges."""
    k = rng.random()
    if k < 0.25:
        s = str(rng.randint(1900, 2030))
    elif k < 0.4:
        s = f"{rng.randint(1, 99)}%" if rng.random() < 0.5 else f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%"
    elif k < 0.55:
        s = f"{rng.randint(1, 999):,}".replace(",", ",") if rng.random() < 0.5 else f"{rng.randint(1000, 99999999):,}"
    elif k < 0.7:
        s = f"{rng.randint(1, 28)}-{rng.randint(1, 12):02d}-{rng.randint(1950, 2030)}"
        if rng.random() < 0.4:
            s = s.replace("-", "/")
    elif k < 0.8:
        y = rng.randint(1950, 2029)
        s = f"{y}-{(y + 1) % 100:02d}"
    else:
        s = str(rng.randint(0, 999))
    return s.translate(DEV_DIGITS) if rng.random() < 0.5 else s


def chunk(sentence: str, rng: random.Random, lo: int = 12, hi: int = 75) -> list[str]:
    """Split a long sentence at spaces into printed-line-sized pieces."""
    words, out, cur = sentence.split(" "), [], []
    limit = rng.randint(30, hi)
    for w in words:
        if cur and len(" ".join(cur + [w])) > limit:
            out.append(" ".join(cur))
            cur, limit = [], rng.randint(30, hi)
        cur.append(w)
    if cur:
        out.append(" ".join(cur))
    return [x for x in out if len(x) >= lo or rng.random() < 0.3]


def hindiize(s: str, rng: random.Random) -> str:
    """LibreOffice help ends Hindi sentences with '.', print mostly uses the danda."""
    if s.endswith(".") and not s.endswith("..") and rng.random() < 0.7:
        s = s[:-1].rstrip() + "।"
    return s


def sampled_line(rng, hi_words, hi_cum, en_words, en_cum, rare) -> str:
    n = rng.randint(2, 12)
    toks = []
    for _ in range(n):
        r = rng.random()
        if r < 0.06:
            toks.append(number(rng))
        elif r < 0.09:
            w = rng.choices(en_words, cum_weights=en_cum)[0]
            toks.append(w.capitalize() if rng.random() < 0.3 else w.upper() if rng.random() < 0.1 else w)
        elif r < 0.2:
            toks.append(rng.choice(rare))
        else:
            toks.append(rng.choices(hi_words, cum_weights=hi_cum)[0])
        p = rng.random()
        if p < 0.07:
            toks[-1] += ","
        elif p < 0.085:
            toks[-1] = f"({toks[-1]})"
        elif p < 0.095:
            toks[-1] = f"'{toks[-1]}'" if rng.random() < 0.5 else f"“{toks[-1]}”"
        elif p < 0.105:
            toks[-1] += " -"
        elif p < 0.11:
            toks[-1] += ":"
    line = " ".join(toks)
    e = rng.random()
    if e < 0.45:
        line += "।"
    elif e < 0.5:
        line += " ।"
    elif e < 0.53:
        line += "?"
    elif e < 0.55:
        line += "॥"
    elif e < 0.57:
        line += "!"
    elif e < 0.6:
        line += "."
    return line


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lines", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    real = [hindiize(s, rng) for s in help_sentences() + gettext_sentences()]
    real_lines = sorted({c for s in real for c in chunk(s, rng) if usable(c)})
    hi_words, hi_f = wordfreq_words("hi", 60_000)
    en_words, en_f = wordfreq_words("en", 5_000)
    rare = hunspell_words()
    hi_cum, en_cum = [], []
    acc = 0.0
    for f in hi_f:
        acc += f ** 0.7  # flatten Zipf a little so mid-frequency words are seen often enough
        hi_cum.append(acc)
    acc = 0.0
    for f in en_f:
        acc += f
        en_cum.append(acc)
    print(f"real lines {len(real_lines)}, wordfreq hi {len(hi_words)}, en {len(en_words)}, hunspell {len(rare)}")

    out = []
    while len(out) < args.lines:
        r = rng.random()
        if r < 0.4:
            line = rng.choice(real_lines)
            if rng.random() < 0.1:  # digits inside real sentences, both kinds
                ws = line.split(" ")
                ws.insert(rng.randrange(len(ws) + 1), number(rng))
                line = " ".join(ws)
        else:
            line = sampled_line(rng, hi_words, hi_cum, en_words, en_cum, rare)
        line = clean(line)
        if usable(line) and 2 <= len(line) <= 90:
            out.append(line)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {len(out)} lines to {args.out}")


if __name__ == "__main__":
    main()
