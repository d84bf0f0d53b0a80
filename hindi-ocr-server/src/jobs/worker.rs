//! The worker pool: claim a job, renew its lease while it runs, write the result exactly once, retry or fail
//! it, and on shutdown finish or release what is running.
//!
//! "Exactly once" without transactions: the result is written only while this worker provably holds the
//! lease (renewed right before the write), the chat's OCR message uses the job id as its message id (a
//! second write of it is a conflict, ignored), and a job whose document is already `completed` by an earlier
//! attempt that died before marking the job done is just marked done.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::blob::BlobKey;
use crate::jobs::JobContext;
use crate::jobs::recognize::{is_permanent, recognize_document};
use crate::model::{Document, DocumentStatus, DocumentUpdate, Job, JobState, Message, Role, now};
use crate::store::StorageError;

/// Running workers of this process.
pub struct WorkerPool {
    handles: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
}

impl WorkerPool {
    /// Starts `count` workers named `{name}-{i}` (the name should be unique per process: host, pid, random).
    pub fn start(ctx: Arc<JobContext>, count: usize, name: &str) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let handles = (0..count)
            .map(|i| {
                let ctx = Arc::clone(&ctx);
                let rx = rx.clone();
                let id = format!("{name}-{i}");
                tokio::spawn(async move { worker_loop(ctx, id, rx).await })
            })
            .collect();
        WorkerPool { handles, shutdown }
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the pool has no workers.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Stops claiming; running jobs get the grace period to finish, then are released back to the queue.
    /// Returns when every worker has stopped.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for h in self.handles {
            if let Err(e) = h.await {
                tracing::error!(error = %e, "worker task failed");
            }
        }
    }
}

/// A unique worker name prefix for this process.
pub fn process_worker_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "host".into());
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{role}-{host}-{}-{}", std::process::id(), &rand[..8])
}

