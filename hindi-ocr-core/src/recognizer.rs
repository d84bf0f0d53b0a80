//! The seam between page analysis and the model: anything that reads line images.

use crate::{LineResult, Result};
use image::GrayImage;

/// Reads text from line images. Implemented by [`crate::Engine`]; unit tests of page analysis, the server and
/// the bindings use fakes.
pub trait LineRecognizer: Send + Sync {
    /// Recognise each line image; results come back in input order, one per image.
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> Result<Vec<LineResult>>;
}
