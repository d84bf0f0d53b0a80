//! In-process signals: "a document changed" (for waiting requests and event streams) and "a job was
//! queued" (to wake idle workers at once).
//!
//! These only speed things up inside one process. Changes made by other processes (separate workers, other
//! servers) are seen by polling the store, so correctness never depends on them.

use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use crate::model::Document;
use crate::store::{StorageError, Store};

/// Fan-out of "document `id` changed" notices.
pub struct DocumentEvents {
    tx: broadcast::Sender<String>,
}

impl Default for DocumentEvents {
    fn default() -> Self {
        DocumentEvents { tx: broadcast::channel(1024).0 }
    }
}

impl DocumentEvents {
    /// Tells listeners that the document changed.
    pub fn publish(&self, document_id: &str) {
        // No listeners is the normal case; the send error only says so.
        let _ = self.tx.send(document_id.to_owned());
    }

    /// A receiver of every later notice.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }
}

/// Wakes idle workers of this process when a job is queued.
#[derive(Default)]
pub struct WorkSignal(Notify);

impl WorkSignal {
    /// A job was queued.
    pub fn notify(&self) {
        self.0.notify_waiters();
        self.0.notify_one();
    }

    /// Waits for [`WorkSignal::notify`].
    pub async fn notified(&self) {
        self.0.notified().await
    }
}

/// Waits until the document looks different from `seen` (status, pages done or update time), or `timeout`
/// passes; returns the document as it is then. Wakes on in-process notices and polls the store every
/// `poll` for changes made elsewhere.
pub async fn next_change(
    store: &dyn Store,
    events: &mut broadcast::Receiver<String>,
    user_id: &str,
    seen: &Document,
    poll: Duration,
    timeout: Duration,
) -> Result<Document, StorageError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return store.get_document(user_id, &seen.id).await;
        }
        let tick = poll.min(deadline - now);
        tokio::select! {
            msg = events.recv() => match msg {
                Ok(id) if id != seen.id => continue,
                _ => {}
            },
            _ = tokio::time::sleep(tick) => {}
        }
        let current = store.get_document(user_id, &seen.id).await?;
        if changed(seen, &current) {
            return Ok(current);
        }
    }
}

/// Whether a client watching the document should hear about the difference.
pub fn changed(a: &Document, b: &Document) -> bool {
    a.status != b.status || a.pages_done != b.pages_done || a.pages_total != b.pages_total || a.updated_at != b.updated_at
}
