//! `hindi_ocr._native.Engine`: a loaded model, shared by Python threads.
//!
//! Every method extracts its arguments under the GIL, then decodes and runs inference with the GIL released
//! ([`run_detached`]), so threads using one `Engine` run in parallel. Panics are caught there too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Instant;

use hindi_ocr_core::image_input::Limits;
use hindi_ocr_core::pipeline::{self, DocumentOptions, Layout};
use hindi_ocr_core::{
    self as core, EngineConfig, Error, LineRecognizer, ModelSource, Params, Password, RuntimeConfig, TextStyle, pdf,
    runtime,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{int_in, optional_int_in};
use crate::errors::{self, BatchError, ToPyErr};
use crate::results::{Document, LineResult, PdfSource};
use crate::source::Source;

/// Run `f` with the GIL released; core errors become typed exceptions and a panic becomes `InternalError`.
pub fn run_detached<T, E, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    E: ToPyErr + Send,
    F: FnOnce() -> Result<T, E> + Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(err.to_py_err(py)),
        Err(panic) => Err(errors::from_panic(py, panic)),
    }
}

/// A loaded model (the native half of `hindi_ocr.Engine`).
#[pyclass(frozen, module = "hindi_ocr._native")]
pub struct Engine {
    pub(crate) inner: Arc<core::Engine>,
    pub(crate) limits: Limits,
}

#[pymethods]
impl Engine {
    /// Load the model in `model_dir` (`None`: the bundled model) with ONNX Runtime from `ort_library`
    /// (`None`: `ORT_DYLIB_PATH`, then the default search).
    #[new]
    #[pyo3(signature = (model_dir=None, *, ort_library=None, num_beams=None, max_length=None, batch_size=16, intra_threads=0))]
    fn new(
        py: Python<'_>,
        model_dir: Option<PathBuf>,
        ort_library: Option<PathBuf>,
        #[pyo3(from_py_with = num_beams_arg)] num_beams: Option<usize>,
        #[pyo3(from_py_with = max_length_arg)] max_length: Option<usize>,
        #[pyo3(from_py_with = batch_size_arg)] batch_size: usize,
        #[pyo3(from_py_with = intra_threads_arg)] intra_threads: usize,
    ) -> PyResult<Self> {
        let config = EngineConfig {
            model: model_dir.map_or(ModelSource::Bundled, ModelSource::Dir),
            params: Params { num_beams, max_length, batch_size, ..Params::default() },
            // A library named by the caller (or found by the Python side) is the one to use: failing to load it
            // is an error, not a reason to pick up some other copy.
            runtime: RuntimeConfig { explicit_only: ort_library.is_some(), dylib_path: ort_library, intra_threads },
        };
        // A library other than the one this process already runs is refused by the core (explicit_only).
        let engine = run_detached(py, move || core::Engine::from_config(config))?;
        Ok(Self { inner: Arc::new(engine), limits: Limits::default() })
    }

    /// Read one line image; `text_style` says how the text is written ("as-printed" or "attached-danda").
    #[pyo3(signature = (src, *, text_style="as-printed"))]
    fn recognize_line(&self, py: Python<'_>, src: &Bound<'_, PyAny>, text_style: &str) -> PyResult<LineResult> {
        let source = Source::extract(src)?;
        let style = text_style_arg(py, text_style)?;
        let (engine, limits) = (&self.inner, &self.limits);
        // One source: the error needs no index.
        let mut results = run_detached(py, || read_lines(engine, &[source], limits, style).map_err(|e| e.error))?;
        Ok(results.remove(0))
    }

    /// Read many line images in batches; results in input order.
    #[pyo3(signature = (srcs, *, text_style="as-printed"))]
    fn recognize_lines(&self, py: Python<'_>, srcs: &Bound<'_, PyAny>, text_style: &str) -> PyResult<Vec<LineResult>> {
        let style = text_style_arg(py, text_style)?;
        let mut sources = Vec::new();
        for item in srcs.try_iter()? {
            sources.push(Source::extract(&item?)?);
        }
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let (engine, limits) = (&self.inner, &self.limits);
        run_detached(py, || read_lines(engine, &sources, limits, style))
    }

