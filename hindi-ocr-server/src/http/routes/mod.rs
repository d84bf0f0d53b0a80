//! Route handlers, one module per area of DESIGN.md's table.

pub mod auth;
pub mod chats;
pub mod documents;
pub mod ocr;
pub mod ops;

use crate::error::AppError;
use crate::store::StorageError;

/// Maps a storage error to the HTTP error: missing (or someone else's) records are `404`, taken values
/// `409`, everything else `500`.
pub(crate) fn storage(e: StorageError) -> AppError {
    match e {
        StorageError::NotFound { what } => AppError::NotFound(what),
        StorageError::Conflict(m) => AppError::Conflict(m),
        StorageError::TooLarge { limit } => AppError::PayloadTooLarge { limit },
        StorageError::InvalidInput(m) => AppError::BadRequest(m),
        other => AppError::internal(other),
    }
}
