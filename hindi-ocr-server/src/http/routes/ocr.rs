//! `POST /api/ocr/extract`: the stateless contract of the old Python backend (image in; `text`,
//! `confidence`, `processing_time` out). Nothing is stored. Lines share model batches with the OCR jobs.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::AppState;
use crate::http::dto::ExtractResult;
use crate::http::routes::documents::TextStyleParam;
use crate::http::upload::{ExtractForm, UserUpload};
use crate::jobs::recognize::{is_permanent, recognize_document};

/// `POST /api/ocr/extract` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtractQuery {
    /// How the text is written: `as-printed` (default) or `attached-danda`.
    #[serde(default, rename = "textStyle")]
    #[param(rename = "textStyle")]
    pub text_style: TextStyleParam,
}

/// Read the text of one image or PDF (multipart field `file`) without storing anything.
#[utoipa::path(post, path = "/api/ocr/extract", tag = "ocr", params(ExtractQuery),
    request_body(content = ExtractForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The text", body = ExtractResult),
        (status = 400, description = "Empty or corrupt file; a PDF's password missing (`pdf_password_required`) or wrong (`pdf_password_wrong`)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, description = "Busy reading other files (`busy`): retry after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn extract(
    State(state): State<AppState>,
    // Taken as a Result so that a bad query is answered after the upload has been read (see UserUpload).
    q: Result<Query<ExtractQuery>, QueryRejection>,
    UserUpload { upload, .. }: UserUpload,
) -> AppResult<Json<ExtractResult>> {
    let style =
        q.map_err(|_| AppError::BadRequest("textStyle must be as-printed or attached-danda".into()))?.0.text_style;
    let recognizer = Arc::clone(&state.jobs.recognizer);
    let started = Instant::now();
    let (bytes, password, limits) = (upload.bytes, upload.pdf_password, state.jobs.settings.limits);
    // The upload check's slot, held until the text is read.
    let _slot = upload.slot;
    let doc = tokio::task::spawn_blocking(move || {
        recognize_document(&bytes, password, limits, recognizer.as_ref(), &mut |_, _| {})
    })
    .await?
    .map_err(|e| if is_permanent(&e) { AppError::BadRequest(e.to_string()) } else { AppError::internal(e) })?;
    let doc = doc.restyled(style.into());
    state.metrics().jobs_finished.with_label_values(&["extract"]).inc();
    Ok(Json(ExtractResult {
        text: doc.text,
        confidence: f64::from(doc.confidence),
        processing_time: started.elapsed().as_secs_f64(),
    }))
}
