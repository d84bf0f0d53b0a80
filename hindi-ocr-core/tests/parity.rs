//! Parity with the Hugging Face reference.
//!
//! `training/make_parity_models.py` builds two tiny random-weight TrOCR models, exports them with
//! `optimum-cli export onnx --task image-to-text-with-past`, and records what the Python reference does with
//! four line images each: the `ViTImageProcessor` pixel values (`pixel_values/*.npy`) and the token ids of
//! `model.generate()`, greedy and beam (`expected.json`). These tests check the engine reproduces them:
//! pixel values within 1e-4, token ids exactly.
//!
//! * `small`: the bundled model's family (ViT 32x384, TrOCR decoder with sinusoidal positions, decoder start
//!   token = eos, bilinear resize, mean/std 0.5, greedy by default) with the merged decoder
//!   (`decoder_model_merged.onnx`);
//! * `indic`: the IITB Indic-TrOCR shape (ViT 224x224, RoBERTa-style decoder with learned positions, byte-level
//!   BPE, bicubic resize, ImageNet mean/std, beam 4, `no_repeat_ngram_size` 3, `length_penalty` 2.0,
//!   `early_stopping`) with the split decoders (`decoder_model.onnx` + `decoder_with_past_model.onnx`).
//!
//! Regenerate with `make parity-fixtures`.

use std::path::{Path, PathBuf};

use hindi_ocr_core::ndarray::Array4;
use hindi_ocr_core::{Engine, EngineConfig, LineResult, ModelSource, Params};
use image::DynamicImage;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// Largest allowed difference between the engine's and the processor's pixel values.
const PIXEL_TOLERANCE: f32 = 1e-4;

/// `expected.json`, the parts the tests read.
#[derive(Debug, Deserialize)]
struct Expected {
    /// "greedy" or "beam": what the model's own generation config does.
    default_decoding: String,
    beam_settings: BeamSettings,
    onnx_files: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct BeamSettings {
    num_beams: usize,
}

/// One test image and what the reference made of it.
#[derive(Debug, Deserialize)]
struct Case {
    image: String,
    pixel_values: String,
    greedy: Decoded,
    beam: Decoded,
}

#[derive(Debug, Deserialize)]
struct Decoded {
    token_ids: Vec<u32>,
    text: String,
}

/// A loaded fixture: its directory, expectations and decoded images.
struct Fixture {
    dir: PathBuf,
    expected: Expected,
    images: Vec<DynamicImage>,
}

impl Fixture {
    fn load(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity").join(name);
        let text = std::fs::read_to_string(dir.join("expected.json"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join("expected.json").display()));
        let expected: Expected = serde_json::from_str(&text).expect("expected.json parses");
        assert_eq!(expected.cases.len(), 4, "{name}: four test images");
        let images = expected
            .cases
            .iter()
            .map(|c| image::open(dir.join(&c.image)).unwrap_or_else(|e| panic!("{}: {e}", c.image)))
            .collect();
        Self { dir, expected, images }
    }

    /// An engine on this fixture with the given decoding parameters.
    fn engine(&self, params: Params) -> Engine {
        let config = EngineConfig { model: ModelSource::Dir(self.dir.clone()), params, ..Default::default() };
        match Engine::from_config(config) {
            Ok(engine) => engine,
            Err(e) => panic!("loading {}: {e}", self.dir.display()),
        }
    }

    fn greedy_params() -> Params {
        Params { num_beams: Some(1), ..Params::default() }
    }

    fn beam_params(&self) -> Params {
        Params { num_beams: Some(self.expected.beam_settings.num_beams), ..Params::default() }
    }

    /// The reference's ids for each case in one decoding mode.
    fn expected_ids(&self, mode: Mode) -> Vec<Vec<u32>> {
        self.expected.cases.iter().map(|c| mode.of(c).token_ids.clone()).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Greedy,
    Beam,
}

impl Mode {
    fn of(self, case: &Case) -> &Decoded {
        match self {
            Mode::Greedy => &case.greedy,
            Mode::Beam => &case.beam,
        }
    }
}

/// Reads a little-endian float32 `.npy` file (C order), as `numpy.save` writes it.
fn read_npy_f32(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 10 && bytes.starts_with(b"\x93NUMPY"), "{}: not an .npy file", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).expect("npy header is ASCII");
    assert!(header.contains("'descr': '<f4'"), "{}: want little-endian float32, header {header}", path.display());
    assert!(header.contains("'fortran_order': False"), "{}: want C order", path.display());
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("{}: no shape in header {header}", path.display()));
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("shape entry is an integer"))
        .collect();
    let data: Vec<f32> = bytes[start + header_len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data.len(), shape.iter().product::<usize>(), "{}: data length vs shape", path.display());
    (shape, data)
}

