"""Every bad input raises a typed exception (never a Rust panic), with the built-in base that fits."""

from __future__ import annotations

import errno
import io
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import hindi_ocr
from hindi_ocr import (
    HindiOcrError,
    ImageDecodeError,
    ImageTooLargeError,
    InputReadError,
    InvalidArgumentError,
    ModelLoadError,
    PdfError,
    RuntimeLibraryError,
    UnsupportedFormatError,
)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_hierarchy() -> None:
    assert issubclass(ImageDecodeError, HindiOcrError) and issubclass(ImageDecodeError, ValueError)
    assert issubclass(UnsupportedFormatError, ImageDecodeError)
    assert issubclass(ImageTooLargeError, ValueError)
    assert issubclass(ModelLoadError, OSError) and issubclass(RuntimeLibraryError, OSError)
    assert issubclass(InputReadError, OSError)
    assert issubclass(InvalidArgumentError, ValueError)


def test_corrupt_png_raises_image_decode_error(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    data = sample_lines[0].read_bytes()
    truncated = data[: len(data) // 2]
    with pytest.raises(ImageDecodeError):
        engine.recognize_line(truncated)
    garbled = data[:40] + bytes(200) + data[240:]
    with pytest.raises(ImageDecodeError):
        engine.recognize_line(garbled)
    with pytest.raises(ImageDecodeError):  # same error through the document path
        engine.recognize(truncated)


def test_not_an_image(engine: hindi_ocr.Engine) -> None:
    with pytest.raises(UnsupportedFormatError):
        engine.recognize_line(b"this is plain text, not an image")
    with pytest.raises(ValueError):  # also catchable as ValueError
        engine.recognize_line(b"GIF89a not supported either")


def test_empty_input(engine: hindi_ocr.Engine) -> None:
    with pytest.raises(ImageDecodeError):
        engine.recognize_line(b"")
    with pytest.raises(ImageDecodeError):
        engine.recognize(b"")


def test_missing_file(engine: hindi_ocr.Engine, tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(InputReadError) as info:
        engine.recognize_line(missing)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == str(missing)
    with pytest.raises(OSError):
        engine.recognize(str(missing))


def test_too_large_is_refused_before_decoding(engine: hindi_ocr.Engine) -> None:
    wide = _png(Image.new("L", (20_001, 1), 255))
    with pytest.raises(ImageTooLargeError, match="width"):
        engine.recognize_line(wide)


def test_bad_arrays(engine: hindi_ocr.Engine) -> None:
    with pytest.raises(InvalidArgumentError, match="uint8"):
        engine.recognize_line(np.zeros((32, 100), dtype=np.float32))
    with pytest.raises(InvalidArgumentError, match="shape"):
        engine.recognize_line(np.zeros((2, 32, 100, 3), dtype=np.uint8))
    with pytest.raises(InvalidArgumentError, match="shape"):
        engine.recognize_line(np.zeros((32, 100, 5), dtype=np.uint8))
    with pytest.raises(InvalidArgumentError, match="empty"):
        engine.recognize_line(np.zeros((0, 100), dtype=np.uint8))
    with pytest.raises(InvalidArgumentError):
        hindi_ocr.RawImage(b"\x00" * 10, 4, 4, 1)


def test_wrong_types(engine: hindi_ocr.Engine) -> None:
    with pytest.raises(TypeError):
        engine.recognize_line(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.recognize_lines([b"", 3.5])  # type: ignore[list-item]


def test_bad_arguments(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    with pytest.raises(InvalidArgumentError, match="layout"):
        engine.recognize(sample_lines[0], layout="columns")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="dpi"):
        engine.recognize(sample_lines[0], dpi=5)
    with pytest.raises(InvalidArgumentError):
        hindi_ocr.Engine(num_beams=0)


def test_pdf_errors(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    with pytest.raises(UnsupportedFormatError):
        engine.recognize_pdf(sample_lines[0])
    with pytest.raises(PdfError):
        engine.recognize_pdf(b"%PDF-1.7\nthis is not really a pdf\n%%EOF")
    with pytest.raises(InvalidArgumentError):
        engine.recognize_pdf(np.zeros((10, 10), dtype=np.uint8))


def test_model_errors(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ModelLoadError):
        hindi_ocr.Engine(tmp_path / "no-such-model")
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(OSError):
        hindi_ocr.Engine(tmp_path)


def test_runtime_library_error_in_a_fresh_process(tmp_path: pathlib.Path) -> None:
    # ONNX Runtime is loaded once per process, so a bad library path is tried where none is loaded yet.
    fake = tmp_path / "libonnxruntime.so"
    fake.write_bytes(b"not a shared library")
    code = (
        "import hindi_ocr, sys\n"
        f"try:\n    hindi_ocr.Engine(ort_library={str(fake)!r})\n"
        "except hindi_ocr.RuntimeLibraryError as e:\n    print('typed', type(e).__name__); sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "typed RuntimeLibraryError" in out.stdout
