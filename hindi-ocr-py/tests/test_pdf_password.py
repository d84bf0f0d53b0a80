"""Password-protected PDFs: the ``password`` keyword of ``recognize`` / ``recognize_pdf``, ``PdfPasswordError``,
and the searchable PDF of a document read from an encrypted file.

The fixtures (``hindi-ocr-core/tests/fixtures/encrypted``, made by its ``make.py``) hold one page with lines 1 and 2
of ``hindi-ocr-core/tests/fixtures/lines``: ``aes256.pdf`` (AES-256, user password "पासवर्ड 123", owner password
"owner-aes256.pdf"), ``rc4.pdf`` (RC4, user password "secret") and ``owner_only.pdf`` (opens without a password).
Texts are compared with the CLI's reading of ``owner_only.pdf`` (the same page), and with the lines' expected
text when the bundled model is used.
"""

from __future__ import annotations

import csv
import os
import pathlib
from typing import Callable, Union

import numpy as np
import pytest
from PIL import Image

import hindi_ocr
from conftest import REPO, run_cli, tsv_unescape
from hindi_ocr import HindiOcrError, PdfError, PdfPasswordError

ENCRYPTED = REPO / "hindi-ocr-core" / "tests" / "fixtures" / "encrypted"
AES_PASSWORD = "पासवर्ड 123"
PASSWORDS = {"aes256.pdf": AES_PASSWORD, "rc4.pdf": "secret"}
REQUIRED = "PDF is password-protected: give its password to read it"
WRONG = "the password given does not open this PDF"

Src = Union[pathlib.Path, str, bytes]
# A fixture as each kind of source the bindings take for a PDF.
AS_SOURCE: dict[str, Callable[[pathlib.Path], Src]] = {
    "path": lambda p: p,
    "str": str,
    "bytes": lambda p: p.read_bytes(),
}


@pytest.fixture(scope="module")
def page_text(cli: pathlib.Path) -> str:
    """The fixtures' page as the CLI reads it (`--layout page`), checked against the lines' own text when the
    model is the bundled one."""
    row = run_cli(cli, "ocr", "--layout", "page", "--format", "tsv", ENCRYPTED / "owner_only.pdf").rstrip("\n")
    text = tsv_unescape(row.partition("\t")[2])
    if not os.environ.get("HINDI_OCR_MODEL"):
        tsv = REPO / "hindi-ocr-core" / "tests" / "fixtures" / "lines" / "expected.tsv"
        with tsv.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert text == "\n".join(r["text"] for r in rows[:2])
    return text


@pytest.fixture(scope="module")
def aes_doc(engine: hindi_ocr.Engine) -> hindi_ocr.Document:
    return engine.recognize(ENCRYPTED / "aes256.pdf", layout="page", password=AES_PASSWORD)


def test_hierarchy() -> None:
    assert issubclass(PdfPasswordError, PdfError)
    assert issubclass(PdfPasswordError, HindiOcrError) and issubclass(PdfPasswordError, ValueError)
    assert hindi_ocr.errors.PdfPasswordError is PdfPasswordError
    assert "PdfPasswordError" in hindi_ocr.__all__ and "PdfPasswordError" in hindi_ocr.errors.__all__


@pytest.mark.parametrize("kind", AS_SOURCE)
@pytest.mark.parametrize("name", PASSWORDS)
def test_no_password(engine: hindi_ocr.Engine, name: str, kind: str) -> None:
    src = AS_SOURCE[kind](ENCRYPTED / name)
    for read in (engine.recognize, engine.recognize_pdf):
        with pytest.raises(PdfPasswordError) as info:
            read(src, layout="page")
        assert isinstance(info.value, PdfError)
        assert str(info.value) == REQUIRED
        # `password=None` said explicitly is no password either
        with pytest.raises(PdfPasswordError, match="give its password"):
            read(src, layout="page", password=None)


@pytest.mark.parametrize("kind", AS_SOURCE)
@pytest.mark.parametrize(
    "name,wrong",
    [("aes256.pdf", "secret"), ("aes256.pdf", "123"), ("rc4.pdf", "Secret"), ("rc4.pdf", ""), ("rc4.pdf", AES_PASSWORD)],
)
def test_wrong_password(engine: hindi_ocr.Engine, name: str, wrong: str, kind: str) -> None:
    src = AS_SOURCE[kind](ENCRYPTED / name)
    for read in (engine.recognize, engine.recognize_pdf):
        # "" is a password given (an empty one), not the absence of one
        with pytest.raises(PdfPasswordError) as info:
            read(src, layout="page", password=wrong)
        assert isinstance(info.value, PdfError)
        assert str(info.value) == WRONG != REQUIRED  # the message names the password as the wrong one
        if wrong:
            assert wrong not in str(info.value) and wrong not in repr(info.value)


