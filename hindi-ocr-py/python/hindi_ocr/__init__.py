"""Read printed Hindi (Devanagari) from images and PDFs.

>>> import hindi_ocr
>>> engine = hindi_ocr.Engine()                     # the bundled model, ONNX Runtime from the onnxruntime wheel
>>> engine.recognize_line("line.png").text          # one text line: path, bytes, numpy array or PIL image
>>> doc = engine.recognize("page.png")              # a page: lines, words, boxes, confidences
>>> doc.text, doc.to_hocr(), doc.to_alto(), doc.to_json()
>>> engine.recognize("locked.pdf", password="...")  # an encrypted PDF (PdfPasswordError without it)

See ``docs/PYTHON.md`` in the source tree for the whole API.
"""

from __future__ import annotations

from ._engine import Engine, find_model_dir, find_onnxruntime_library
from ._native import BBox, Document, Line, LineResult, Page, RawImage, Word, __version__
from .errors import (
    ExportError,
    HindiOcrError,
    ImageDecodeError,
    ImageTooLargeError,
    InferenceError,
    InputReadError,
    InternalError,
    InvalidArgumentError,
    ModelLoadError,
    OutputWriteError,
    PdfError,
    PdfPasswordError,
    RuntimeLibraryError,
    UnsupportedFormatError,
)

__all__ = [
    "__version__",
    "Engine",
    "find_model_dir",
    "find_onnxruntime_library",
    "BBox",
    "Document",
    "Line",
    "LineResult",
    "Page",
    "RawImage",
    "Word",
    "HindiOcrError",
    "ImageDecodeError",
    "UnsupportedFormatError",
    "ImageTooLargeError",
    "PdfError",
    "PdfPasswordError",
    "InvalidArgumentError",
    "InputReadError",
    "OutputWriteError",
    "ModelLoadError",
    "RuntimeLibraryError",
    "InferenceError",
    "ExportError",
    "InternalError",
]
