//! Every bad input gets its own typed error, never a panic: image bytes (empty, truncated, huge header,
//! unsupported format) and model directories (missing file, corrupt ONNX, bad JSON, bad or mismatched tokenizer).
//!
//! The model cases start from a copy of the `small` parity fixture and break one thing each.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use hindi_ocr_core::image_input::{self, Limits};
use hindi_ocr_core::{Engine, EngineConfig, Error, ModelFiles, ModelSource, Params};
use image::{DynamicImage, ImageFormat};

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
    let mut out = Vec::new();
    DynamicImage::ImageLuma8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
    out
}

/// CRC-32 (PNG's chunk checksum), bitwise.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let mut chunk = kind.to_vec();
    chunk.extend_from_slice(data);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
}

/// A well-formed PNG that claims `w` x `h` 8-bit grayscale pixels but carries only a few bytes of (empty)
/// compressed data: what a decompression bomb's header looks like.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // bit depth 8, grayscale, deflate, no filter, no interlace
    push_chunk(&mut out, b"IHDR", &ihdr);
    push_chunk(&mut out, b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01"); // an empty zlib stream
    push_chunk(&mut out, b"IEND", b"");
    out
}

#[test]
fn empty_bytes() {
    assert!(matches!(image_input::decode(&[], &Limits::default()), Err(Error::EmptyInput)));
}

#[test]
fn truncated_png() {
    let png = png_bytes(64, 32);
    for cut in [20, 40, png.len() / 2, png.len() - 13] {
        match image_input::decode(&png[..cut], &Limits::default()) {
            Err(Error::ImageDecode(msg)) => assert!(!msg.is_empty()),
            other => panic!("cut at {cut}: expected ImageDecode, got {other:?}"),
        }
    }
}

#[test]
fn huge_png_header_fails_fast_without_decoding() {
    let bytes = png_header_only(100_000, 100_000);
    let started = std::time::Instant::now();
    match image_input::decode(&bytes, &Limits::default()) {
        Err(Error::ImageTooLarge { what: "width", actual: 100_000, limit: 20_000 }) => {}
        other => panic!("expected ImageTooLarge on width, got {other:?}"),
    }
    // Generous bound: decoding 10^10 pixels would take minutes and 10 GB.
    assert!(started.elapsed().as_millis() < 500, "took {:?}", started.elapsed());
    // Within width/height limits but over the pixel budget: rejected on the pixel count.
    let limits = Limits { max_width: 200_000, max_height: 200_000, ..Limits::default() };
    assert!(matches!(
        image_input::decode(&bytes, &limits),
        Err(Error::ImageTooLarge { what: "pixels", actual: 10_000_000_000, .. })
    ));
}

#[test]
fn unsupported_formats() {
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    assert!(matches!(image_input::decode(gif, &Limits::default()), Err(Error::UnsupportedFormat(_))));
    match image_input::decode(b"%PDF-1.7\n1 0 obj\n", &Limits::default()) {
        Err(Error::UnsupportedFormat(Some(what))) => assert!(what.contains("PDF"), "{what}"),
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
    assert!(matches!(image_input::decode(b"hello, world", &Limits::default()), Err(Error::UnsupportedFormat(_))));
}

#[test]
fn every_supported_format_decodes() {
    let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(40, 12, |x, y| image::Rgb([x as u8 * 6, y as u8 * 20, 90])));
    for fmt in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Tiff, ImageFormat::WebP, ImageFormat::Bmp] {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), fmt).unwrap();
        let back = image_input::decode(&out, &Limits::default()).unwrap_or_else(|e| panic!("{fmt:?}: {e}"));
        assert_eq!((back.width(), back.height()), (40, 12), "{fmt:?}");
    }
}

// ---- model directories ----

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity/small")
}

/// A temporary copy of the `small` fixture's model files.
fn model_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).expect("small parity fixture present") {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
        }
    }
    tmp
}

fn load(dir: &Path) -> Result<Engine, Error> {
    Engine::from_config(EngineConfig { model: ModelSource::Dir(dir.to_path_buf()), ..Default::default() })
}

