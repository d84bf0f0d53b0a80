"""Assemble the training data directory: corpus, tokenizer, character set, fonts and their coverage.

Usage: python prepare_data.py CORPUS.txt TOKENIZER.json OUT_DIR [EXTRA_FONT_DIR]
The directory is self-contained (fonts copied in), so it can travel to the GPU machine as is. EXTRA_FONT_DIR
(`fetch_fonts.py`) adds its TTFs under fonts/extra/, and the character set then also holds the signs of older
print (`extend_tokenizer.NEW_CHARS`, `realprint.py`).
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from extend_tokenizer import NEW_CHARS  # noqa: E402
from render import FONT_FILES, SYSTEM_FONT_DIR, write_coverage  # noqa: E402


def main() -> None:
    corpus, tokenizer, out = sys.argv[1:4]
    extra = sys.argv[4] if len(sys.argv) > 4 else None
    os.makedirs(out, exist_ok=True)
    text = open(corpus, encoding="utf-8").read()
    with gzip.open(os.path.join(out, "corpus.txt.gz"), "wt", encoding="utf-8", compresslevel=6) as f:
        f.write(text)
    charset = sorted(set(text) - {"\n"} | (set(NEW_CHARS + "ः।॥") if extra else set()))
    with open(os.path.join(out, "charset.json"), "w", encoding="utf-8") as f:
        json.dump(charset, f, ensure_ascii=False)
    shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))
    for rel in FONT_FILES:
        dst = os.path.join(out, "fonts", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(SYSTEM_FONT_DIR, rel), dst)
    files = list(FONT_FILES)
    if extra:
        os.makedirs(os.path.join(out, "fonts", "extra"), exist_ok=True)
        for name in sorted(os.listdir(extra)):
            if name.endswith(".ttf"):
                shutil.copy(os.path.join(extra, name), os.path.join(out, "fonts", "extra", name))
                files.append(f"extra/{name}")
    write_coverage(os.path.join(out, "fonts"), os.path.join(out, "coverage.json"), files)
    print(f"data dir {out}: {len(charset)} characters, {len(files)} fonts")


if __name__ == "__main__":
    main()
