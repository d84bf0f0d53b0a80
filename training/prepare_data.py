"""Assemble the training data directory: corpus, tokenizer, character set, fonts and their coverage.

Usage: python prepare_data.py CORPUS.txt TOKENIZER.json OUT_DIR
The directory is self-contained (fonts copied in), so it can travel to the GPU machine as is.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render import FONT_FILES, SYSTEM_FONT_DIR, write_coverage  # noqa: E402


def main() -> None:
    corpus, tokenizer, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    text = open(corpus, encoding="utf-8").read()
    with gzip.open(os.path.join(out, "corpus.txt.gz"), "wt", encoding="utf-8", compresslevel=6) as f:
        f.write(text)
    charset = sorted(set(text) - {"\n"})
    with open(os.path.join(out, "charset.json"), "w", encoding="utf-8") as f:
        json.dump(charset, f, ensure_ascii=False)
    shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))
    for rel in FONT_FILES:
        dst = os.path.join(out, "fonts", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(SYSTEM_FONT_DIR, rel), dst)
    write_coverage(os.path.join(out, "fonts"), os.path.join(out, "coverage.json"))
    print(f"data dir {out}: {len(charset)} characters, {len(FONT_FILES)} fonts")


if __name__ == "__main__":
    main()
