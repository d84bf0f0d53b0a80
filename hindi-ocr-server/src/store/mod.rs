//! The `Store`: users, chats, messages, documents and OCR jobs, behind one object-safe async trait with two
//! implementations, [`embedded::EmbeddedStore`] (SQLite, one file, the default) and [`mongo::MongoStore`]
//! (MongoDB or FerretDB). Both pass the same conformance suite (`tests/store_conformance.rs`).
//!
//! Rules every implementation keeps:
//! - every read and write of a chat, message or document takes the owner's user id; another user's record
//!   behaves exactly like a missing one ([`StorageError::NotFound`]);
//! - no multi-record transactions (MongoDB deployments may not have them): each method is one atomic
//!   single-record update, or a sequence of idempotent steps that a retry finishes (e.g. chat deletion removes
//!   the children first and the chat last);
//! - job claims are atomic: one job goes to exactly one worker, and a job whose lease expired can be claimed
//!   again.

pub mod embedded;
pub mod limited;
pub mod mongo;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{Chat, Document, DocumentUpdate, Job, JobCounts, Message, Pagination, User};

/// Errors of the storage layer: the [`Store`] and the [`BlobStore`](crate::blob::BlobStore).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such record, or it belongs to another user.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for: `"user"`, `"chat"`, `"document"`, `"job"`, `"blob"`.
        what: &'static str,
    },
    /// A unique value is taken (e.g. the email of an existing user).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The job is not `running` under this worker's lease any more (it expired and was claimed again, or the
    /// job finished): the caller must stop working on it and write nothing more.
    #[error("job {job_id}: lease not held by this worker")]
    LeaseLost {
        /// The job.
        job_id: String,
    },
    /// A blob was larger than the allowed size; nothing was stored.
    #[error("blob larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A value the caller passed is not acceptable (e.g. a blob key with odd characters).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A database or blob URL / setting is wrong.
    #[error("storage configuration: {0}")]
    Config(String),
    /// The back end failed or could not be reached (network, disk, server error).
    #[error("{backend} error: {message}")]
    Backend {
        /// `"sqlite"`, `"mongodb"`, `"local-blobs"`, `"s3"`.
        backend: &'static str,
        /// What it said.
        message: String,
    },
    /// A stored record could not be read back (written by something else, or damaged).
    #[error("corrupt {what} record: {message}")]
    Corrupt {
        /// The kind of record.
        what: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl StorageError {
    /// `NotFound { what }`.
    pub fn not_found(what: &'static str) -> Self {
        StorageError::NotFound { what }
    }

    /// For a back end that failed or could not be reached, what a user may be told: which kind of storage
    /// is not answering, never its address or its own words (those are for the log). `None` for other errors.
    pub fn outage(&self) -> Option<&'static str> {
        match self {
            StorageError::Backend { backend: "s3" | "local-blobs", .. } => Some("file storage is not answering"),
            StorageError::Backend { .. } => Some("the database is not answering"),
            _ => None,
        }
    }

    /// `Backend { backend, message }` from any displayable error.
    pub fn backend(backend: &'static str, err: impl std::fmt::Display) -> Self {
        StorageError::Backend { backend, message: err.to_string() }
    }
}

/// Result of storage calls.
pub type StorageResult<T> = Result<T, StorageError>;

/// What deleting a chat removed: the blob keys of its documents are for the caller to delete from the
/// [`BlobStore`](crate::blob::BlobStore) (the store does not know the blob store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedChat {
    /// Ids of the documents that were in the chat.
    pub document_ids: Vec<String>,
    /// Their blob keys.
    pub blob_keys: Vec<String>,
}

