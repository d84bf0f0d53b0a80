//! Dynamic batching of text lines across concurrent OCR jobs.
//!
//! Every job's page analysis runs on its own blocking thread and hands its line images to one
//! [`BatchingRecognizer`]. A single batch thread collects lines from all jobs that are waiting (up to
//! `max_lines`, or until `max_wait` passes after the first request) and runs them through the model as one
//! batch, then gives each job its own results back. With one job nothing changes; with several, the model
//! sees fuller batches, which is what makes it fast.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::{Duration, Instant};

use hindi_ocr_core::{LineRecognizer, LineResult, Result as CoreResult};
use image::GrayImage;

use crate::metrics::Metrics;

/// One job's lines waiting for the model, and where its results go.
struct Request {
    lines: Vec<GrayImage>,
    reply: SyncSender<CoreResult<Vec<LineResult>>>,
}

/// A [`LineRecognizer`] that merges the calls of concurrent jobs into shared model batches.
pub struct BatchingRecognizer {
    inner: Arc<dyn LineRecognizer>,
    queue: std::sync::Mutex<Sender<Request>>,
}

impl BatchingRecognizer {
    /// Starts the batch thread over `inner`. A batch holds up to `max_lines` lines (a single bigger call runs
    /// as one batch) and waits at most `max_wait` for more lines after the first arrives.
    pub fn start(
        inner: Arc<dyn LineRecognizer>,
        max_lines: usize,
        max_wait: Duration,
        metrics: Option<Arc<Metrics>>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel::<Request>();
        let worker = Arc::clone(&inner);
        std::thread::Builder::new()
            .name("ocr-batcher".into())
            .spawn(move || batch_loop(worker, rx, max_lines.max(1), max_wait, metrics))?;
        Ok(BatchingRecognizer { inner, queue: std::sync::Mutex::new(tx) })
    }

    /// The recognizer behind the batches.
    pub fn inner(&self) -> &Arc<dyn LineRecognizer> {
        &self.inner
    }
}

impl LineRecognizer for BatchingRecognizer {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> CoreResult<Vec<LineResult>> {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, results) = std::sync::mpsc::sync_channel(1);
        let sent = {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.send(Request { lines: lines.to_vec(), reply }).is_ok()
        };
        if sent && let Ok(r) = results.recv() {
            return r;
        }
        // The batch thread is gone (it only stops when the process does): run unbatched rather than fail.
        self.inner.recognize_gray_lines(lines)
    }
}

fn batch_loop(
    inner: Arc<dyn LineRecognizer>,
    rx: Receiver<Request>,
    max_lines: usize,
    max_wait: Duration,
    metrics: Option<Arc<Metrics>>,
) {
    while let Ok(first) = rx.recv() {
        let mut total = first.lines.len();
        let mut batch = vec![first];
        let deadline = Instant::now() + max_wait;
        while total < max_lines {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(r) => {
                    total += r.lines.len();
                    batch.push(r);
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        run_batch(inner.as_ref(), batch, metrics.as_deref());
    }
}

/// Runs the merged batch and hands out each request's share. If the merged run fails, each request runs
/// alone so that an error reaches only the job whose lines caused it.
fn run_batch(inner: &dyn LineRecognizer, batch: Vec<Request>, metrics: Option<&Metrics>) {
    let mut all = Vec::with_capacity(batch.iter().map(|r| r.lines.len()).sum());
    let mut parts = Vec::with_capacity(batch.len());
    for request in batch {
        let start = all.len();
        all.extend(request.lines);
        parts.push((start..all.len(), request.reply));
    }
    let started = Instant::now();
    let merged = if parts.len() == 1 { None } else { inner.recognize_gray_lines(&all).ok().filter(|r| r.len() == all.len()) };
    match merged {
        Some(results) => {
            if let Some(m) = metrics {
                m.observe_batch(all.len(), started.elapsed());
            }
            for (range, reply) in parts {
                // A job that gave up waiting has dropped its receiver; nothing to do then.
                let _ = reply.send(Ok(results[range].to_vec()));
            }
        }
        None => {
            for (range, reply) in parts {
                let one = Instant::now();
                let result = inner.recognize_gray_lines(&all[range.clone()]);
                if let (Some(m), Ok(r)) = (metrics, &result) {
                    m.observe_batch(r.len(), one.elapsed());
                }
                let _ = reply.send(result);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records the size of every batch it gets; each line's text is its image width.
    struct Recording(Mutex<Vec<usize>>);

    impl LineRecognizer for Recording {
        fn recognize_gray_lines(&self, lines: &[GrayImage]) -> CoreResult<Vec<LineResult>> {
            self.0.lock().unwrap().push(lines.len());
            std::thread::sleep(Duration::from_millis(20));
            Ok(lines.iter().map(|l| LineResult { text: l.width().to_string(), confidence: 1.0, ..Default::default() }).collect())
        }
    }

    #[test]
    fn concurrent_calls_share_batches_and_get_their_own_results() {
        let rec = Arc::new(Recording(Mutex::new(Vec::new())));
        let batcher = Arc::new(BatchingRecognizer::start(rec.clone(), 64, Duration::from_millis(50), None).unwrap());
        let handles: Vec<_> = (1..=4u32)
            .map(|job| {
                let b = Arc::clone(&batcher);
                std::thread::spawn(move || {
                    let lines: Vec<GrayImage> = (0..3).map(|i| GrayImage::new(job * 10 + i, 4)).collect();
                    let out = b.recognize_gray_lines(&lines).unwrap();
                    let texts: Vec<String> = out.into_iter().map(|r| r.text).collect();
                    assert_eq!(texts, (0..3).map(|i| (job * 10 + i).to_string()).collect::<Vec<_>>());
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let sizes = rec.0.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 12);
        assert!(sizes.len() < 4, "four concurrent jobs should share batches, got {sizes:?}");
    }

    #[test]
    fn empty_input_needs_no_model_call() {
        let rec = Arc::new(Recording(Mutex::new(Vec::new())));
        let batcher = BatchingRecognizer::start(rec.clone(), 8, Duration::from_millis(1), None).unwrap();
        assert!(batcher.recognize_gray_lines(&[]).unwrap().is_empty());
        assert!(rec.0.lock().unwrap().is_empty());
    }
}
