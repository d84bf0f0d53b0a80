//! Result objects as Python sees them: immutable views built once from the core's result types.
//!
//! Nested collections are stored as Python tuples so that `doc.pages[0].lines[3].words` costs no copy per
//! attribute access.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use hindi_ocr_core::pipeline::DocumentOptions;
use hindi_ocr_core::{self as core, Error, export};
use image::{DynamicImage, ImageFormat};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::engine::run_detached;
use crate::errors;

/// An axis-aligned box in pixels of its page (origin top-left).
#[pyclass(frozen, eq, get_all, module = "hindi_ocr._native")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

#[pymethods]
impl BBox {
    /// `(x, y, width, height)`.
    fn as_tuple(&self) -> (u32, u32, u32, u32) {
        (self.x, self.y, self.width, self.height)
    }

    fn __repr__(&self) -> String {
        format!("BBox(x={}, y={}, width={}, height={})", self.x, self.y, self.width, self.height)
    }
}

impl From<core::BBox> for BBox {
    fn from(b: core::BBox) -> Self {
        Self { x: b.x, y: b.y, width: b.width, height: b.height }
    }
}

/// The result of reading one line image.
#[pyclass(frozen, get_all, module = "hindi_ocr._native")]
pub struct LineResult {
    /// Recognised text (NFC).
    pub text: String,
    /// Confidence in [0, 1].
    pub confidence: f32,
    /// Generated token ids (without the decoder start token).
    pub token_ids: Vec<u32>,
    /// Time spent on this line in milliseconds (its share of the batch it ran in).
    pub processing_time_ms: f64,
}

#[pymethods]
impl LineResult {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("LineResult(text={}, confidence={:.3})", py_repr(py, &self.text)?, self.confidence))
    }
}

impl From<core::LineResult> for LineResult {
    fn from(r: core::LineResult) -> Self {
        Self { text: r.text, confidence: r.confidence, token_ids: r.token_ids, processing_time_ms: r.processing_time_ms }
    }
}

/// A word inside a line.
#[pyclass(frozen, get_all, module = "hindi_ocr._native")]
pub struct Word {
    /// Where the word is on the page.
    pub bbox: Py<BBox>,
    /// The word's text.
    pub text: String,
    /// Confidence in [0, 1].
    pub confidence: f32,
}

#[pymethods]
impl Word {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Word(text={}, confidence={:.3})", py_repr(py, &self.text)?, self.confidence))
    }
}

/// A text line on a page.
#[pyclass(frozen, get_all, module = "hindi_ocr._native")]
pub struct Line {
    /// Where the line is on the page.
    pub bbox: Py<BBox>,
    /// The line's text.
    pub text: String,
    /// Confidence in [0, 1].
    pub confidence: f32,
    /// The words, left to right (a tuple of `Word`).
    pub words: Py<PyTuple>,
}

#[pymethods]
impl Line {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Line(text={}, confidence={:.3})", py_repr(py, &self.text)?, self.confidence))
    }
}

/// One page: an image, or one page of a PDF or multi-page TIFF.
#[pyclass(frozen, get_all, module = "hindi_ocr._native")]
pub struct Page {
    /// Width in pixels (of the upright page: after the turn by `rotation`).
    pub width: u32,
    /// Height in pixels (upright).
    pub height: u32,
    /// Degrees (0, 90, 180 or 270) the image was turned clockwise because its text lay sideways or upside
    /// down; boxes are in the turned frame.
    pub rotation: u16,
    /// Measured skew in degrees (boxes are in the deskewed frame).
    pub skew: f32,
    /// Lines in reading order (a tuple of `Line`).
    pub lines: Py<PyTuple>,
    /// Time spent on this page in milliseconds.
    pub processing_time_ms: f64,
    /// Why this page of a multi-page file could not be decoded or rendered (it then has no lines), or None.
    pub error: Option<String>,
    /// When the image was a photo of the page seen at an angle: the page's corners in the image ((x, y) of
    /// top-left, top-right, bottom-right, bottom-left), warped to a rectangle before reading; else None.
    pub quad: Option<[(f32, f32); 4]>,
}

#[pymethods]
impl Page {
    /// The page's text: its lines joined by newlines.
    #[getter]
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        let lines = self.lines.bind(py);
        let mut texts = Vec::with_capacity(lines.len());
        for line in lines.iter() {
            texts.push(line.cast::<Line>()?.get().text.clone());
        }
        Ok(texts.join("\n"))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Page(width={}, height={}, lines={})", self.width, self.height, self.lines.bind(py).len())
    }
}

/// What a document was read from, kept so the searchable PDF can show the page images.
pub enum PdfSource {
    /// The encoded file (image, TIFF or PDF).
    Encoded(Arc<Vec<u8>>),
    /// Decoded pixels (a numpy array or PIL image); encoded as PNG when a PDF is written.
    Pixels(Arc<DynamicImage>),
}

/// A whole read document: pages, plain text, confidence, and the exports.
#[pyclass(frozen, module = "hindi_ocr._native")]
pub struct Document {
    inner: core::Document,
    source: PdfSource,
    opts: DocumentOptions,
    pages: Py<PyTuple>,
}

