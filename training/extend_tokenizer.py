"""Add characters to a BPE tokenizer's vocabulary without changing any existing token id.

The shipped tokenizer's alphabet came from a Hindi corpus and lacks signs that older and Sanskrit print uses
(avagraha, the abbreviation sign, ळ, dashes, curly quotes). Each new character becomes a single-character token
at the end of the vocabulary (ids 2000, 2001, ...): BPE then emits it unmerged, every old line tokenizes exactly
as before, and a model trained with the old vocabulary keeps its embeddings (`train.py` grows the matrix).

Usage: python extend_tokenizer.py IN.json OUT.json
"""
from __future__ import annotations

import json
import sys

# Signs of printed Devanagari the corpus alphabet lacked (see the model card).
NEW_CHARS = "ऽ॰ळॠॡऌ—–‘’"


def extend(tok: dict, chars: str = NEW_CHARS) -> list[str]:
    vocab = tok["model"]["vocab"]
    added = []
    for c in chars:
        if c not in vocab:
            vocab[c] = len(vocab)
            added.append(c)
    return added


def main() -> None:
    src, dst = sys.argv[1:3]
    tok = json.load(open(src, encoding="utf-8"))
    added = extend(tok)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    print(f"{dst}: {len(tok['model']['vocab'])} tokens, added {''.join(added)!r}")


if __name__ == "__main__":
    main()
