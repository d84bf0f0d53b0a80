//! JSON shapes of requests and responses (camelCase, as the reference system used). Separate from the
//! stored records in [`crate::model`] so that internal fields (password hashes, blob keys, job leases) never
//! reach a client.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::model::{Chat, Document, Message, User};

/// A user as clients see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    /// User id.
    pub id: String,
    /// Normalised email.
    pub email: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView { id: u.id.clone(), email: u.email.clone(), created_at: rfc3339(&u.created_at) }
    }
}

/// Signup and login body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    /// Email address (trimmed and lowercased): one `@`, a dot in the domain, no spaces or control characters,
    /// at most 254 characters.
    #[schema(max_length = 254, pattern = r"^\s*[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*\s*$")]
    pub email: String,
    /// Password, 8 to 256 characters, not only spaces (at signup; a login with another one is a `401`).
    #[schema(min_length = 8, max_length = 256, pattern = r"\S")]
    pub password: String,
}


/// Signup and login answer. The token is also set as the HttpOnly session cookie.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// The signed-in user.
    pub user: UserView,
    /// The session token (JWT, HS256), for `Authorization: Bearer`.
    pub token: String,
}

/// `GET /api/auth/me` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    /// The signed-in user.
    pub user: UserView,
}

/// A chat.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatView {
    /// Chat id.
    pub id: String,
    /// Title.
    pub title: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; bumped by renames and new messages.
    pub updated_at: String,
}

impl From<&Chat> for ChatView {
    fn from(c: &Chat) -> Self {
        ChatView {
            id: c.id.clone(),
            title: c.title.clone(),
            created_at: rfc3339(&c.created_at),
            updated_at: rfc3339(&c.updated_at),
        }
    }
}

/// `POST /api/chats` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewChat {
    /// Title, 1 to 200 characters (default "New chat"). Control characters become spaces, bidirectional
    /// controls are dropped, and it is trimmed: something else must be left.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")]
    pub title: Option<String>,
}

/// `PATCH /api/chats/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameChat {
    /// The new title, 1 to 200 characters, cleaned as at creation.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")]
    pub title: String,
}

/// A page of chats, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChatList {
    /// The chats.
    pub chats: Vec<ChatView>,
    /// Offset of this page.
    pub offset: u64,
    /// Page size asked for.
    pub limit: u32,
}

/// A chat message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Message id.
    pub id: String,
    /// Chat id.
    pub chat_id: String,
    /// `user` or `system` (the OCR text of a completed document).
    pub role: String,
    /// The text.
    pub content: String,
    /// The document a system message is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        MessageView {
            id: m.id.clone(),
            chat_id: m.chat_id.clone(),
            role: m.role.as_str().to_owned(),
            content: m.text.clone(),
            document_id: m.document_id.clone(),
            created_at: rfc3339(&m.created_at),
        }
    }
}

/// `POST /api/chats/{id}/messages` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    /// The text, 1 to 20,000 characters. Control characters other than newlines and tabs and bidirectional
    /// controls are dropped, and it is trimmed: something else must be left.
    #[schema(min_length = 1, max_length = 20000, pattern = r"[^\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")]
    pub content: String,
}

/// A page of messages, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageList {
    /// The messages.
    pub messages: Vec<MessageView>,
}

/// A document and its OCR state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    /// Document id (also as `documentId`, the reference system's name).
    pub id: String,
    /// Same as `id`.
    pub document_id: String,
    /// The chat it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// The uploaded file's name (display only).
    pub file_name: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// `uploaded`, `queued`, `processing`, `completed` or `failed`.
    pub status: String,
    /// Why OCR failed, or the last error of a retried attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The recognised text (when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr_text: Option<String>,
    /// Mean confidence 0..1 (when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<f64>,
    /// OCR time in milliseconds (when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_time: Option<u64>,
    /// Pages recognised so far.
    pub pages_done: u32,
    /// Pages in the document (known once OCR started).
    pub pages_total: u32,
    /// OCR attempts so far.
    pub attempts: u32,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Document> for DocumentView {
    fn from(d: &Document) -> Self {
        DocumentView {
            id: d.id.clone(),
            document_id: d.id.clone(),
            chat_id: d.chat_id.clone(),
            file_name: d.file_name.clone(),
            content_type: d.content_type.clone(),
            size: d.size,
            status: d.status.as_str().to_owned(),
            error: d.error.clone(),
            ocr_text: d.ocr_text.clone(),
            ocr_confidence: d.ocr_confidence,
            processing_time: d.processing_time_ms,
            pages_done: d.pages_done,
            pages_total: d.pages_total,
            attempts: d.attempts,
            created_at: rfc3339(&d.created_at),
            updated_at: rfc3339(&d.updated_at),
        }
    }
}

/// A page of documents, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentList {
    /// The documents.
    pub documents: Vec<DocumentView>,
    /// Offset of this page.
    pub offset: u64,
    /// Page size asked for.
    pub limit: u32,
}

/// `POST /api/documents/ocr` answer when OCR finished within the wait.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OcrDone {
    /// The document.
    pub document_id: String,
    /// `completed`.
    pub status: String,
    /// The recognised text.
    pub text: String,
    /// Mean confidence 0..1.
    pub confidence: f64,
    /// OCR time in milliseconds.
    pub processing_time: u64,
}

/// `POST /api/documents/ocr` answer when OCR is still running (`202`), or failed (`200`, status `failed`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OcrPending {
    /// The document: poll `GET /api/documents/{id}` or follow `GET /api/documents/{id}/events`.
    pub document_id: String,
    /// `queued`, `processing` or `failed`.
    pub status: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/ocr/extract` answer: the old Python backend's contract (snake_case on purpose).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtractResult {
    /// The recognised text.
    pub text: String,
    /// Mean confidence 0..1.
    pub confidence: f64,
    /// Seconds spent.
    pub processing_time: f64,
}

/// One event of `GET /api/documents/{id}/events` (event name `status`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    /// The document.
    pub document_id: String,
    /// Its status.
    pub status: String,
    /// Pages done.
    pub pages_done: u32,
    /// Pages total.
    pub pages_total: u32,
    /// Failure reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Document> for StatusEvent {
    fn from(d: &Document) -> Self {
        StatusEvent {
            document_id: d.id.clone(),
            status: d.status.as_str().to_owned(),
            pages_done: d.pages_done,
            pages_total: d.pages_total,
            error: d.error.clone(),
        }
    }
}

/// `offset` / `limit` query of list routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Records to skip (default 0); more than 2^63 - 1 is a `400`.
    #[serde(default)]
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50); outside it is a `400`, never clamped.
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl PageQuery {
    /// As the store's pagination; `400` for an offset or limit out of range.
    pub fn pagination(&self) -> Result<crate::model::Pagination, crate::error::AppError> {
        use crate::error::AppError;
        use crate::model::Pagination;
        let offset = self.offset.unwrap_or(0);
        if offset > i64::MAX as u64 {
            return Err(AppError::BadRequest(format!("offset must be at most {}", i64::MAX)));
        }
        let limit = self.limit.unwrap_or(50);
        if !(1..=Pagination::MAX_LIMIT).contains(&limit) {
            return Err(AppError::BadRequest(format!("limit must be 1 to {}", Pagination::MAX_LIMIT)));
        }
        Ok(Pagination::new(offset, limit))
    }
}

/// `GET /health` and `GET /ready` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// `ok` or `unavailable`.
    pub status: String,
    /// Individual checks (for `/ready`): name -> `ok` or the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<std::collections::BTreeMap<String, String>>,
}

fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
