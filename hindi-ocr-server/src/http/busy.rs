//! A bound on the decoding and synchronous recognition in flight in one server process.
//!
//! Checking an upload decodes it (a PDF page is rendered, a large image inflated to its pixels) and
//! `POST /api/ocr/extract` recognises it on the spot: each holds a file's pixels in memory and keeps a core
//! busy. Without a bound a burst of uploads runs them all at once. [`DecodeSlots`] lets at most `limit` run;
//! a request that finds no slot free within a short wait gets `503` with `Retry-After` rather than queueing
//! without end (queued OCR jobs are bounded by their workers, not here).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// The slots of one process.
#[derive(Debug)]
pub struct DecodeSlots {
    semaphore: Arc<Semaphore>,
    limit: usize,
    wait: Duration,
}

/// A slot held: the work it guards runs while this lives.
#[derive(Debug)]
pub struct DecodeSlot {
    _permit: OwnedSemaphorePermit,
}

impl DecodeSlots {
    /// `limit` slots (0: the machine's cores); a request waits at most `wait` for one.
    pub fn new(limit: usize, wait: Duration) -> Self {
        let limit = if limit == 0 { default_limit() } else { limit };
        DecodeSlots { semaphore: Arc::new(Semaphore::new(limit)), limit, wait }
    }

    /// The bound.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Slots taken now.
    pub fn in_flight(&self) -> usize {
        self.limit.saturating_sub(self.semaphore.available_permits())
    }

    /// A slot, or [`AppError::Busy`] when none is free within the wait.
    pub async fn acquire(&self) -> Result<DecodeSlot, AppError> {
        match tokio::time::timeout(self.wait, Arc::clone(&self.semaphore).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(DecodeSlot { _permit: permit }),
            // The semaphore is never closed; treat it as busy all the same.
            Ok(Err(_)) | Err(_) => Err(AppError::Busy { retry_after_secs: RETRY_AFTER_SECS }),
        }
    }
}

/// What `Retry-After` says: a file takes about a second to check or read.
const RETRY_AFTER_SECS: u64 = 2;

/// The machine's cores (1 when unknown).
pub fn default_limit() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
