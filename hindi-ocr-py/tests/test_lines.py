"""Reading line images from every kind of source gives the CLI's text (`--layout line --format tsv`)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from PIL import Image

import hindi_ocr
from conftest import LineSet, cli_tsv


@pytest.fixture(scope="module")
def cli_texts(cli: pathlib.Path, lines20: LineSet) -> dict[str, str]:
    texts = cli_tsv(cli, "line", lines20.paths)
    assert len(texts) == len(lines20.paths), f"CLI gave {len(texts)} rows for {len(lines20.paths)} {lines20.name} lines"
    return texts


def test_line_set_is_the_dev_set_or_the_samples(lines20: LineSet) -> None:
    assert lines20.paths and all(p.is_file() for p in lines20.paths)
    if lines20.name == "dev set":
        assert len(lines20.paths) == 20


@pytest.mark.parametrize("kind", ["str", "pathlib", "bytes", "bytearray", "numpy", "numpy-rgb", "pil"])
def test_sources_match_cli(engine: hindi_ocr.Engine, lines20: LineSet, cli_texts: dict[str, str], kind: str) -> None:
    for path in lines20.paths:
        if kind == "str":
            src: object = str(path)
        elif kind == "pathlib":
            src = path
        elif kind == "bytes":
            src = path.read_bytes()
        elif kind == "bytearray":
            src = bytearray(path.read_bytes())
        elif kind == "numpy":
            src = np.asarray(Image.open(path))
        elif kind == "numpy-rgb":
            src = np.asarray(Image.open(path).convert("RGB"))
        else:
            src = Image.open(path)
        result = engine.recognize_line(src)  # type: ignore[arg-type]
        assert result.text == cli_texts[str(path)], f"{kind} source of {path.name}"
        assert 0.0 <= result.confidence <= 1.0
        assert result.processing_time_ms >= 0.0


def test_batch_matches_cli(engine: hindi_ocr.Engine, lines20: LineSet, cli_texts: dict[str, str]) -> None:
    results = engine.recognize_lines(lines20.paths)
    assert [r.text for r in results] == [cli_texts[str(p)] for p in lines20.paths]


def test_batch_accepts_mixed_sources_and_keeps_order(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    a, b, c = sample_lines[:3]
    mixed = engine.recognize_lines([a, b.read_bytes(), np.asarray(Image.open(c))])
    single = [engine.recognize_line(p).text for p in (a, b, c)]
    assert [r.text for r in mixed] == single
    assert engine.recognize_lines([]) == []


def test_document_line_layout_matches_cli(engine: hindi_ocr.Engine, lines20: LineSet, cli_texts: dict[str, str]) -> None:
    for path in lines20.paths[:5]:
        doc = engine.recognize(path, layout="line")
        assert doc.text == cli_texts[str(path)]
        assert len(doc.pages) == 1


def test_numpy_layouts_agree(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    gray = np.asarray(Image.open(sample_lines[0]).convert("L"))
    expected = engine.recognize_line(gray).text
    as_hwc1 = gray[:, :, None]
    non_contiguous = np.asfortranarray(gray)
    rgba = np.asarray(Image.open(sample_lines[0]).convert("RGBA"))
    for variant in (as_hwc1, non_contiguous, rgba):
        assert engine.recognize_line(variant).text == expected


def test_line_result_fields(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    r = engine.recognize_line(sample_lines[0])
    assert isinstance(r.text, str)
    assert all(isinstance(t, int) for t in r.token_ids)
    assert repr(r).startswith("LineResult(text=") and repr(r.text) in repr(r)
