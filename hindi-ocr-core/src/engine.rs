//! The [`Engine`]: a loaded TrOCR model (ONNX sessions + tokenizer + configs), shared between threads.
//!
//! CONTRACT STUB: signatures are fixed for the other crates; the core-engine work fills in the bodies.

use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage};

use crate::{LineRecognizer, LineResult, Result};

/// Where ONNX Runtime's shared library comes from. Searched in this order: `dylib_path`, `ORT_DYLIB_PATH`,
/// the project's Python venv (`.venv`), system paths.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Explicit path to `libonnxruntime.so`.
    pub dylib_path: Option<PathBuf>,
    /// Threads ONNX Runtime uses inside one operator; 0 = its default.
    pub intra_threads: usize,
}

/// Decoding and batching knobs. `None` fields fall back to the model's `generation_config.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Beam width; 1 = greedy. `None`: the model's `num_beams`.
    pub num_beams: Option<usize>,
    /// Maximum generated length. `None`: the model's `max_length`.
    pub max_length: Option<usize>,
    /// Lines per encoder/decoder batch.
    pub batch_size: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self { num_beams: None, max_length: None, batch_size: 16 }
    }
}

/// Where the model comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The bundled model under `models/` (found next to the executable, in the source tree, or through
    /// `HINDI_OCR_MODEL`).
    Bundled,
    /// A model directory in the DESIGN.md format.
    Dir(PathBuf),
}

/// Everything needed to build an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The model.
    pub model: ModelSource,
    /// Decoding defaults.
    pub params: Params,
    /// ONNX Runtime location and threads.
    pub runtime: RuntimeConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { model: ModelSource::Bundled, params: Params::default(), runtime: RuntimeConfig::default() }
    }
}

/// A loaded model. `Send + Sync`: load once, share behind `Arc`.
pub struct Engine {
    _private: (),
}

impl Engine {
    /// Load a model directory with default settings.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Self::from_config(EngineConfig { model: ModelSource::Dir(dir.as_ref().to_path_buf()), ..Default::default() })
    }

    /// Load with full configuration.
    pub fn from_config(_config: EngineConfig) -> Result<Self> {
        todo!("core engine")
    }

    /// Recognise one line image.
    pub fn recognize_line(&self, image: &DynamicImage) -> Result<LineResult> {
        let mut v = self.recognize_lines(std::slice::from_ref(image))?;
        Ok(v.remove(0))
    }

    /// Recognise many line images (batched by width); results in input order.
    pub fn recognize_lines(&self, _images: &[DynamicImage]) -> Result<Vec<LineResult>> {
        todo!("core engine")
    }
}

impl LineRecognizer for Engine {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> Result<Vec<LineResult>> {
        let imgs: Vec<DynamicImage> = lines.iter().cloned().map(DynamicImage::ImageLuma8).collect();
        self.recognize_lines(&imgs)
    }
}
