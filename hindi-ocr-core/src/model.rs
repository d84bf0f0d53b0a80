//! The model directory: an Optimum ONNX export of a TrOCR (`VisionEncoderDecoder`) model.
//!
//! Files (DESIGN.md): `encoder_model.onnx`; `decoder_model_merged.onnx`, or `decoder_model.onnx` +
//! `decoder_with_past_model.onnx`; `config.json`; `generation_config.json` (optional: as in Hugging Face, the
//! generation settings then come from `config.json`); `preprocessor_config.json`; `tokenizer.json`.
//!
//! Everything the engine needs is read from these files: the input size and normalisation
//! ([`ImageProcessorConfig`]), the special tokens and decoding settings ([`GenerationConfig`]), and the decoder's
//! layer/head layout, taken from the ONNX input names and shapes (`past_key_values.N.decoder.key`), with
//! `config.json` as the fallback for dimensions the export left symbolic.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorElementType;
use serde_json::Value;
use tokenizers::Tokenizer;

use crate::engine::RuntimeConfig;
use crate::preprocess::{ImageProcessorConfig, Resample};
use crate::{Error, Result};

/// File names of the model directory format.
pub mod files {
    /// The vision encoder.
    pub const ENCODER: &str = "encoder_model.onnx";
    /// Decoder with an `If` on `use_cache_branch` (first step and cached steps in one graph).
    pub const DECODER_MERGED: &str = "decoder_model_merged.onnx";
    /// Decoder for the first step (no past).
    pub const DECODER: &str = "decoder_model.onnx";
    /// Decoder for the following steps (with past).
    pub const DECODER_WITH_PAST: &str = "decoder_with_past_model.onnx";
    /// Model configuration (`VisionEncoderDecoderConfig`).
    pub const CONFIG: &str = "config.json";
    /// Generation settings.
    pub const GENERATION_CONFIG: &str = "generation_config.json";
    /// Image processor settings.
    pub const PREPROCESSOR_CONFIG: &str = "preprocessor_config.json";
    /// Hugging Face `tokenizers` file.
    pub const TOKENIZER: &str = "tokenizer.json";
}

/// The decoder graph(s) of a model in memory.
#[derive(Clone)]
pub enum DecoderFiles {
    /// `decoder_model_merged.onnx`.
    Merged(Vec<u8>),
    /// `decoder_model.onnx` and `decoder_with_past_model.onnx`.
    Split {
        /// First step, without past.
        decoder: Vec<u8>,
        /// Later steps, with past.
        decoder_with_past: Vec<u8>,
    },
}

impl std::fmt::Debug for DecoderFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Merged(b) => write!(f, "Merged({} bytes)", b.len()),
            Self::Split { decoder, decoder_with_past } => {
                write!(f, "Split({} + {} bytes)", decoder.len(), decoder_with_past.len())
            }
        }
    }
}

/// A whole model in memory (for embedding a model in a binary or loading from a non-file store).
#[derive(Clone)]
pub struct ModelFiles {
    /// `encoder_model.onnx` bytes.
    pub encoder: Vec<u8>,
    /// Decoder graph bytes.
    pub decoder: DecoderFiles,
    /// `config.json` text.
    pub config_json: String,
    /// `generation_config.json` text, if the model has one.
    pub generation_config_json: Option<String>,
    /// `preprocessor_config.json` text.
    pub preprocessor_config_json: String,
    /// `tokenizer.json` text.
    pub tokenizer_json: String,
}

impl std::fmt::Debug for ModelFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFiles")
            .field("encoder", &format_args!("{} bytes", self.encoder.len()))
            .field("decoder", &self.decoder)
            .finish_non_exhaustive()
    }
}

impl ModelFiles {
    /// Read every file of a model directory into memory.
    pub fn read_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let layout = DirLayout::probe(dir)?;
        let read = |p: &Path| std::fs::read(p).map_err(|source| Error::Io { path: p.to_path_buf(), source });
        let read_text = |p: &Path| std::fs::read_to_string(p).map_err(|source| Error::Io { path: p.to_path_buf(), source });
        Ok(Self {
            encoder: read(&layout.encoder)?,
            decoder: match &layout.decoder {
                DecoderPaths::Merged(p) => DecoderFiles::Merged(read(p)?),
                DecoderPaths::Split(a, b) => DecoderFiles::Split { decoder: read(a)?, decoder_with_past: read(b)? },
            },
            config_json: read_text(&dir.join(files::CONFIG))?,
            generation_config_json: match &layout.generation_config {
                Some(p) => Some(read_text(p)?),
                None => None,
            },
            preprocessor_config_json: read_text(&dir.join(files::PREPROCESSOR_CONFIG))?,
            tokenizer_json: read_text(&dir.join(files::TOKENIZER))?,
        })
    }
}

enum DecoderPaths {
    Merged(PathBuf),
    Split(PathBuf, PathBuf),
}

