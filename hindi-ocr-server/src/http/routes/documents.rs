//! Documents: upload (and OCR in one call), list, get, delete, the file, re-run, results in every export
//! format, and the Server-Sent Events stream of status changes.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::blob::{BlobKey, byte_stream_from};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::AppState;
use crate::http::auth::AuthUser;
use crate::http::dto::{DocumentList, DocumentView, OcrDone, OcrPending, PageQuery, StatusEvent};
use crate::http::routes::chats::{delete_blob, delete_file_first};
use crate::http::routes::storage;
use crate::http::upload::{Upload, UploadForm, UserUpload};
use crate::jobs::events::{changed, next_change};
use crate::model::{Document, DocumentStatus, new_id};
use crate::store::StorageError;
use hindi_ocr_core::{TextStyle, export};

/// Stores a checked upload and its document record, then queues OCR. Nothing is left behind on failure: the
/// file is stored first (a blob without a record is never seen), and when the record or its job cannot be
/// stored the steps done are undone as far as the back ends allow (a record that outlives a failed undo is
/// `uploaded` or `failed`, so `POST /api/documents/{id}/ocr` queues it).
async fn store_and_queue(state: &AppState, user: &AuthUser, upload: Upload) -> AppResult<Document> {
    let store = &state.jobs.store;
    if let Some(chat_id) = &upload.chat_id {
        store.get_chat(&user.id, chat_id).await.map_err(storage)?;
    }
    // The key is made of server ids only; the client's file name is kept for display.
    let id = new_id();
    let key = BlobKey::for_document(&user.id, &id).map_err(storage)?;
    let size = upload.bytes.len() as u64;
    state
        .jobs
        .blobs
        .put(&key, byte_stream_from(upload.bytes), state.settings.max_upload_bytes)
        .await
        .map_err(storage)?;
    let mut doc = Document::new(
        &id,
        &user.id,
        upload.chat_id.as_deref(),
        &upload.file_name,
        upload.content_type,
        size,
        key.as_str(),
    );
    doc.pdf_password = upload.pdf_password.as_ref().map(|pw| state.jobs.sealer.seal(&id, pw));
    if let Err(e) = store.create_document(&doc).await {
        delete_blob(state, key.as_str()).await;
        return Err(storage(e));
    }
    match state.jobs.enqueue(&doc).await {
        Ok(doc) => Ok(doc),
        Err(e) => {
            // The client is told the upload failed: it must not find the document later.
            if store.delete_document(&user.id, &doc.id).await.is_ok() {
                delete_blob(state, key.as_str()).await;
            }
            Err(storage(e))
        }
    }
}

/// Upload a file (multipart: `file`, optional `chatId`) and queue its OCR.
#[utoipa::path(post, path = "/api/documents", tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored and queued", body = DocumentView),
        (status = 400, description = "Empty or corrupt file, or no `file` field; a PDF's password missing (`pdf_password_required`) or wrong (`pdf_password_wrong`)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, description = "No such chat", body = ErrorBody),
        (status = 413, description = "Larger than the upload limit", body = ErrorBody),
        (status = 415, description = "Not a supported file type", body = ErrorBody),
        (status = 503, description = "Busy checking other uploads (`busy`; retry after `Retry-After` seconds), or storage unavailable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait (with `busy`)"))),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    UserUpload { user, upload }: UserUpload,
) -> AppResult<(StatusCode, Json<DocumentView>)> {
    let doc = store_and_queue(&state, &user, upload).await?;
    Ok((StatusCode::CREATED, Json(DocumentView::from(&doc))))
}

/// `?wait=` of `POST /api/documents/ocr`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for the result (default 30, at most the server's limit, 0 = answer at once).
    pub wait: Option<f64>,
}

