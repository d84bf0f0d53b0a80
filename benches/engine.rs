//! Criterion benchmarks of the inference hot path: preprocessing one line, the encoder, one decoder step with a
//! warm KV cache, a whole line greedy and beam, and a batch of 16 lines.
//!
//! Model: the bundled one (`models/`, or `HINDI_OCR_MODEL`) if present, else the `small` parity fixture.
//! Images: the rendered test lines in `hindi-ocr-core/tests/fixtures/lines/` if present, else synthetic lines.
//!
//! ```text
//! cargo bench --bench engine            # or: make bench
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hindi_ocr_core::{Engine, EngineConfig, ModelSource, Params, RuntimeConfig};
use image::DynamicImage;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn engine() -> (Engine, String) {
    let threads = std::env::var("BENCH_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    let runtime = RuntimeConfig { intra_threads: threads, ..RuntimeConfig::default() };
    let source = match hindi_ocr_core::model::find_bundled() {
        Ok(dir) => dir,
        Err(_) => root().join("hindi-ocr-core/tests/fixtures/parity/small"),
    };
    let config = EngineConfig { model: ModelSource::Dir(source.clone()), runtime, ..Default::default() };
    let engine = Engine::from_config(config).unwrap_or_else(|e| panic!("loading {}: {e}", source.display()));
    (engine, format!("{} ({threads} thread(s))", source.display()))
}

fn lines() -> Vec<DynamicImage> {
    let dir = root().join("hindi-ocr-core/tests/fixtures/lines");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "png")).collect())
        .unwrap_or_default();
    files.sort();
    let mut imgs: Vec<DynamicImage> = files.iter().filter_map(|p| image::open(p).ok()).collect();
    if imgs.is_empty() {
        // Synthetic stand-ins: dark strokes on light paper, 48 px high, varied widths.
        imgs = (0..5u32)
            .map(|k| {
                let w = 300 + 90 * k;
                DynamicImage::ImageLuma8(image::GrayImage::from_fn(w, 48, |x, y| {
                    let ink = (x / 7 + k) % 3 == 0 && (12..36).contains(&y);
                    image::Luma([if ink { 30 } else { 225 }])
                }))
            })
            .collect();
    }
    imgs
}

fn benches(c: &mut Criterion) {
    let (engine, what) = engine();
    eprintln!("model: {what}");
    let imgs = lines();
    let line = imgs[0].clone();
    let px = engine.pixel_values(std::slice::from_ref(&line)).expect("pixel values");
    let model_beams = engine.info().generation.num_beams.max(4);

    let mut g = c.benchmark_group("engine");
    g.sample_size(20).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));

    g.bench_function("preprocess_line", |b| b.iter(|| engine.pixel_values(black_box(std::slice::from_ref(&line))).unwrap()));

    g.bench_function("encoder_line", |b| b.iter(|| engine.bench_encoder(black_box(px.clone())).unwrap()));

    let mut step = engine.bench_decoder_step(px.clone(), 8).expect("decoder step bench");
    g.bench_function("decoder_step_past8", |b| b.iter(|| step.step().unwrap()));
    drop(step);

    let greedy = Params::greedy();
    g.bench_function("line_greedy", |b| b.iter(|| engine.recognize_lines_with(black_box(std::slice::from_ref(&line)), &greedy).unwrap()));

    let beam = Params::beam(model_beams);
    g.bench_function(format!("line_beam{model_beams}"), |b| {
        b.iter(|| engine.recognize_lines_with(black_box(std::slice::from_ref(&line)), &beam).unwrap())
    });

    let batch: Vec<DynamicImage> = imgs.iter().cycle().take(16).cloned().collect();
    let batch16 = Params { batch_size: 16, ..Params::greedy() };
    let one_by_one = Params { batch_size: 1, ..Params::greedy() };
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("lines16_greedy_batch16", |b| b.iter(|| engine.recognize_lines_with(black_box(&batch), &batch16).unwrap()));
    g.bench_function("lines16_greedy_batch1", |b| b.iter(|| engine.recognize_lines_with(black_box(&batch), &one_by_one).unwrap()));
    g.finish();
}

criterion_group!(engine_benches, benches);
criterion_main!(engine_benches);