/// Which files a directory has; missing required files are reported here, before anything is parsed.
struct DirLayout {
    encoder: PathBuf,
    decoder: DecoderPaths,
    generation_config: Option<PathBuf>,
}

impl DirLayout {
    fn probe(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::ModelFileMissing { path: dir.to_path_buf() });
        }
        let need = |name: &str| {
            let p = dir.join(name);
            if p.is_file() { Ok(p) } else { Err(Error::ModelFileMissing { path: p }) }
        };
        let encoder = need(files::ENCODER)?;
        let merged = dir.join(files::DECODER_MERGED);
        let decoder = if merged.is_file() {
            DecoderPaths::Merged(merged)
        } else {
            let first = dir.join(files::DECODER);
            if !first.is_file() {
                // Name the merged file: it is the usual one, and the split pair is the alternative.
                return Err(Error::ModelFileMissing { path: merged });
            }
            DecoderPaths::Split(first, need(files::DECODER_WITH_PAST)?)
        };
        need(files::CONFIG)?;
        need(files::PREPROCESSOR_CONFIG)?;
        need(files::TOKENIZER)?;
        let g = dir.join(files::GENERATION_CONFIG);
        Ok(Self { encoder, decoder, generation_config: g.is_file().then_some(g) })
    }
}

/// Hugging Face `early_stopping`: `true`, `false` or `"never"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EarlyStopping {
    /// Stop a batch item once `num_beams` hypotheses are finished.
    True,
    /// Stop when the best running beam cannot beat the worst finished one (judged at the current length).
    #[default]
    False,
    /// Only stop when no better hypothesis is possible at all (canonical beam search).
    Never,
}

/// Decoding settings and special tokens, from `generation_config.json` (or `config.json`), with the Hugging Face
/// `GenerationConfig` defaults for absent keys.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    /// First decoder input (`decoder_start_token_id`, else `bos_token_id`).
    pub decoder_start_token_id: u32,
    /// `bos_token_id`, if any.
    pub bos_token_id: Option<u32>,
    /// End-of-sequence ids (`eos_token_id`, a number or a list); empty: generation stops at `max_length` only.
    pub eos_token_ids: Vec<u32>,
    /// Padding id written after a sequence ends (`pad_token_id`, else the first eos id).
    pub pad_token_id: Option<u32>,
    /// Total length including the start token (`max_length`; `max_new_tokens` + 1 if set; 20, the default,
    /// counts as 20 new tokens, i.e. 21, exactly as `generate()` does).
    pub max_length: usize,
    /// Minimum total length before eos is allowed (`min_length`, default 0; `min_new_tokens` + 1 if set).
    pub min_length: usize,
    /// Beam width (`num_beams`, default 1).
    pub num_beams: usize,
    /// Exponent of the length normalisation of finished beams (`length_penalty`, default 1.0).
    pub length_penalty: f64,
    /// Ban repeating any n-gram of this size (`no_repeat_ngram_size`, default 0 = off).
    pub no_repeat_ngram_size: usize,
    /// Beam stopping rule (`early_stopping`, default false).
    pub early_stopping: EarlyStopping,
    /// `repetition_penalty` (default 1.0 = off).
    pub repetition_penalty: f32,
    /// Token forced at the first generated position (`forced_bos_token_id`).
    pub forced_bos_token_id: Option<u32>,
    /// Tokens forced at the last position (`forced_eos_token_id`).
    pub forced_eos_token_ids: Vec<u32>,
}

/// Decoder layout read from the ONNX graph (and `config.json` for symbolic dimensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderShape {
    /// Decoder layers (number of `past_key_values.N.decoder.key` inputs).
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// Size of one head.
    pub head_dim: usize,
    /// Output vocabulary (logits width).
    pub vocab_size: usize,
}

/// Summary of a loaded model, for logs and the server's `/ready`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// Where it came from (directory, or "memory").
    pub source: String,
    /// Whether the decoder is the merged graph.
    pub merged_decoder: bool,
    /// Decoder layout.
    pub decoder: DecoderShape,
    /// Image input settings.
    pub processor: ImageProcessorConfig,
    /// Generation settings.
    pub generation: GenerationConfig,
    /// Tokenizer vocabulary size (with added tokens).
    pub tokenizer_vocab_size: usize,
}

/// Names and types of the decoder graph's inputs, so the engine feeds exactly what the export declares.
#[derive(Debug, Clone)]
pub(crate) struct DecoderIo {
    pub input_ids_i32: bool,
    pub has_encoder_hidden_states: bool,
    pub has_encoder_attention_mask: bool,
    pub has_attention_mask: bool,
    pub has_use_cache_branch: bool,
    pub has_cache_position: bool,
    /// `past_key_values.*` inputs, in graph order.
    pub past_inputs: Vec<String>,
}

pub(crate) enum DecoderSessions {
    Merged { session: Mutex<Session>, io: DecoderIo },
    Split { first: Mutex<Session>, first_io: DecoderIo, with_past: Mutex<Session>, with_past_io: DecoderIo },
}

