//! `hindi-ocr-core`: turn images of printed Hindi (Devanagari) into text with boxes and confidences.
//!
//! The pipeline, one module per stage:
//! decode ([`image_input`]) -> preprocess ([`preprocess`]) -> find lines ([`layout`]) ->
//! recognise lines in batches ([`engine`], [`generate`]) -> assemble ([`document`]) -> export ([`export`]).
//!
//! An [`Engine`] is loaded once and shared (`Send + Sync`, behind `Arc`). Everything that can go wrong is an
//! [`Error`] variant; no `ort` type appears in the public API.

pub mod document;
pub mod error;
pub mod recognizer;

pub use document::{BBox, Document, LineResult, Line, Page, Word};
pub use error::{Error, Result};
pub use recognizer::LineRecognizer;
pub mod engine;
pub use engine::{Engine, EngineConfig, ModelSource, Params, RuntimeConfig};
pub mod generate;
pub mod image_input;
pub mod model;
pub mod preprocess;
pub mod runtime;
pub use image_input::Limits;
pub use model::{DecoderFiles, ModelFiles, ModelInfo};
pub use preprocess::{Binarize, Cleanup};
/// The `ndarray` version used in the public API ([`Engine::pixel_values`]).
pub use ndarray;
pub mod export;
pub mod layout;
pub mod pdf;
pub mod pipeline;
pub mod text;
pub use pipeline::{DocumentOptions, Layout, Progress, read_document, read_image};
pub use pdf::Password;
pub use text::TextStyle;
