//! `hindi_ocr._native`: the compiled half of the `hindi_ocr` Python package (PyO3, built by maturin).
//!
//! The Python half (`python/hindi_ocr/`) turns user inputs into the forms accepted here, finds ONNX Runtime's
//! library and the model, and defines the exception classes; this module loads the engine, releases the GIL
//! for all decoding and inference, and exposes the result types.

mod args;
mod engine;
mod errors;
mod results;
mod source;

use pyo3::prelude::*;

/// The extension module `hindi_ocr._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::Engine>()?;
    m.add_function(wrap_pyfunction!(engine::loaded_onnxruntime_library, m)?)?;
    m.add_class::<source::RawImage>()?;
    m.add_function(wrap_pyfunction!(source::py_check_size, m)?)?;
    m.add_class::<results::BBox>()?;
    m.add_class::<results::LineResult>()?;
    m.add_class::<results::Word>()?;
    m.add_class::<results::Line>()?;
    m.add_class::<results::Page>()?;
    m.add_class::<results::Document>()?;
    Ok(())
}