/// A loaded model: sessions built once, guarded by mutexes because `ort` runs need `&mut Session`.
pub(crate) struct Model {
    pub encoder: Mutex<Session>,
    pub decoder: DecoderSessions,
    pub tokenizer: Tokenizer,
    pub info: ModelInfo,
}

enum Onnx<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

impl Onnx<'_> {
    fn name(&self, default: &str) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Bytes(_) => format!("{default} (in memory)"),
        }
    }
}

/// Load a model directory.
pub(crate) fn load_dir(dir: &Path, runtime: &RuntimeConfig) -> Result<Model> {
    let layout = DirLayout::probe(dir)?;
    let read_text = |name: &str| {
        let p = dir.join(name);
        std::fs::read_to_string(&p).map_err(|source| Error::Io { path: p, source })
    };
    let texts = Texts {
        config: read_text(files::CONFIG)?,
        generation: layout.generation_config.as_ref().map(|_| read_text(files::GENERATION_CONFIG)).transpose()?,
        preprocessor: read_text(files::PREPROCESSOR_CONFIG)?,
        tokenizer: read_text(files::TOKENIZER)?,
        dir: Some(dir),
    };
    let decoder = match &layout.decoder {
        DecoderPaths::Merged(p) => (Onnx::File(p), None),
        DecoderPaths::Split(a, b) => (Onnx::File(a), Some(Onnx::File(b))),
    };
    build(texts, Onnx::File(&layout.encoder), decoder, runtime, dir.display().to_string())
}

/// Load a model from memory.
pub(crate) fn load_memory(m: &ModelFiles, runtime: &RuntimeConfig) -> Result<Model> {
    let texts = Texts {
        config: m.config_json.clone(),
        generation: m.generation_config_json.clone(),
        preprocessor: m.preprocessor_config_json.clone(),
        tokenizer: m.tokenizer_json.clone(),
        dir: None,
    };
    let decoder = match &m.decoder {
        DecoderFiles::Merged(b) => (Onnx::Bytes(b), None),
        DecoderFiles::Split { decoder, decoder_with_past } => (Onnx::Bytes(decoder), Some(Onnx::Bytes(decoder_with_past))),
    };
    build(texts, Onnx::Bytes(&m.encoder), decoder, runtime, "memory".into())
}

struct Texts<'a> {
    config: String,
    generation: Option<String>,
    preprocessor: String,
    tokenizer: String,
    dir: Option<&'a Path>,
}

impl Texts<'_> {
    fn file(&self, name: &str) -> String {
        match self.dir {
            Some(d) => d.join(name).display().to_string(),
            None => format!("{name} (in memory)"),
        }
    }
}

fn build(texts: Texts, encoder: Onnx, decoder: (Onnx, Option<Onnx>), runtime: &RuntimeConfig, source: String) -> Result<Model> {
    // Cheap checks first, so configuration mistakes are reported before ONNX Runtime is even needed.
    let config = parse_json(&texts.config, &texts.file(files::CONFIG))?;
    let generation_json =
        texts.generation.as_deref().map(|g| parse_json(g, &texts.file(files::GENERATION_CONFIG))).transpose()?;
    let processor = parse_processor(
        &parse_json(&texts.preprocessor, &texts.file(files::PREPROCESSOR_CONFIG))?,
        &texts.file(files::PREPROCESSOR_CONFIG),
    )?;
    let generation = parse_generation(generation_json.as_ref(), &config, &texts)?;
    let tokenizer_file = texts.file(files::TOKENIZER);
    let tokenizer = Tokenizer::from_bytes(texts.tokenizer.as_bytes())
        .map_err(|e| Error::BadTokenizer { file: tokenizer_file.clone(), reason: e.to_string() })?;

    let env = crate::runtime::environment(runtime)?;
    let session = |onnx: &Onnx, default: &str| -> Result<Session> {
        let file = onnx.name(default);
        let init = |e: ort::Error<_>| Error::RuntimeInit(format!("session options for {file}: {e}"));
        let mut b = Session::builder(&env)
            .map_err(|e| Error::RuntimeInit(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(init)?;
        if runtime.intra_threads > 0 {
            b = b.with_intra_threads(runtime.intra_threads).map_err(init)?;
        }
        let s = match onnx {
            Onnx::File(p) => b.commit_from_file(p),
            Onnx::Bytes(bytes) => b.commit_from_memory(bytes),
        };
        s.map_err(|e| Error::CorruptModel { file, reason: e.to_string() })
    };

    let encoder_name = encoder.name(files::ENCODER);
    let encoder = session(&encoder, files::ENCODER)?;
    check_encoder(&encoder, &encoder_name)?;

    let (first, with_past) = decoder;
    let merged = with_past.is_none();
    let first_name = first.name(if merged { files::DECODER_MERGED } else { files::DECODER });
    let first_session = session(&first, if merged { files::DECODER_MERGED } else { files::DECODER })?;
    let first_io = decoder_io(&first_session, &first_name)?;
    let (decoder, shape) = match with_past {
        None => {
            let shape = decoder_shape(&first_session, &first_io, &first_name, &config)?;
            if !first_io.has_use_cache_branch {
                return Err(Error::ModelFormat {
                    file: first_name,
                    reason: "merged decoder has no `use_cache_branch` input".into(),
                });
            }
            (DecoderSessions::Merged { session: Mutex::new(first_session), io: first_io }, shape)
        }
        Some(wp) => {
            let wp_name = wp.name(files::DECODER_WITH_PAST);
            let wp_session = session(&wp, files::DECODER_WITH_PAST)?;
            let wp_io = decoder_io(&wp_session, &wp_name)?;
            // The with-past graph declares the cache layout; the first-step graph takes no past at all.
            let shape = decoder_shape(&wp_session, &wp_io, &wp_name, &config)?;
            if !first_io.past_inputs.is_empty() {
                return Err(Error::ModelFormat { file: first_name, reason: "first-step decoder takes past inputs".into() });
            }
            let split = DecoderSessions::Split {
                first: Mutex::new(first_session),
                first_io,
                with_past: Mutex::new(wp_session),
                with_past_io: wp_io,
            };
            (split, shape)
        }
    };

    check_tokenizer(&tokenizer, &generation, &shape, &config)?;
    let info = ModelInfo {
        source,
        merged_decoder: merged,
        decoder: shape,
        processor,
        generation,
        tokenizer_vocab_size: tokenizer.get_vocab_size(true),
    };
    Ok(Model { encoder: Mutex::new(encoder), decoder, tokenizer, info })
}

fn parse_json(text: &str, file: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::BadConfig { file: file.into(), reason: e.to_string() })?;
    if !v.is_object() {
        return Err(Error::BadConfig { file: file.into(), reason: "top level is not a JSON object".into() });
    }
    Ok(v)
}

/// Typed access to optional JSON keys; `null` counts as absent, a wrong type is an error naming the key.
struct Json<'a> {
    v: &'a Value,
    file: &'a str,
}

