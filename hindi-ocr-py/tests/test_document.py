"""Whole documents: structure, agreement with the CLI, and the exports (JSON, hOCR, ALTO, PAGE, searchable PDF)."""

from __future__ import annotations

import errno
import io
import json
import pathlib
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import hindi_ocr
from conftest import cli_tsv, run_cli


@pytest.fixture(scope="module")
def page_doc(engine: hindi_ocr.Engine, sample_page: pathlib.Path) -> hindi_ocr.Document:
    return engine.recognize(sample_page, layout="page")


def test_structure(page_doc: hindi_ocr.Document, sample_page: pathlib.Path) -> None:
    width, height = Image.open(sample_page).size
    assert len(page_doc.pages) == 1
    page = page_doc.pages[0]
    assert (page.width, page.height) == (width, height)
    assert page.lines, "the sample page has four lines of text"
    assert page_doc.text == page.text == "\n".join(line.text for line in page.lines)
    for line in page.lines:
        b = line.bbox
        assert b.x + b.width <= width and b.y + b.height <= height and b.width > 0 and b.height > 0
        assert 0.0 <= line.confidence <= 1.0
        for word in line.words:
            assert 0.0 <= word.confidence <= 1.0
            assert word.bbox.width > 0 and word.bbox.height > 0
    # lines are in reading order: top to bottom
    tops = [line.bbox.y for line in page.lines]
    assert tops == sorted(tops)
    assert 0.0 <= page_doc.confidence <= 1.0
    assert page_doc.processing_time_ms > 0
    assert page.lines[0].bbox == page.lines[0].bbox  # BBox compares by value
    assert page.lines[0].bbox.as_tuple()[2] == page.lines[0].bbox.width


def test_matches_cli(page_doc: hindi_ocr.Document, cli: pathlib.Path, sample_page: pathlib.Path) -> None:
    assert page_doc.text == cli_tsv(cli, "page", [sample_page])[str(sample_page)]
    cli_json = json.loads(run_cli(cli, "ocr", "--layout", "page", "--format", "json", sample_page))
    ours = json.loads(page_doc.to_json())
    assert ours["text"] == cli_json["text"]
    strip = lambda d: [[(l["bbox"], l["text"]) for l in p["lines"]] for p in d["pages"]]  # noqa: E731
    assert strip(ours) == strip(cli_json)


def test_sources_give_the_same_document(
    engine: hindi_ocr.Engine, page_doc: hindi_ocr.Document, sample_page: pathlib.Path
) -> None:
    for src in (str(sample_page), sample_page.read_bytes(), np.asarray(Image.open(sample_page)), Image.open(sample_page)):
        assert engine.recognize(src, layout="page").text == page_doc.text  # type: ignore[arg-type]


def test_page_turned_sideways_or_upside_down(
    engine: hindi_ocr.Engine, page_doc: hindi_ocr.Document, sample_page: pathlib.Path
) -> None:
    width, height = Image.open(sample_page).size
    assert page_doc.pages[0].rotation == 0
    # PIL turns counter-clockwise: the engine turns each back clockwise by the rest of the circle.
    for turn, back in ((90, 90), (180, 180), (270, 270)):
        turned = Image.open(sample_page).rotate(turn, expand=True)
        page = engine.recognize(turned, layout="page").pages[0]
        assert page.rotation == back
        assert (page.width, page.height) == (width, height)
        assert page.text == page_doc.text


def test_json(page_doc: hindi_ocr.Document) -> None:
    data = json.loads(page_doc.to_json())
    assert data["text"] == page_doc.text == page_doc.to_text()
    assert len(data["pages"][0]["lines"]) == len(page_doc.pages[0].lines)
    first = data["pages"][0]["lines"][0]
    assert first["bbox"] == {"x": page_doc.pages[0].lines[0].bbox.x, "y": page_doc.pages[0].lines[0].bbox.y,
                             "width": page_doc.pages[0].lines[0].bbox.width,
                             "height": page_doc.pages[0].lines[0].bbox.height}


def test_hocr(page_doc: hindi_ocr.Document) -> None:
    hocr = page_doc.to_hocr()
    assert "ocr_page" in hocr
    assert hocr.count("class='ocr_line'") + hocr.count('class="ocr_line"') == len(page_doc.pages[0].lines)
    for line in page_doc.pages[0].lines:
        for word in line.words:
            assert word.text.replace("&", "&amp;").replace("<", "&lt;") in hocr


def test_alto(page_doc: hindi_ocr.Document) -> None:
    root = ET.fromstring(page_doc.to_alto())
    assert root.tag.endswith("alto")
    lines = [e for e in root.iter() if e.tag.endswith("TextLine")]
    assert len(lines) == len(page_doc.pages[0].lines)
    words = [e.get("CONTENT") for e in root.iter() if e.tag.endswith("String")]
    assert words == [w.text for line in page_doc.pages[0].lines for w in line.words]


PAGE_NS = {"pc": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}


