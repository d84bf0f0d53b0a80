//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `hindi-ocr-core`. Each variant says what was wrong and, where it applies,
/// which file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input had no bytes at all.
    #[error("empty input: no bytes to decode")]
    EmptyInput,
    /// The bytes are not an image format the engine reads.
    #[error("unsupported image format{}", .0.as_deref().map(|s| format!(": {s}")).unwrap_or_default())]
    UnsupportedFormat(Option<String>),
    /// The image header or data is corrupt or truncated.
    #[error("could not decode image: {0}")]
    ImageDecode(String),
    /// The image exceeds a configured limit (bytes, width, height or pixel count); checked before decoding.
    #[error("image too large: {what} is {actual}, limit {limit}")]
    ImageTooLarge {
        /// Which limit: "bytes", "width", "height" or "pixels".
        what: &'static str,
        /// The value found in the input.
        actual: u64,
        /// The configured limit.
        limit: u64,
    },
    /// ONNX Runtime's shared library was not found, or none of the candidates could be loaded.
    #[error("ONNX Runtime library not found; tried:\n{}", .tried.join("\n"))]
    RuntimeNotFound {
        /// Every place tried, each with why it was rejected, in search order.
        tried: Vec<String>,
    },
    /// An ONNX Runtime library was found but is the wrong version (or not ONNX Runtime at all).
    #[error("ONNX Runtime library at {path} is unusable: {reason}")]
    RuntimeVersion {
        /// The library file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// ONNX Runtime loaded but could not be initialised (environment or session options).
    #[error("ONNX Runtime initialisation failed: {0}")]
    RuntimeInit(String),
    /// No model directory was found for [`crate::ModelSource::Bundled`].
    #[error("bundled model not found; tried: {}", .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    ModelNotFound {
        /// Directories searched.
        tried: Vec<PathBuf>,
    },
    /// A file the model directory must contain is missing.
    #[error("model file missing: {path}")]
    ModelFileMissing {
        /// The file expected.
        path: PathBuf,
    },
    /// An ONNX file could not be loaded by ONNX Runtime (corrupt or not ONNX).
    #[error("corrupt ONNX model {file}: {reason}")]
    CorruptModel {
        /// The ONNX file.
        file: String,
        /// ONNX Runtime's message.
        reason: String,
    },
    /// An ONNX file loads but does not have the inputs/outputs of an Optimum TrOCR export.
    #[error("unexpected ONNX graph in {file}: {reason}")]
    ModelFormat {
        /// The ONNX file.
        file: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A JSON configuration file is not valid JSON or has a value of the wrong type.
    #[error("bad config {file}: {reason}")]
    BadConfig {
        /// The file (`config.json`, `generation_config.json`, `preprocessor_config.json`).
        file: String,
        /// What was wrong.
        reason: String,
    },
    /// `tokenizer.json` cannot be parsed.
    #[error("bad tokenizer {file}: {reason}")]
    BadTokenizer {
        /// The tokenizer file.
        file: String,
        /// The parser's message.
        reason: String,
    },
    /// The tokenizer does not fit the model (vocabulary size, special tokens).
    #[error("tokenizer does not match the model: {0}")]
    TokenizerMismatch(String),
    /// Invalid decoding parameters (e.g. `num_beams` 0).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// ONNX Runtime failed while running the model.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The PDF is encrypted in a way the reader cannot decrypt.
    #[error("PDF is encrypted and cannot be decrypted: {0}")]
    PdfEncrypted(String),
    /// The PDF is encrypted with a password to open it, and none was given.
    #[error("PDF is password-protected: give its password to read it")]
    PdfPasswordRequired,
    /// The password given does not open the PDF.
    #[error("the password given does not open this PDF")]
    PdfWrongPassword,
    /// The bytes look like a PDF but cannot be parsed (corrupt or truncated), or a page cannot be rendered.
    #[error("could not read PDF: {0}")]
    PdfInvalid(String),
    /// The document (PDF or TIFF) contains no pages.
    #[error("document has no pages")]
    NoPages,
    /// A multi-page document (TIFF or PDF) has more pages than [`crate::image_input::Limits::max_pages`];
    /// checked before any page is decoded.
    #[error("document has too many pages: {pages}, the limit is {limit}")]
    TooManyPages {
        /// Pages found (a TIFF's are counted up to 10 000).
        pages: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A PDF holds more than the limits allow (a decompression bomb): an embedded image declared larger than
    /// the image limits, or a stream that inflates past its limit. Checked before any page is rendered.
    #[error("PDF too large to read: {0}")]
    PdfTooLarge(String),
    /// An export could not be written (e.g. the source file does not match the document's pages).
    #[error("export failed: {0}")]
    Export(String),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
