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
use hindi_ocr_core::{self as core, EngineConfig, Error, LineRecognizer, ModelSource, Params, RuntimeConfig, pdf, text};
use pyo3::prelude::*;

use crate::errors;
use crate::results::{Document, LineResult, PdfSource};
use crate::source::Source;

/// Run `f` with the GIL released; core errors become typed exceptions and a panic becomes `InternalError`.
pub fn run_detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> core::Result<T> + Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(errors::to_py(py, err)),
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
        num_beams: Option<usize>,
        max_length: Option<usize>,
        batch_size: usize,
        intra_threads: usize,
    ) -> PyResult<Self> {
        if num_beams == Some(0) || max_length == Some(0) || batch_size == 0 {
            return Err(errors::invalid_argument(
                py,
                "num_beams, max_length and batch_size must be at least 1".to_owned(),
            ));
        }
        let config = EngineConfig {
            model: model_dir.map_or(ModelSource::Bundled, ModelSource::Dir),
            params: Params { num_beams, max_length, batch_size, ..Params::default() },
            // A library named by the caller (or found by the Python side) is the one to use: failing to load it
            // is an error, not a reason to pick up some other copy.
            runtime: RuntimeConfig { explicit_only: ort_library.is_some(), dylib_path: ort_library, intra_threads },
        };
        let engine = run_detached(py, move || core::Engine::from_config(config))?;
        Ok(Self { inner: Arc::new(engine), limits: Limits::default() })
    }

    /// Read one line image.
    fn recognize_line(&self, py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<LineResult> {
        let source = Source::extract(src)?;
        let (engine, limits) = (&self.inner, &self.limits);
        let mut results = run_detached(py, || read_lines(engine, &[source], limits))?;
        Ok(results.remove(0))
    }

    /// Read many line images in batches; results in input order.
    fn recognize_lines(&self, py: Python<'_>, srcs: &Bound<'_, PyAny>) -> PyResult<Vec<LineResult>> {
        let mut sources = Vec::new();
        for item in srcs.try_iter()? {
            sources.push(Source::extract(&item?)?);
        }
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let (engine, limits) = (&self.inner, &self.limits);
        run_detached(py, || read_lines(engine, &sources, limits))
    }

    /// Read a document: an image (one page), a multi-page TIFF, or a PDF; `layout` says how pages are cut
    /// into lines ("auto", "page" or "line"); PDF pages are rendered at `dpi`.
    #[pyo3(signature = (src, layout="auto", *, dpi=300))]
    fn recognize(&self, py: Python<'_>, src: &Bound<'_, PyAny>, layout: &str, dpi: u32) -> PyResult<Document> {
        let source = Source::extract(src)?;
        let opts = self.document_options(py, layout, dpi)?;
        let engine = &self.inner;
        let (doc, pdf_source) = run_detached(py, || read_document(engine, &source, &opts, false))?;
        Document::new(py, doc, pdf_source, opts)
    }

    /// Read a PDF file (or PDF bytes): every page rendered at `dpi`, then read as `layout` says.
    #[pyo3(signature = (src, layout="auto", *, dpi=300))]
    fn recognize_pdf(&self, py: Python<'_>, src: &Bound<'_, PyAny>, layout: &str, dpi: u32) -> PyResult<Document> {
        let source = Source::extract(src)?;
        if matches!(source, Source::Pixels(_)) {
            return Err(errors::invalid_argument(py, "recognize_pdf needs a PDF path or PDF bytes".to_owned()));
        }
        let opts = self.document_options(py, layout, dpi)?;
        let engine = &self.inner;
        let (doc, pdf_source) = run_detached(py, || read_document(engine, &source, &opts, true))?;
        Document::new(py, doc, pdf_source, opts)
    }
}

impl Engine {
    /// Document options for `layout` and `dpi`, with this engine's limits.
    fn document_options(&self, py: Python<'_>, layout: &str, dpi: u32) -> PyResult<DocumentOptions> {
        let layout: Layout = layout.parse().map_err(|e| errors::to_py(py, e))?;
        if !(10..=1200).contains(&dpi) {
            return Err(errors::invalid_argument(py, format!("dpi must be between 10 and 1200, got {dpi}")));
        }
        Ok(DocumentOptions { layout, dpi, limits: self.limits, ..DocumentOptions::default() })
    }
}

/// Read line images exactly as the pipeline's `line` layout does (grayscale in, text normalised out), so
/// results equal the CLI's `--layout line`.
fn read_lines(engine: &core::Engine, sources: &[Source], limits: &Limits) -> core::Result<Vec<LineResult>> {
    let images = sources.iter().map(|s| Ok(s.to_image(limits)?.to_luma8())).collect::<core::Result<Vec<_>>>()?;
    let results = engine.recognize_gray_lines(&images)?;
    Ok(results
        .into_iter()
        .map(|r| LineResult {
            text: text::normalize(&r.text),
            confidence: r.confidence,
            token_ids: r.token_ids,
            processing_time_ms: r.processing_time_ms,
        })
        .collect())
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
            let image = raw.get().to_image()?;
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