/// Upload and OCR in one call: waits up to `wait` seconds for the text.
#[utoipa::path(post, path = "/api/documents/ocr", tag = "documents", params(WaitQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "OCR finished within the wait", body = OcrDone),
        (status = 404, description = "No such chat", body = ErrorBody),
        (status = 202, description = "Still running: poll the document or follow its events", body = OcrPending),
        (status = 422, description = "OCR failed (the reason is in `error`)", body = OcrPending),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 503, description = "Busy checking other uploads (`busy`; retry after `Retry-After` seconds), or storage unavailable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait (with `busy`)"))),
    ))]
pub async fn upload_and_wait(
    State(state): State<AppState>,
    // Taken as a Result so that a bad query is answered after the upload has been read (see UserUpload).
    q: Result<Query<WaitQuery>, QueryRejection>,
    UserUpload { user, upload }: UserUpload,
) -> AppResult<Response> {
    let bad_wait = || AppError::BadRequest("wait must be a number of seconds >= 0".into());
    let wait = match q.map_err(|_| bad_wait())?.0.wait {
        // Past what a Duration holds (1e20 s) is as good as forever: the server's limit.
        Some(w) if w.is_finite() && w >= 0.0 => {
            Duration::try_from_secs_f64(w).unwrap_or(Duration::MAX).min(state.settings.max_wait)
        }
        Some(_) => return Err(bad_wait()),
        None => state.settings.default_wait.min(state.settings.max_wait),
    };
    let mut events = state.jobs.events.subscribe();
    let mut doc = store_and_queue(&state, &user, upload).await?;
    let deadline = tokio::time::Instant::now() + wait;
    while !doc.status.is_final() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            break;
        }
        match next_change(state.jobs.store.as_ref(), &mut events, &user.id, &doc, state.settings.poll, left).await {
            Ok(d) => doc = d,
            Err(StorageError::NotFound { .. }) => return Err(AppError::NotFound("document")),
            // Stored and queued already: answer `202` with the last status seen; the client polls later.
            Err(e) => {
                tracing::warn!(error = %e, "waiting for OCR: reading the document failed");
                break;
            }
        }
    }
    Ok(ocr_answer(&doc))
}

fn ocr_answer(doc: &Document) -> Response {
    match doc.status {
        DocumentStatus::Completed => Json(OcrDone {
            document_id: doc.id.clone(),
            status: doc.status.as_str().to_owned(),
            text: doc.ocr_text.clone().unwrap_or_default(),
            confidence: doc.ocr_confidence.unwrap_or(0.0),
            processing_time: doc.processing_time_ms.unwrap_or(0),
        })
        .into_response(),
        status => {
            let code =
                if status == DocumentStatus::Failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::ACCEPTED };
            let body = OcrPending {
                document_id: doc.id.clone(),
                status: status.as_str().to_owned(),
                error: doc.error.clone(),
            };
            (code, Json(body)).into_response()
        }
    }
}

/// `GET /api/documents` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Only documents of this chat.
    pub chat_id: Option<String>,
    /// Records to skip (default 0); more than 2^63 - 1 is a `400`.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50); outside it is a `400`, never clamped.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The user's documents, newest first.
