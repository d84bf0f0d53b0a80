//! Domain types kept by the [`Store`](crate::store::Store): users, chats, messages, documents and OCR jobs.
//!
//! Conventions shared by every back end:
//! - ids are UUIDv7 strings made by the server ([`new_id`]): random enough not to be guessed, and time-ordered,
//!   so records created within the same millisecond still sort in creation order;
//! - times are UTC [`DateTime<Utc>`] with millisecond precision ([`now`]), serialised as RFC 3339 strings in
//!   JSON (`"2026-11-28T17:00:00.123Z"`) and as native dates in MongoDB;
//! - JSON field names are camelCase, as in the reference system (`documentId`, `ocrText`, `createdAt`, ...).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A new record id: a UUIDv7 string (time-ordered, 74 random bits).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The current time, truncated to whole milliseconds so that it round-trips exactly through every store.
pub fn now() -> DateTime<Utc> {
    truncate_millis(Utc::now())
}

/// `t` truncated to whole milliseconds (the precision every store keeps).
pub fn truncate_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Normalises an email address for storage and lookup: NFKC (a fullwidth `ａ` is `a`, so look-alike
/// addresses are one account), trimmed and lowercased.
pub fn normalize_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    email.nfkc().collect::<String>().trim().to_lowercase()
}

/// An account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    /// Normalised ([`normalize_email`]) and unique across users.
    pub email: String,
    /// The argon2id PHC string; never sent to clients.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// A new user with a fresh id; `email` is normalised here.
    pub fn new(email: &str, password_hash: String) -> Self {
        User { id: new_id(), email: normalize_email(email), password_hash, created_at: now() }
    }
}

/// A conversation owned by one user; it holds messages and documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// Bumped by a rename and by every new message.
    pub updated_at: DateTime<Utc>,
}

impl Chat {
    /// A new chat with a fresh id.
    pub fn new(user_id: &str, title: &str) -> Self {
        let t = now();
        Chat { id: new_id(), user_id: user_id.to_owned(), title: title.to_owned(), created_at: t, updated_at: t }
    }
}

/// Who wrote a message: the user, or the system (e.g. the OCR text of a completed document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    System,
}

impl Role {
    /// The stored/JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::System => "system",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "system" => Some(Role::System),
            _ => None,
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub chat_id: String,
    pub user_id: String,
    pub role: Role,
    pub text: String,
    /// The document this message is about (the OCR result message of a completed document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// A new message with a fresh id.
    pub fn new(chat_id: &str, user_id: &str, role: Role, text: &str, document_id: Option<&str>) -> Self {
        Message {
            id: new_id(),
            chat_id: chat_id.to_owned(),
            user_id: user_id.to_owned(),
            role,
            text: text.to_owned(),
            document_id: document_id.map(str::to_owned),
            created_at: now(),
        }
    }
}

/// Where a document is in its life: `uploaded -> queued -> processing -> completed | failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    Uploaded,
    Queued,
    Processing,
    Completed,
    Failed,
}

impl DocumentStatus {
    /// Every status, in life order.
    pub const ALL: [DocumentStatus; 5] = [
        DocumentStatus::Uploaded,
        DocumentStatus::Queued,
        DocumentStatus::Processing,
        DocumentStatus::Completed,
        DocumentStatus::Failed,
    ];

    /// The stored/JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Uploaded => "uploaded",
            DocumentStatus::Queued => "queued",
            DocumentStatus::Processing => "processing",
            DocumentStatus::Completed => "completed",
            DocumentStatus::Failed => "failed",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// `completed` or `failed`: nothing more will happen without a new request.
    pub fn is_final(self) -> bool {
        matches!(self, DocumentStatus::Completed | DocumentStatus::Failed)
    }
}

/// An uploaded file and its OCR result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// The client's file name, for display only (never part of a blob key).
    pub file_name: String,
    /// Sniffed from the bytes, never taken from the client.
    pub content_type: String,
    /// Size of the stored file in bytes.
    pub size: u64,
    /// Where the file lies in the blob store (see [`crate::blob::BlobKey`]).
    pub blob_key: String,
    pub status: DocumentStatus,
    /// Why OCR failed (status `failed`), the last retryable error, or (status `completed`) which pages of the
    /// document could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_text: Option<String>,
    /// Mean line confidence, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<f64>,
    /// The core engine's `Document` as JSON (pages, lines, words, boxes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_time_ms: Option<u64>,
    pub pages_done: u32,
    pub pages_total: u32,
    /// OCR attempts made so far.
    pub attempts: u32,
    /// The password of a password-protected PDF, sealed ([`crate::jobs::sealed`]); never sent to clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_password: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Document {
    /// A new document in status `uploaded`. `id` is passed in because the blob key is derived from it before
    /// the record is written (make it with [`new_id`]).
    pub fn new(
        id: &str,
        user_id: &str,
        chat_id: Option<&str>,
        file_name: &str,
        content_type: &str,
        size: u64,
        blob_key: &str,
    ) -> Self {
        let t = now();
        Document {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            chat_id: chat_id.map(str::to_owned),
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
            size,
            blob_key: blob_key.to_owned(),
            status: DocumentStatus::Uploaded,
            error: None,
            ocr_text: None,
            ocr_confidence: None,
            ocr_result: None,
            processing_time_ms: None,
            pages_done: 0,
            pages_total: 0,
            attempts: 0,
            pdf_password: None,
            created_at: t,
            updated_at: t,
        }
    }
}