/// Users, chats, messages, documents and jobs. Object-safe: use it as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which back end this is: `"embedded"` or `"mongodb"` (for logs and `/ready`).
    fn kind(&self) -> &'static str;

    /// Succeeds when the back end answers (for `/ready`).
    async fn ping(&self) -> StorageResult<()>;

    // ---- users ----

    /// Stores a new user. The email must already be normalised ([`User::new`] does it);
    /// a taken email is [`StorageError::Conflict`].
    async fn create_user(&self, user: &User) -> StorageResult<()>;
    /// The user with this id.
    async fn get_user(&self, id: &str) -> StorageResult<User>;
    /// The user with this email (normalised before the lookup).
    async fn get_user_by_email(&self, email: &str) -> StorageResult<User>;

    // ---- sessions ----

    /// Ends a session: its token id is refused from now on. `expires_at` is when the token expires anyway;
    /// entries past it may be forgotten. Revoking twice is not an error.
    async fn revoke_session(&self, token_id: &str, expires_at: DateTime<Utc>) -> StorageResult<()>;
    /// Whether the session with this token id was ended.
    async fn is_session_revoked(&self, token_id: &str) -> StorageResult<bool>;

    // ---- chats ----

    /// Stores a new chat.
    async fn create_chat(&self, chat: &Chat) -> StorageResult<()>;
    /// The user's chats, newest (`createdAt`) first.
    async fn list_chats(&self, user_id: &str, page: Pagination) -> StorageResult<Vec<Chat>>;
    /// One of the user's chats.
    async fn get_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<Chat>;
    /// Sets the title (and `updatedAt`); returns the chat as it is now.
    async fn rename_chat(&self, user_id: &str, chat_id: &str, title: &str) -> StorageResult<Chat>;
    /// Deletes the chat with its messages, documents and their jobs. Returns the blob keys to delete.
    /// Children go first and the chat last, so an interrupted delete is finished by calling it again.
    async fn delete_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<DeletedChat>;

    // ---- messages ----

    /// Adds a message to a chat of `message.user_id` (NotFound if the chat is not theirs) and bumps the
    /// chat's `updatedAt`.
    async fn add_message(&self, message: &Message) -> StorageResult<()>;
    /// The chat's messages, oldest first.
    async fn list_messages(&self, user_id: &str, chat_id: &str, page: Pagination) -> StorageResult<Vec<Message>>;

    // ---- documents ----

    /// Stores a new document. If it names a chat, the chat must be the user's (else NotFound).
    async fn create_document(&self, document: &Document) -> StorageResult<()>;
    /// One of the user's documents.
    async fn get_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document>;
    /// The user's documents, newest first; only those of `chat_id` when given.
    async fn list_documents(
        &self,
        user_id: &str,
        chat_id: Option<&str>,
        page: Pagination,
    ) -> StorageResult<Vec<Document>>;
    /// Applies `update` atomically; returns the document as it is now.
    async fn update_document(
        &self,
        user_id: &str,
        document_id: &str,
        update: &DocumentUpdate,
    ) -> StorageResult<Document>;
    /// Deletes the document and its jobs; returns what was deleted (its `blobKey` is for the caller to delete).
    async fn delete_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document>;

    // ---- jobs ----

    /// Stores a new job (normally `Job::new`, state `queued`).
    async fn enqueue_job(&self, job: &Job) -> StorageResult<()>;
    /// One job by id (any user: jobs are internal).
    async fn get_job(&self, job_id: &str) -> StorageResult<Job>;
    /// Atomically takes one claimable job for `worker_id`: a `queued` job whose `runAfter <= now`, or a
    /// `running` job whose lease expired (`leaseExpiresAt <= now`) and that has attempts left. Oldest
    /// `runAfter` first. The job becomes `running`, owned by `worker_id` until `now + lease`, with
    /// `attempts + 1`. `None` when nothing is claimable.
    async fn claim_job(&self, worker_id: &str, lease: Duration, now: DateTime<Utc>) -> StorageResult<Option<Job>>;
    /// Extends the lease to `now + lease`. [`StorageError::LeaseLost`] unless the job is `running` under
    /// `worker_id`.
    async fn renew_lease(&self, job_id: &str, worker_id: &str, lease: Duration, now: DateTime<Utc>)
    -> StorageResult<Job>;
    /// Marks the job `done`. LeaseLost unless it is `running` under `worker_id`.
    async fn complete_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job>;
    /// Records a failure. With `retry_after: Some(delay)` and attempts left (`attempts < maxAttempts`), the
    /// job goes back to `queued`, claimable from `now + delay`; otherwise (no attempts left, or
    /// `retry_after: None` for errors a retry cannot fix) it ends `failed`. `lastError` is set either way;
    /// the returned job's `state` says which happened. LeaseLost unless `running` under `worker_id`.
    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job>;
    /// Gives a running job back (graceful shutdown): `queued`, claimable at once, and the attempt is not
    /// counted. LeaseLost unless `running` under `worker_id`.
    async fn release_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job>;
    /// Puts a running job back because what it needed was unreachable (its storage is down: not the job's
    /// fault): `queued`, claimable from `now + delay`, and its attempt is not counted (as [`release_job`]).
    /// `lastError` is set to `error` and `waitingSince` to `waiting_since`. LeaseLost unless `running` under
    /// `worker_id`.
    ///
    /// [`release_job`]: Store::release_job
    async fn defer_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        delay: Duration,
        waiting_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job>;
    /// Ends, as `failed`, every `running` job whose lease expired with no attempts left (its workers kept
    /// dying); returns them so the caller can mark their documents failed. Claims never pick these up.
    async fn fail_expired_jobs(&self, now: DateTime<Utc>) -> StorageResult<Vec<Job>>;
    /// How many jobs are in each state.
    async fn count_jobs(&self) -> StorageResult<JobCounts>;
}

