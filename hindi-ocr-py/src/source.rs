//! Image sources as they arrive from Python, and turning them into images without the GIL.
//!
//! The Python layer (`hindi_ocr/_sources.py`) normalises what users pass (paths, `bytes`, numpy arrays, PIL
//! images) into one of three forms: a path string, encoded `bytes`, or a [`RawImage`] (pixels). Holding the
//! bytes as [`PyBackedBytes`] lets the decoding run with the GIL released without copying the input first.

use std::borrow::Cow;
use std::path::PathBuf;

use hindi_ocr_core::image_input::{self, Limits};
use hindi_ocr_core::{Error, Result};
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::args::int_in;
use crate::errors;

/// Pixels already decoded (from a numpy array or a PIL image): row-major, `channels` bytes per pixel
/// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
#[pyclass(frozen, module = "hindi_ocr._native")]
pub struct RawImage {
    data: PyBackedBytes,
    width: u32,
    height: u32,
    channels: u8,
}

#[pymethods]
impl RawImage {
    /// Wrap `data` (exactly `width * height * channels` bytes) as an image within the size limits of files.
    #[new]
    fn new(
        py: Python<'_>,
        data: PyBackedBytes,
        #[pyo3(from_py_with = width_arg)] width: u32,
        #[pyo3(from_py_with = height_arg)] height: u32,
        #[pyo3(from_py_with = channels_arg)] channels: u8,
    ) -> PyResult<Self> {
        check_size(py, width, height)?;
        let expected = u64::from(width) * u64::from(height) * u64::from(channels);
        if data.len() as u64 != expected {
            return Err(errors::invalid_argument(
                py,
                format!("{width}x{height}x{channels} pixels need {expected} bytes, got {}", data.len()),
            ));
        }
        Ok(Self { data, width, height, channels })
    }

    /// Width in pixels.
    #[getter]
    fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    #[getter]
    fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per pixel.
    #[getter]
    fn channels(&self) -> u8 {
        self.channels
    }

    fn __repr__(&self) -> String {
        format!("RawImage(width={}, height={}, channels={})", self.width, self.height, self.channels)
    }
}

fn width_arg(obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    int_in(obj, "width", 0, None)
}

fn height_arg(obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    int_in(obj, "height", 0, None)
}

fn channels_arg(obj: &Bound<'_, PyAny>) -> PyResult<u8> {
    int_in(obj, "channels", 1, Some(4))
}

/// `check_size(width, height)`: raise as `RawImage(...)` would for pixels of this size (`InvalidArgumentError`
/// when empty, `ImageTooLargeError` over the limits of files). The Python side calls it before copying a big
/// array or PIL image into bytes.
#[pyfunction]
#[pyo3(name = "check_size")]
pub fn py_check_size(
    py: Python<'_>,
    #[pyo3(from_py_with = width_arg)] width: u32,
    #[pyo3(from_py_with = height_arg)] height: u32,
) -> PyResult<()> {
    check_size(py, width, height)
}

/// Pixels given directly obey the limits of decoded files (20 000 px a side, 100 M pixels).
fn check_size(py: Python<'_>, width: u32, height: u32) -> PyResult<()> {
    if width == 0 || height == 0 {
        return Err(errors::invalid_argument(py, format!("image is empty ({width}x{height} pixels)")));
    }
    Limits::default().check_dimensions(width, height).map_err(|e| errors::to_py(py, e))
}

impl RawImage {
    /// Copy the pixels into an image (the length was checked in the constructor); refused first when over
    /// `limits` (an engine's may be tighter than the default the constructor checks).
    pub fn to_image(&self, limits: &Limits) -> Result<DynamicImage> {
        limits.check_dimensions(self.width, self.height)?;
        let (w, h, buf) = (self.width, self.height, self.data.to_vec());
        let image = match self.channels {
            1 => GrayImage::from_raw(w, h, buf).map(DynamicImage::ImageLuma8),
            2 => GrayAlphaImage::from_raw(w, h, buf).map(DynamicImage::ImageLumaA8),
            3 => RgbImage::from_raw(w, h, buf).map(DynamicImage::ImageRgb8),
            _ => RgbaImage::from_raw(w, h, buf).map(DynamicImage::ImageRgba8),
        };
        image.ok_or_else(|| Error::ImageDecode(format!("pixel buffer does not match {w}x{h}x{}", self.channels)))
    }
}

/// One image source, extracted under the GIL and read without it.
pub enum Source {
    /// A file to read.
    Path(PathBuf),
    /// Encoded image bytes (PNG, JPEG, TIFF, WebP, BMP).
    Encoded(PyBackedBytes),
    /// Decoded pixels.
    Pixels(Py<RawImage>),
}

impl Source {
    /// Accept `str` (a path), `bytes`/`bytearray` (encoded) or a [`RawImage`]; anything else is a `TypeError`.
    pub fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
            return Ok(Self::Encoded(obj.extract()?));
        }
        if obj.is_instance_of::<PyString>() {
            return Ok(Self::Path(obj.extract()?));
        }
        if let Ok(raw) = obj.cast::<RawImage>() {
            return Ok(Self::Pixels(raw.clone().unbind()));
        }
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned());
        Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected a path, bytes, a numpy array or a PIL image, got {type_name}"
        )))
    }

    /// The encoded bytes of a path or `bytes` source (a file is refused before reading when larger than
    /// `max_bytes`). Pixels have none: [`Error::UnsupportedFormat`].
    pub fn encoded(&self, max_bytes: u64) -> Result<Cow<'_, [u8]>> {
        match self {
            Self::Path(path) => {
                let io = |source| Error::Io { path: path.clone(), source };
                let size = std::fs::metadata(path).map_err(io)?.len();
                if size > max_bytes {
                    return Err(Error::ImageTooLarge { what: "bytes", actual: size, limit: max_bytes });
                }
                Ok(Cow::Owned(std::fs::read(path).map_err(io)?))
            }
            Self::Encoded(bytes) => Ok(Cow::Borrowed(bytes.as_ref())),
            Self::Pixels(_) => Err(Error::UnsupportedFormat(Some("decoded pixels have no file format".to_owned()))),
        }
    }

    /// Decode to one image (the first page of a multi-page file), checking `limits` first. Runs without
    /// the GIL.
    pub fn to_image(&self, limits: &Limits) -> Result<DynamicImage> {
        match self {
            Self::Path(path) => image_input::decode_file(path, limits),
            Self::Encoded(bytes) => image_input::decode(bytes, limits),
            Self::Pixels(raw) => raw.get().to_image(limits),
        }
    }
}
