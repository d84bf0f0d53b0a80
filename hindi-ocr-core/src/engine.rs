//! The [`Engine`]: a loaded TrOCR model (ONNX sessions + tokenizer + configs), shared between threads.
//!
//! ```no_run
//! use hindi_ocr_core::{Engine, image_input};
//! let engine = Engine::load("models/hindi-trocr")?;
//! let image = image_input::decode(&std::fs::read("line.png")?, &image_input::Limits::default())?;
//! let line = engine.recognize_line(&image)?;
//! println!("{} ({:.2})", line.text, line.confidence);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{DynamicImage, GrayImage, RgbImage};
use ndarray::Array4;
use unicode_normalization::UnicodeNormalization;

use crate::model::{self, GenerationConfig, Model, ModelFiles, ModelInfo};
use crate::preprocess::{self, Cleanup};
use crate::{Error, LineRecognizer, LineResult, Result};

/// Where ONNX Runtime's shared library comes from. Searched in this order: `dylib_path`, `ORT_DYLIB_PATH`,
/// the project's Python venv (`.venv`), system paths (see [`crate::runtime`]).
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Explicit path to `libonnxruntime.so`.
    pub dylib_path: Option<PathBuf>,
    /// Threads ONNX Runtime uses inside one operator; 0 = its default (one per physical core).
    pub intra_threads: usize,
    /// Only try `dylib_path` (no `ORT_DYLIB_PATH`, venv or system search).
    pub explicit_only: bool,
}

/// Decoding and batching knobs. `None` fields fall back to the model's `generation_config.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Beam width; 1 = greedy. `None`: the model's `num_beams`.
    pub num_beams: Option<usize>,
    /// Maximum length, counting the decoder start token as Hugging Face does. `None`: the model's `max_length`.
    pub max_length: Option<usize>,
    /// Lines per encoder/decoder batch (at least 1).
    pub batch_size: usize,
    /// Optional clean-up before the model's preprocessing (grayscale, denoise, binarise). Default: none, so the
    /// input tensor equals the Hugging Face processor's.
    pub cleanup: Cleanup,
}

impl Default for Params {
    fn default() -> Self {
        Self { num_beams: None, max_length: None, batch_size: 16, cleanup: Cleanup::default() }
    }
}

impl Params {
    /// Greedy decoding (`num_beams` 1), other fields default.
    pub fn greedy() -> Self {
        Self { num_beams: Some(1), ..Self::default() }
    }

    /// Beam search with `beams` beams, other fields default.
    pub fn beam(beams: usize) -> Self {
        Self { num_beams: Some(beams), ..Self::default() }
    }

    fn validate(&self) -> Result<()> {
        if self.num_beams == Some(0) {
            return Err(Error::InvalidParams("num_beams must be at least 1".into()));
        }
        if matches!(self.max_length, Some(n) if n < 2) {
            return Err(Error::InvalidParams("max_length must be at least 2 (start token + one token)".into()));
        }
        if self.batch_size == 0 {
            return Err(Error::InvalidParams("batch_size must be at least 1".into()));
        }
        if let preprocess::Binarize::Sauvola { window, k } = self.cleanup.binarize {
            if window == 0 || !k.is_finite() {
                return Err(Error::InvalidParams("Sauvola needs window >= 1 and a finite k".into()));
            }
        }
        Ok(())
    }
}

/// Where the model comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The bundled model under `models/` (found through `HINDI_OCR_MODEL`, next to the executable, in the current
    /// directory or the source tree; see [`crate::model::find_bundled`]).
    Bundled,
    /// A model directory in the DESIGN.md format.
    Dir(PathBuf),
    /// A model held in memory.
    Memory(Box<ModelFiles>),
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

/// A loaded model. `Send + Sync`: load once, share behind `Arc`. Sessions are built once; concurrent calls
/// share them (each ONNX Runtime run holds that session's lock only for the run).
pub struct Engine {
    model: Model,
    params: Params,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("model", &self.model.info.source).field("params", &self.params).finish()
    }
}