impl<'a> Json<'a> {
    fn bad(&self, key: &str, want: &str) -> Error {
        Error::BadConfig { file: self.file.into(), reason: format!("`{key}` must be {want}, found {}", self.v[key]) }
    }
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.v.get(key).filter(|v| !v.is_null())
    }
    fn bool(&self, key: &str) -> Result<Option<bool>> {
        self.get(key).map(|v| v.as_bool().ok_or_else(|| self.bad(key, "a boolean"))).transpose()
    }
    fn f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key).map(|v| v.as_f64().ok_or_else(|| self.bad(key, "a number"))).transpose()
    }
    fn usize(&self, key: &str) -> Result<Option<usize>> {
        self.get(key)
            .map(|v| v.as_u64().map(|n| n as usize).ok_or_else(|| self.bad(key, "a non-negative integer")))
            .transpose()
    }
    fn id(&self, key: &str) -> Result<Option<u32>> {
        self.get(key)
            .map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| self.bad(key, "a token id")))
            .transpose()
    }
    /// A token id or a list of them (`eos_token_id`).
    fn ids(&self, key: &str) -> Result<Option<Vec<u32>>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let one = |x: &Value| x.as_u64().and_then(|n| u32::try_from(n).ok());
        match v {
            Value::Array(a) => a.iter().map(|x| one(x).ok_or_else(|| self.bad(key, "token ids"))).collect::<Result<_>>().map(Some),
            _ => one(v).map(|n| Some(vec![n])).ok_or_else(|| self.bad(key, "a token id or a list of them")),
        }
    }
    fn triple(&self, key: &str) -> Result<Option<[f32; 3]>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        if let Some(x) = v.as_f64() {
            return Ok(Some([x as f32; 3]));
        }
        let a = v.as_array().filter(|a| a.len() == 3).ok_or_else(|| self.bad(key, "a number or a list of 3"))?;
        let mut out = [0f32; 3];
        for (o, x) in out.iter_mut().zip(a) {
            *o = x.as_f64().ok_or_else(|| self.bad(key, "a list of 3 numbers"))? as f32;
        }
        Ok(Some(out))
    }
}

