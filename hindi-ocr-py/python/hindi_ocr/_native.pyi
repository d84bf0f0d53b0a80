"""Type stubs for the compiled module ``hindi_ocr._native`` (checked against it by ``mypy.stubtest``)."""

import os
from typing import Iterable, Optional, Union, final

__all__ = [
    "__version__",
    "BBox",
    "Document",
    "Engine",
    "Line",
    "LineResult",
    "Page",
    "RawImage",
    "Word",
    "check_size",
    "loaded_onnxruntime_library",
]
__version__: str

_NativeSource = Union[str, bytes, bytearray, RawImage]

@final
class RawImage:
    """Decoded pixels: row-major, ``channels`` bytes per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)."""

    def __new__(cls, data: Union[bytes, bytearray], width: int, height: int, channels: int) -> RawImage: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def channels(self) -> int: ...

def loaded_onnxruntime_library() -> Optional[str]:
    """The ONNX Runtime library this process has loaded (by its first engine); ``None`` before any engine."""

def check_size(width: int, height: int) -> None:
    """Raise as ``RawImage`` would for pixels of this size: ``InvalidArgumentError`` when empty,
    ``ImageTooLargeError`` over the limits of image files."""

@final
class BBox:
    """An axis-aligned box in pixels of its page (origin top-left)."""

    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    def as_tuple(self) -> tuple[int, int, int, int]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class LineResult:
    """The result of reading one line image."""

    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def token_ids(self) -> list[int]: ...
    @property
    def processing_time_ms(self) -> float: ...

@final
class Word:
    """A word inside a line."""

    @property
    def bbox(self) -> BBox: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...

@final
class Line:
    """A text line on a page."""

    @property
    def bbox(self) -> BBox: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def words(self) -> tuple[Word, ...]: ...

@final
class Page:
    """One page: an image, or one page of a PDF or multi-page TIFF."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def rotation(self) -> int: ...
    @property
    def skew(self) -> float: ...
    @property
    def lines(self) -> tuple[Line, ...]: ...
    @property
    def processing_time_ms(self) -> float: ...
    @property
    def quad(self) -> list[tuple[float, float]] | None:
        """A photo of the page seen at an angle: its four corners in the image (top-left, top-right, bottom-right,
        bottom-left), warped to a rectangle before reading; else None."""
    @property
    def error(self) -> str | None:
        """Why this page of a multi-page file could not be decoded or rendered (it then has no lines)."""
    @property
    def text(self) -> str: ...

@final
class Document:
    """A whole read document: pages, plain text, confidence, and the exports."""

    @property
    def pages(self) -> tuple[Page, ...]: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def processing_time_ms(self) -> float: ...
    def to_text(self) -> str: ...
    def to_json(self) -> str: ...
    def to_hocr(self) -> str: ...
    def to_alto(self) -> str: ...
    def to_page(self, page: Optional[int] = None, *, image_filename: Optional[str] = None) -> str: ...
    def to_pdf(self) -> bytes: ...
    def save_pdf(self, path: Union[str, os.PathLike[str]]) -> None: ...

@final
class Engine:
    """A loaded model (the native half of ``hindi_ocr.Engine``)."""

    def __new__(
        cls,
        model_dir: Union[str, os.PathLike[str], None] = None,
        *,
        ort_library: Union[str, os.PathLike[str], None] = None,
        num_beams: Optional[int] = None,
        max_length: Optional[int] = None,
        batch_size: int = 16,
        intra_threads: int = 0,
    ) -> Engine: ...
    def recognize_line(self, src: _NativeSource, *, text_style: str = "as-printed") -> LineResult: ...
    def recognize_lines(self, srcs: Iterable[_NativeSource], *, text_style: str = "as-printed") -> list[LineResult]: ...
    def recognize(
        self,
        src: _NativeSource,
        layout: str = "auto",
        *,
        dpi: int = 300,
        password: Optional[str] = None,
        text_style: str = "as-printed",
    ) -> Document: ...
    def recognize_pdf(
        self,
        src: _NativeSource,
        layout: str = "auto",
        *,
        dpi: int = 300,
        password: Optional[str] = None,
        text_style: str = "as-printed",
    ) -> Document: ...
