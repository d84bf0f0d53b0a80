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
    OutputWriteError,
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
    assert issubclass(InputReadError, OSError) and issubclass(OutputWriteError, OSError)
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


def test_pixels_obey_the_size_limits_of_files(engine: hindi_ocr.Engine) -> None:
    # A broadcast view allocates nothing: the limit must be checked before the pixels are copied.
    wide = np.broadcast_to(np.uint8(255), (1, 20_001))
    with pytest.raises(ImageTooLargeError, match="width"):
        engine.recognize_line(wide)
    with pytest.raises(ImageTooLargeError, match="pixels"):
        engine.recognize(np.broadcast_to(np.uint8(255), (12_000, 12_000)))
    with pytest.raises(ImageTooLargeError, match="height"):
        engine.recognize_lines([np.full((8, 8), 255, np.uint8), Image.new("L", (1, 20_001), 255)])
    # RawImage checks the size before the buffer's length.
    with pytest.raises(ImageTooLargeError, match="pixels"):
        hindi_ocr.RawImage(b"", 10_001, 10_001, 1)


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


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_beams": -1},
        {"num_beams": 2**70},
        {"max_length": -1},
        {"batch_size": -1},
        {"intra_threads": -1},
        {"intra_threads": 1000},  # ONNX Runtime would start them all (one line took 30 s)
    ],
)
def test_engine_arguments_out_of_range(kwargs: dict[str, int]) -> None:
    # Not pyo3's bare OverflowError: the documented InvalidArgumentError, naming the argument.
    (name,) = kwargs
    with pytest.raises(InvalidArgumentError, match=name):
        hindi_ocr.Engine(**kwargs)  # type: ignore[arg-type]


def test_int_arguments_out_of_range(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    for dpi in (-1, 2**40, 2**70):
        with pytest.raises(InvalidArgumentError, match="dpi"):
            engine.recognize(sample_lines[0], dpi=dpi)
        with pytest.raises(InvalidArgumentError, match="dpi"):
            engine.recognize_pdf(b"%PDF-1.7", dpi=dpi)
    with pytest.raises(InvalidArgumentError, match="width"):
        hindi_ocr.RawImage(b"", -1, 1, 1)
    with pytest.raises(InvalidArgumentError, match="width"):
        hindi_ocr.RawImage(b"\0" * 10, 2**40, 2**40, 1)
    with pytest.raises(InvalidArgumentError, match="height"):
        hindi_ocr.RawImage(b"\0" * 10, 10, -(2**70), 1)
    with pytest.raises(InvalidArgumentError, match="channels"):
        hindi_ocr.RawImage(b"\0" * 10, 10, 1, 256)
    with pytest.raises(TypeError):  # not an int at all
        hindi_ocr.Engine(num_beams="4")  # type: ignore[arg-type]


def test_one_source_where_a_list_is_expected(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    path = sample_lines[0]
    for single in (str(path), path, path.read_bytes(), bytearray(path.read_bytes())):
        with pytest.raises(TypeError, match="recognize_line"):
            engine.recognize_lines(single)  # type: ignore[arg-type]


def test_batch_errors_name_the_failed_source(
    engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path], tmp_path: pathlib.Path
) -> None:
    good = sample_lines[0]
    with pytest.raises(UnsupportedFormatError, match=r"^srcs\[1\]: "):
        engine.recognize_lines([good, b"junk", good])
    missing = tmp_path / "nope.png"
    with pytest.raises(InputReadError, match=r"srcs\[2\]: ") as info:
        engine.recognize_lines([good, good, missing])
    assert info.value.errno == errno.ENOENT and info.value.filename == str(missing)
    with pytest.raises(InvalidArgumentError, match=r"^srcs\[1\]: .*uint8"):
        engine.recognize_lines([good, np.zeros((4, 4), np.float32)])
    with pytest.raises(TypeError, match=r"^srcs\[0\]: "):
        engine.recognize_lines([3.5, good])  # type: ignore[list-item]
    with pytest.raises(UnsupportedFormatError, match=r"^unsupported"):  # one source: no index
        engine.recognize_line(b"junk")


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


def test_a_second_onnx_runtime_library_is_refused(engine: hindi_ocr.Engine, tmp_path: pathlib.Path) -> None:
    # `engine` has loaded ONNX Runtime in this process; another library cannot be loaded next to it, and an
    # engine asking for one must not quietly run on the first.
    loaded = hindi_ocr.find_onnxruntime_library()
    assert loaded is not None
    other = tmp_path / "libonnxruntime.so"
    other.write_bytes(b"another library")
    for library in (other, "/nonexistent/libonnxruntime.so"):
        with pytest.raises(RuntimeLibraryError, match="already"):
            hindi_ocr.Engine(ort_library=library)
    assert hindi_ocr.Engine(ort_library=loaded).recognize_line(np.full((8, 8), 255, np.uint8)).text == ""


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


def test_text_style(engine: hindi_ocr.Engine, sample_lines: list[pathlib.Path]) -> None:
    printed = engine.recognize_line(sample_lines[0])
    assert engine.recognize_line(sample_lines[0], text_style="as-printed").text == printed.text
    attached = engine.recognize_line(sample_lines[0], text_style="attached-danda").text
    assert attached == printed.text.replace(" ।", "।").replace(" ॥", "॥")
    assert engine.recognize(sample_lines[0], layout="line", text_style="attached-danda").text == attached
    with pytest.raises(InvalidArgumentError, match="text style"):
        engine.recognize_line(sample_lines[0], text_style="modern")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="text style"):
        engine.recognize(sample_lines[0], text_style="modern")  # type: ignore[arg-type]