fn parse_processor(v: &Value, file: &str) -> Result<ImageProcessorConfig> {
    let j = Json { v, file };
    let d = ImageProcessorConfig::default();
    let (height, width) = match j.get("size") {
        None => (d.height, d.width),
        Some(Value::Object(m)) => {
            let dim = |k: &str| m.get(k).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0);
            match (dim("height"), dim("width"), dim("shortest_edge")) {
                (Some(h), Some(w), _) => (h, w),
                (None, None, Some(s)) => (s, s),
                _ => return Err(j.bad("size", "{\"height\": H, \"width\": W}")),
            }
        }
        Some(Value::Number(n)) => {
            let s = n.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0).ok_or_else(|| j.bad("size", "a positive integer"))?;
            (s, s)
        }
        Some(_) => return Err(j.bad("size", "an object with height and width")),
    };
    let resample = match j.get("resample") {
        None => d.resample,
        Some(v) => v.as_i64().and_then(Resample::from_pil).ok_or_else(|| j.bad("resample", "a Pillow filter number 0-5"))?,
    };
    let image_std = j.triple("image_std")?.unwrap_or(d.image_std);
    if image_std.contains(&0.0) {
        return Err(j.bad("image_std", "non-zero"));
    }
    Ok(ImageProcessorConfig {
        do_resize: j.bool("do_resize")?.unwrap_or(d.do_resize),
        height,
        width,
        resample,
        do_rescale: j.bool("do_rescale")?.unwrap_or(d.do_rescale),
        rescale_factor: j.f64("rescale_factor")?.unwrap_or(d.rescale_factor),
        do_normalize: j.bool("do_normalize")?.unwrap_or(d.do_normalize),
        image_mean: j.triple("image_mean")?.unwrap_or(d.image_mean),
        image_std,
    })
}

/// Generation settings, looked up as Hugging Face does: `generation_config.json` if the model has one, else
/// `config.json` (top level, then its `decoder` section). Special tokens missing from the generation config also
/// fall back to `config.json`, so older exports work.
fn parse_generation(gen_json: Option<&Value>, config: &Value, texts: &Texts) -> Result<GenerationConfig> {
    let gen_file = texts.file(files::GENERATION_CONFIG);
    let cfg_file = texts.file(files::CONFIG);
    let empty = Value::Object(Default::default());
    let decoder_section = config.get("decoder").filter(|d| d.is_object()).unwrap_or(&empty);
    let mut sources: Vec<Json> = Vec::new();
    if let Some(g) = gen_json {
        sources.push(Json { v: g, file: &gen_file });
    }
    let model_sources = [Json { v: config, file: &cfg_file }, Json { v: decoder_section, file: &cfg_file }];
    let settings: &[Json] = if gen_json.is_some() { &sources[..] } else { &model_sources[..] };

    macro_rules! first {
        ($list:expr, $method:ident, $key:expr) => {{
            let mut found = None;
            for j in $list {
                if let Some(v) = j.$method($key)? {
                    found = Some(v);
                    break;
                }
            }
            found
        }};
    }
    let tokens: Vec<&Json> = sources.iter().chain(model_sources.iter()).collect();
    let bos = first!(tokens.iter().copied(), id, "bos_token_id");
    let decoder_start = first!(tokens.iter().copied(), id, "decoder_start_token_id").or(bos).ok_or_else(|| {
        Error::BadConfig {
            file: if gen_json.is_some() { gen_file.clone() } else { cfg_file.clone() },
            reason: "neither `decoder_start_token_id` nor `bos_token_id` is set".into(),
        }
    })?;
    let eos = first!(tokens.iter().copied(), ids, "eos_token_id").unwrap_or_default();
    let pad = first!(tokens.iter().copied(), id, "pad_token_id").or_else(|| eos.first().copied());
    let max_new = first!(settings.iter(), usize, "max_new_tokens");
    let max_length = match max_new {
        Some(n) => n + 1,
        // generate() treats the default 20 as "20 new tokens" and adds the start token (transformers
        // `_prepare_generated_length`); an explicit `Params::max_length` is taken as is.
        None => match first!(settings.iter(), usize, "max_length").unwrap_or(20) {
            20 => 21,
            n => n,
        },
    };
    let min_length = match first!(settings.iter(), usize, "min_new_tokens") {
        Some(n) => n + 1,
        None => first!(settings.iter(), usize, "min_length").unwrap_or(0),
    };
    let early_stopping = {
        let mut found = EarlyStopping::False;
        for j in settings {
            match j.get("early_stopping") {
                None => continue,
                Some(Value::Bool(true)) => found = EarlyStopping::True,
                Some(Value::Bool(false)) => found = EarlyStopping::False,
                Some(Value::String(s)) if s == "never" => found = EarlyStopping::Never,
                Some(_) => return Err(j.bad("early_stopping", "true, false or \"never\"")),
            }
            break;
        }
        found
    };
    let num_beams = first!(settings.iter(), usize, "num_beams").unwrap_or(1);
    if num_beams == 0 || max_length < 2 {
        return Err(Error::BadConfig {
            file: settings.first().map(|j| j.file.to_string()).unwrap_or_default(),
            reason: format!("num_beams {num_beams} and max_length {max_length} leave nothing to generate"),
        });
    }
    Ok(GenerationConfig {
        decoder_start_token_id: decoder_start,
        bos_token_id: bos,
        eos_token_ids: eos,
        pad_token_id: pad,
        max_length,
        min_length,
        num_beams,
        length_penalty: first!(settings.iter(), f64, "length_penalty").unwrap_or(1.0),
        no_repeat_ngram_size: first!(settings.iter(), usize, "no_repeat_ngram_size").unwrap_or(0),
        early_stopping,
        repetition_penalty: first!(settings.iter(), f64, "repetition_penalty").unwrap_or(1.0) as f32,
        forced_bos_token_id: first!(settings.iter(), id, "forced_bos_token_id"),
        forced_eos_token_ids: first!(settings.iter(), ids, "forced_eos_token_id").unwrap_or_default(),
    })
}

