//! OCR jobs: queueing documents, the worker pool that runs them under leases, dynamic batching of lines
//! across jobs, and graceful shutdown.
//!
//! A document goes `uploaded -> queued -> processing -> completed | failed`. Its job lives in the store; a
//! worker (inside `hindi-ocr serve`, or a separate `hindi-ocr worker` process) claims it atomically with a
//! lease that it renews while the job runs. A worker that dies stops renewing, the lease expires and another
//! worker claims the job again; attempts are bounded by `max_attempts`.

pub mod batcher;
pub mod events;
pub mod recognize;
pub mod sealed;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use hindi_ocr_core::LineRecognizer;
use hindi_ocr_core::image_input::Limits;

use crate::blob::BlobStore;
use crate::metrics::Metrics;
use crate::model::{Document, DocumentStatus, DocumentUpdate, Job};
use crate::store::{StorageResult, Store};

pub use events::{DocumentEvents, WorkSignal};
pub use worker::WorkerPool;

/// How jobs are run.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Lease length; renewed every third of it.
    pub lease: Duration,
    /// Attempts per job.
    pub max_attempts: u32,
    /// How often idle workers poll the store.
    pub poll: Duration,
    /// Delay before a failed attempt is retried (times the attempt number).
    pub retry_delay: Duration,
    /// How long a job whose storage does not answer is retried without counting its attempts, from the
    /// first such failure; past it, attempts count again (see `worker::wait_for_storage`).
    pub storage_wait: Duration,
    /// The longest delay between two tries of a job waiting for storage.
    pub storage_retry_max: Duration,
    /// On shutdown, how long running jobs may take to finish before they are released.
    pub shutdown_grace: Duration,
    /// Limits on every file (image size, pages, what a PDF's streams inflate to): the upload check and the
    /// OCR job hold the same ones.
    pub limits: Limits,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            lease: Duration::from_secs(60),
            max_attempts: 3,
            poll: Duration::from_millis(500),
            retry_delay: Duration::from_secs(2),
            storage_wait: Duration::from_secs(3600),
            storage_retry_max: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(20),
            limits: Limits::default(),
        }
    }
}

/// Everything a worker needs; shared by the HTTP handlers (to queue jobs) and the workers.
pub struct JobContext {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// The recognizer every job uses (normally a [`batcher::BatchingRecognizer`] over the loaded engine).
    pub recognizer: Arc<dyn LineRecognizer>,
    /// Document change notices.
    pub events: DocumentEvents,
    /// Wakes idle workers.
    pub work: WorkSignal,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Job settings.
    pub settings: JobSettings,
    /// Seals and opens the passwords of password-protected PDFs kept with their documents.
    pub sealer: sealed::PasswordSealer,
}

impl JobContext {
    /// Queues OCR of `doc`: the document becomes `queued` (progress and error cleared) and a job is stored.
    /// Returns the document as it is now.
    pub async fn enqueue(&self, doc: &Document) -> StorageResult<Document> {
        let update = DocumentUpdate {
            status: Some(DocumentStatus::Queued),
            error: Some(None),
            pages_done: Some(0),
            ..Default::default()
        };
        let queued = self.store.update_document(&doc.user_id, &doc.id, &update).await?;
        if let Err(e) = self.store.enqueue_job(&Job::new(&doc.id, &doc.user_id, self.settings.max_attempts)).await {
            // A `queued` document without a job would wait for ever, and refuse to be queued again: put it back
            // as it was (best effort: the store just failed).
            let back = DocumentUpdate {
                status: Some(doc.status),
                error: Some(doc.error.clone()),
                pages_done: Some(doc.pages_done),
                ..Default::default()
            };
            if let Err(undo) = self.store.update_document(&doc.user_id, &doc.id, &back).await {
                tracing::error!(document = %doc.id, error = %undo, "document left queued without a job");
            }
            return Err(e);
        }
        self.events.publish(&doc.id);
        self.work.notify();
        Ok(queued)
    }
}
