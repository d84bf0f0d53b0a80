"""The OCRmyPDF plugin with the real `ocrmypdf` (and Ghostscript for its PDF/A output) on scanned PDFs made
from the dev pages: the text layer against the CLI, page sizes and images kept, turned pages, timeouts, a
page the engine cannot read, languages, and discovery through the entry point."""

from __future__ import annotations

import importlib.metadata
import io
import sys
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from PIL import Image

import hindi_ocr
from conftest import cli_tsv
from integrations import cer, dev_pages, run, squeeze, tool

DPI = 300


def make_pdf(images: list[Image.Image], path: Path, dpi: int = DPI) -> Path:
    """A scanned PDF: each image a page at `dpi` (as a scanner would write it)."""
    blobs = []
    for im in images:
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        blobs.append(buf.getvalue())
    path.write_bytes(img2pdf.convert(blobs, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))))
    return path


def ocrmypdf(*args: str | Path, check: bool = True):
    # Ghostscript must be there: OCRmyPDF's default output (PDF/A) is made with it.
    tool("gs")
    return run(sys.executable, "-m", "ocrmypdf", *args, check=check)


def page_text(pdf: Path, page: int) -> str:
    # -raw: the text in the order it is drawn (the reading order); the layout mode splits lines of a skewed
    # page (dev page 1 is turned 1.5 degrees) into pieces it orders by position.
    return run(tool("pdftotext"), "-raw", "-f", page, "-l", page, "-enc", "UTF-8", pdf, "-").stdout


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    pages = dev_pages(3)
    pdf = make_pdf([Image.open(p).convert("L") for p in pages], tmp_path_factory.mktemp("ocrmypdf") / "scan.pdf")
    return pdf, pages


@pytest.fixture(scope="module")
def searchable(scanned: tuple[Path, list[Path]], tmp_path_factory: pytest.TempPathFactory):
    pdf, _ = scanned
    out = tmp_path_factory.mktemp("ocrmypdf-out") / "out.pdf"
    proc = ocrmypdf("--plugin", "hindi_ocr.ocrmypdf", "-l", "hin", pdf, out)
    return out, proc


def test_text_layer_reads_as_the_cli(scanned, searchable, cli: Path) -> None:
    pdf, pages = scanned
    out, _ = searchable
    expected = cli_tsv(cli, "page", sorted(set(pages)))
    for n, page in enumerate(pages, 1):
        got, want = page_text(out, n), expected[str(page)]
        assert squeeze(want), f"the CLI read nothing on {page}"
        rate = cer(got, want)
        print(f"page {n} ({page.name}): text layer CER {rate:.4%} against the CLI ({len(squeeze(want))} chars)")
        assert rate <= 0.01, f"page {n}: CER {rate:.2%}\ntext layer: {squeeze(got)[:300]}\nCLI: {squeeze(want)[:300]}"


def test_pages_keep_their_size_and_images(scanned, searchable) -> None:
    pdf, pages = scanned
    out, _ = searchable
    with pikepdf.open(pdf) as src, pikepdf.open(out) as dst:
        assert len(dst.pages) == len(src.pages) == len(pages)
        for n, (a, b) in enumerate(zip(src.pages, dst.pages), 1):
            assert [float(v) for v in b.mediabox] == pytest.approx([float(v) for v in a.mediabox], abs=0.5), n
            images = [pikepdf.PdfImage(im) for im in b.images.values()]
            with Image.open(pages[n - 1]) as im:
                size = im.size
            assert [(im.width, im.height) for im in images] == [size], f"page {n}: the scan, at its own size"
        # OCRmyPDF's creator tag names the engine; the default output is PDF/A (made by Ghostscript).
        meta = dst.open_metadata()
        assert f"hindi-ocr {hindi_ocr.__version__}" in str(meta.get("xmp:CreatorTool", "")) + str(dst.docinfo.get("/Creator", ""))
        assert meta.pdfa_status, "PDF/A output"


def test_entry_point_finds_the_plugin(scanned, tmp_path: Path, cli: Path) -> None:
    eps = [ep for ep in importlib.metadata.entry_points(group="ocrmypdf") if ep.value.startswith("hindi_ocr.")]
    assert [ep.value for ep in eps] == ["hindi_ocr.ocrmypdf:entry_point_plugin"]
    pdf, pages = scanned
    one = make_pdf([Image.open(pages[0]).convert("L")], tmp_path / "one.pdf")
    out, sidecar = tmp_path / "one-out.pdf", tmp_path / "one.txt"
    # No --plugin and no -l (OCRmyPDF's default `eng` is read as hin), the sandwich renderer (generate_pdf),
    # plain PDF output, a sidecar text file.
    ocrmypdf("--pdf-renderer", "sandwich", "--output-type", "pdf", "--sidecar", sidecar, one, out)
    want = cli_tsv(cli, "page", [pages[0]])[str(pages[0])]
    assert cer(page_text(out, 1), want) <= 0.01
    assert squeeze(sidecar.read_text(encoding="utf-8")) == squeeze(want)