/// How far the engine's pixel values are from the reference: the largest difference, where it is
/// (`[n, c, y, x]`) with both values, and how many values differ by more than [`PIXEL_TOLERANCE`].
struct PixelDiff {
    max: f32,
    at: [usize; 4],
    got: f32,
    want: f32,
    over: usize,
}

fn pixel_diff(what: &str, got: &Array4<f32>, shape: &[usize], want: &[f32]) -> PixelDiff {
    assert_eq!(got.shape(), shape, "{what}: pixel_values shape");
    let mut d = PixelDiff { max: 0.0, at: [0; 4], got: 0.0, want: 0.0, over: 0 };
    for ((idx, &g), &w) in got.indexed_iter().zip(want) {
        let diff = (g - w).abs();
        d.over += usize::from(diff > PIXEL_TOLERANCE);
        if diff > d.max {
            (d.max, d.at, d.got, d.want) = (diff, [idx.0, idx.1, idx.2, idx.3], g, w);
        }
    }
    d
}

fn check_pixel_values(name: &str) {
    let fx = Fixture::load(name);
    let engine = fx.engine(Params::default());
    for (case, img) in fx.expected.cases.iter().zip(&fx.images) {
        let (shape, want) = read_npy_f32(&fx.dir.join(&case.pixel_values));
        let got = engine.pixel_values(std::slice::from_ref(img)).expect("pixel_values");
        let d = pixel_diff(&case.image, &got, &shape, &want);
        assert!(
            d.max <= PIXEL_TOLERANCE,
            "{name}/{}: max |engine - processor| = {} at {:?} (engine {}, processor {}); {} of {} values off",
            case.image,
            d.max,
            d.at,
            d.got,
            d.want,
            d.over,
            want.len()
        );
    }
}

/// Recognises each image on its own and checks the ids against the reference.
fn check_tokens(name: &str, mode: Mode) {
    let fx = Fixture::load(name);
    let params = match mode {
        Mode::Greedy => Fixture::greedy_params(),
        Mode::Beam => fx.beam_params(),
    };
    let engine = fx.engine(params);
    for (case, img) in fx.expected.cases.iter().zip(&fx.images) {
        let got = engine.recognize_line(img).unwrap_or_else(|e| panic!("{name}/{}: {e}", case.image));
        assert_eq!(got.token_ids, mode.of(case).token_ids, "{name}/{} {mode:?}: token ids", case.image);
        assert!((0.0..=1.0).contains(&got.confidence), "{name}/{}: confidence {}", case.image, got.confidence);
    }
}

/// The engine's text is the tokenizer's decoding of the same ids (trimmed, NFC).
fn check_text(name: &str) {
    let fx = Fixture::load(name);
    for mode in [Mode::Greedy, Mode::Beam] {
        let params = match mode {
            Mode::Greedy => Fixture::greedy_params(),
            Mode::Beam => fx.beam_params(),
        };
        let got = fx.engine(params).recognize_lines(&fx.images).expect("recognize_lines");
        for (case, line) in fx.expected.cases.iter().zip(&got) {
            let want: String = mode.of(case).text.trim().nfc().collect();
            assert_eq!(line.text, want, "{name}/{} {mode:?}: text", case.image);
        }
    }
}

/// With `Params::default()` the model's generation_config.json decides greedy or beam.
fn check_default_decoding(name: &str) {
    let fx = Fixture::load(name);
    let mode = match fx.expected.default_decoding.as_str() {
        "greedy" => Mode::Greedy,
        "beam" => Mode::Beam,
        other => panic!("{name}: unknown default_decoding {other}"),
    };
    let engine = Engine::load(&fx.dir).unwrap_or_else(|e| panic!("loading {}: {e}", fx.dir.display()));
    let got: Vec<Vec<u32>> =
        engine.recognize_lines(&fx.images).expect("recognize_lines").into_iter().map(|r| r.token_ids).collect();
    assert_eq!(got, fx.expected_ids(mode), "{name}: default decoding should be {mode:?}");
}