fn check_encoder(s: &Session, file: &str) -> Result<()> {
    let has_in = s.inputs().iter().any(|i| i.name() == "pixel_values");
    let has_out = s.outputs().iter().any(|o| o.name() == "last_hidden_state");
    if !has_in || !has_out {
        return Err(Error::ModelFormat {
            file: file.into(),
            reason: format!(
                "expected input `pixel_values` and output `last_hidden_state`, found inputs {:?} outputs {:?}",
                s.inputs().iter().map(|i| i.name()).collect::<Vec<_>>(),
                s.outputs().iter().map(|o| o.name()).collect::<Vec<_>>()
            ),
        });
    }
    Ok(())
}

fn decoder_io(s: &Session, file: &str) -> Result<DecoderIo> {
    let bad = |reason: String| Error::ModelFormat { file: file.into(), reason };
    let input_ids = s.inputs().iter().find(|i| i.name() == "input_ids").ok_or_else(|| bad("no `input_ids` input".into()))?;
    let input_ids_i32 = match input_ids.dtype().tensor_type() {
        Some(TensorElementType::Int64) => false,
        Some(TensorElementType::Int32) => true,
        other => return Err(bad(format!("`input_ids` has type {other:?}, expected int64 or int32"))),
    };
    if !s.outputs().iter().any(|o| o.name() == "logits") {
        return Err(bad("no `logits` output".into()));
    }
    let mut io = DecoderIo {
        input_ids_i32,
        has_encoder_hidden_states: false,
        has_encoder_attention_mask: false,
        has_attention_mask: false,
        has_use_cache_branch: false,
        has_cache_position: false,
        past_inputs: Vec::new(),
    };
    for i in s.inputs() {
        match i.name() {
            "input_ids" => {}
            "encoder_hidden_states" => io.has_encoder_hidden_states = true,
            "encoder_attention_mask" => io.has_encoder_attention_mask = true,
            "attention_mask" => io.has_attention_mask = true,
            "use_cache_branch" => io.has_use_cache_branch = true,
            "cache_position" => io.has_cache_position = true,
            n if n.starts_with("past_key_values.") => {
                if i.dtype().tensor_type() != Some(TensorElementType::Float32) {
                    return Err(bad(format!("`{n}` is {:?}; only float32 caches are supported", i.dtype().tensor_type())));
                }
                io.past_inputs.push(n.to_string());
            }
            other => return Err(bad(format!("unexpected decoder input `{other}`"))),
        }
    }
    Ok(io)
}

fn decoder_shape(s: &Session, io: &DecoderIo, file: &str, config: &Value) -> Result<DecoderShape> {
    let bad = |reason: String| Error::ModelFormat { file: file.into(), reason };
    let layers = io.past_inputs.iter().filter(|n| n.ends_with(".decoder.key")).count();
    if layers == 0 {
        return Err(bad("no `past_key_values.N.decoder.key` inputs (export with --task image-to-text-with-past)".into()));
    }
    for l in 0..layers {
        for part in ["decoder.key", "decoder.value", "encoder.key", "encoder.value"] {
            let n = format!("past_key_values.{l}.{part}");
            if !io.past_inputs.contains(&n) {
                return Err(bad(format!("missing input `{n}`")));
            }
        }
    }
    let empty = Value::Object(Default::default());
    let dec = config.get("decoder").unwrap_or(&empty);
    let cfg_num = |keys: &[&str]| keys.iter().find_map(|k| dec.get(*k).and_then(Value::as_u64)).map(|n| n as usize);

    let past_shape = s
        .inputs()
        .iter()
        .find(|i| i.name() == "past_key_values.0.decoder.key")
        .and_then(|i| i.dtype().tensor_shape().map(|sh| sh.to_vec()))
        .unwrap_or_default();
    let dim = |i: usize| past_shape.get(i).copied().filter(|d| *d > 0).map(|d| d as usize);
    let heads = dim(1)
        .or_else(|| cfg_num(&["decoder_attention_heads", "num_attention_heads"]))
        .ok_or_else(|| bad("attention heads unknown (symbolic in the graph and absent from config.json)".into()))?;
    let head_dim = dim(3)
        .or_else(|| cfg_num(&["d_model", "hidden_size"]).map(|d| d / heads.max(1)))
        .filter(|d| *d > 0)
        .ok_or_else(|| bad("head size unknown (symbolic in the graph and absent from config.json)".into()))?;
    let logits_dim = s
        .outputs()
        .iter()
        .find(|o| o.name() == "logits")
        .and_then(|o| o.dtype().tensor_shape().and_then(|sh| sh.last().copied()))
        .filter(|d| *d > 0)
        .map(|d| d as usize);
    let vocab_size = logits_dim
        .or_else(|| cfg_num(&["vocab_size"]))
        .ok_or_else(|| bad("vocabulary size unknown (symbolic logits and no decoder.vocab_size)".into()))?;
    Ok(DecoderShape { layers, heads, head_dim, vocab_size })
}

