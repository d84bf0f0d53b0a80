//! The bundled model (`models/hindi-trocr`) reads rendered Hindi lines.
//!
//! `training/make_line_fixtures.py` rendered five sentences written for this test (not from the training corpus
//! or the evaluation set) in five Devanagari fonts, two of them degraded (blur, grey paper, noise), and recorded
//! the text and the token ids Python ONNX Runtime reads with the bundled model. The engine must read every line
//! exactly, with the same token ids (parity between the Rust engine and the Python export check), and through
//! `Engine::bundled()`, so the bundled model is what the engine finds by default.

use std::path::{Path, PathBuf};

use hindi_ocr_core::{Engine, Params};

struct Line {
    file: String,
    text: String,
    token_ids: Vec<u32>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lines")
}

fn expected() -> Vec<Line> {
    let tsv = std::fs::read_to_string(fixtures_dir().join("expected.tsv")).expect("expected.tsv is readable");
    tsv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "expected.tsv row {l:?}: file, text, token ids");
            Line {
                file: cols[0].to_string(),
                text: cols[1].to_string(),
                token_ids: cols[2].split(' ').map(|t| t.parse().expect("token id")).collect(),
            }
        })
        .collect()
}

fn bundled_engine() -> Engine {
    // Greedy, as the model's generation_config.json says; explicit so the test does not depend on defaults.
    Engine::bundled().expect("the bundled model loads").with_params(Params::greedy()).expect("greedy params")
}

#[test]
fn bundled_model_is_the_hindi_trocr_export() {
    let engine = bundled_engine();
    let info = engine.info();
    assert!(info.source.contains("hindi-trocr"), "Engine::bundled() should find models/hindi-trocr, got {}", info.source);
    assert!(info.merged_decoder, "the bundled export ships decoder_model_merged.onnx");
    assert_eq!((info.processor.height, info.processor.width), (48, 768), "preprocessor_config.json size");
    assert_eq!(info.decoder.layers, 6);
    assert_eq!(info.tokenizer_vocab_size, 2000);
}

#[test]
fn reads_rendered_lines_exactly_one_by_one() {
    let engine = bundled_engine();
    let lines = expected();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        let img = image::open(fixtures_dir().join(&line.file)).expect("fixture decodes");
        let got = engine.recognize_line(&img).expect("recognition runs");
        assert_eq!(got.text, line.text, "{}: text", line.file);
        assert_eq!(got.token_ids, line.token_ids, "{}: token ids differ from Python ONNX Runtime", line.file);
        assert!(got.confidence > 0.5, "{}: confidence {} for an exact read", line.file, got.confidence);
    }
}

#[test]
fn reads_rendered_lines_exactly_in_one_batch() {
    let engine = bundled_engine();
    let lines = expected();
    let images: Vec<_> =
        lines.iter().map(|l| image::open(fixtures_dir().join(&l.file)).expect("fixture decodes")).collect();
    let got = engine.recognize_lines(&images).expect("batched recognition runs");
    assert_eq!(got.len(), lines.len());
    for (g, l) in got.iter().zip(&lines) {
        assert_eq!(g.text, l.text, "{}: text in a batch", l.file);
    }
}
