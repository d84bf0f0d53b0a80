//! `POST /api/ocr/extract`: the stateless contract of the old Python backend (image in; `text`,
//! `confidence`, `processing_time` out). Nothing is stored. Lines share model batches with the OCR jobs.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::AppState;
use crate::http::dto::ExtractResult;
use crate::http::upload::UserUpload;
use crate::jobs::recognize::{is_permanent, recognize_document};

/// Read the text of one image or PDF (multipart field `file`) without storing anything.
#[utoipa::path(post, path = "/api/ocr/extract", tag = "ocr",
    request_body(content_type = "multipart/form-data", description = "`file`: PNG, JPEG, TIFF, WebP, BMP or PDF; `password`: a password-protected PDF's password"),
    responses(
        (status = 200, description = "The text", body = ExtractResult),
        (status = 400, description = "Empty or corrupt file; a PDF's password missing (`pdf_password_required`) or wrong (`pdf_password_wrong`)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ))]
pub async fn extract(
    State(state): State<AppState>,
    UserUpload { upload, .. }: UserUpload,
) -> AppResult<Json<ExtractResult>> {
    let recognizer = Arc::clone(&state.jobs.recognizer);
    let started = Instant::now();
    let (bytes, password) = (upload.bytes, upload.pdf_password);
    let doc = tokio::task::spawn_blocking(move || recognize_document(&bytes, password, recognizer.as_ref(), &mut |_, _| {}))
        .await?
        .map_err(|e| if is_permanent(&e) { AppError::BadRequest(e.to_string()) } else { AppError::internal(e) })?;
    state.metrics().jobs_finished.with_label_values(&["extract"]).inc();
    Ok(Json(ExtractResult {
        text: doc.text,
        confidence: f64::from(doc.confidence),
        processing_time: started.elapsed().as_secs_f64(),
    }))
}