fn check_tokenizer(tok: &Tokenizer, g: &GenerationConfig, shape: &DecoderShape, config: &Value) -> Result<()> {
    let tok_vocab = tok.get_vocab_size(true);
    let cfg_vocab = config.get("decoder").and_then(|d| d.get("vocab_size")).and_then(Value::as_u64).map(|n| n as usize);
    if let Some(cv) = cfg_vocab {
        if cv != shape.vocab_size {
            return Err(Error::TokenizerMismatch(format!(
                "config.json decoder.vocab_size is {cv} but the decoder's logits have {} entries",
                shape.vocab_size
            )));
        }
    }
    // A model may pad its vocabulary beyond the tokenizer's, never the other way round.
    if tok_vocab > shape.vocab_size {
        return Err(Error::TokenizerMismatch(format!(
            "tokenizer.json has {tok_vocab} tokens but the model's vocabulary has {}",
            shape.vocab_size
        )));
    }
    let mut specials: Vec<(&str, u32)> = vec![("decoder_start_token_id", g.decoder_start_token_id)];
    specials.extend(g.eos_token_ids.iter().map(|&e| ("eos_token_id", e)));
    specials.extend(g.pad_token_id.map(|p| ("pad_token_id", p)));
    specials.extend(g.bos_token_id.map(|p| ("bos_token_id", p)));
    for (name, id) in specials {
        if id as usize >= shape.vocab_size || tok.id_to_token(id).is_none() {
            return Err(Error::TokenizerMismatch(format!(
                "{name} {id} is not a token of tokenizer.json ({tok_vocab} tokens, model vocabulary {})",
                shape.vocab_size
            )));
        }
    }
    Ok(())
}

/// Environment variable naming the bundled model directory explicitly.
pub const MODEL_ENV: &str = "HINDI_OCR_MODEL";

/// The bundled model's directory name inside `models/` (int8; `hindi-trocr-fp32` beside it is the same model in
/// full precision).
pub const BUNDLED_NAME: &str = "hindi-trocr";

/// Find the bundled model: `$HINDI_OCR_MODEL`, else the first of these `models/` directories that holds one:
/// beside the executable (`EXE_DIR/models`), under its install prefix (`EXE_DIR/../share/hindi-ocr/models`),
/// and in the source tree this crate was compiled from (a fixed path set at build time). No directory is
/// searched for: neither the working directory nor any parent, where a planted model would be loaded.
/// Inside `models/`: the directory itself if it holds `config.json`, else [`BUNDLED_NAME`], else the first
/// subdirectory (by name) that holds `encoder_model.onnx` and `config.json`.
pub fn find_bundled() -> Result<PathBuf> {
    let env = std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    let exe_dir = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    find_bundled_in(env, exe_dir.as_deref(), &crate::runtime::source_tree())
}

/// [`find_bundled`] with its places given.
pub fn find_bundled_in(env: Option<PathBuf>, exe_dir: Option<&Path>, source_tree: &Path) -> Result<PathBuf> {
    if let Some(p) = env {
        return Ok(p);
    }
    let mut tried: Vec<PathBuf> = Vec::new();
    if let Some(exe_dir) = exe_dir {
        tried.push(exe_dir.join("models"));
        tried.push(exe_dir.join("../share/hindi-ocr/models"));
    }
    tried.push(source_tree.join("models"));
    tried.dedup();
    match tried.iter().find_map(|models| model_in(models)) {
        Some(dir) => Ok(dir),
        None => Err(Error::ModelNotFound { tried }),
    }
}

