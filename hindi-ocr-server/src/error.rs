//! The service's one error type, [`AppError`], and its HTTP mapping.
//!
//! Every handler returns `Result<_, AppError>`. The status mapping is deliberate: client mistakes get the
//! 4xx code that says what to fix; anything else is a `500` whose details go to the log, never to the client.
//! The body is always JSON: `{"error": {"code": "not_found", "message": "document not found"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: bad JSON, a missing field, an empty or undecodable file.
    #[error("{0}")]
    BadRequest(String),
    /// No valid session (missing, expired or forged token).
    #[error("authentication required")]
    Unauthorized,
    /// Login failed. Deliberately the same message for an unknown email and a wrong password.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// A cookie-authenticated state-changing request without the CSRF header.
    #[error("missing or wrong X-CSRF-Token header")]
    CsrfRejected,
    /// The thing does not exist, or belongs to someone else (never distinguished: no probing).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken (an email at signup).
    #[error("{0}")]
    Conflict(String),
    /// The upload is larger than the configured limit.
    #[error("upload too large: the limit is {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The upload is not an image or PDF type the engine reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// A password-protected PDF sent without its password, or (`wrong`) with one that does not open it.
    #[error("{}", if *wrong { "the password given does not open this PDF" } else { "this PDF is password-protected: send its password in the `password` field" })]
    PdfPassword {
        /// A password was given, and it is wrong.
        wrong: bool,
    },
    /// Every decode slot is taken (see `http::busy`): the client retries after this many seconds.
    #[error("the server is busy reading other files; try again in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait before retrying.
        retry_after_secs: u64,
    },
    /// The service cannot serve this now (model not loaded, store down).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A server-side failure; the message is logged, the client sees a generic one.
    #[error("internal error: {0}")]
    Internal(String),
    /// An error the HTTP layer answered itself (a method the route does not have, a request timeout, a
    /// body over the JSON limit, a rejection by axum's own extractors), with its status kept.
    #[error("{message}")]
    Http {
        /// The status axum chose.
        status: StatusCode,
        /// What went wrong.
        message: String,
    },
}

impl AppError {
    /// Wraps any server-side error as [`AppError::Internal`].
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::PdfPassword { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Http { status, .. } => *status,
        }
    }

    /// The machine-readable code in the body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::PdfPassword { wrong: false } => "pdf_password_required",
            AppError::PdfPassword { wrong: true } => "pdf_password_wrong",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::CsrfRejected => "csrf",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Busy { .. } => "busy",
            AppError::Internal(_) => "internal",
            AppError::Http { status, .. } => match *status {
                StatusCode::BAD_REQUEST => "bad_request",
                StatusCode::UNAUTHORIZED => "unauthorized",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::REQUEST_TIMEOUT => "timeout",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
                s if s.is_server_error() => "internal",
                _ => "bad_request",
            },
        }
    }

    /// An error response of the HTTP layer (status and plain-text body) as an `AppError`; an empty or long
    /// body gives the status's own words.
    pub fn from_http(status: StatusCode, text: &str) -> Self {
        let text = text.trim();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "request body too large".to_owned()
        } else if text.is_empty() || text.len() > 300 || text.contains('\n') {
            status.canonical_reason().unwrap_or("error").to_lowercase()
        } else {
            text.to_owned()
        };
        if status.is_server_error() {
            return AppError::Internal(message);
        }
        AppError::Http { status, message }
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `bad_request`, `pdf_password_required`, `pdf_password_wrong`, `unauthorized`, `invalid_credentials`, `csrf`, `not_found`,
    /// `method_not_allowed`, `timeout`, `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `unprocessable`, `too_many_requests`, `busy`, `unavailable`, `internal`.
    pub code: String,
    /// For people.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "internal error".to_owned()
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "unavailable");
                self.to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code().to_owned(), message } };
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::TooManyRequests { retry_after_secs } | AppError::Busy { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::from_http(e.status(), "");
        }
        AppError::BadRequest(json_message(&e.body_text()))
    }
}

/// A JSON rejection in the client's terms: one `bad JSON body: ` prefix, and serde's names of our Rust types
/// (`expected struct Credentials`) said as JSON (`expected a JSON object`).
pub fn json_message(text: &str) -> String {
    let detail = ["Failed to deserialize the JSON body into the target type: ", "Failed to parse the request body as JSON: "]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(i) = rest.find("expected struct ") {
        out.push_str(&rest[..i]);
        out.push_str("expected a JSON object");
        let after = &rest[i + "expected struct ".len()..];
        rest = &after[after.find(|c: char| !c.is_alphanumeric() && c != '_').unwrap_or(after.len())..];
    }
    out.push_str(rest);
    format!("bad JSON body: {out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_messages_speak_json_not_rust() {
        assert_eq!(
            json_message("Failed to deserialize the JSON body into the target type: invalid type: sequence, expected struct Credentials at line 1 column 1"),
            "bad JSON body: invalid type: sequence, expected a JSON object at line 1 column 1"
        );
        assert_eq!(
            json_message("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2"),
            "bad JSON body: missing field `email` at line 1 column 2"
        );
        assert_eq!(json_message("Failed to parse the request body as JSON: EOF"), "bad JSON body: EOF");
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest(e.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        AppError::BadRequest(e.body_text())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("background task failed: {e}"))
    }
}

/// `Result` with [`AppError`].
pub type AppResult<T> = Result<T, AppError>;
