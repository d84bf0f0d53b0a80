"""OCRmyPDF plugin: make scanned PDFs searchable with this engine instead of Tesseract.

Installed with ``pip install "hindi-ocr[ocrmypdf]"``, OCRmyPDF finds it through the ``ocrmypdf`` entry point
and uses it for every run in that environment::

    ocrmypdf -l hin scan.pdf searchable.pdf
    ocrmypdf --plugin hindi_ocr.ocrmypdf scan.pdf searchable.pdf   # naming it explicitly works as well

Written against OCRmyPDF 17. The text layer is the engine's own (``generate_pdf``, the sandwich renderer,
made the default by this plugin); ``--pdf-renderer fpdf2`` uses ``generate_ocr`` (an ``OcrElement`` tree drawn
by OCRmyPDF's fpdf2 renderer).
Options: ``--hindi-ocr-timeout SECONDS`` (per page, default 180; 0 skips OCR, as ``--tesseract-timeout 0``
does), ``--hindi-ocr-text-style as-printed|attached-danda``. See docs/PYTHON.md.

This module imports OCRmyPDF; ``import hindi_ocr`` does not import this module.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Optional

import pluggy
from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError, InputFileError, MissingDependencyError, SubprocessOutputError
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image
from pydantic import BaseModel, Field

from . import errors
from ._frames import box_polygon, image_size, polygon_bounds, to_image_frame
from ._native import Document, Page, __version__

log = logging.getLogger(__name__)

#: Languages this engine reads: Hindi, and the other languages written in Devanagari that it reads as such
#: (the model was trained on Hindi; Marathi's ळ and Sanskrit's Vedic marks may be misread).
LANGUAGES = frozenset({"hin", "mar", "san"})
_TESSERACT_PLUGIN = "ocrmypdf.builtin_plugins.tesseract_ocr"


class HindiOcrOptions(BaseModel):
    """Options of this plugin (``options.hindi_ocr.<field>``; on the command line ``--hindi-ocr-<field>``)."""

    timeout: float = Field(default=180.0, ge=0, description="Seconds to read one page before giving up on it")
    text_style: str = Field(default="as-printed", description="as-printed or attached-danda")


# ---------------------------------------------------------------------------------------------------------
# The engine: one per process (OCRmyPDF's workers are processes or threads; the engine is thread-safe).

_engine_lock = threading.Lock()
_engine: Any = None


def _get_engine(options: Any) -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            from ._engine import Engine

            # OCRmyPDF runs pages in parallel (`--jobs`); one ONNX Runtime thread per page keeps the total at
            # the number of workers, as OCRmyPDF asks of OCR engines. One job: let ONNX Runtime use the cores.
            jobs = getattr(options, "jobs", None)
            try:
                _engine = Engine(intra_threads=0 if jobs == 1 else 1)
            except (errors.ModelLoadError, errors.RuntimeLibraryError) as e:
                raise MissingDependencyError(f"hindi-ocr: {e}") from e
        return _engine


class _PageTimeout(Exception):
    pass


def _read(input_file: Path, options: Any, *, timeout: Optional[float] = None) -> Optional[Document]:
    """Read one page image; ``None`` when it took longer than the timeout (the read cannot be interrupted:
    it finishes in the background and its result is dropped)."""
    engine = _get_engine(options)
    style = options.hindi_ocr.text_style
    limit = options.hindi_ocr.timeout if timeout is None else timeout
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["doc"] = engine.recognize(os.fspath(input_file), layout="page", text_style=style)
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            result["error"] = e

    if limit == 0:
        return None
    worker = threading.Thread(target=work, name="hindi-ocr-page", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        return None
    if "error" in result:
        e = result["error"]
        what = f"hindi-ocr could not read the page image {Path(input_file).name}: {e}"
        if isinstance(e, (errors.ImageDecodeError, errors.ImageTooLargeError, errors.InputReadError)):
            raise InputFileError(what) from e
        if isinstance(e, (errors.ModelLoadError, errors.RuntimeLibraryError)):
            raise MissingDependencyError(what) from e
        raise SubprocessOutputError(what) from e
    doc: Document = result["doc"]
    page = doc.pages[0]
    if page.error:
        raise InputFileError(f"hindi-ocr could not read the page image {Path(input_file).name}: {page.error}")
    return doc


def _skipped(input_file: Path, options: Any, what: str) -> None:
    limit = options.hindi_ocr.timeout
    if limit != 0:
        log.warning("[hindi-ocr] took too long to OCR (over %g s) - skipping %s", limit, what)


def _dpi(input_file: Path) -> float:
    with Image.open(input_file) as im:
        dpi = im.info.get("dpi", (300, 300))
    value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    return value if value > 0 else 300.0


def _page_element(page: Optional[Page], input_file: Path, page_number: int) -> OcrElement:
    """The page as OCRmyPDF's OcrElement tree: page > paragraph > lines > words, boxes in the image's pixels."""
    with Image.open(input_file) as im:
        width, height = im.size
    root = OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(left=0, top=0, right=width, bottom=height),
        dpi=_dpi(input_file),
        page_number=page_number,
    )
    if page is None or not page.lines:
        return root
    undo = to_image_frame(page)
    iw, ih = image_size(page)
    if (iw, ih) != (width, height):  # a photo straightened to a rectangle (`quad`): not this image's pixels
        log.warning("[hindi-ocr] page %d was read as a straightened photo; its text layer is approximate", page_number + 1)
    sx, sy = width / iw, height / ih

    def bounds(bbox: Any) -> BoundingBox:
        l, t, r, b = polygon_bounds(box_polygon(bbox, undo), iw, ih)
        return BoundingBox(left=l * sx, top=t * sy, right=r * sx, bottom=b * sy)

    par = OcrElement(ocr_class=OcrClass.PARAGRAPH, language="hin", direction="ltr")
    for line in page.lines:
        words = [
            OcrElement(ocr_class=OcrClass.WORD, bbox=bounds(w.bbox), text=w.text, confidence=w.confidence)
            for w in line.words
            if w.text
        ]
        if not words and line.text:
            words = [OcrElement(ocr_class=OcrClass.WORD, bbox=bounds(line.bbox), text=line.text, confidence=line.confidence)]
        par.children.append(
            OcrElement(
                ocr_class=OcrClass.LINE,
                bbox=bounds(line.bbox),
                language="hin",
                direction="ltr",
                # The text runs turned as the page was: anticlockwise by the turn the engine undid.
                textangle=float(page.rotation % 360) or None,
                confidence=line.confidence,
                children=words,
            )
        )
    lines_bbox = [c.bbox for c in par.children if c.bbox is not None]
    par.bbox = BoundingBox(
        left=min(b.left for b in lines_bbox),
        top=min(b.top for b in lines_bbox),
        right=max(b.right for b in lines_bbox),
        bottom=max(b.bottom for b in lines_bbox),
    )
    root.children.append(par)
    return root


class HindiOcrEngine(OcrEngine):
    """OCRmyPDF's OCR engine interface, implemented with :class:`hindi_ocr.Engine`."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options: Any) -> str:
        return f"hindi-ocr {__version__}"

    def __str__(self) -> str:
        return f"hindi-ocr {__version__}"

    @staticmethod
    def languages(options: Any) -> set[str]:
        return set(LANGUAGES)

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        """The engine finds turned pages (``Page.rotation``: degrees it turns the image clockwise to read it).
        OCRmyPDF asks for the page's own clockwise rotation, which it undoes anticlockwise: the rest of the
        circle. The engine turns a page only when sure (its own test); that is reported as confidence 15, the
        top of OCRmyPDF's scale, and a page without text as 0."""
        doc = _read(input_file, options, timeout=_non_ocr_timeout(options))
        if doc is None:
            _skipped(input_file, options, "orientation")
            return OrientationConfidence(angle=0, confidence=0.0)
        page = doc.pages[0]
        return OrientationConfidence(angle=(360 - page.rotation) % 360, confidence=15.0 if page.lines else 0.0)

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        """``Page.skew`` is positive when the text rises to the right; OCRmyPDF turns the image
        anticlockwise by the angle returned, so the straightening angle is its negative."""
        doc = _read(input_file, options, timeout=_non_ocr_timeout(options))
        if doc is None:
            _skipped(input_file, options, "deskew")
            return 0.0
        return -float(doc.pages[0].skew)

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options: Any, page_number: int = 0) -> tuple[OcrElement, str]:
        doc = _read(input_file, options)
        if doc is None:
            _skipped(input_file, options, f"page {page_number + 1}")
            return _page_element(None, input_file, page_number), "[skipped page]"
        page = doc.pages[0]
        return _page_element(page, input_file, page_number), page.text

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        """hOCR of the page (the engine's own export; boxes as read, see docs/DOCUMENTS.md)."""
        doc = _read(input_file, options)
        if doc is None:
            _skipped(input_file, options, Path(input_file).name)
            # As OCRmyPDF's Tesseract plugin does for a page it skips: an empty hOCR file.
            Path(output_hocr).write_text("", encoding="utf-8")
            Path(output_text).write_text("[skipped page]", encoding="utf-8")
            return
        Path(output_hocr).write_text(doc.to_hocr(), encoding="utf-8")
        Path(output_text).write_text(doc.text, encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        """A text-only PDF of the page (the sandwich renderer, which this plugin makes the default).

        It is the engine's own searchable PDF with the page image taken out: the text is drawn in a font whose
        character codes are the Unicode code points, so text extraction returns exactly the recognised text
        (OCRmyPDF's fpdf2 renderer shapes Devanagari, and extraction from shaped text splits words at the
        vowel sign ि). A page the engine read turned (``Page.rotation``) would be written upright, so it is
        drawn by OCRmyPDF's fpdf2 renderer from the mapped boxes instead (``--rotate-pages`` avoids this)."""
        doc = _read(input_file, options)
        if doc is None:
            _skipped(input_file, options, Path(input_file).name)
        if doc is not None and doc.pages[0].rotation % 360 == 0 and doc.pages[0].quad is None:
            Path(output_pdf).write_bytes(_text_only(doc.to_pdf()))
        else:
            from ocrmypdf.font import MultiFontManager
            from ocrmypdf.fpdf_renderer import Fpdf2PdfRenderer

            tree = _page_element(doc.pages[0] if doc else None, input_file, 0)
            renderer = Fpdf2PdfRenderer(page=tree, dpi=tree.dpi or 300.0, multi_font_manager=MultiFontManager())
            renderer.render(Path(output_pdf))
        Path(output_text).write_text(doc.text if doc else "[skipped page]", encoding="utf-8")


def _text_only(pdf_bytes: bytes) -> bytes:
    """The engine's searchable PDF without its page images: only the invisible text layer is left."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            obj: Any = page.obj
            xobjects: Any = obj.Resources.get("/XObject", pikepdf.Dictionary())
            images = {name for name, x in xobjects.items() if x.get("/Subtype") == "/Image"}
            fonts: Any = obj.Resources.get("/Font", pikepdf.Dictionary())
            # OCRmyPDF's sandwich graft carries over one font, named /f-0-0 (Tesseract's) or /F1.
            if len(fonts) != 1:
                raise SubprocessOutputError(f"hindi-ocr: the text layer has {len(fonts)} fonts, expected one")
            (font_name,) = list(fonts.keys())
            ops = []
            for instruction in pikepdf.parse_content_stream(page):
                operands, op = list(instruction.operands), instruction.operator
                if str(op) == "Do" and operands and str(operands[0]) in images:
                    continue
                if str(op) == "Tf" and operands and str(operands[0]) == font_name:
                    operands = [pikepdf.Name("/F1"), *operands[1:]]
                ops.append((operands, op))
            obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
            obj.Resources.Font = pikepdf.Dictionary({"/F1": fonts[font_name]})
            for name in images:
                del xobjects[name]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _non_ocr_timeout(options: Any) -> float:
    # Orientation and deskew read the whole page as well: same limit.
    return float(options.hindi_ocr.timeout)


# ---------------------------------------------------------------------------------------------------------
# Hooks


@hookimpl
def initialize(plugin_manager: pluggy.PluginManager) -> None:
    # This engine replaces Tesseract: without this, Tesseract's option check would demand its program.
    plugin_manager.set_blocked(_TESSERACT_PLUGIN)


@hookimpl
def register_options() -> dict[str, type[BaseModel]]:
    # OCRmyPDF's own option checks read `options.tesseract` (its defaults); with the Tesseract plugin blocked,
    # its option model is registered here so that namespace still exists (its command-line flags do not).
    from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOptions

    return {"hindi_ocr": HindiOcrOptions, "tesseract": TesseractOptions}


@hookimpl
def add_options(parser: Any) -> None:
    group = parser.add_argument_group("hindi-ocr", "Hindi (Devanagari) OCR with hindi-ocr")
    group.add_argument(
        "--hindi-ocr-timeout",
        dest="hindi_ocr_timeout",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="Give up reading a page after this many seconds and keep it without text (default 180; 0 skips OCR).",
    )
    group.add_argument(
        "--hindi-ocr-text-style",
        dest="hindi_ocr_text_style",
        choices=["as-printed", "attached-danda"],
        default="as-printed",
        help="as-printed keeps the page's spacing around danda; attached-danda writes no space before it.",
    )


@hookimpl
def check_options(options: Any) -> None:
    if getattr(options, "ocr_engine", "auto") == "tesseract":
        raise BadArgsError(
            "--ocr-engine tesseract: the hindi-ocr plugin is installed and replaces Tesseract in this "
            "environment; uninstall hindi-ocr's ocrmypdf extra (or use another environment) to run Tesseract"
        )
    if options.pdf_renderer == "auto":
        # The sandwich renderer lays the engine's own text layer (exact text extraction) under the page;
        # `--pdf-renderer fpdf2` asks for OCRmyPDF's renderer instead (see generate_pdf).
        options.pdf_renderer = "sandwich"
    langs = list(options.languages)
    if langs == ["eng"]:
        # OCRmyPDF's default language (no -l given gives ["eng"]): this engine reads Devanagari only.
        log.info("hindi-ocr reads Devanagari: OCRmyPDF's default language 'eng' is read as 'hin'")
        options.languages = ["hin"]
    elif set(langs) - LANGUAGES:
        raise BadArgsError(
            f"hindi-ocr reads Hindi and other Devanagari text ({', '.join(sorted(LANGUAGES))}); "
            f"not: {', '.join(sorted(set(langs) - LANGUAGES))}"
        )
    elif set(langs) - {"hin"}:
        log.warning("hindi-ocr: the model was trained on Hindi; %s is read as Devanagari", "+".join(langs))
    if options.hindi_ocr.text_style not in ("as-printed", "attached-danda"):
        raise BadArgsError(f"--hindi-ocr-text-style: unknown style {options.hindi_ocr.text_style!r}")


@hookimpl
def get_ocr_engine(options: Any) -> Optional[OcrEngine]:
    if options is not None and getattr(options, "ocr_engine", "auto") == "none":
        return None  # OCRmyPDF's null engine
    return HindiOcrEngine()


class _EntryPointPlugin:
    """What the ``ocrmypdf`` entry point registers: the hooks above, delegated.

    pluggy refuses to register one object twice, so ``--plugin hindi_ocr.ocrmypdf`` in an environment where
    the entry point has already registered the plugin would fail if both were this module. The entry point
    registers this object instead, which steps aside (unregisters itself) when the module is registered too.
    """

    @hookimpl
    def initialize(self, plugin_manager: pluggy.PluginManager) -> None:
        import sys

        if plugin_manager.is_registered(sys.modules[__name__]):
            plugin_manager.unregister(self)
        else:
            initialize(plugin_manager)

    @hookimpl
    def register_options(self) -> dict[str, type[BaseModel]]:
        return register_options()

    @hookimpl
    def add_options(self, parser: Any) -> None:
        add_options(parser)

    @hookimpl
    def check_options(self, options: Any) -> None:
        check_options(options)

    @hookimpl
    def get_ocr_engine(self, options: Any) -> Optional[OcrEngine]:
        return get_ocr_engine(options)


entry_point_plugin = _EntryPointPlugin()