    /// Read a document: an image (one page), a multi-page TIFF, or a PDF; `layout` says how pages are cut
    /// into lines ("auto", "page" or "line"); PDF pages are rendered at `dpi`; `password` opens an encrypted
    /// PDF (ignored by other inputs and by PDFs that open without one).
    #[pyo3(signature = (src, layout="auto", *, dpi=300, password=None, text_style="as-printed"))]
    fn recognize(
        &self,
        py: Python<'_>,
        src: &Bound<'_, PyAny>,
        layout: &str,
        #[pyo3(from_py_with = dpi_arg)] dpi: u32,
        #[pyo3(from_py_with = password_arg)] password: Option<String>,
        text_style: &str,
    ) -> PyResult<Document> {
        self.read(py, src, ReadArgs { layout, dpi, password, text_style, require_pdf: false })
    }

    /// Read a PDF file (or PDF bytes): every page rendered at `dpi`, then read as `layout` says; `password`
    /// as for `recognize`.
    #[pyo3(signature = (src, layout="auto", *, dpi=300, password=None, text_style="as-printed"))]
    fn recognize_pdf(
        &self,
        py: Python<'_>,
        src: &Bound<'_, PyAny>,
        layout: &str,
        #[pyo3(from_py_with = dpi_arg)] dpi: u32,
        #[pyo3(from_py_with = password_arg)] password: Option<String>,
        text_style: &str,
    ) -> PyResult<Document> {
        self.read(py, src, ReadArgs { layout, dpi, password, text_style, require_pdf: true })
    }
}

/// The most ONNX Runtime threads per operator: more only adds overhead (1000 threads made one line take 30 s).
const MAX_INTRA_THREADS: usize = 256;

fn num_beams_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    optional_int_in(obj, "num_beams", 1, None)
}

fn max_length_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    // The decoder start token counts, so 2 is the least that can produce text (the core says so too).
    optional_int_in(obj, "max_length", 2, None)
}

fn batch_size_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    int_in(obj, "batch_size", 1, None)
}

fn intra_threads_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    int_in(obj, "intra_threads", 0, Some(MAX_INTRA_THREADS))
}

fn dpi_arg(obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    int_in(obj, "dpi", 10, Some(1200))
}

/// A PDF password: a `str` or `None`; anything else (`bytes` too) is a `TypeError` that names the argument.
fn password_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if obj.is_none() {
        return Ok(None);
    }
    if !obj.is_instance_of::<PyString>() {
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned());
        return Err(PyTypeError::new_err(format!("password must be a str or None, got {type_name}")));
    }
    obj.extract().map(Some)
}

fn text_style_arg(py: Python<'_>, s: &str) -> PyResult<TextStyle> {
    s.parse().map_err(|e| errors::to_py(py, e))
}

/// The arguments `recognize` and `recognize_pdf` share (`require_pdf`: pixels and anything but a PDF are
/// refused).
struct ReadArgs<'a> {
    layout: &'a str,
    dpi: u32,
    password: Option<String>,
    text_style: &'a str,
    require_pdf: bool,
}

/// `loaded_onnxruntime_library()`: the ONNX Runtime library this process has loaded (by its first engine), or
/// `None` before any engine.
#[pyfunction]
pub fn loaded_onnxruntime_library() -> Option<String> {
    // A `str`, like `find_onnxruntime_library()` (a `PathBuf` would arrive as a `pathlib.Path`).
    runtime::loaded_library().map(|p| p.to_string_lossy().into_owned())
}

impl Engine {
    /// `recognize` and `recognize_pdf`.
    fn read(&self, py: Python<'_>, src: &Bound<'_, PyAny>, args: ReadArgs<'_>) -> PyResult<Document> {
        let ReadArgs { layout, dpi, password, text_style, require_pdf } = args;
        let source = Source::extract(src)?;
        if require_pdf && matches!(source, Source::Pixels(_)) {
            return Err(errors::invalid_argument(py, "recognize_pdf needs a PDF path or PDF bytes".to_owned()));
        }
        let mut opts = self.document_options(py, layout, dpi)?;
        opts.text_style = text_style_arg(py, text_style)?;
        // Kept in the document's options: its searchable PDF renders the source again (`Password` hides
        // itself from `Debug`, and no `repr` shows the options).
        opts.password = password.map(Password::new);
        let engine = &self.inner;
        let (doc, pdf_source) = run_detached(py, || read_document(engine, &source, &opts, require_pdf))?;
        Document::new(py, doc, pdf_source, opts)
    }

