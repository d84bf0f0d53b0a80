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