#[utoipa::path(get, path = "/api/documents", tag = "documents", params(ListQuery),
    responses((status = 200, body = DocumentList), (status = 400, description = "offset or limit out of range", body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<DocumentList>> {
    let page = PageQuery { offset: q.offset, limit: q.limit }.pagination()?;
    let chat_id = q.chat_id.as_deref().filter(|c| !c.is_empty());
    if let Some(chat_id) = chat_id {
        // Someone else's chat is a 404, not an empty list.
        state.jobs.store.get_chat(&user.id, chat_id).await.map_err(storage)?;
    }
    let docs = state.jobs.store.list_documents(&user.id, chat_id, page).await.map_err(storage)?;
    Ok(Json(DocumentList {
        documents: docs.iter().map(DocumentView::from).collect(),
        offset: page.offset,
        limit: page.limit,
    }))
}

/// One document with its status and text.
#[utoipa::path(get, path = "/api/documents/{id}", tag = "documents", params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<DocumentView>> {
    let doc = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    Ok(Json(DocumentView::from(&doc)))
}

/// Delete a document and its file.
#[utoipa::path(delete, path = "/api/documents/{id}", tag = "documents", params(("id" = String, Path, description = "Document id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "Storage unavailable: nothing was deleted, or only the file (repeat the call)", body = ErrorBody)))]
pub async fn delete(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<StatusCode> {
    // The file goes first: if file storage is down the call fails and nothing is deleted, rather than the
    // record going and the file staying behind for good, out of anyone's reach. Repeating the call finishes a
    // delete that stopped between the two steps.
    let doc = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    delete_file_first(&state, &doc.blob_key).await?;
    let doc = state.jobs.store.delete_document(&user.id, &id).await.map_err(storage)?;
    state.jobs.events.publish(&doc.id);
    Ok(StatusCode::NO_CONTENT)
}

/// `Content-Disposition` with the (display-only) file name, safe for any characters.
fn disposition(kind: &str, file_name: &str) -> HeaderValue {
    let ascii: String =
        file_name.chars().map(|c| if c.is_ascii_alphanumeric() || "._- ".contains(c) { c } else { '_' }).collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The uploaded file itself.
#[utoipa::path(get, path = "/api/documents/{id}/file", tag = "documents", params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The file, with its sniffed content type", content(("image/png"), ("image/jpeg"),
            ("image/tiff"), ("image/webp"), ("image/bmp"), ("application/pdf"))), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn file(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<Response> {
    let doc = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    let key = BlobKey::parse(&doc.blob_key).map_err(AppError::internal)?;
    let bytes = state.jobs.blobs.get(&key).await.map_err(|e| match e {
        StorageError::NotFound { .. } => AppError::NotFound("file"),
        other => storage(other),
    })?;
    let content_type =
        HeaderValue::from_str(&doc.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition("inline", &doc.file_name)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response())
}

/// Run OCR again (e.g. after a failure).
#[utoipa::path(post, path = "/api/documents/{id}/ocr", tag = "documents", params(("id" = String, Path, description = "Document id")),
    responses((status = 202, description = "Queued", body = DocumentView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "OCR is already queued or running", body = ErrorBody)))]
pub async fn rerun(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<DocumentView>)> {
    let doc = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    if matches!(doc.status, DocumentStatus::Queued | DocumentStatus::Processing) {
        return Err(AppError::Conflict(format!("OCR of this document is already {}", doc.status.as_str())));
    }
    let doc = state.jobs.enqueue(&doc).await.map_err(storage)?;
    Ok((StatusCode::ACCEPTED, Json(DocumentView::from(&doc))))
}

/// Export format of `GET /api/documents/{id}/ocr`.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Plain UTF-8 text.
    #[default]
    Text,
    /// The full result: pages, lines, words, boxes, confidences.
    Json,
    /// hOCR (HTML).
    Hocr,
    /// ALTO XML.
    Alto,
    /// PAGE XML 2019-07-15 of one page (`page`; a document of one page needs none).
    Page,
    /// Searchable PDF: the page images with an invisible text layer.
    Pdf,
}

impl From<ExportFormat> for export::Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Text => export::Format::Text,
            ExportFormat::Json => export::Format::Json,
            ExportFormat::Hocr => export::Format::Hocr,
            ExportFormat::Alto => export::Format::Alto,
            ExportFormat::Page => export::Format::Page,
            ExportFormat::Pdf => export::Format::Pdf,
        }
    }
}