#[pymethods]
impl Document {
    /// Pages in order (a tuple of `Page`).
    #[getter]
    fn pages(&self, py: Python<'_>) -> Py<PyTuple> {
        self.pages.clone_ref(py)
    }

    /// Plain text in reading order: lines joined by `\n`, pages by a blank line.
    #[getter]
    fn text(&self) -> &str {
        &self.inner.text
    }

    /// Mean line confidence weighted by characters; 0 when there is no text.
    #[getter]
    fn confidence(&self) -> f32 {
        self.inner.confidence
    }

    /// Total time in milliseconds.
    #[getter]
    fn processing_time_ms(&self) -> f64 {
        self.inner.processing_time_ms
    }

    /// The plain text (same as `text`).
    fn to_text(&self) -> String {
        export::to_text(&self.inner)
    }

    /// The document as JSON: `pages[].lines[].words[]` with `bbox`, `text`, `confidence` (camelCase keys).
    fn to_json(&self) -> String {
        export::to_json(&self.inner)
    }

    /// The document as hOCR (XHTML with `ocr_page`, `ocr_line`, `ocrx_word` and their boxes).
    fn to_hocr(&self) -> String {
        export::to_hocr(&self.inner)
    }

    /// The document as ALTO XML v4.
    fn to_alto(&self) -> String {
        export::to_alto(&self.inner)
    }

    /// One page as PAGE XML (2019-07-15, as OCR-D uses): `page` from 1, needed when the document has several
    /// (a PAGE file holds one page); `image_filename` becomes `Page/@imageFilename` (empty when not given).
    /// Coordinates are those of the page as read (upright, deskewed, a photo straightened), as in `pages`. A
    /// page that does not exist is an `InvalidArgumentError` (a `ValueError`).
    #[pyo3(signature = (page=None, *, image_filename=None))]
    fn to_page(&self, py: Python<'_>, page: Option<i64>, image_filename: Option<String>) -> PyResult<String> {
        let page = match page.map(usize::try_from) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => return Err(errors::invalid_argument(py, "page counts from 1".into())),
        };
        let opts = export::PageXmlOptions { page, image_filename: image_filename.unwrap_or_default() };
        export::to_page_xml(&self.inner, &opts).map_err(|e| errors::to_py(py, e))
    }

    /// A searchable PDF: each page image with an invisible text layer on the recognised words.
    fn to_pdf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let pdf = run_detached(py, || self.searchable_pdf())?;
        Ok(PyBytes::new(py, &pdf))
    }

    /// Write the searchable PDF (see `to_pdf`) to `path`; a failed write is an `OutputWriteError`.
    fn save_pdf(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        // The write's own error is kept apart from the export's: it is an `OutputWriteError`, not `InputReadError`.
        let written = run_detached(py, || self.searchable_pdf().map(|pdf| std::fs::write(&path, pdf)))?;
        written.map_err(|e| errors::write_failed(py, &path, &e))
    }

    fn __repr__(&self) -> String {
        format!("Document(pages={}, chars={})", self.inner.pages.len(), self.inner.text.chars().count())
    }
}

impl Document {
    /// Build the Python view of a core document read from `source` with `opts`.
    pub fn new(py: Python<'_>, doc: core::Document, source: PdfSource, opts: DocumentOptions) -> PyResult<Self> {
        let mut pages = Vec::with_capacity(doc.pages.len());
        for page in &doc.pages {
            pages.push(Py::new(py, page_view(py, page)?)?);
        }
        Ok(Self { inner: doc, source, opts, pages: PyTuple::new(py, pages)?.unbind() })
    }

    /// Render the searchable PDF (no GIL needed).
    fn searchable_pdf(&self) -> core::Result<Vec<u8>> {
        match &self.source {
            PdfSource::Encoded(bytes) => export::to_searchable_pdf(&self.inner, bytes, &self.opts),
            PdfSource::Pixels(image) => {
                let mut png = Vec::new();
                image
                    .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
                    .map_err(|e| Error::Export(format!("encoding the page image: {e}")))?;
                export::to_searchable_pdf(&self.inner, &png, &self.opts)
            }
        }
    }
}

/// Python's `repr` of a string (Rust's `{:?}` would escape the Devanagari vowel signs).
fn py_repr(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_string())
}

fn page_view(py: Python<'_>, page: &core::Page) -> PyResult<Page> {
    let mut lines = Vec::with_capacity(page.lines.len());
    for line in &page.lines {
        let mut words = Vec::with_capacity(line.words.len());
        for word in &line.words {
            let view =
                Word { bbox: Py::new(py, BBox::from(word.bbox))?, text: word.text.clone(), confidence: word.confidence };
            words.push(Py::new(py, view)?);
        }
        let view = Line {
            bbox: Py::new(py, BBox::from(line.bbox))?,
            text: line.text.clone(),
            confidence: line.confidence,
            words: PyTuple::new(py, words)?.unbind(),
        };
        lines.push(Py::new(py, view)?);
    }
    Ok(Page {
        width: page.width,
        height: page.height,
        rotation: page.rotation,
        skew: page.skew,
        lines: PyTuple::new(py, lines)?.unbind(),
        processing_time_ms: page.processing_time_ms,
        error: page.error.clone(),
        quad: page.quad,
    })
}