/// Which store a database URL selects (see [`open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `mongodb://` or `mongodb+srv://`: MongoDB (or FerretDB). The database is the URL's path
    /// (`mongodb://host/dbname`), else the default name passed to [`open`].
    Mongo {
        /// The connection string.
        url: String,
        /// The database used when the URL names none.
        default_database: String,
    },
    /// `sqlite:PATH`, `sqlite://PATH`, `file:PATH` or a plain path: the embedded store in that file.
    Embedded(std::path::PathBuf),
}

/// The embedded database file name inside the data directory.
pub const EMBEDDED_FILE_NAME: &str = "hindi-ocr.db";

impl StoreLocation {
    /// Reads a database URL; `None` means the embedded store at `data_dir/hindi-ocr.db`.
    pub fn parse(url: Option<&str>, data_dir: &Path, default_database: &str) -> StorageResult<Self> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(StoreLocation::Embedded(data_dir.join(EMBEDDED_FILE_NAME)));
        };
        if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
            return Ok(StoreLocation::Mongo { url: url.to_owned(), default_database: default_database.to_owned() });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .or_else(|| url.strip_prefix("file://"))
            .or_else(|| url.strip_prefix("file:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StorageError::Config(format!(
                "database URL {url:?}: expected mongodb://..., sqlite:PATH or a file path"
            )));
        }
        Ok(StoreLocation::Embedded(path.into()))
    }
}

/// The MongoDB database used when neither the URL nor the configuration names one.
pub const DEFAULT_DATABASE: &str = "hindi_ocr";

/// How long one MongoDB operation may take by default (see [`limited::TimeLimited`]).
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the store a database URL names (see [`StoreLocation::parse`]), creating the file, tables,
/// collections and indexes it needs. `default_database` is the MongoDB database when the URL names none.
/// Each MongoDB call fails after `operation_timeout` ([`limited::TimeLimited`]), and so does connecting
/// (with creating the indexes) after `operation_timeout`, at least 30 s. The embedded store has no such limit
/// (a local file; SQLite waits up to 30 s for a lock another process holds).
pub async fn open(
    url: Option<&str>,
    data_dir: &Path,
    default_database: &str,
    operation_timeout: Duration,
) -> StorageResult<Arc<dyn Store>> {
    match StoreLocation::parse(url, data_dir, default_database)? {
        StoreLocation::Mongo { url, default_database } => {
            let limit = operation_timeout.max(Duration::from_millis(1));
            let connect = mongo::MongoStore::connect(&url, &default_database);
            let store = tokio::time::timeout(limit.max(Duration::from_secs(30)), connect).await.map_err(|_| {
                StorageError::backend("mongodb", "no answer while connecting and creating indexes")
            })??;
            Ok(Arc::new(limited::TimeLimited::new(Arc::new(store), limit, "mongodb")))
        }
        StoreLocation::Embedded(path) => Ok(Arc::new(embedded::EmbeddedStore::open(&path).await?)),
    }
}

/// Converts a lease/backoff duration to chrono's, saturating (a silly duration must not panic).
pub(crate) fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// `now + d`, saturating at the largest time.
pub(crate) fn add_duration(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now.checked_add_signed(chrono_duration(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