/// A partial update of a [`Document`]: each `Some` field is written, `None` fields are left as they are.
/// For the optional fields, `Some(None)` clears the value. `updatedAt` is always set to now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentUpdate {
    pub status: Option<DocumentStatus>,
    pub error: Option<Option<String>>,
    pub ocr_text: Option<Option<String>>,
    pub ocr_confidence: Option<Option<f64>>,
    pub ocr_result: Option<Option<serde_json::Value>>,
    pub processing_time_ms: Option<Option<u64>>,
    pub pages_done: Option<u32>,
    pub pages_total: Option<u32>,
    pub attempts: Option<u32>,
}

impl DocumentUpdate {
    /// Only the status.
    pub fn status(status: DocumentStatus) -> Self {
        DocumentUpdate { status: Some(status), ..Default::default() }
    }

    /// Status `failed` with its reason.
    pub fn failed(reason: &str) -> Self {
        DocumentUpdate {
            status: Some(DocumentStatus::Failed),
            error: Some(Some(reason.to_owned())),
            ..Default::default()
        }
    }

    /// Pages done out of pages total.
    pub fn progress(pages_done: u32, pages_total: u32) -> Self {
        DocumentUpdate { pages_done: Some(pages_done), pages_total: Some(pages_total), ..Default::default() }
    }

    /// Status `completed` with the result (clears any previous error).
    pub fn completed(text: String, confidence: f64, result: serde_json::Value, processing_time_ms: u64) -> Self {
        DocumentUpdate {
            status: Some(DocumentStatus::Completed),
            error: Some(None),
            ocr_text: Some(Some(text)),
            ocr_confidence: Some(Some(confidence)),
            ocr_result: Some(Some(result)),
            processing_time_ms: Some(Some(processing_time_ms)),
            ..Default::default()
        }
    }

    /// Writes this update into `doc` (what every store does; kept here so they agree).
    pub fn apply_to(&self, doc: &mut Document, updated_at: DateTime<Utc>) {
        if let Some(v) = self.status {
            doc.status = v;
        }
        if let Some(v) = &self.error {
            doc.error = v.clone();
        }
        if let Some(v) = &self.ocr_text {
            doc.ocr_text = v.clone();
        }
        if let Some(v) = self.ocr_confidence {
            doc.ocr_confidence = v;
        }
        if let Some(v) = &self.ocr_result {
            doc.ocr_result = v.clone();
        }
        if let Some(v) = self.processing_time_ms {
            doc.processing_time_ms = v;
        }
        if let Some(v) = self.pages_done {
            doc.pages_done = v;
        }
        if let Some(v) = self.pages_total {
            doc.pages_total = v;
        }
        if let Some(v) = self.attempts {
            doc.attempts = v;
        }
        doc.updated_at = updated_at;
    }
}

/// Where an OCR job is: `queued -> running -> done | failed`, and back to `queued` for a retry or a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 4] = [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed];

    /// The stored/JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One OCR run of one document, claimed by a worker under a lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: String,
    pub document_id: String,
    pub user_id: String,
    pub state: JobState,
    /// Claims so far (each claim counts one; a graceful release gives it back).
    pub attempts: u32,
    pub max_attempts: u32,
    /// The worker holding the lease while `running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Not claimable before this time (retry backoff).
    pub run_after: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When this job first found its storage unreachable ([`Store::defer_job`](crate::store::Store::defer_job));
    /// how long it keeps waiting for storage, uncounted, is measured from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// A new queued job, claimable at once.
    pub fn new(document_id: &str, user_id: &str, max_attempts: u32) -> Self {
        let t = now();
        Job {
            id: new_id(),
            document_id: document_id.to_owned(),
            user_id: user_id.to_owned(),
            state: JobState::Queued,
            attempts: 0,
            max_attempts: max_attempts.max(1),
            lease_owner: None,
            lease_expires_at: None,
            run_after: t,
            last_error: None,
            waiting_since: None,
            created_at: t,
            updated_at: t,
        }
    }
}

/// Number of jobs in each state (for `/metrics` and queue depth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
}

impl JobCounts {
    /// The count for one state.
    pub fn get(&self, state: JobState) -> u64 {
        match state {
            JobState::Queued => self.queued,
            JobState::Running => self.running,
            JobState::Done => self.done,
            JobState::Failed => self.failed,
        }
    }

    /// Adds `n` to the count of `state`.
    pub fn add(&mut self, state: JobState, n: u64) {
        match state {
            JobState::Queued => self.queued += n,
            JobState::Running => self.running += n,
            JobState::Done => self.done += n,
            JobState::Failed => self.failed += n,
        }
    }
}

/// A page of a list: skip `offset` records, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub offset: u64,
    pub limit: u32,
}

impl Pagination {
    /// The largest page a store returns.
    pub const MAX_LIMIT: u32 = 500;

    /// `limit` clamped to `1..=MAX_LIMIT`.
    pub fn new(offset: u64, limit: u32) -> Self {
        Pagination { offset, limit: limit.clamp(1, Self::MAX_LIMIT) }
    }
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination { offset: 0, limit: 50 }
    }
}