def test_page_xml(page_doc: hindi_ocr.Document, sample_page: pathlib.Path) -> None:
    root = ET.fromstring(page_doc.to_page(image_filename=sample_page.name))
    assert root.tag == "{%s}PcGts" % PAGE_NS["pc"]
    page = root.find("pc:Page", PAGE_NS)
    assert page is not None and page.get("imageFilename") == sample_page.name
    ours = page_doc.pages[0]
    assert (page.get("imageWidth"), page.get("imageHeight")) == (str(ours.width), str(ours.height))
    unicode = lambda e: e.find("pc:TextEquiv/pc:Unicode", PAGE_NS).text or ""  # noqa: E731
    lines = page.findall("pc:TextRegion/pc:TextLine", PAGE_NS)
    assert [unicode(line) for line in lines] == [line.text for line in ours.lines]
    words = [unicode(w) for line in lines for w in line.findall("pc:Word", PAGE_NS)]
    assert words == [w.text for line in ours.lines for w in line.words]
    for line, want in zip(lines, ours.lines):
        conf = float(line.find("pc:TextEquiv", PAGE_NS).get("conf"))
        assert abs(conf - want.confidence) < 1e-3
    assert ET.fromstring(page_doc.to_page(1)).find("pc:Page", PAGE_NS).get("imageFilename") == ""
    for bad in (0, 2, -1):
        with pytest.raises(hindi_ocr.InvalidArgumentError):
            page_doc.to_page(bad)


def test_searchable_pdf(engine: hindi_ocr.Engine, page_doc: hindi_ocr.Document, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "page.pdf"
    page_doc.save_pdf(out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert page_doc.to_pdf() == data
    # The PDF is a real, readable document: reading it back gives one page.
    again = engine.recognize_pdf(out)
    assert len(again.pages) == 1


def test_save_pdf_write_failure(page_doc: hindi_ocr.Document, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "no-such-dir" / "out.pdf"
    with pytest.raises(hindi_ocr.OutputWriteError, match="cannot write") as info:
        page_doc.save_pdf(target)
    assert isinstance(info.value, OSError) and not isinstance(info.value, hindi_ocr.InputReadError)
    assert info.value.errno == errno.ENOENT and info.value.filename == str(target)


def test_pdf_from_pixels(engine: hindi_ocr.Engine, sample_page: pathlib.Path) -> None:
    doc = engine.recognize(np.asarray(Image.open(sample_page)), layout="page")
    assert doc.to_pdf().startswith(b"%PDF-")


def test_recognize_pdf(engine: hindi_ocr.Engine, sample_page: pathlib.Path, tmp_path: pathlib.Path) -> None:
    image = Image.open(sample_page).convert("L")
    pdf = tmp_path / "two-pages.pdf"
    image.save(pdf, save_all=True, append_images=[image], resolution=300)
    doc = engine.recognize_pdf(pdf, layout="page")
    assert len(doc.pages) == 2
    # 300 dpi rendering of a 300 dpi image: the page has the image's size (within rounding)
    assert abs(doc.pages[0].width - image.width) <= 2 and abs(doc.pages[0].height - image.height) <= 2
    assert doc.pages[0].text == doc.pages[1].text
    assert doc.text == doc.pages[0].text + "\n\n" + doc.pages[1].text
    from_bytes = engine.recognize_pdf(pdf.read_bytes(), layout="page")
    assert from_bytes.text == doc.text


def test_multipage_tiff(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    frames = [Image.open(p).convert("L") for p in sample_lines[:2]]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    doc = engine.recognize(buf.getvalue(), layout="line")
    assert [p.text for p in doc.pages] == [engine.recognize_line(p).text for p in sample_lines[:2]]


def test_a_broken_page_leaves_the_others_read(engine: hindi_ocr.Engine) -> None:
    # Three pages with a word each; page 2's pixel data lies past the end of the file (see the core's
    # tests/pipeline_bad_inputs.rs).
    tif = pathlib.Path(__file__).parents[2] / "hindi-ocr-core" / "tests" / "fixtures" / "broken_page.tif"
    doc = engine.recognize(tif, layout="page")
    assert [p.error is None for p in doc.pages] == [True, False, True]
    assert "page 2" in (doc.pages[1].error or "")
    assert doc.pages[1].lines == ()
    # Pages 1 and 3 are read (the same drawn comb, which the model rightly reads as no text).
    assert (doc.pages[0].width, doc.pages[0].height) == (doc.pages[2].width, doc.pages[2].height) == (300, 100)
    assert len(doc.pages[0].lines) == len(doc.pages[2].lines)
    assert ["error" in p for p in json.loads(doc.to_json())["pages"]] == [False, True, False]


def test_a_photo_taken_at_an_angle_is_straightened(engine: hindi_ocr.Engine) -> None:
    fixtures = pathlib.Path(__file__).parents[2] / "hindi-ocr-core" / "tests" / "fixtures"
    doc = engine.recognize(fixtures / "photo_keystone.jpg", layout="page")
    want = [row.split("\t")[1] for row in (fixtures / "lines" / "expected.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert doc.text == "\n".join(want)
    quad = doc.pages[0].quad
    assert quad is not None and len(quad) == 4 and all(len(corner) == 2 for corner in quad)
    in_json = json.loads(doc.to_json())["pages"][0]["quad"]
    assert [[round(v, 2) for v in c] for c in in_json] == [[round(v, 2) for v in c] for c in quad]
    assert engine.recognize(fixtures / "lines" / "line_1.png", layout="page").pages[0].quad is None
