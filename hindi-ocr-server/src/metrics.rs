//! Prometheus metrics of one process: HTTP requests by route, OCR jobs, queue depth and recognition speed.
//!
//! Jobs by state and the queue depth are read from the store when `/metrics` is scraped, so every server
//! reports the whole deployment's queue; the other series count what this process did.

use std::time::Duration;

use prometheus::{Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::model::{JobCounts, JobState};

/// The metric families of one process.
pub struct Metrics {
    registry: Registry,
    /// `hindi_ocr_http_requests_total{method,route,status}`.
    pub http_requests: IntCounterVec,
    /// `hindi_ocr_http_request_duration_seconds{method,route}`.
    pub http_duration: HistogramVec,
    /// `hindi_ocr_jobs{state}`: jobs in the store by state (set at scrape time).
    pub jobs: IntGaugeVec,
    /// `hindi_ocr_queue_depth`: queued jobs (set at scrape time).
    pub queue_depth: prometheus::IntGauge,
    /// `hindi_ocr_jobs_finished_total{outcome}`: jobs this process completed, failed, retried, released, or put
    /// back to wait for storage (`waiting`).
    pub jobs_finished: IntCounterVec,
    /// `hindi_ocr_job_duration_seconds`: OCR time per job in this process.
    pub job_duration: Histogram,
    /// `hindi_ocr_lines_recognized_total`: text lines recognised by this process.
    pub lines: IntCounter,
    /// `hindi_ocr_lines_per_second`: recognition throughput of the most recent batch.
    pub lines_per_second: Gauge,
    /// `hindi_ocr_batch_lines`: lines per model batch (how well batching across jobs works).
    pub batch_lines: Histogram,
    /// `hindi_ocr_decode_slots`: the bound on upload checks and synchronous OCR at once (set at scrape time).
    pub decode_slots: prometheus::IntGauge,
    /// `hindi_ocr_decodes_in_flight`: upload checks and synchronous OCR running now (set at scrape time).
    pub decodes_in_flight: prometheus::IntGauge,
}

impl Metrics {
    /// Registers every family in a fresh registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("hindi_ocr_http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new("hindi_ocr_http_request_duration_seconds", "HTTP request latency by route")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            &["method", "route"],
        )?;
        let jobs = IntGaugeVec::new(Opts::new("hindi_ocr_jobs", "OCR jobs in the store by state"), &["state"])?;
        let queue_depth = prometheus::IntGauge::new("hindi_ocr_queue_depth", "OCR jobs waiting for a worker")?;
        let jobs_finished = IntCounterVec::new(
            Opts::new("hindi_ocr_jobs_finished_total", "OCR jobs ended by this process, by outcome"),
            &["outcome"],
        )?;
        let job_duration = Histogram::with_opts(
            HistogramOpts::new("hindi_ocr_job_duration_seconds", "OCR time per job")
                .buckets(vec![0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]),
        )?;
        let lines = IntCounter::new("hindi_ocr_lines_recognized_total", "Text lines recognised")?;
        let lines_per_second = Gauge::new("hindi_ocr_lines_per_second", "Lines per second of the latest model batch")?;
        let batch_lines = Histogram::with_opts(
            HistogramOpts::new("hindi_ocr_batch_lines", "Lines per model batch")
                .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(jobs_finished.clone()))?;
        registry.register(Box::new(job_duration.clone()))?;
        registry.register(Box::new(lines.clone()))?;
        registry.register(Box::new(lines_per_second.clone()))?;
        registry.register(Box::new(batch_lines.clone()))?;
        let decode_slots =
            prometheus::IntGauge::new("hindi_ocr_decode_slots", "Upload checks and synchronous OCR allowed at once")?;
        let decodes_in_flight =
            prometheus::IntGauge::new("hindi_ocr_decodes_in_flight", "Upload checks and synchronous OCR running now")?;
        registry.register(Box::new(decode_slots.clone()))?;
        registry.register(Box::new(decodes_in_flight.clone()))?;
        Ok(Metrics {
            registry,
            http_requests,
            http_duration,
            jobs,
            queue_depth,
            jobs_finished,
            job_duration,
            lines,
            lines_per_second,
            batch_lines,
            decode_slots,
            decodes_in_flight,
        })
    }

    /// Records one HTTP request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.http_duration.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    }

    /// Records one model batch of `lines` lines that took `elapsed`.
    pub fn observe_batch(&self, lines: usize, elapsed: Duration) {
        self.lines.inc_by(lines as u64);
        self.batch_lines.observe(lines as f64);
        let secs = elapsed.as_secs_f64();
        if secs > 0.0 {
            self.lines_per_second.set(lines as f64 / secs);
        }
    }

    /// Sets the job gauges from the store's counts.
    pub fn set_job_counts(&self, counts: &JobCounts) {
        for state in JobState::ALL {
            self.jobs.with_label_values(&[state.as_str()]).set(counts.get(state) as i64);
        }
        self.queue_depth.set(counts.queued as i64);
    }

    /// Sets the decode gauges.
    pub fn set_decodes(&self, limit: usize, in_flight: usize) {
        self.decode_slots.set(limit as i64);
        self.decodes_in_flight.set(in_flight as i64);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
