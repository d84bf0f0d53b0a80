//! Route handlers, one module per area of DESIGN.md's table.

pub mod auth;
pub mod chats;
pub mod documents;
pub mod ocr;
pub mod ops;

use crate::error::AppError;
use crate::store::StorageError;

/// Maps a storage error to the HTTP error: missing (or someone else's) records are `404`, taken values
/// `409`, a back end that is down or failing `503` (the client may retry), anything else `500`. The back end's
/// own words (addresses, driver and type names) go to the log, never to the client.
pub(crate) fn storage(e: StorageError) -> AppError {
    match e {
        StorageError::NotFound { what } => AppError::NotFound(what),
        StorageError::Conflict(m) => AppError::Conflict(m),
        StorageError::TooLarge { limit } => AppError::PayloadTooLarge { limit },
        StorageError::InvalidInput(m) => AppError::BadRequest(m),
        e @ StorageError::Backend { .. } => {
            tracing::warn!(error = %e, "storage back end failed");
            AppError::Unavailable(format!("{}; try again shortly", e.outage().unwrap_or("storage is not answering")))
        }
        other => AppError::internal(other),
    }
}
