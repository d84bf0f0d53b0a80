"""Turn what users pass as an image into what the native module accepts.

The native module takes a path (``str``), encoded ``bytes``, or a :class:`~hindi_ocr._native.RawImage`
(pixels). numpy arrays and PIL images become ``RawImage`` here; neither numpy nor Pillow is imported unless
such an object is passed, and Pillow is never required.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Union

from ._native import RawImage
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
    mode = image.mode
    if mode not in _PIL_DIRECT:
        # Palette, 1-bit, 16/32-bit and CMYK images: the engine reads gray or RGB(A).
        if mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
            image = image.convert("L")
        elif mode == "PA" or (mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
        else:
            image = image.convert("RGB")
        mode = image.mode
    width, height = image.size
    return RawImage(image.tobytes(), width, height, _PIL_DIRECT[mode])


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
    return RawImage(np.ascontiguousarray(array).tobytes(), width, height, channels)