impl Engine {
    /// Load a model directory with default settings.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Self::from_config(EngineConfig { model: ModelSource::Dir(dir.as_ref().to_path_buf()), ..Default::default() })
    }

    /// Load the bundled model with default settings.
    pub fn bundled() -> Result<Self> {
        Self::from_config(EngineConfig::default())
    }

    /// Load with full configuration.
    pub fn from_config(config: EngineConfig) -> Result<Self> {
        config.params.validate()?;
        let model = match &config.model {
            ModelSource::Bundled => model::load_dir(&model::find_bundled()?, &config.runtime)?,
            ModelSource::Dir(dir) => model::load_dir(dir, &config.runtime)?,
            ModelSource::Memory(files) => model::load_memory(files, &config.runtime)?,
        };
        tracing::info!(source = %model.info.source, layers = model.info.decoder.layers, "model loaded");
        Ok(Self { model, params: config.params })
    }

    /// The same engine with other default parameters.
    pub fn with_params(mut self, params: Params) -> Result<Self> {
        params.validate()?;
        self.params = params;
        Ok(self)
    }

    /// The default parameters of this engine.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// What was loaded: decoder layout, preprocessing and generation settings.
    pub fn info(&self) -> &ModelInfo {
        &self.model.info
    }

    /// Recognise one line image.
    pub fn recognize_line(&self, image: &DynamicImage) -> Result<LineResult> {
        let mut v = self.recognize_lines(std::slice::from_ref(image))?;
        v.pop().ok_or_else(|| Error::Inference("no result for the line".into()))
    }

    /// Recognise many line images (batched by width); results in input order.
    pub fn recognize_lines(&self, images: &[DynamicImage]) -> Result<Vec<LineResult>> {
        self.recognize_lines_with(images, &self.params)
    }

    /// [`Engine::recognize_lines`] with per-call parameters.
    pub fn recognize_lines_with(&self, images: &[DynamicImage], params: &Params) -> Result<Vec<LineResult>> {
        params.validate()?;
        for (i, img) in images.iter().enumerate() {
            if img.width() == 0 || img.height() == 0 {
                return Err(Error::ImageDecode(format!("line image {i} has zero width or height")));
            }
        }
        let g = self.generation(params);
        // Lines of similar aspect ratio together: similar text lengths, so a batch's lines finish together.
        let mut order: Vec<usize> = (0..images.len()).collect();
        order.sort_by(|&a, &b| aspect(&images[a]).total_cmp(&aspect(&images[b])));
        let mut results: Vec<Option<LineResult>> = vec![None; images.len()];
        for chunk in order.chunks(params.batch_size) {
            let started = Instant::now();
            let rgb: Vec<RgbImage> = chunk.iter().map(|&i| params.cleanup.apply(&images[i])).collect();
            let decoded = match preprocess::pixel_values(&rgb, &self.model.info.processor) {
                Some(px) => crate::generate::generate(&self.model, px, &g)?,
                // Without resizing, differently sized lines cannot share a tensor: one at a time.
                None => {
                    let mut all = Vec::with_capacity(rgb.len());
                    for one in &rgb {
                        let px = preprocess::pixel_values(std::slice::from_ref(one), &self.model.info.processor)
                            .ok_or_else(|| Error::Inference("could not build the input tensor".into()))?;
                        all.extend(crate::generate::generate(&self.model, px, &g)?);
                    }
                    all
                }
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0 / chunk.len() as f64;
            for (&i, d) in chunk.iter().zip(decoded) {
                let text = self
                    .model
                    .tokenizer
                    .decode(&d.tokens, true)
                    .map_err(|e| Error::Inference(format!("decoding tokens {:?}: {e}", d.tokens)))?;
                results[i] = Some(LineResult {
                    text: text.trim().nfc().collect(),
                    confidence: d.confidence(),
                    token_ids: d.tokens,
                    processing_time_ms: ms,
                });
            }
        }
        results.into_iter().map(|r| r.ok_or_else(|| Error::Inference("a line got no result".into()))).collect()
    }

    /// The model input tensor `[n, 3, height, width]` for these images, after this engine's clean-up and the
    /// model's preprocessing (equal to Hugging Face's processor output with the default [`Params::cleanup`]).
    pub fn pixel_values(&self, images: &[DynamicImage]) -> Result<Array4<f32>> {
        let rgb: Vec<RgbImage> = images.iter().map(|i| self.params.cleanup.apply(i)).collect();
        preprocess::pixel_values(&rgb, &self.model.info.processor)
            .ok_or_else(|| Error::InvalidParams("images differ in size and the model does not resize".into()))
    }

    /// The generation settings a call with `params` uses.
    pub fn generation(&self, params: &Params) -> GenerationConfig {
        let mut g = self.model.info.generation.clone();
        if let Some(n) = params.num_beams {
            g.num_beams = n;
        }
        if let Some(n) = params.max_length {
            g.max_length = n;
        }
        g
    }

    /// Run only the encoder on a preprocessed batch; returns the output shape `[n, seq, hidden]`. For benchmarks.
    #[doc(hidden)]
    pub fn bench_encoder(&self, pixel_values: Array4<f32>) -> Result<Vec<usize>> {
        crate::generate::encode_shape(&self.model, pixel_values)
    }

    /// A repeatable single decoder step after `warm_steps` steps. For benchmarks.
    #[doc(hidden)]
    pub fn bench_decoder_step(&self, pixel_values: Array4<f32>, warm_steps: usize) -> Result<crate::generate::DecoderStepBench<'_>> {
        crate::generate::decoder_step_bench(&self.model, pixel_values, warm_steps)
    }

    /// Decode from precomputed pixel values with explicit parameters, returning token ids. For benchmarks.
    #[doc(hidden)]
    pub fn bench_generate(&self, pixel_values: Array4<f32>, params: &Params) -> Result<Vec<Vec<u32>>> {
        let g = self.generation(params);
        Ok(crate::generate::generate(&self.model, pixel_values, &g)?.into_iter().map(|d| d.tokens).collect())
    }
}

fn aspect(img: &DynamicImage) -> f64 {
    f64::from(img.width()) / f64::from(img.height().max(1))
}

impl LineRecognizer for Engine {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> Result<Vec<LineResult>> {
        let imgs: Vec<DynamicImage> = lines.iter().cloned().map(DynamicImage::ImageLuma8).collect();
        self.recognize_lines(&imgs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }

    #[test]
    fn params_validation() {
        assert!(Params::default().validate().is_ok());
        assert!(matches!(Params { num_beams: Some(0), ..Params::default() }.validate(), Err(Error::InvalidParams(_))));
        assert!(matches!(Params { batch_size: 0, ..Params::default() }.validate(), Err(Error::InvalidParams(_))));
        assert!(matches!(Params { max_length: Some(1), ..Params::default() }.validate(), Err(Error::InvalidParams(_))));
    }
}
