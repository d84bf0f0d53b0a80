"""Turn what users pass as an image into what the native module accepts.

The native module takes a path (``str``), encoded ``bytes``, or a :class:`~hindi_ocr._native.RawImage`
(pixels). numpy arrays and PIL images become ``RawImage`` here; neither numpy nor Pillow is imported unless
such an object is passed, and Pillow is never required.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Union

from ._native import RawImage, check_size
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image as PILImage

    _ImageSource = Union[
        str, "os.PathLike[str]", bytes, bytearray, memoryview, npt.NDArray[np.uint8], PILImage.Image
    ]
else:
    _ImageSource = Any

NativeSource = Union[str, bytes, bytearray, RawImage]

# PIL modes passed through as they are, with their channel count; others are converted first.
_PIL_DIRECT = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
# PIL's 16-bit and 32-bit gray modes; ``convert("L")`` would clip them at 255 (a 16-bit line would read blank).
_PIL_WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def to_native(src: object) -> NativeSource:
    """Normalise one image source; raises ``TypeError`` for objects that are not images."""
    if isinstance(src, (bytes, bytearray)):
        return src
    if isinstance(src, memoryview):
        return src.tobytes()
    if isinstance(src, str):
        return src
    if isinstance(src, os.PathLike):
        path = os.fspath(src)
        return path if isinstance(path, str) else os.fsdecode(path)
    pil = sys.modules.get("PIL.Image")  # a PIL image can only exist if Pillow is already imported
    if pil is not None and isinstance(src, pil.Image):
        return _from_pil(src)
    if hasattr(src, "__array_interface__") or hasattr(src, "__array__"):
        return _from_array(src)
    raise TypeError(
        "expected a path (str or os.PathLike), bytes, a numpy uint8 array or a PIL image, "
        f"got {type(src).__name__}"
    )


def _from_pil(image: Any) -> RawImage:
    width, height = image.size
    check_size(width, height)  # before any conversion or copy of a too large image
    mode = image.mode
    if mode in _PIL_WIDE_GRAY:
        return _from_array(_wide_gray_to_uint8(image))
    if mode not in _PIL_DIRECT:
        # Palette, 1-bit and CMYK images: the engine reads gray or RGB(A).
        if mode == "1":
            image = image.convert("L")
        elif mode == "PA" or (mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
        else:
            image = image.convert("RGB")
        mode = image.mode
    return RawImage(image.tobytes(), width, height, _PIL_DIRECT[mode])


def _wide_gray_to_uint8(image: Any) -> Any:
    """8-bit gray from a PIL image of a mode in ``_PIL_WIDE_GRAY``, as the engine turns a 16-bit file to 8 bits.

    16-bit modes are scaled by 1/257, rounded (the ``image`` crate's rule, so a PIL image of a 16-bit PNG gives
    the same pixels, hence the same text, as the file). ``I`` (32-bit int) and ``F`` (float) say nothing about
    their range: they are taken as 16-bit when a value exceeds 255 (Pillow before 10 opened 16-bit PNGs as ``I``)
    and as 8-bit otherwise (``convert("I")`` of an 8-bit image).
    """
    import numpy as np

    values = np.asarray(image)
    if values.dtype.kind == "f":
        values = np.rint(values)
    if image.mode in ("I", "F") and values.max() <= 255:
        return np.clip(values, 0, 255).astype(np.uint8)
    wide = np.clip(values, 0, 65535).astype(np.uint32)
    return ((wide + 128) // 257).astype(np.uint8)


def _from_array(obj: Any) -> RawImage:
    import numpy as np  # a dependency of onnxruntime, so always installed alongside

    array = np.asarray(obj)
    if array.dtype != np.uint8:
        raise InvalidArgumentError(f"numpy image must have dtype uint8, got {array.dtype}")
    if array.ndim == 2:
        height, width = array.shape
        channels = 1
    elif array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        height, width, channels = array.shape
    else:
        raise InvalidArgumentError(
            f"numpy image must be HxW or HxWxC with C in 1..4, got shape {tuple(array.shape)}"
        )
    check_size(width, height)  # before copying a too large array
    return RawImage(np.ascontiguousarray(array).tobytes(), width, height, channels)