/// `GET /api/documents/{id}/ocr` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// `text` (default), `json`, `hocr`, `alto`, `page` (PAGE XML) or `pdf`.
    #[serde(default)]
    pub format: ExportFormat,
    /// With `format=page`: which page (from 1) to write, as PAGE XML holds one page per file; needed when
    /// the document has several pages.
    #[param(minimum = 1)]
    pub page: Option<usize>,
    /// `1`, `true`, `yes` or empty: send as a download (`Content-Disposition: attachment`); `0`, `false`,
    /// `no`: inline (the default).
    #[param(inline)]
    pub download: Option<Download>,
    /// How the text is written: `as-printed` (default) or `attached-danda`.
    #[serde(default, rename = "textStyle")]
    #[param(rename = "textStyle")]
    pub text_style: TextStyleParam,
}

/// `download` of `GET /api/documents/{id}/ocr`: exactly these values (lowercase).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
pub enum Download {
    /// As a download.
    #[serde(rename = "1")]
    One,
    /// As a download.
    #[serde(rename = "true")]
    True,
    /// As a download.
    #[serde(rename = "yes")]
    Yes,
    /// As a download (`?download`).
    #[serde(rename = "")]
    Empty,
    /// Inline.
    #[serde(rename = "0")]
    Zero,
    /// Inline.
    #[serde(rename = "false")]
    False,
    /// Inline.
    #[serde(rename = "no")]
    No,
}

/// How recognised text is written: `as-printed` keeps the page's own spacing around `।` and `॥`;
/// `attached-danda` writes the modern Hindi convention (a danda follows its word with no space).
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TextStyleParam {
    /// The page's own spacing (the default).
    #[default]
    AsPrinted,
    /// No space before a danda.
    AttachedDanda,
}

impl From<TextStyleParam> for TextStyle {
    fn from(s: TextStyleParam) -> Self {
        match s {
            TextStyleParam::AsPrinted => TextStyle::AsPrinted,
            TextStyleParam::AttachedDanda => TextStyle::AttachedDanda,
        }
    }
}

/// The OCR result in one of the export formats.
#[utoipa::path(get, path = "/api/documents/{id}/ocr", tag = "documents",
    params(("id" = String, Path, description = "Document id"), ResultQuery),
    responses((status = 200, description = "The result in the asked format", content(
            ("text/plain; charset=utf-8"), ("application/json"), ("text/html; charset=utf-8"),
            ("application/xml; charset=utf-8"), ("application/pdf"))), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "No OCR run has completed yet", body = ErrorBody)))]
pub async fn result(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<ResultQuery>,
) -> AppResult<Response> {
    let attachment = matches!(q.download, Some(Download::One | Download::True | Download::Yes | Download::Empty));
    let doc = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    // The last completed result is served while a new run is queued or running, and after one failed: running
    // OCR again never takes away a result the user had. `X-OCR-Status` says where the document stands.
    let result: hindi_ocr_core::Document = match &doc.ocr_result {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| AppError::internal(format!("stored result: {e}")))?,
        None if doc.status == DocumentStatus::Completed => {
            return Err(AppError::internal("completed document has no stored result"));
        }
        None => {
            return Err(AppError::Conflict(format!("OCR of this document is {}, not completed", doc.status.as_str())));
        }
    };
    let result = result.restyled(q.text_style.into());
    if q.page.is_some() && !matches!(q.format, ExportFormat::Page) {
        return Err(AppError::BadRequest("page applies to format=page only".into()));
    }
    let mut stem = doc.file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&doc.file_name).to_owned();
    if let (ExportFormat::Page, Some(n), true) = (q.format, q.page, result.pages.len() > 1) {
        stem = format!("{stem}-p{n}"); // one file per page: `book-p3.page.xml`
    }
    let bytes: Vec<u8> = match q.format {
        ExportFormat::Text => export::to_text(&result).into_bytes(),
        ExportFormat::Json => export::to_json(&result).into_bytes(),
        ExportFormat::Hocr => export::to_hocr(&result).into_bytes(),
        ExportFormat::Alto => export::to_alto(&result).into_bytes(),
        ExportFormat::Page => page_xml(&result, q.page, &doc.file_name)?.into_bytes(),
        ExportFormat::Pdf => {
            // The page images come from the original file, rendered again the way OCR read them.
            let key = BlobKey::parse(&doc.blob_key).map_err(AppError::internal)?;
            let source = state.jobs.blobs.get(&key).await.map_err(storage)?;
            let password = match &doc.pdf_password {
                Some(sealed) => Some(state.jobs.sealer.open(&doc.id, sealed).map_err(AppError::internal)?),
                None => None,
            };
            let limits = state.jobs.settings.limits;
            // Rendering the pages again is a decode like an upload check: it takes a slot.
            let _slot = state.decodes.acquire().await?;
            tokio::task::spawn_blocking(move || {
                export::to_searchable_pdf(&result, &source, &crate::jobs::recognize::document_options(password, limits))
            })
            .await?
            .map_err(AppError::internal)?
        }
    };
    let format = export::Format::from(q.format);
    let (content_type, ext) = (format.content_type(), format.extension());
    // Download names say what the file is and open in the right program: `scan.hocr.html`, `scan.alto.xml`,
    // `scan.page.xml`.
    let kind = if attachment { "attachment" } else { "inline" };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-ocr-status", HeaderValue::from_static(doc.status.as_str()));
    if matches!(q.format, ExportFormat::Hocr) {
        // hOCR is HTML served from the app's origin: whatever the text holds, it runs nothing and loads nothing.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
    }
    headers.insert(header::CONTENT_DISPOSITION, disposition(kind, &format!("{stem}.{ext}")));
    Ok(response)
}

