"""The public :class:`Engine`: finds the model and ONNX Runtime, normalises inputs, calls the native engine."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Iterable, Literal, Optional, Union

from . import _native
from ._native import Document, LineResult
from ._sources import _ImageSource, to_native

__all__ = ["Engine", "find_model_dir", "find_onnxruntime_library"]

# Private aliases: stubtest compares public names with their runtime values, which typing aliases are not.
_Layout = Literal["auto", "page", "line"]
_TextStyle = Literal["as-printed", "attached-danda"]
_PathLike = Union[str, "os.PathLike[str]"]

# A model copied into the package (a self-contained wheel, see docs/PYTHON.md) sits here.
_PACKAGED_MODEL = Path(__file__).resolve().parent / "model"


def find_model_dir() -> Optional[str]:
    """The model directory ``Engine()`` uses when given none.

    In order: ``$HINDI_OCR_MODEL``; a model shipped inside the package (``hindi_ocr/model/``); otherwise
    ``None``, which lets the engine search for the bundled model itself (``models/hindi-trocr`` in the source
    tree the package was built from).
    """
    env = os.environ.get("HINDI_OCR_MODEL")
    if env:
        return env
    if (_PACKAGED_MODEL / "config.json").is_file():
        return str(_PACKAGED_MODEL)
    return None


def find_onnxruntime_library() -> Optional[str]:
    """The ONNX Runtime shared library ``Engine()`` uses when given none.

    The library this process already runs, if an engine was made (a process holds one ONNX Runtime; an
    ``Engine(ort_library=...)`` naming another raises ``RuntimeLibraryError``); else ``$ORT_DYLIB_PATH`` if
    set, else the library inside the installed ``onnxruntime`` Python package (found without importing it);
    ``None`` if none exists, which leaves the search to the engine.
    """
    loaded = _native.loaded_onnxruntime_library()
    if loaded is not None:
        return loaded
    env = os.environ.get("ORT_DYLIB_PATH")
    if env:
        return env
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        capi = Path(location) / "capi"
        # Linux ships libonnxruntime.so.<version>, macOS libonnxruntime.<version>.dylib, Windows onnxruntime.dll.
        candidates = sorted(capi.glob("libonnxruntime.so*")) + sorted(capi.glob("libonnxruntime*.dylib"))
        candidates += sorted(capi.glob("onnxruntime.dll"))
        if candidates:
            return str(candidates[-1])
    return None


class Engine:
    """A loaded Hindi OCR model. Load once and share: methods may be called from many threads at once
    (the GIL is released while images are decoded and the model runs).

    :param model_dir: a model directory (Optimum TrOCR ONNX export); ``None`` uses the bundled model, found as
        :func:`find_model_dir` says.
    :param ort_library: path to ONNX Runtime's shared library; ``None`` uses :func:`find_onnxruntime_library`.
        A process holds one: naming another than the one an earlier engine loaded raises ``RuntimeLibraryError``.
    :param num_beams: beam width (1 = greedy); ``None`` takes the model's ``generation_config.json``.
    :param max_length: maximum generated tokens per line; ``None`` takes the model's setting.
    :param batch_size: line images per encoder/decoder batch.
    :param intra_threads: threads ONNX Runtime uses inside one operator; 0 = its default; at most 256.
    :raises ModelLoadError: the model is missing or invalid.
    :raises RuntimeLibraryError: ONNX Runtime cannot be found or loaded, or another one is already loaded.
    :raises InvalidArgumentError: a parameter is out of range.
    """

    def __init__(
        self,
        model_dir: Optional[_PathLike] = None,
        *,
        ort_library: Optional[_PathLike] = None,
        num_beams: Optional[int] = None,
        max_length: Optional[int] = None,
        batch_size: int = 16,
        intra_threads: int = 0,
    ) -> None:
        model = os.fspath(model_dir) if model_dir is not None else find_model_dir()
        library = os.fspath(ort_library) if ort_library is not None else find_onnxruntime_library()
        self._native = _native.Engine(
            model,
            ort_library=library,
            num_beams=num_beams,
            max_length=max_length,
            batch_size=batch_size,
            intra_threads=intra_threads,
        )
        self._model_dir = model

    @property
    def model_dir(self) -> Optional[str]:
        """The model directory given or found (``None``: the engine's own search for the bundled model)."""
        return self._model_dir

    def recognize_line(self, src: _ImageSource, *, text_style: _TextStyle = "as-printed") -> LineResult:
        """Read one image of a single text line.

        :param src: a path (``str`` or ``os.PathLike``), encoded image ``bytes`` (PNG, JPEG, TIFF, WebP, BMP),
            a numpy ``uint8`` array (HxW gray, HxWx3 RGB, HxWx4 RGBA) or a PIL image.
        :raises ImageDecodeError: the image cannot be decoded (``UnsupportedFormatError``: not an image).
        :raises ImageTooLargeError: the image exceeds the size limits.
        :raises InputReadError: the file cannot be read.

        :param text_style: ``"as-printed"`` keeps the page's own spacing around ``।`` and ``॥``;
            ``"attached-danda"`` writes the modern Hindi convention (no space before a danda).
        :raises InvalidArgumentError: unknown ``text_style``.

        An image without ink (the ``layout="line"`` rule) gives ``text`` ``""`` and ``confidence`` 0.0 without
        running the model.
        """
        return self._native.recognize_line(to_native(src), text_style=text_style)

    def recognize_lines(
        self, srcs: Iterable[_ImageSource], *, text_style: _TextStyle = "as-printed"
    ) -> list[LineResult]:
        """Read many line images, batched; results come back in input order. Sources and ``text_style`` as for
        :meth:`recognize_line`.

        :raises TypeError: ``srcs`` is one path or one ``bytes`` object rather than a list of sources.
        :raises HindiOcrError: as for :meth:`recognize_line`; the message names the failed source (``srcs[2]: ...``).
        """
        # A str, bytes or path is iterable too, but read character by character it would make no sense.
        if isinstance(srcs, (str, bytes, bytearray, memoryview, os.PathLike)):
            raise TypeError(
                f"recognize_lines expects a list (any iterable) of sources, got one {type(srcs).__name__}; "
                "use recognize_line for a single image"
            )
        natives = []
        for i, src in enumerate(srcs):
            try:
                natives.append(to_native(src))
            except (TypeError, ValueError) as e:
                # Same exception type, the message saying which source (the native side does this for decoding).
                raise type(e)(f"srcs[{i}]: {e}").with_traceback(e.__traceback__) from None
        return self._native.recognize_lines(natives, text_style=text_style)

    def recognize(
        self,
        src: _ImageSource,
        layout: _Layout = "auto",
        *,
        dpi: int = 300,
        password: Optional[str] = None,
        text_style: _TextStyle = "as-printed",
    ) -> Document:
        """Read a document: an image (one page), a multi-page TIFF or a PDF.

        :param src: as for :meth:`recognize_line`; paths and bytes may also be TIFF (every page) or PDF.
        :param layout: ``"page"`` finds columns, lines and words; ``"line"`` reads each page image as one text
            line; ``"auto"`` reads images at least 4:1 wide whole as one line unless page analysis finds several
            lines in them, and the rest as pages.
        :param dpi: resolution PDF pages are rendered at (10..1200); also the resolution a searchable PDF
            assumes for images.
        :param password: the user password of an encrypted PDF (the owner password works for AES-256 ones);
            ignored by other inputs and by PDFs that open without one. The document keeps it for
            :meth:`Document.to_pdf` / :meth:`Document.save_pdf`, which render the source again; no ``repr``
            shows it.
        :param text_style: as for :meth:`recognize_line` (with ``"attached-danda"`` a danda set apart also
            joins the word before it in ``words``).
        :raises InvalidArgumentError: unknown ``layout`` or ``text_style``, or ``dpi`` out of range.
        :raises PdfPasswordError: the PDF needs a password and none was given, or the one given is wrong.
        :raises PdfError: a corrupt PDF, or encryption the reader cannot decrypt.
        :raises TypeError: ``password`` is not a ``str`` (or ``None``).
        """
        return self._native.recognize(to_native(src), layout, dpi=dpi, password=password, text_style=text_style)

    def recognize_pdf(
        self,
        src: Union[_PathLike, bytes],
        layout: _Layout = "auto",
        *,
        dpi: int = 300,
        password: Optional[str] = None,
        text_style: _TextStyle = "as-printed",
    ) -> Document:
        """Read a PDF (a path or the file's bytes): each page rendered at ``dpi``, then read as ``layout`` says.
        ``password`` and ``text_style`` as for :meth:`recognize`.

        :raises UnsupportedFormatError: the input is not a PDF.
        :raises PdfPasswordError: the PDF needs a password and none was given, or the one given is wrong.
        :raises PdfError: the PDF is corrupt, or encrypted in a way the reader cannot decrypt.
        """
        return self._native.recognize_pdf(
            to_native(src), layout, dpi=dpi, password=password, text_style=text_style
        )

    def __repr__(self) -> str:
        return f"Engine(model_dir={self._model_dir!r})"
