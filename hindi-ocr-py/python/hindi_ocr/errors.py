"""The exceptions ``hindi_ocr`` raises.

Every error is a :class:`HindiOcrError`; each subclass also derives from the built-in exception that fits, so
``except ValueError`` catches a bad image and ``except OSError`` a missing model, as Python code expects.
The native module raises these classes by name; a Rust panic never reaches Python (it becomes
:class:`InternalError`).
"""

from __future__ import annotations

__all__ = [
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


class HindiOcrError(Exception):
    """Base class of every error raised by ``hindi_ocr``."""


class ImageDecodeError(HindiOcrError, ValueError):
    """The input is empty, corrupt or truncated, or has no pages."""


class UnsupportedFormatError(ImageDecodeError):
    """The bytes are not an image format the engine reads (PNG, JPEG, TIFF, WebP, BMP; PDF for documents)."""


class ImageTooLargeError(HindiOcrError, ValueError):
    """The input exceeds a size limit: an image's bytes, width, height or pixels (checked before decoding), a
    document's page count, or a PDF whose images are declared over those limits or whose streams inflate past
    theirs (a decompression bomb; checked before any page is rendered)."""


class PdfError(HindiOcrError, ValueError):
    """The PDF is corrupt, a page cannot be rendered, or it is encrypted in a way the reader cannot decrypt
    (a missing or wrong password is the subclass :class:`PdfPasswordError`)."""


class PdfPasswordError(PdfError):
    """The PDF is password-protected and no password was given, or the password given does not open it.

    The message tells the two apart ("PDF is password-protected: give its password to read it" and "the
    password given does not open this PDF"); so does the call itself: with ``password=None`` it is always the
    first. The password never appears in the message.
    """


class InvalidArgumentError(HindiOcrError, ValueError):
    """An argument has a bad value: a numpy array of the wrong dtype or shape, an unknown layout, a zero
    beam width, ..."""


class InputReadError(HindiOcrError, OSError):
    """An input file cannot be read (missing, no permission, ...). ``errno`` and ``filename`` are set."""


class OutputWriteError(HindiOcrError, OSError):
    """An output file cannot be written (``Document.save_pdf`` to a missing directory, no permission, disk
    full, ...). ``errno`` and ``filename`` are set."""


class ModelLoadError(HindiOcrError, OSError):
    """The model directory is missing, incomplete or invalid (ONNX files, configs, tokenizer)."""


class RuntimeLibraryError(HindiOcrError, OSError):
    """ONNX Runtime's shared library was not found, is the wrong version, or failed to initialise."""


class InferenceError(HindiOcrError, RuntimeError):
    """ONNX Runtime failed while running the model."""


class ExportError(HindiOcrError):
    """An export (hOCR, ALTO, JSON, PDF) could not be produced."""


class InternalError(HindiOcrError, RuntimeError):
    """A bug inside the engine, caught at the boundary (please report it)."""
