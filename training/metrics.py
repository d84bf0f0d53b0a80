"""Character error rate, without heavy imports (used by train.py and the benchmarks in benches/)."""
from __future__ import annotations

import unicodedata


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance over code points."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(pred: list[str], ref: list[str]) -> float:
    """Edits over all pairs divided by the reference length (texts compared as given)."""
    return sum(edit_distance(p, r) for p, r in zip(pred, ref)) / max(1, sum(len(r) for r in ref))


def normalize(s: str) -> str:
    """As ../shared/eval/score.py compares texts: NFC, whitespace runs as one space, no edge spaces."""
    return " ".join(unicodedata.normalize("NFC", s).split())


def score_cer(pred: list[str], ref: list[str]) -> float:
    """CER as score.py counts it: `cer` over normalized texts."""
    return cer([normalize(p) for p in pred], [normalize(r) for r in ref])