@pytest.mark.parametrize("kind", AS_SOURCE)
@pytest.mark.parametrize("name", PASSWORDS)
def test_right_password(engine: hindi_ocr.Engine, page_text: str, name: str, kind: str) -> None:
    src = AS_SOURCE[kind](ENCRYPTED / name)
    doc = engine.recognize(src, layout="page", password=PASSWORDS[name])
    assert len(doc.pages) == 1
    assert doc.text == page_text
    assert PASSWORDS[name] not in repr(doc) and PASSWORDS[name] not in str(doc)


def test_recognize_pdf_with_password(engine: hindi_ocr.Engine, aes_doc: hindi_ocr.Document, page_text: str) -> None:
    assert aes_doc.text == page_text
    doc = engine.recognize_pdf((ENCRYPTED / "rc4.pdf").read_bytes(), layout="page", password="secret")
    assert doc.text == page_text


def test_owner_password_opens_aes256(engine: hindi_ocr.Engine, page_text: str) -> None:
    # The reader checks the owner password of AES-256 files (not of RC4 or AES-128 ones).
    doc = engine.recognize_pdf(ENCRYPTED / "aes256.pdf", layout="page", password="owner-aes256.pdf")
    assert doc.text == page_text


@pytest.mark.parametrize("password", [None, "anything", AES_PASSWORD])
@pytest.mark.parametrize("kind", ["path", "bytes"])
def test_owner_only_opens_with_or_without_a_password(
    engine: hindi_ocr.Engine, page_text: str, password: str | None, kind: str
) -> None:
    src = AS_SOURCE[kind](ENCRYPTED / "owner_only.pdf")
    doc = engine.recognize_pdf(src, layout="page", password=password)
    assert doc.text == page_text
    # its searchable PDF renders the source again with the same (ignored) password
    assert doc.to_pdf().startswith(b"%PDF-")


def test_password_ignored_for_images(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    path = sample_lines[0]
    plain = engine.recognize(path, layout="line").text
    assert plain
    for src in (path, path.read_bytes(), np.asarray(Image.open(path)), Image.open(path)):
        doc = engine.recognize(src, layout="line", password="secret")  # type: ignore[arg-type]
        assert doc.text == plain
        assert doc.to_pdf().startswith(b"%PDF-")
    # recognize_pdf still refuses an image, password or not
    with pytest.raises(hindi_ocr.UnsupportedFormatError):
        engine.recognize_pdf(path, password="secret")


def test_save_pdf_of_an_encrypted_source(
    engine: hindi_ocr.Engine, aes_doc: hindi_ocr.Document, tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "unlocked.pdf"
    aes_doc.save_pdf(out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert aes_doc.to_pdf() == data
    assert b"/Encrypt" not in data  # the searchable PDF is a new, unencrypted file
    # Read back without a password: the same page, the same text.
    again = engine.recognize_pdf(out, layout="page")
    assert len(again.pages) == 1
    assert (again.pages[0].width, again.pages[0].height) == (aes_doc.pages[0].width, aes_doc.pages[0].height)
    assert again.text == aes_doc.text


def test_save_pdf_rc4_from_bytes(engine: hindi_ocr.Engine, page_text: str, tmp_path: pathlib.Path) -> None:
    doc = engine.recognize((ENCRYPTED / "rc4.pdf").read_bytes(), layout="page", password="secret")
    out = tmp_path / "rc4-searchable.pdf"
    doc.save_pdf(out)
    assert out.read_bytes().startswith(b"%PDF-")
    assert engine.recognize(out, layout="page").text == page_text


@pytest.mark.parametrize("bad", [123, b"secret", ["secret"], 1.5])
def test_password_of_the_wrong_type(engine: hindi_ocr.Engine, bad: object) -> None:
    src = ENCRYPTED / "rc4.pdf"
    for read in (engine.recognize, engine.recognize_pdf):
        with pytest.raises(TypeError) as info:
            read(src, password=bad)  # type: ignore[arg-type]
        assert str(info.value) == f"password must be a str or None, got {type(bad).__name__}"
    with pytest.raises(TypeError, match="^password must be a str or None"):
        engine._native.recognize(str(src), password=bad)


def test_password_stays_out_of_reprs(engine: hindi_ocr.Engine, aes_doc: hindi_ocr.Document) -> None:
    shown = [repr(aes_doc), str(aes_doc), repr(engine), repr(aes_doc.pages[0])]
    shown += [repr(line) for line in aes_doc.pages[0].lines]
    for text in shown:
        assert AES_PASSWORD not in text and "पासवर्ड" not in text, text
