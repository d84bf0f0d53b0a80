//! Turning core errors (and panics) into the typed Python exceptions of `hindi_ocr.errors`.
//!
//! The exception classes are defined in Python (`python/hindi_ocr/errors.py`) because they need multiple
//! inheritance (`ImageDecodeError` is also a `ValueError`, `ModelLoadError` also an `OSError`), which classes
//! created from Rust cannot have.

use std::any::Any;
use std::path::Path;

use hindi_ocr_core::Error;
use pyo3::prelude::*;
use pyo3::PyErrArguments;
use pyo3::types::PyType;

/// The Python module that defines the exception classes.
const ERRORS_MODULE: &str = "hindi_ocr.errors";

/// Build an instance of `hindi_ocr.errors.<class>` with the given constructor arguments.
fn raise<'py, A>(py: Python<'py>, class: &str, args: A) -> PyErr
where
    A: PyErrArguments + Send + Sync + 'static,
{
    let ty = py
        .import(ERRORS_MODULE)
        .and_then(|m| m.getattr(class))
        .and_then(|t| t.cast_into::<PyType>().map_err(PyErr::from));
    match ty {
        Ok(ty) => PyErr::from_type(ty, args),
        // Only reachable when the package is broken (the native module imported without its Python half).
        Err(e) => e,
    }
}

/// The exception class for a core error: the one place that decides which Python type each variant gets.
fn class_of(err: &Error) -> &'static str {
    match err {
        Error::EmptyInput | Error::ImageDecode(_) | Error::NoPages => "ImageDecodeError",
        Error::UnsupportedFormat(_) => "UnsupportedFormatError",
        Error::ImageTooLarge { .. } | Error::TooManyPages { .. } | Error::PdfTooLarge(_) => "ImageTooLargeError",
        Error::PdfPasswordRequired | Error::PdfWrongPassword => "PdfPasswordError",
        Error::PdfEncrypted(_) | Error::PdfInvalid(_) => "PdfError",
        Error::RuntimeNotFound { .. } | Error::RuntimeVersion { .. } | Error::RuntimeInit(_) => "RuntimeLibraryError",
        Error::ModelNotFound { .. }
        | Error::ModelFileMissing { .. }
        | Error::CorruptModel { .. }
        | Error::ModelFormat { .. }
        | Error::BadConfig { .. }
        | Error::BadTokenizer { .. }
        | Error::TokenizerMismatch(_) => "ModelLoadError",
        Error::InvalidParams(_) => "InvalidArgumentError",
        Error::Inference(_) => "InferenceError",
        Error::Export(_) => "ExportError",
        Error::Io { .. } => "InputReadError",
        // `Error` is non-exhaustive: a variant added later is still a typed `HindiOcrError`.
        _ => "HindiOcrError",
    }
}

/// Convert a core error into its typed Python exception.
pub fn to_py(py: Python<'_>, err: Error) -> PyErr {
    to_py_about(py, err, None)
}

/// [`to_py`], the message starting with `about` (which input of several failed) when given.
fn to_py_about(py: Python<'_>, err: Error, about: Option<&str>) -> PyErr {
    let message = match about {
        Some(about) => format!("{about}: {err}"),
        None => err.to_string(),
    };
    if let Error::Io { path, source } = &err {
        // OSError's (errno, strerror, filename) form, so `e.errno` and `e.filename` work as usual.
        let errno = source.raw_os_error().unwrap_or(0);
        return raise(py, class_of(&err), (errno, message, path.to_string_lossy().into_owned()));
    }
    raise(py, class_of(&err), (message,))
}

/// An error that becomes a typed Python exception once the GIL is held again (see `engine::run_detached`).
pub trait ToPyErr {
    fn to_py_err(self, py: Python<'_>) -> PyErr;
}

impl ToPyErr for Error {
    fn to_py_err(self, py: Python<'_>) -> PyErr {
        to_py(py, self)
    }
}

/// A failure while reading a batch of sources: which one failed, when it was one source's fault (it could not
/// be read or decoded) rather than the batch's (inference).
pub struct BatchError {
    pub index: Option<usize>,
    pub error: Error,
}

impl From<Error> for BatchError {
    fn from(error: Error) -> Self {
        Self { index: None, error }
    }
}

impl ToPyErr for BatchError {
    /// The core error's own exception type, the message naming the failed source (`srcs[2]: ...`) so that one
    /// bad file among many can be found.
    fn to_py_err(self, py: Python<'_>) -> PyErr {
        let about = self.index.map(|i| format!("srcs[{i}]"));
        to_py_about(py, self.error, about.as_deref())
    }
}

/// Writing an output file failed: `hindi_ocr.errors.OutputWriteError` (an `OSError`, `errno` and `filename`
/// set). Not the core's `Error::Io`, whose message says "cannot read".
pub fn write_failed(py: Python<'_>, path: &Path, err: &std::io::Error) -> PyErr {
    let errno = err.raw_os_error().unwrap_or(0);
    let message = format!("cannot write {}: {err}", path.display());
    raise(py, "OutputWriteError", (errno, message, path.to_string_lossy().into_owned()))
}

/// An invalid argument (bad layout name, bad pixel buffer shape, ...): `hindi_ocr.errors.InvalidArgumentError`.
pub fn invalid_argument(py: Python<'_>, message: String) -> PyErr {
    raise(py, "InvalidArgumentError", (message,))
}

/// A panic caught at the boundary: reported as `hindi_ocr.errors.InternalError`, never as a Rust panic.
pub fn from_panic(py: Python<'_>, payload: Box<dyn Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    raise(py, "InternalError", (format!("internal error in hindi-ocr (please report it): {what}"),))
}
