"""Shared fixtures: the engine (whatever model is in models/hindi-trocr), the CLI binary, and line images.

The Python results are checked against the CLI (`hindi-ocr ocr ... --format tsv`), not against hard-coded
texts, so the suite holds for any model in the model directory.
"""

from __future__ import annotations

import csv
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import hindi_ocr

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
# The public development set (../shared/eval/dev next to the repository); the committed sample lines in
# tests/data stand in for it on machines without it.
DEV_SET = Path(os.environ.get("HINDI_OCR_DEV_SET", REPO.parent / "shared" / "eval" / "dev"))


@dataclass(frozen=True)
class LineSet:
    """Line images to read: where they come from and their paths."""

    name: str
    paths: list[Path]


def _dev_lines(count: int) -> LineSet:
    tsv = DEV_SET / "lines.tsv"
    if tsv.is_file():
        with tsv.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        return LineSet("dev set", [DEV_SET / r["file"] for r in rows[:count]])
    return LineSet("tests/data", sorted(DATA.glob("line_*.png")))


@pytest.fixture(scope="session")
def lines20() -> LineSet:
    """20 development lines (or the sample lines when the dev set is not on this machine)."""
    return _dev_lines(20)


@pytest.fixture(scope="session")
def sample_lines() -> list[Path]:
    """The committed sample line images."""
    return sorted(DATA.glob("line_*.png"))


@pytest.fixture(scope="session")
def sample_page() -> Path:
    return DATA / "page.png"


@pytest.fixture(scope="session")
def engine() -> hindi_ocr.Engine:
    """One engine for the session: the bundled model, ONNX Runtime from the onnxruntime wheel."""
    return hindi_ocr.Engine()


def cli_binary() -> Path:
    """The `hindi-ocr` CLI: $HINDI_OCR_CLI, else the release or debug build in target/."""
    env = os.environ.get("HINDI_OCR_CLI")
    candidates = [Path(env)] if env else [REPO / "target" / p / "hindi-ocr" for p in ("release", "debug")]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(
        f"hindi-ocr CLI not found (tried {', '.join(map(str, candidates))}); build it with "
        "`cargo build --release -p hindi-ocr-server` or set HINDI_OCR_CLI"
    )


@pytest.fixture(scope="session")
def cli() -> Path:
    return cli_binary()


def run_cli(cli: Path, *args: str | os.PathLike[str]) -> str:
    """Run the CLI with the same model the Python engine uses; return its stdout."""
    out = subprocess.run(
        [str(cli), *map(str, args)], check=True, capture_output=True, text=True, encoding="utf-8", timeout=900
    )
    return out.stdout


def tsv_unescape(field: str) -> str:
    """Undo the CLI's TSV escapes (`\\n`, `\\t`, `\\\\`)."""
    out, chars = [], iter(field)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(c)
    return "".join(out)


def cli_tsv(cli: Path, layout: str, paths: list[Path]) -> dict[str, str]:
    """`hindi-ocr ocr --layout LAYOUT --format tsv PATHS...` as {path: text}."""
    stdout = run_cli(cli, "ocr", "--layout", layout, "--format", "tsv", *paths)
    texts: dict[str, str] = {}
    for row in stdout.splitlines():
        path, _, text = row.partition("\t")
        texts[path] = tsv_unescape(text)
    return texts
