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


def test_blank_images_give_no_text_as_the_line_layout_does(
    engine: hindi_ocr.Engine, cli: pathlib.Path, sample_lines: list[pathlib.Path], tmp_path: pathlib.Path
) -> None:
    # No ink by the line layout's rule: the model is not asked (it would make text up), the result is empty.
    blanks = [np.zeros((1, 1), np.uint8), np.full((40, 400), 255, np.uint8), np.zeros((40, 400), np.uint8)]
    for i, blank in enumerate(blanks):
        assert engine.recognize(blank, layout="line").text == ""
        r = engine.recognize_line(blank)
        assert (r.text, r.confidence, r.token_ids) == ("", 0.0, []), f"blank image {i}"
    white = tmp_path / "white.png"
    Image.fromarray(blanks[1]).save(white)
    assert cli_tsv(cli, "line", [white])[str(white)] == engine.recognize_line(white).text == ""
    # In a batch, blank images keep their places among lines with text.
    line = sample_lines[0]
    expected = engine.recognize_line(line).text
    assert expected
    results = engine.recognize_lines([blanks[1], line, blanks[0], line, blanks[2]])
    assert [r.text for r in results] == ["", expected, "", expected, ""]
    assert [r.text for r in engine.recognize_lines(blanks)] == ["", "", ""]


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I", "F"])
def test_16_bit_pil_images_read_as_their_file(
    engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path], tmp_path: pathlib.Path, mode: str
) -> None:
    # Ink at 40 of 255, not black: PIL's convert("L") clips every 16-bit value above 255 to white, which left
    # such a line blank. 8-bit values times 257 are exactly 16-bit: the file reads as the 8-bit image, and so must
    # its PIL image.
    gray = np.asarray(Image.open(sample_lines[0]).convert("L")).astype(np.uint16)
    gray8 = (40 + gray * 200 // 255).astype(np.uint8)
    gray16 = gray8.astype(np.uint16) * 257
    path = tmp_path / "line16.png"
    Image.fromarray(gray16).save(path)
    expected = engine.recognize_line(gray8).text
    assert expected and engine.recognize_line(path).text == expected
    image: Image.Image = Image.open(path)
    if mode == "I;16B":
        image = Image.frombytes(mode, image.size, gray16.astype(">u2").tobytes())
    elif mode != image.mode:
        image = image.convert(mode)
    assert image.mode == mode
    assert engine.recognize_line(image).text == expected


def test_32_bit_pil_images_of_8_bit_values(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    # `I` and `F` images holding 0..255 (an 8-bit image converted) are read as 8-bit, not scaled down to black.
    gray = Image.open(sample_lines[0]).convert("L")
    expected = engine.recognize_line(gray).text
    assert expected
    for mode in ("I", "F"):
        assert engine.recognize_line(gray.convert(mode)).text == expected
