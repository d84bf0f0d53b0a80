//! Result types: what the engine returns. All serialise with serde (camelCase).

use serde::{Deserialize, Serialize};

/// An axis-aligned box in pixel coordinates of the page it belongs to (origin top-left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

/// The recognition result for one line image (the output of [`crate::LineRecognizer`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineResult {
    /// Recognised text, NFC.
    pub text: String,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// The generated token ids (without the decoder start token), for parity checks and debugging.
    pub token_ids: Vec<u32>,
    /// Wall time spent on this line in milliseconds (its share of the batch it ran in).
    pub processing_time_ms: f64,
}

/// A word inside a line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Word {
    /// Where the word is on the page.
    pub bbox: BBox,
    /// The word's text.
    pub text: String,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
}

/// A text line on a page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    /// Where the line is on the page.
    pub bbox: BBox,
    /// The line's text.
    pub text: String,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// The words of the line, left to right.
    pub words: Vec<Word>,
}

/// One page (one image, or one page of a PDF or multi-page TIFF).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Page width in pixels (of the upright page: after the turn by `rotation`).
    pub width: u32,
    /// Page height in pixels (upright).
    pub height: u32,
    /// Degrees (0, 90, 180 or 270) the image was turned clockwise because its text lay sideways or upside
    /// down. Boxes, `width` and `height` are those of the turned page. (Absent in results stored before it
    /// existed: 0.)
    #[serde(default)]
    pub rotation: u16,
    /// When the image was a photo of the page seen at an angle: the page's corners in the image (top-left,
    /// top-right, bottom-right, bottom-left, pixels), warped to a rectangle before reading. `width`, `height`
    /// and the boxes are then of that rectangle (before the turn by `rotation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad: Option<[(f32, f32); 4]>,
    /// Measured skew in degrees (positive: text rises to the right); boxes are in the deskewed frame.
    pub skew: f32,
    /// Lines in reading order.
    pub lines: Vec<Line>,
    /// Time spent on this page in milliseconds.
    pub processing_time_ms: f64,
    /// Why this page of a multi-page document could not be decoded or rendered (it then has no lines; its
    /// size is the PDF page's, or 0 when unknown). The other pages are read all the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A whole document: its pages and the plain text in reading order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Pages in order.
    pub pages: Vec<Page>,
    /// Plain text: lines joined by `\n`, pages by `\n\n` (form feed-free).
    pub text: String,
    /// Mean line confidence over the document, weighted by characters; 0 when there is no text.
    pub confidence: f32,
    /// Total time in milliseconds.
    pub processing_time_ms: f64,
}