/// Batches (of every size, so some are uneven) give the same results, in input order, as one line at a time.
fn check_batches(name: &str) {
    let fx = Fixture::load(name);
    for mode in [Mode::Greedy, Mode::Beam] {
        let base = match mode {
            Mode::Greedy => Fixture::greedy_params(),
            Mode::Beam => fx.beam_params(),
        };
        let single = fx.engine(base.clone());
        let one_by_one: Vec<LineResult> =
            fx.images.iter().map(|img| single.recognize_line(img).expect("recognize_line")).collect();
        let ids: Vec<Vec<u32>> = one_by_one.iter().map(|r| r.token_ids.clone()).collect();
        assert_eq!(ids, fx.expected_ids(mode), "{name} {mode:?}: one by one");
        for batch_size in 1..=fx.images.len() {
            let engine = fx.engine(Params { batch_size, ..base.clone() });
            // Reversed as well as in order: results must follow the input order, not the batching order.
            for reversed in [false, true] {
                let mut images = fx.images.clone();
                let mut want = one_by_one.clone();
                if reversed {
                    images.reverse();
                    want.reverse();
                }
                let got = engine.recognize_lines(&images).expect("recognize_lines");
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    let at = format!("{name} {mode:?} batch_size {batch_size} reversed {reversed} line {i}");
                    assert_eq!(g.token_ids, w.token_ids, "{at}: token ids");
                    assert_eq!(g.text, w.text, "{at}: text");
                    assert!((g.confidence - w.confidence).abs() < 1e-4, "{at}: confidence {} vs {}", g.confidence, w.confidence);
                }
            }
        }
    }
    // Preprocessing a batch equals preprocessing each image.
    let engine = fx.engine(Params::default());
    let all = engine.pixel_values(&fx.images).expect("pixel_values of the batch");
    for (i, img) in fx.images.iter().enumerate() {
        let one = engine.pixel_values(std::slice::from_ref(img)).expect("pixel_values");
        let row = all.slice(hindi_ocr_core::ndarray::s![i..i + 1, .., .., ..]);
        assert_eq!(row, one.view(), "{name}: batch pixel_values row {i}");
    }
}

#[test]
fn small_pixel_values_match_processor() {
    check_pixel_values("small");
}

#[test]
fn indic_pixel_values_match_processor() {
    check_pixel_values("indic");
}

#[test]
fn small_greedy_tokens_match_generate() {
    check_tokens("small", Mode::Greedy);
}

#[test]
fn small_beam_tokens_match_generate() {
    check_tokens("small", Mode::Beam);
}

#[test]
fn indic_greedy_tokens_match_generate() {
    check_tokens("indic", Mode::Greedy);
}

#[test]
fn indic_beam_tokens_match_generate() {
    check_tokens("indic", Mode::Beam);
}

#[test]
fn small_default_params_follow_generation_config() {
    check_default_decoding("small");
}

#[test]
fn indic_default_params_follow_generation_config() {
    check_default_decoding("indic");
}

#[test]
fn small_batches_equal_one_by_one() {
    check_batches("small");
}

#[test]
fn indic_batches_equal_one_by_one() {
    check_batches("indic");
}

#[test]
fn small_text_is_tokenizer_decoding() {
    check_text("small");
}

#[test]
fn indic_text_is_tokenizer_decoding() {
    check_text("indic");
}

/// The fixtures cover both decoder layouts and make beam search matter; a regeneration must keep that.
#[test]
fn fixtures_cover_both_decoder_layouts_and_beam_differs() {
    for (name, merged) in [("small", true), ("indic", false)] {
        let fx = Fixture::load(name);
        let has = |f: &str| fx.dir.join(f).is_file();
        assert!(has("encoder_model.onnx"), "{name}: encoder");
        assert_eq!(has("decoder_model_merged.onnx"), merged, "{name}: merged decoder present?");
        assert_eq!(has("decoder_model.onnx"), !merged, "{name}: split decoder present?");
        assert_eq!(has("decoder_with_past_model.onnx"), !merged, "{name}: decoder with past present?");
        for f in &fx.expected.onnx_files {
            assert!(has(f), "{name}: {f} listed in expected.json but missing");
        }
        assert!(
            fx.expected.cases.iter().any(|c| c.greedy.token_ids != c.beam.token_ids),
            "{name}: beam search should change at least one result"
        );
        assert!(fx.expected.cases.iter().all(|c| c.greedy.token_ids.len() >= 3), "{name}: several tokens per line");
    }
}