    /// Document options for `layout` and `dpi`, with this engine's limits.
    fn document_options(&self, py: Python<'_>, layout: &str, dpi: u32) -> PyResult<DocumentOptions> {
        let layout: Layout = layout.parse().map_err(|e| errors::to_py(py, e))?;
        if !(10..=1200).contains(&dpi) {
            return Err(errors::invalid_argument(py, format!("dpi must be between 10 and 1200, got {dpi}")));
        }
        Ok(DocumentOptions { layout, dpi, limits: self.limits, ..DocumentOptions::default() })
    }
}

/// Read line images exactly as the pipeline's `line` layout does (grayscale in, text by `pipeline::line_text`;
/// an image without ink is no text, and the model is not asked), so results equal the CLI's `--layout line`.
/// A source that cannot be read or decoded fails the batch with its index.
fn read_lines(
    engine: &core::Engine,
    sources: &[Source],
    limits: &Limits,
    style: TextStyle,
) -> Result<Vec<LineResult>, BatchError> {
    // `None`: has ink, read by the model below; blank images get their (empty) result at once.
    let mut results: Vec<Option<LineResult>> = Vec::with_capacity(sources.len());
    let mut inked = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let start = Instant::now();
        let gray = source.to_image(limits).map_err(|error| BatchError { index: Some(index), error })?.to_luma8();
        if pipeline::has_ink(&gray) {
            results.push(None);
            inked.push(gray);
        } else {
            let processing_time_ms = start.elapsed().as_secs_f64() * 1000.0;
            let blank = LineResult { text: String::new(), confidence: 0.0, token_ids: Vec::new(), processing_time_ms };
            results.push(Some(blank));
        }
    }
    let read = if inked.is_empty() { Vec::new() } else { engine.recognize_gray_lines(&inked)? };
    let count_error =
        || Error::Inference(format!("recogniser returned {} results for {} lines", read.len(), inked.len()));
    if read.len() != inked.len() {
        return Err(count_error().into());
    }
    let mut lines = read.iter().map(|r| LineResult {
        text: pipeline::line_text(r, pipeline::DEFAULT_MIN_CONFIDENCE, style),
        confidence: r.confidence,
        token_ids: r.token_ids.clone(),
        processing_time_ms: r.processing_time_ms,
    });
    // In input order: each `None` takes the next model result (there are exactly as many).
    let merged: Option<Vec<LineResult>> = results.into_iter().map(|r| r.or_else(|| lines.next())).collect();
    merged.ok_or_else(|| count_error().into())
}

/// Read a whole document (`require_pdf`: refuse anything but a PDF); returns it with its source kept for the
/// searchable-PDF export.
fn read_document(
    engine: &core::Engine,
    source: &Source,
    opts: &DocumentOptions,
    require_pdf: bool,
) -> core::Result<(core::Document, PdfSource)> {
    let start = Instant::now();
    match source {
        Source::Pixels(raw) => {
            let image = raw.get().to_image(&opts.limits)?;
            let page = pipeline::read_image(engine, &image, opts)?;
            let doc = pipeline::assemble(vec![page], start.elapsed().as_secs_f64() * 1000.0);
            Ok((doc, PdfSource::Pixels(Arc::new(image))))
        }
        _ => {
            let bytes = source.encoded(opts.max_pdf_bytes.max(opts.limits.max_bytes))?.into_owned();
            if require_pdf && !pdf::is_pdf(&bytes) {
                return Err(Error::UnsupportedFormat(Some("not a PDF (no %PDF header)".to_owned())));
            }
            let doc = pipeline::read_document(engine, &bytes, opts, &mut |_| {})?;
            Ok((doc, PdfSource::Encoded(Arc::new(bytes))))
        }
    }
}