fn edit_json(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn the_fixture_itself_loads() {
    let engine = load(&fixture()).expect("fixture loads");
    assert!(engine.info().merged_decoder);
    assert!(engine.info().decoder.layers >= 1);
}

#[test]
fn missing_model_files() {
    for name in ["encoder_model.onnx", "decoder_model_merged.onnx", "config.json", "preprocessor_config.json", "tokenizer.json"] {
        let dir = model_copy();
        std::fs::remove_file(dir.path().join(name)).unwrap();
        match load(dir.path()) {
            Err(Error::ModelFileMissing { path }) => assert_eq!(path.file_name().unwrap(), name),
            other => panic!("without {name}: expected ModelFileMissing, got {other:?}"),
        }
    }
    match load(Path::new("/nonexistent/model")) {
        Err(Error::ModelFileMissing { path }) => assert_eq!(path, Path::new("/nonexistent/model")),
        other => panic!("expected ModelFileMissing, got {other:?}"),
    }
}

#[test]
fn corrupt_onnx() {
    let dir = model_copy();
    let enc = dir.path().join("encoder_model.onnx");
    let bytes = std::fs::read(&enc).unwrap();
    std::fs::write(&enc, &bytes[..bytes.len() / 3]).unwrap();
    match load(dir.path()) {
        Err(Error::CorruptModel { file, .. }) => assert!(file.ends_with("encoder_model.onnx"), "{file}"),
        other => panic!("expected CorruptModel, got {other:?}"),
    }
    std::fs::write(dir.path().join("decoder_model_merged.onnx"), b"not an onnx file").unwrap();
    std::fs::write(&enc, &bytes).unwrap();
    match load(dir.path()) {
        Err(Error::CorruptModel { file, .. }) => assert!(file.ends_with("decoder_model_merged.onnx"), "{file}"),
        other => panic!("expected CorruptModel, got {other:?}"),
    }
}

#[test]
fn swapped_onnx_files_are_a_format_error() {
    let dir = model_copy();
    std::fs::copy(dir.path().join("decoder_model_merged.onnx"), dir.path().join("encoder_model.onnx")).unwrap();
    assert!(matches!(load(dir.path()), Err(Error::ModelFormat { .. })));
}

#[test]
fn bad_config_json() {
    for name in ["config.json", "generation_config.json", "preprocessor_config.json"] {
        let dir = model_copy();
        std::fs::write(dir.path().join(name), "{ this is not json").unwrap();
        match load(dir.path()) {
            Err(Error::BadConfig { file, .. }) => assert!(file.ends_with(name), "{file}"),
            other => panic!("{name}: expected BadConfig, got {other:?}"),
        }
    }
    // Valid JSON, wrong type: the message names the key.
    let dir = model_copy();
    edit_json(&dir.path().join("preprocessor_config.json"), |v| v["image_mean"] = serde_json::json!("grey"));
    match load(dir.path()) {
        Err(Error::BadConfig { reason, .. }) => assert!(reason.contains("image_mean"), "{reason}"),
        other => panic!("expected BadConfig, got {other:?}"),
    }
}

#[test]
fn bad_tokenizer() {
    let dir = model_copy();
    std::fs::write(dir.path().join("tokenizer.json"), r#"{"version": "1.0", "model": 42}"#).unwrap();
    assert!(matches!(load(dir.path()), Err(Error::BadTokenizer { .. })));
}

#[test]
fn tokenizer_mismatch() {
    // A special token the tokenizer does not have.
    let dir = model_copy();
    edit_json(&dir.path().join("generation_config.json"), |v| v["decoder_start_token_id"] = serde_json::json!(999_999));
    match load(dir.path()) {
        Err(Error::TokenizerMismatch(msg)) => assert!(msg.contains("decoder_start_token_id"), "{msg}"),
        other => panic!("expected TokenizerMismatch, got {other:?}"),
    }
    // A tokenizer with more tokens than the model's vocabulary.
    let dir = model_copy();
    edit_json(&dir.path().join("tokenizer.json"), |v| {
        let added = v["added_tokens"].as_array_mut().expect("added_tokens");
        let start = 100_000;
        for i in 0..3 {
            added.push(serde_json::json!({"id": start + i, "content": format!("<extra_{i}>"), "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false, "special": true}));
        }
    });
    match load(dir.path()) {
        Err(Error::TokenizerMismatch(msg)) => assert!(msg.contains("tokenizer.json has"), "{msg}"),
        other => panic!("expected TokenizerMismatch, got {other:?}"),
    }
}

#[test]
fn model_from_memory_equals_model_from_dir() {
    let files = ModelFiles::read_dir(fixture()).unwrap();
    let mem = Engine::from_config(EngineConfig { model: ModelSource::Memory(Box::new(files)), ..Default::default() })
        .expect("loads from memory");
    let dir = load(&fixture()).unwrap();
    let img = image_input::decode(&png_bytes(200, 32), &Limits::default()).unwrap();
    let (a, b) = (mem.recognize_line(&img).unwrap(), dir.recognize_line(&img).unwrap());
    assert_eq!(a.token_ids, b.token_ids);
    assert_eq!(a.text, b.text);
}

#[test]
fn bad_params_and_zero_sized_images() {
    let engine = load(&fixture()).unwrap();
    let img = image_input::decode(&png_bytes(100, 20), &Limits::default()).unwrap();
    for p in [Params { num_beams: Some(0), ..Params::default() }, Params { batch_size: 0, ..Params::default() }] {
        assert!(matches!(engine.recognize_lines_with(std::slice::from_ref(&img), &p), Err(Error::InvalidParams(_))));
    }
    let empty = DynamicImage::ImageLuma8(image::GrayImage::new(0, 0));
    assert!(matches!(engine.recognize_line(&empty), Err(Error::ImageDecode(_))));
    // No lines: no results, no error.
    assert!(engine.recognize_lines(&[]).unwrap().is_empty());
}

#[test]
fn engine_is_shared_between_threads() {
    let engine = std::sync::Arc::new(load(&fixture()).unwrap());
    let img = image_input::decode(&png_bytes(160, 24), &Limits::default()).unwrap();
    let want = engine.recognize_line(&img).unwrap().token_ids;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (e, i) = (engine.clone(), img.clone());
            std::thread::spawn(move || e.recognize_line(&i).unwrap().token_ids)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), want);
    }
}