def test_turned_page_is_rotated_upright(engine: hindi_ocr.Engine, scanned, tmp_path: Path, cli: Path) -> None:
    _, pages = scanned
    upright = Image.open(pages[0]).convert("L")
    turned = make_pdf([upright.rotate(90, expand=True)], tmp_path / "turned.pdf")  # text runs bottom to top
    out = tmp_path / "turned-out.pdf"
    proc = ocrmypdf("--rotate-pages", "--output-type", "pdf", "-l", "hin", turned, out)
    with pikepdf.open(out) as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) % 360 == 90, proc.stderr
    # Rendered as a viewer shows it (with /Rotate), the page reads upright; the text layer reads as the CLI.
    run(tool("pdftoppm"), "-r", "150", "-png", "-singlefile", out, tmp_path / "shown")
    assert engine.recognize(tmp_path / "shown.png", layout="page").pages[0].rotation == 0
    want = cli_tsv(cli, "page", [pages[0]])[str(pages[0])]
    assert cer(page_text(out, 1), want) <= 0.01


def test_deskew_angle(engine: hindi_ocr.Engine, scanned, tmp_path: Path) -> None:
    from ocrmypdf import OcrOptions  # noqa: F401 - the plugin's options come from OCRmyPDF

    from hindi_ocr.ocrmypdf import HindiOcrEngine, HindiOcrOptions

    class Options:
        hindi_ocr = HindiOcrOptions()
        jobs = 1

    _, pages = scanned
    tilted = tmp_path / "tilted.png"
    # Turned 2 degrees anticlockwise: the text rises to the right; OCRmyPDF turns the image anticlockwise by
    # the angle returned, so straightening it is about -2.
    Image.open(pages[0]).convert("L").rotate(2, expand=False, fillcolor=255).save(tilted)
    own = engine.recognize(pages[0], layout="page").pages[0].skew  # the scan's own skew (page 1: 1.5 degrees)
    assert HindiOcrEngine.get_deskew(tilted, Options()) == pytest.approx(-(own + 2.0), abs=0.3)
    assert HindiOcrEngine.get_orientation(pages[0], Options()).angle == 0


def test_page_timeout_keeps_the_page_without_text(scanned, tmp_path: Path) -> None:
    _, pages = scanned
    one = make_pdf([Image.open(pages[0]).convert("L")], tmp_path / "one.pdf")
    out = tmp_path / "out.pdf"
    proc = ocrmypdf("--hindi-ocr-timeout", "0.001", "--output-type", "pdf", "-l", "hin", one, out)
    assert "took too long" in proc.stderr
    assert squeeze(page_text(out, 1)) == ""
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1 and len(pdf.pages[0].images) == 1


def test_unreadable_page_fails_with_ocrmypdfs_error(scanned, tmp_path: Path) -> None:
    """A page whose image is over the engine's limits (20 000 px high): OCRmyPDF's input-file error (exit
    code 2) with the engine's reason, and no output file."""
    _, pages = scanned
    tall = Image.new("L", (320, 30400), 255)  # 2 x 190 inches at 160 dpi: 30 400 px high
    tall.paste(Image.open(pages[0]).convert("L").resize((320, 100)), (0, 0))
    bad = make_pdf([Image.open(pages[0]).convert("L"), tall], tmp_path / "bad.pdf", dpi=160)
    out = tmp_path / "out.pdf"
    proc = ocrmypdf("--output-type", "pdf", "-l", "hin", bad, out, check=False)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "hindi-ocr could not read the page image" in proc.stderr and "height" in proc.stderr, proc.stderr[-3000:]
    assert not out.exists()


@pytest.mark.parametrize(("lang", "code"), [("mar", 0), ("hin+san", 0), ("deu", 1), ("hin+eng", 1)])
def test_languages(scanned, tmp_path: Path, lang: str, code: int) -> None:
    _, pages = scanned
    small = Image.open(pages[0]).convert("L")
    small = small.crop((0, 0, small.width, small.height // 6))  # a strip: quick to read
    pdf = make_pdf([small], tmp_path / "strip.pdf")
    proc = ocrmypdf("--output-type", "pdf", "-l", lang, pdf, tmp_path / "out.pdf", check=False)
    assert proc.returncode == code, proc.stderr[-2000:]
    if code:
        assert "hindi-ocr reads Hindi and other Devanagari text" in proc.stderr


def test_import_hindi_ocr_needs_neither_integration() -> None:
    """The integrations are extras: `import hindi_ocr` works (and imports neither) without OCRmyPDF or OCR-D."""
    code = (
        "import sys\n"
        "for name in ('ocrmypdf', 'ocrd', 'ocrd_models', 'ocrd_utils', 'pikepdf', 'img2pdf'):\n"
        "    sys.modules[name] = None  # importing it raises ImportError, as if not installed\n"
        "import hindi_ocr\n"
        "assert not any(m in sys.modules for m in ('hindi_ocr.ocrmypdf', 'hindi_ocr.ocrd')), sorted(sys.modules)\n"
        "print(hindi_ocr.__version__)\n"
    )
    assert run(sys.executable, "-c", code).stdout.strip() == hindi_ocr.__version__