async fn worker_loop(ctx: Arc<JobContext>, id: String, mut shutdown: watch::Receiver<bool>) {
    tracing::debug!(worker = %id, "worker started");
    let mut last_sweep = Instant::now() - ctx.settings.lease;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if last_sweep.elapsed() >= ctx.settings.lease {
            last_sweep = Instant::now();
            sweep_expired(&ctx).await;
        }
        match ctx.store.claim_job(&id, ctx.settings.lease, now()).await {
            Ok(Some(job)) => run_job(&ctx, &id, job, shutdown.clone()).await,
            Ok(None) => {
                tokio::select! {
                    _ = ctx.work.notified() => {}
                    _ = tokio::time::sleep(ctx.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(worker = %id, error = %e, "claiming a job failed");
                tokio::select! {
                    _ = tokio::time::sleep(ctx.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    tracing::debug!(worker = %id, "worker stopped");
}

/// Marks the documents of jobs whose workers kept dying (no attempts left) as failed.
async fn sweep_expired(ctx: &JobContext) {
    match ctx.store.fail_expired_jobs(now()).await {
        Ok(jobs) => {
            for job in jobs {
                let reason = "OCR did not finish: the workers running it stopped responding";
                mark_document_failed(ctx, &job, reason).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "sweeping expired jobs failed"),
    }
}

async fn mark_document_failed(ctx: &JobContext, job: &Job, reason: &str) {
    ctx.metrics.jobs_finished.with_label_values(&["failed"]).inc();
    let update = DocumentUpdate::failed(reason);
    match persist(ctx, || ctx.store.update_document(&job.user_id, &job.document_id, &update)).await {
        Ok(_) | Err(StorageError::NotFound { .. }) => {}
        Err(e) => tracing::error!(document = %job.document_id, error = %e, "marking document failed"),
    }
    ctx.events.publish(&job.document_id);
}

/// How an OCR attempt ended.
enum Outcome {
    Done(hindi_ocr_core::Document, Duration),
    /// Bad input: retrying cannot help.
    Permanent(String),
    /// Something that may work next time (runtime error).
    Retryable(String),
    /// Storage did not answer (`storage` names which): not the job's fault, see [`wait_for_storage`].
    StorageDown { reason: String, storage: &'static str },
}

async fn run_job(ctx: &JobContext, worker: &str, job: Job, shutdown: watch::Receiver<bool>) {
    use tracing::Instrument;
    let span = tracing::info_span!("job", job = %job.id, document = %job.document_id, attempt = job.attempts);
    run_job_in_span(ctx, worker, job, shutdown).instrument(span).await
}

async fn run_job_in_span(ctx: &JobContext, worker: &str, job: Job, mut shutdown: watch::Receiver<bool>) {
    let doc = match ctx.store.get_document(&job.user_id, &job.document_id).await {
        Ok(d) => d,
        Err(StorageError::NotFound { .. }) => {
            // Deleted while queued: nothing to do.
            finish_job(ctx, worker, &job).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "reading the document failed");
            wait_or_retry(ctx, worker, &job, "the document could not be read", &e).await;
            return;
        }
    };
    if doc.status == DocumentStatus::Completed {
        // An earlier attempt wrote the result and died before marking the job done.
        finish_job(ctx, worker, &job).await;
        return;
    }
    let processing = DocumentUpdate {
        status: Some(DocumentStatus::Processing),
        attempts: Some(job.attempts),
        pages_done: Some(0),
        ..Default::default()
    };
    if let Err(e) = ctx.store.update_document(&job.user_id, &job.document_id, &processing).await {
        tracing::warn!(error = %e, "marking document processing");
    }
    ctx.events.publish(&job.document_id);
    tracing::info!(worker, "OCR started");

    let lease_lost = Arc::new(AtomicBool::new(false));
    let renewer = spawn_renewer(ctx, worker, &job, Arc::clone(&lease_lost));
    let attempt = attempt_ocr(ctx, &job, &doc);
    tokio::pin!(attempt);
    let outcome = tokio::select! {
        outcome = &mut attempt => Some(outcome),
        _ = grace_expired(&mut shutdown, ctx.settings.shutdown_grace) => None,
    };
    renewer.abort();

    let Some(outcome) = outcome else {
        // Shutting down and the job did not finish in time: give it back, uncounted.
        tracing::info!("releasing job at shutdown");
        ctx.metrics.jobs_finished.with_label_values(&["released"]).inc();
        if ctx.store.release_job(&job.id, worker, now()).await.is_ok() {
            let back = DocumentUpdate::status(DocumentStatus::Queued);
            let _ = ctx.store.update_document(&job.user_id, &job.document_id, &back).await;
            ctx.events.publish(&job.document_id);
        }
        return;
    };
    if lease_lost.load(Ordering::SeqCst) {
        tracing::warn!("lease lost while running; another worker owns the job now, dropping this result");
        ctx.metrics.jobs_finished.with_label_values(&["lease_lost"]).inc();
        return;
    }
    match outcome {
        Outcome::Done(result, elapsed) => complete(ctx, worker, &job, result, elapsed).await,
        Outcome::Permanent(reason) => retry_or_fail(ctx, worker, &job, &reason, false).await,
        Outcome::Retryable(reason) => retry_or_fail(ctx, worker, &job, &reason, true).await,
        Outcome::StorageDown { reason, storage } => wait_for_storage(ctx, worker, &job, &reason, storage).await,
    }
}

/// Resolves `grace` after shutdown is requested; never when it is not.
async fn grace_expired(shutdown: &mut watch::Receiver<bool>, grace: Duration) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            // The pool is gone without a shutdown call: keep working.
            std::future::pending::<()>().await;
        }
    }
    tokio::time::sleep(grace).await;
}

fn spawn_renewer(ctx: &JobContext, worker: &str, job: &Job, lost: Arc<AtomicBool>) -> JoinHandle<()> {
    let store = Arc::clone(&ctx.store);
    let lease = ctx.settings.lease;
    let (job_id, worker) = (job.id.clone(), worker.to_owned());
    tokio::spawn(async move {
        let every = (lease / 3).max(Duration::from_millis(200));
        loop {
            tokio::time::sleep(every).await;
            match store.renew_lease(&job_id, &worker, lease, now()).await {
                Ok(_) => {}
                Err(StorageError::LeaseLost { .. }) => {
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
                Err(e) => tracing::warn!(job = %job_id, error = %e, "renewing lease failed; will retry"),
            }
        }
    })
}

async fn attempt_ocr(ctx: &JobContext, job: &Job, doc: &Document) -> Outcome {
    let key = match BlobKey::parse(&doc.blob_key) {
        Ok(k) => k,
        Err(e) => return Outcome::Permanent(format!("stored file key is invalid: {e}")),
    };
    let password = match doc.pdf_password.as_deref().map(|sealed| ctx.sealer.open(&doc.id, sealed)).transpose() {
        Ok(p) => p,
        Err(e) => return Outcome::Permanent(e.to_string()),
    };
    let bytes = match ctx.blobs.get(&key).await {
        Ok(b) => b,
        Err(StorageError::NotFound { .. }) => return Outcome::Permanent("the uploaded file is missing".into()),
        Err(e) => {
            tracing::warn!(error = %e, "reading the uploaded file failed");
            let reason = unavailable("the uploaded file could not be read", &e);
            return match storage_name(&e) {
                Some(storage) => Outcome::StorageDown { reason, storage },
                None => Outcome::Retryable(reason),
            };
        }
    };
    // Page progress goes from the blocking OCR thread to an async task that writes it to the store.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32)>();
    let store = Arc::clone(&ctx.store);
    let (user_id, doc_id) = (job.user_id.clone(), job.document_id.clone());
    let events_doc = doc_id.clone();
    let progress_writer = {
        let store = Arc::clone(&store);
        async move {
            let mut written = Vec::new();
            while let Some((done, total)) = rx.recv().await {
                if store.update_document(&user_id, &doc_id, &DocumentUpdate::progress(done, total)).await.is_ok() {
                    written.push(done);
                }
            }
            written
        }
    };
    let recognizer = Arc::clone(&ctx.recognizer);
    let limits = ctx.settings.limits;
    let started = Instant::now();
    let ocr = tokio::task::spawn_blocking(move || {
        let mut progress = |done: u32, total: u32| {
            let _ = tx.send((done, total));
        };
        recognize_document(&bytes, password, limits, recognizer.as_ref(), &mut progress)
    });
    let events = &ctx.events;
    let (result, _) = tokio::join!(ocr, async {
        let written = progress_writer.await;
        if !written.is_empty() {
            events.publish(&events_doc);
        }
    });
    let elapsed = started.elapsed();
    ctx.metrics.job_duration.observe(elapsed.as_secs_f64());
    match result {
        Ok(Ok(doc)) => Outcome::Done(doc, elapsed),
        Ok(Err(e)) if is_permanent(&e) => Outcome::Permanent(e.to_string()),
        Ok(Err(e)) => Outcome::Retryable(e.to_string()),
        Err(e) => Outcome::Retryable(format!("OCR task failed: {e}")),
    }
}

/// For a completed document with pages that could not be read: which ones, and the first reason.
fn unread_pages_note(result: &hindi_ocr_core::Document) -> Option<String> {
    let unread: Vec<(usize, &str)> =
        result.pages.iter().enumerate().filter_map(|(i, p)| Some((i + 1, p.error.as_deref()?))).collect();
    let (first, reason) = *unread.first()?;
    let numbers: Vec<String> = unread.iter().map(|(n, _)| n.to_string()).collect();
    let which = if unread.len() == 1 { "page" } else { "pages" };
    Some(format!(
        "{} of {} pages could not be read ({which} {}); page {first}: {reason}",
        unread.len(),
        result.pages.len(),
        numbers.join(", "),
    ))
}

async fn complete(ctx: &JobContext, worker: &str, job: &Job, result: hindi_ocr_core::Document, elapsed: Duration) {
    // Prove the lease is still ours right before writing, so a job reclaimed after a stall is not written twice.
    if let Err(e) = persist(ctx, || ctx.store.renew_lease(&job.id, worker, ctx.settings.lease, now())).await {
        tracing::warn!(error = %e, "lease check before writing the result failed; dropping the result");
        return;
    }
    let json = match serde_json::to_value(&result) {
        Ok(v) => v,
        Err(e) => {
            retry_or_fail(ctx, worker, job, &format!("serialising the result: {e}"), false).await;
            return;
        }
    };
    let pages = result.pages.len() as u32;
    let mut update = DocumentUpdate::completed(
        result.text.clone(),
        f64::from(result.confidence),
        json,
        elapsed.as_millis() as u64,
    );
    update.pages_done = Some(pages);
    update.pages_total = Some(pages);
    update.error = Some(unread_pages_note(&result));
    let doc = match persist(ctx, || ctx.store.update_document(&job.user_id, &job.document_id, &update)).await {
        Ok(d) => d,
        Err(StorageError::NotFound { .. }) => {
            finish_job(ctx, worker, job).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "saving the result failed");
            wait_or_retry(ctx, worker, job, "the result could not be saved", &e).await;
            return;
        }
    };
    if let Some(chat_id) = &doc.chat_id {
        let text = if result.text.trim().is_empty() { "(no text found)" } else { result.text.as_str() };
        let mut message = Message::new(chat_id, &job.user_id, Role::System, text, Some(&doc.id));
        // One OCR message per job, even if this step runs twice.
        message.id = job.id.clone();
        match ctx.store.add_message(&message).await {
            Ok(()) | Err(StorageError::Conflict(_)) | Err(StorageError::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "adding the OCR message to the chat failed"),
        }
    }
    finish_job(ctx, worker, job).await;
    ctx.metrics.jobs_finished.with_label_values(&["completed"]).inc();
    ctx.events.publish(&job.document_id);
    tracing::info!(ms = elapsed.as_millis() as u64, pages, "OCR completed");
}

async fn finish_job(ctx: &JobContext, worker: &str, job: &Job) {
    match persist(ctx, || ctx.store.complete_job(&job.id, worker, now())).await {
        Ok(_) => {}
        Err(e) => tracing::warn!(job = %job.id, error = %e, "marking job done failed"),
    }
}

async fn retry_or_fail(ctx: &JobContext, worker: &str, job: &Job, reason: &str, retryable: bool) {
    let delay = retryable.then(|| ctx.settings.retry_delay * job.attempts.max(1));
    tracing::warn!(reason, retryable, "OCR attempt failed");
    match persist(ctx, || ctx.store.fail_job(&job.id, worker, reason, delay, now())).await {
        Ok(j) if j.state == JobState::Failed => mark_document_failed(ctx, job, reason).await,
        Ok(_) => {
            ctx.metrics.jobs_finished.with_label_values(&["retried"]).inc();
            let update = DocumentUpdate {
                status: Some(DocumentStatus::Queued),
                error: Some(Some(reason.to_owned())),
                ..Default::default()
            };
            let _ = persist(ctx, || ctx.store.update_document(&job.user_id, &job.document_id, &update)).await;
            ctx.events.publish(&job.document_id);
        }
        // The job stays `running` until its lease expires; then it is claimed again (or swept as failed).
        Err(e) => tracing::warn!(error = %e, "recording the failure failed"),
    }
}

/// An attempt failed because storage did not answer. That is not the job's fault, and counting it would fail
/// the document within seconds of an outage (retries after 2 s and 4 s): instead the job is put back with its
/// attempt uncounted, to run again after a delay that grows with the outage (each wait as long as the outage
/// has lasted so far, so the tries double apart: `retry_delay`, then 2x, 4x ..., at most `storage_retry_max`).
/// The document says `queued`, with an error that says what it waits for. Past `storage_wait` since the job
/// first found storage down, the attempt counts as any other (so a store that never comes back, or a damaged
/// disk, still ends in `failed`).
async fn wait_for_storage(ctx: &JobContext, worker: &str, job: &Job, reason: &str, storage: &str) {
    let t = now();
    let since = job.waiting_since.unwrap_or(t);
    let waited = (t - since).to_std().unwrap_or_default();
    if waited >= ctx.settings.storage_wait {
        retry_or_fail(ctx, worker, job, reason, true).await;
        return;
    }
    let delay = waited.max(ctx.settings.retry_delay).min(ctx.settings.storage_retry_max.max(ctx.settings.retry_delay));
    let waiting = format!(
        "waiting for {storage}: {reason}; OCR goes on by itself when it answers again (next try in {} s)",
        delay.as_secs().max(1)
    );
    tracing::warn!(reason, waited_s = waited.as_secs(), delay_s = delay.as_secs(), "storage unreachable; job waits");
    match persist(ctx, || ctx.store.defer_job(&job.id, worker, &waiting, delay, since, t)).await {
        Ok(_) => {
            ctx.metrics.jobs_finished.with_label_values(&["waiting"]).inc();
            let update = DocumentUpdate {
                status: Some(DocumentStatus::Queued),
                error: Some(Some(waiting)),
                attempts: Some(job.attempts.saturating_sub(1)),
                ..Default::default()
            };
            let _ = persist(ctx, || ctx.store.update_document(&job.user_id, &job.document_id, &update)).await;
            ctx.events.publish(&job.document_id);
        }
        // The job stays `running` until its lease expires; then it is claimed again (or swept as failed).
        Err(e) => tracing::warn!(error = %e, "recording the wait failed"),
    }
}

/// After a store call of the job failed with `e` (`what` says which): wait for storage when it is down, else
/// the ordinary retry.
async fn wait_or_retry(ctx: &JobContext, worker: &str, job: &Job, what: &str, e: &StorageError) {
    let reason = unavailable(what, e);
    match storage_name(e) {
        Some(storage) => wait_for_storage(ctx, worker, job, &reason, storage).await,
        None => retry_or_fail(ctx, worker, job, &reason, true).await,
    }
}

/// Which storage a back-end failure is (as users read it), `None` for errors that are not outages.
fn storage_name(e: &StorageError) -> Option<&'static str> {
    match e {
        StorageError::Backend { backend: "s3" | "local-blobs", .. } => Some("file storage"),
        StorageError::Backend { .. } => Some("the database"),
        _ => None,
    }
}

/// Runs a store write that records the outcome of a job, retrying while the back end is unreachable, for up
/// to one lease: a short database outage must not throw away a finished OCR run (a long document would be
/// read again) or leave a document `processing` after its job ended. Other errors return at once.
async fn persist<T, F, Fut>(ctx: &JobContext, mut write: F) -> Result<T, StorageError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StorageError>>,
{
    let deadline = Instant::now() + ctx.settings.lease;
    loop {
        match write().await {
            Err(StorageError::Backend { backend, message }) if Instant::now() < deadline => {
                tracing::warn!(backend, error = %message, "store unreachable while recording a job; retrying");
                tokio::time::sleep(ctx.settings.poll.clamp(Duration::from_millis(100), Duration::from_secs(2))).await;
            }
            other => return other,
        }
    }
}

/// A job's failure reason as the user reads it (in the document's `error`): what failed and that it may work
/// later, without the back end's own words (those are logged).
fn unavailable(what: &str, e: &StorageError) -> String {
    match e.outage() {
        Some(outage) => format!("{what}: {outage}"),
        None => format!("{what}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use bytes::Bytes;

    use super::*;
    use crate::blob::{BlobStore, ByteStream, byte_stream_from};
    use crate::jobs::JobSettings;
    use crate::model::new_id;
    use crate::store::StorageResult;
    use crate::testing::{FixedRecognizer, page_png};

    /// Local blobs that fail like an S3 that does not answer while `down` is set (uploads always work).
    struct Flaky {
        inner: Arc<dyn BlobStore>,
        down: AtomicBool,
    }

    impl Flaky {
        fn check(&self) -> StorageResult<()> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StorageError::backend("s3", "dispatch failure: connection refused"));
            }
            Ok(())
        }
    }

    #[async_trait::async_trait]
    impl BlobStore for Flaky {
        fn kind(&self) -> &'static str {
            "s3"
        }
        async fn ping(&self) -> StorageResult<()> {
            self.check()
        }
        async fn put(&self, key: &BlobKey, body: ByteStream, limit: u64) -> StorageResult<u64> {
            self.inner.put(key, body, limit).await
        }
        async fn get(&self, key: &BlobKey) -> StorageResult<Bytes> {
            self.check()?;
            self.inner.get(key).await
        }
        async fn delete(&self, key: &BlobKey) -> StorageResult<()> {
            self.check()?;
            self.inner.delete(key).await
        }
    }

    /// A queued document whose file is in `Flaky` blobs that are down, and one worker on it.
    async fn queued_while_down(
        dir: &std::path::Path,
        settings: JobSettings,
    ) -> (Arc<JobContext>, Arc<Flaky>, Document, WorkerPool) {
        let store = crate::store::open(None, dir, crate::store::DEFAULT_DATABASE, crate::store::DEFAULT_OPERATION_TIMEOUT)
            .await
            .expect("store");
        let local = crate::blob::open(crate::blob::BlobLocation::parse(None, dir).expect("blobs")).await.expect("blobs");
        let blobs = Arc::new(Flaky { inner: local, down: AtomicBool::new(true) });
        let ctx = Arc::new(JobContext {
            store,
            blobs: Arc::clone(&blobs) as Arc<dyn BlobStore>,
            recognizer: Arc::new(FixedRecognizer::new("नमस्ते")),
            events: Default::default(),
            work: Default::default(),
            metrics: Arc::new(crate::metrics::Metrics::new().expect("metrics")),
            settings,
            sealer: crate::jobs::sealed::PasswordSealer::new(&[7u8; 32]),
        });
        let user = crate::model::User::new("wait@example.com", "x".into());
        ctx.store.create_user(&user).await.expect("user");
        let id = new_id();
        let key = BlobKey::for_document(&user.id, &id).expect("key");
        let png = page_png();
        ctx.blobs.put(&key, byte_stream_from(png.clone()), 1 << 20).await.expect("put");
        let doc = Document::new(&id, &user.id, None, "p.png", "image/png", png.len() as u64, key.as_str());
        ctx.store.create_document(&doc).await.expect("document");
        ctx.enqueue(&doc).await.expect("enqueue");
        let pool = WorkerPool::start(Arc::clone(&ctx), 1, "t");
        (ctx, blobs, doc, pool)
    }

    fn settings(storage_wait: Duration) -> JobSettings {
        JobSettings {
            lease: Duration::from_secs(5),
            max_attempts: 2,
            poll: Duration::from_millis(20),
            retry_delay: Duration::from_millis(50),
            storage_wait,
            storage_retry_max: Duration::from_millis(400),
            shutdown_grace: Duration::from_secs(1),
            limits: Default::default(),
        }
    }

    async fn wait_status(ctx: &JobContext, doc: &Document, status: DocumentStatus, within: Duration) -> Document {
        let deadline = Instant::now() + within;
        loop {
            let d = ctx.store.get_document(&doc.user_id, &doc.id).await.expect("get");
            if d.status == status {
                return d;
            }
            assert!(Instant::now() < deadline, "not {status:?} after {within:?}: {d:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// File storage down for far longer than the counted retries last (50 ms, 100 ms): the document waits,
    /// `queued` with an error that says so, its attempts not used up; it completes by itself once storage is
    /// back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn storage_outage_waits_uncounted_then_completes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ctx, blobs, doc, pool) = queued_while_down(dir.path(), settings(Duration::from_secs(600))).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let d = ctx.store.get_document(&doc.user_id, &doc.id).await.expect("get");
        assert!(matches!(d.status, DocumentStatus::Queued | DocumentStatus::Processing), "{d:?}");
        let error = d.error.clone().unwrap_or_default();
        let expected = "waiting for file storage: the uploaded file could not be read: file storage is not answering";
        assert!(error.starts_with(expected), "{d:?}");
        assert!(!error.contains("connection refused"), "{error}");
        let waits = ctx.metrics.jobs_finished.with_label_values(&["waiting"]).get();
        // 50, 50, 100, 200, 400, 400 ms apart: tries that double, up to the cap.
        assert!((4..=9).contains(&waits), "{waits} tries in 1.5 s");
        let jobs = ctx.store.count_jobs().await.expect("count");
        assert_eq!(jobs.failed, 0, "{jobs:?}");

        blobs.down.store(false, Ordering::SeqCst);
        let d = wait_status(&ctx, &doc, DocumentStatus::Completed, Duration::from_secs(5)).await;
        assert_eq!((d.attempts, d.error.as_deref()), (1, None), "{d:?}");
        assert_eq!(d.ocr_text.as_deref().map(|t| t.contains("नमस्ते")), Some(true), "{d:?}");
        pool.shutdown().await;
    }

    /// Past `storage_wait` the attempts count again, so storage that never comes back still ends in `failed`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn storage_wait_is_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ctx, _blobs, doc, pool) = queued_while_down(dir.path(), settings(Duration::from_millis(300))).await;
        let d = wait_status(&ctx, &doc, DocumentStatus::Failed, Duration::from_secs(5)).await;
        assert_eq!(d.attempts, 2, "{d:?}");
        assert_eq!(d.error.as_deref(), Some("the uploaded file could not be read: file storage is not answering"));
        assert!(ctx.metrics.jobs_finished.with_label_values(&["waiting"]).get() >= 2);
        pool.shutdown().await;
    }
}
