//! Helpers for tests of the service: a fake recognizer and an in-memory [`AppState`] on the embedded store,
//! so the API tests run the real router, store, blob store and workers without a model.
//! The end-to-end tests (`tests/e2e_*.rs`) run the real binary with the real model instead.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hindi_ocr_core::{LineRecognizer, LineResult, Result as CoreResult};
use image::GrayImage;

use crate::http::auth::{LoginLimiter, SessionKeys};
use crate::http::{AppState, HttpSettings};
use crate::jobs::batcher::BatchingRecognizer;
use crate::jobs::{JobContext, JobSettings, WorkerPool};
use crate::metrics::Metrics;

/// A small page as PNG: white, with one row of dark "glyphs" like a printed line (page analysis finds one line).
pub fn page_png() -> Vec<u8> {
    let mut img = GrayImage::from_pixel(400, 120, image::Luma([255]));
    for g in 0..20u32 {
        for y in 45..75u32 {
            for x in (20 + g * 18)..(20 + g * 18 + 12) {
                img.put_pixel(x, y, image::Luma([20]));
            }
        }
    }
    let mut out = Vec::new();
    // Encoding a small in-memory image cannot fail.
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("PNG encodes");
    out
}

/// A recognizer that answers every line with the same text, after an optional delay per call.
pub struct FixedRecognizer {
    /// The text of every line.
    pub text: String,
    /// Confidence of every line.
    pub confidence: f32,
    /// Time each call takes (to test waiting and progress).
    pub delay: Duration,
}

impl FixedRecognizer {
    /// Every line reads `text`, instantly, with confidence 0.9.
    pub fn new(text: &str) -> Self {
        FixedRecognizer { text: text.to_owned(), confidence: 0.9, delay: Duration::ZERO }
    }
}

impl LineRecognizer for FixedRecognizer {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> CoreResult<Vec<LineResult>> {
        std::thread::sleep(self.delay);
        Ok(lines
            .iter()
            .map(|_| LineResult { text: self.text.clone(), confidence: self.confidence, ..Default::default() })
            .collect())
    }
}

/// A service on the embedded store and local blobs under `dir`, with `recognizer` and `workers` in-process
/// workers (0: jobs stay queued). Returns the state and the pool (shut it down at the end of the test).
pub async fn test_state(
    dir: &Path,
    recognizer: Arc<dyn LineRecognizer>,
    workers: usize,
    settings: HttpSettings,
) -> anyhow::Result<(AppState, WorkerPool)> {
    use crate::store::{DEFAULT_DATABASE, DEFAULT_OPERATION_TIMEOUT};
    let store = crate::store::open(None, dir, DEFAULT_DATABASE, DEFAULT_OPERATION_TIMEOUT).await?;
    let blobs = crate::blob::open(crate::blob::BlobLocation::parse(None, dir)?).await?;
    let metrics = Arc::new(Metrics::new()?);
    let batcher = BatchingRecognizer::start(recognizer, 16, Duration::from_millis(2), Some(Arc::clone(&metrics)))?;
    let ctx = Arc::new(JobContext {
        store,
        blobs,
        recognizer: Arc::new(batcher),
        events: Default::default(),
        work: Default::default(),
        metrics,
        settings: JobSettings {
            lease: Duration::from_secs(5),
            poll: Duration::from_millis(50),
            retry_delay: Duration::from_millis(50),
            shutdown_grace: Duration::from_secs(2),
            ..JobSettings::default()
        },
        sealer: crate::jobs::sealed::PasswordSealer::new(&[42u8; 32]),
    });
    let pool = WorkerPool::start(Arc::clone(&ctx), workers, "test");
    let decodes = Arc::new(crate::http::busy::DecodeSlots::new(settings.max_decodes, settings.decode_wait));
    let state = AppState {
        jobs: ctx,
        sessions: Arc::new(SessionKeys::new(&[42u8; 32], Duration::from_secs(3600), false)?),
        limiter: Arc::new(LoginLimiter::new(Duration::from_secs(900), 5, 1000)),
        settings: Arc::new(HttpSettings { poll: Duration::from_millis(50), ..settings }),
        model_name: "fake".into(),
        decodes,
    };
    Ok((state, pool))
}