fn model_in(models: &Path) -> Option<PathBuf> {
    let is_model = |d: &Path| d.join(files::CONFIG).is_file() && d.join(files::ENCODER).is_file();
    if is_model(models) {
        return Some(models.to_path_buf());
    }
    if is_model(&models.join(BUNDLED_NAME)) {
        return Some(models.join(BUNDLED_NAME));
    }
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(models).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| is_model(p)).collect();
    subdirs.sort();
    subdirs.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> Texts<'static> {
        Texts { config: String::new(), generation: None, preprocessor: String::new(), tokenizer: String::new(), dir: None }
    }

    #[test]
    fn processor_defaults_and_values() {
        let v: Value = serde_json::json!({"size": {"height": 32, "width": 384}, "resample": 3, "image_mean": [0.1, 0.2, 0.3]});
        let p = parse_processor(&v, "p").unwrap();
        assert_eq!((p.height, p.width, p.resample), (32, 384, Resample::Bicubic));
        assert_eq!(p.image_mean, [0.1, 0.2, 0.3]);
        assert_eq!(p.image_std, [0.5; 3]);
        assert!(p.do_normalize && p.do_rescale && p.do_resize);
    }

    #[test]
    fn processor_bad_value_names_key() {
        let v: Value = serde_json::json!({"resample": "bilinear"});
        let e = parse_processor(&v, "preprocessor_config.json").unwrap_err();
        assert!(e.to_string().contains("resample"), "{e}");
    }

    #[test]
    fn generation_from_generation_config_with_hf_defaults() {
        let g: Value = serde_json::json!({"decoder_start_token_id": 2, "eos_token_id": 2, "pad_token_id": 1, "num_beams": 4,
            "no_repeat_ngram_size": 3, "length_penalty": 2.0, "early_stopping": true, "max_length": 64});
        let c: Value = serde_json::json!({"decoder": {"bos_token_id": 0}});
        let r = parse_generation(Some(&g), &c, &texts()).unwrap();
        assert_eq!(r.decoder_start_token_id, 2);
        assert_eq!(r.eos_token_ids, vec![2]);
        assert_eq!(r.pad_token_id, Some(1));
        assert_eq!(r.bos_token_id, Some(0));
        assert_eq!((r.num_beams, r.no_repeat_ngram_size, r.max_length), (4, 3, 64));
        assert_eq!(r.early_stopping, EarlyStopping::True);
        assert_eq!(r.length_penalty, 2.0);
    }

    #[test]
    fn generation_falls_back_to_config_and_defaults() {
        let c: Value = serde_json::json!({"decoder_start_token_id": 5, "decoder": {"eos_token_id": [3, 4], "num_beams": 2}});
        let r = parse_generation(None, &c, &texts()).unwrap();
        assert_eq!(r.decoder_start_token_id, 5);
        assert_eq!(r.eos_token_ids, vec![3, 4]);
        assert_eq!(r.pad_token_id, Some(3));
        assert_eq!(r.num_beams, 2);
        assert_eq!(r.max_length, 21, "generate() reads the default 20 as 20 new tokens");
        assert_eq!(r.early_stopping, EarlyStopping::False);
    }

    #[test]
    fn generation_without_start_token_is_an_error() {
        let c: Value = serde_json::json!({});
        assert!(matches!(parse_generation(None, &c, &texts()), Err(Error::BadConfig { .. })));
    }

    #[test]
    fn early_stopping_never() {
        let g: Value = serde_json::json!({"decoder_start_token_id": 0, "early_stopping": "never"});
        let r = parse_generation(Some(&g), &serde_json::json!({}), &texts()).unwrap();
        assert_eq!(r.early_stopping, EarlyStopping::Never);
    }

    #[test]
    fn models_dir_prefers_the_bundled_name() {
        let root = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let d = root.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(files::CONFIG), "{}").unwrap();
            std::fs::write(d.join(files::ENCODER), "").unwrap();
        };
        assert_eq!(model_in(root.path()), None);
        make("another-model");
        assert_eq!(model_in(root.path()), Some(root.path().join("another-model")));
        // `hindi-trocr` wins over names sorting before it, and over `hindi-trocr-fp32`.
        make("hindi-trocr-fp32");
        make(BUNDLED_NAME);
        assert_eq!(model_in(root.path()), Some(root.path().join(BUNDLED_NAME)));
    }

    #[test]
    fn the_bundled_model_is_found_only_where_it_was_put() {
        let root = tempfile::tempdir().unwrap();
        let model = |models: &Path| {
            let d = models.join(BUNDLED_NAME);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(files::CONFIG), "{}").unwrap();
            std::fs::write(d.join(files::ENCODER), "").unwrap();
            d
        };
        // Planted above the executable's directory (and above any working directory under it): not found.
        let (bin, tree) = (root.path().join("app/bin"), root.path().join("src"));
        std::fs::create_dir_all(&bin).unwrap();
        model(&root.path().join("models"));
        model(&root.path().join("app/models"));
        match find_bundled_in(None, Some(&bin), &tree) {
            Err(Error::ModelNotFound { tried }) => {
                assert_eq!(tried, [bin.join("models"), bin.join("../share/hindi-ocr/models"), tree.join("models")]);
            }
            other => panic!("expected ModelNotFound, got {other:?}"),
        }
        // The places it looks, in order: the environment variable, beside the executable, the install
        // prefix, the source tree.
        let in_tree = model(&tree.join("models"));
        assert_eq!(find_bundled_in(None, Some(&bin), &tree).unwrap(), in_tree);
        let prefix = model(&bin.join("../share/hindi-ocr/models"));
        assert_eq!(find_bundled_in(None, Some(&bin), &tree).unwrap(), prefix);
        let beside = model(&bin.join("models"));
        assert_eq!(find_bundled_in(None, Some(&bin), &tree).unwrap(), beside);
        assert_eq!(find_bundled_in(Some("/m".into()), Some(&bin), &tree).unwrap(), PathBuf::from("/m"));
    }
}