/// One page of the result as PAGE XML, `imageFilename` the uploaded file's name; a page that does not exist
/// (or none chosen of several) is the client's mistake.
fn page_xml(result: &hindi_ocr_core::Document, page: Option<usize>, file_name: &str) -> AppResult<String> {
    let opts = export::PageXmlOptions { page, image_filename: file_name.to_owned() };
    export::to_page_xml(result, &opts).map_err(|e| {
        AppError::BadRequest(match e {
            hindi_ocr_core::Error::InvalidParams(m) => m,
            e => e.to_string(),
        })
    })
}

/// One Server-Sent Event of `GET /api/documents/{id}/events` (for the OpenAPI description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SseEvent {
    /// `status` or `deleted`.
    #[schema(pattern = "^(status|deleted)$")]
    event: String,
    /// For `status`: a `StatusEvent` as JSON; for `deleted`: the document id.
    data: String,
}

/// Server-Sent Events: one `status` event now and one at every change (status, pages done) until the
/// document is `completed` or `failed`; a `deleted` event if it is deleted meanwhile.
#[utoipa::path(get, path = "/api/documents/{id}/events", tag = "documents", params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "text/event-stream of `status` events (data: StatusEvent JSON) and a final `deleted` one (data: the id)",
        body = SseEvent, content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn events(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<Response> {
    let mut notices = state.jobs.events.subscribe();
    let first = state.jobs.store.get_document(&user.id, &id).await.map_err(storage)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(16);
    let store = state.jobs.store.clone();
    let poll = state.settings.poll;
    tokio::spawn(async move {
        let mut last = first;
        if tx.send(status_event(&last)).await.is_err() {
            return;
        }
        while !last.status.is_final() && !tx.is_closed() {
            match next_change(store.as_ref(), &mut notices, &user.id, &last, poll, Duration::from_secs(15)).await {
                Ok(doc) => {
                    if changed(&last, &doc) && tx.send(status_event(&doc)).await.is_err() {
                        return;
                    }
                    last = doc;
                }
                Err(StorageError::NotFound { .. }) => {
                    let _ = tx.send(Event::default().event("deleted").data(last.id.clone())).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event stream: reading the document failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx)) });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

fn status_event(doc: &Document) -> Event {
    let data = serde_json::to_string(&StatusEvent::from(doc)).unwrap_or_else(|_| "{}".into());
    Event::default().event("status").data(data)
}
