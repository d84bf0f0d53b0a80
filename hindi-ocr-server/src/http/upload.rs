//! Reading an upload: the multipart form, the size limit, the content type sniffed from the bytes, and a
//! full decode check, all before anything is stored.
//!
//! The file is read into memory (never more than the limit) because it must be checked as a whole before it
//! reaches the blob store: a corrupt or unsupported file must leave nothing behind. The blob store then
//! receives it as a stream.

use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;

use hindi_ocr_core::Password;
use hindi_ocr_core::image_input::Limits;

use super::auth::AuthUser;
use super::busy::{DecodeSlot, DecodeSlots};
use super::{AppState, is_bidi_control};
use crate::error::AppError;

/// A signed-in user's checked upload: the extractor of every upload route. Whatever is refused before the
/// form is read (no or bad credentials, a body that is not a form, a bad query seen by the handler's other
/// extractors) is answered only after the body has been read and dropped: a server that answers and closes
/// while the client is still sending makes the client see a connection reset instead of the answer.
#[derive(Debug)]
pub struct UserUpload {
    /// Who uploads.
    pub user: AuthUser,
    /// The checked file and form fields.
    pub upload: Upload,
}

impl FromRequest<AppState> for UserUpload {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let user = AuthUser::from_request_parts(&mut parts, state).await;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        let req = Request::from_parts(parts, body);
        if !is_form {
            // Read (within the route's body limit) and drop.
            let _ = Bytes::from_request(req, state).await;
            return Err(user.err().unwrap_or_else(|| {
                AppError::BadRequest("send the file as a multipart/form-data form with a `file` field".into())
            }));
        }
        let form = Multipart::from_request(req, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let user = match user {
            Ok(user) => user,
            Err(e) => return refuse(form, e).await,
        };
        let upload =
            read_upload(form, state.settings.max_upload_bytes, state.jobs.settings.limits, &state.decodes).await?;
        Ok(UserUpload { user, upload })
    }
}

/// The form of `POST /api/documents` and `POST /api/documents/ocr` (for the OpenAPI description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: PNG, JPEG, TIFF, WebP, BMP or PDF (the type is read from its bytes), at most the upload limit.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The chat it belongs to.
    #[serde(rename = "chatId")]
    #[schema(max_length = 100)]
    chat_id: Option<String>,
    /// A password-protected PDF's password (kept sealed with the document).
    #[schema(max_length = 1024)]
    password: Option<String>,
}

/// The form of `POST /api/ocr/extract` (for the OpenAPI description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ExtractForm {
    /// The file: PNG, JPEG, TIFF, WebP, BMP or PDF (the type is read from its bytes), at most the upload limit.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A password-protected PDF's password.
    #[schema(max_length = 1024)]
    password: Option<String>,
}

/// A checked upload.
#[derive(Debug)]
pub struct Upload {
    /// The file's bytes.
    pub bytes: Bytes,
    /// The client's file name, cleaned (display only; never used in a storage key).
    pub file_name: String,
    /// The content type sniffed from the bytes.
    pub content_type: &'static str,
    /// The `chatId` form field, if sent.
    pub chat_id: Option<String>,
    /// The `password` form field, kept only when the file is a PDF that needs it to open.
    pub pdf_password: Option<Password>,
    /// The decode slot taken to check the file: held while the upload lives (its bytes are in memory until
    /// stored; `POST /api/ocr/extract` keeps it while it reads the file).
    pub slot: DecodeSlot,
}

fn multipart_error(e: MultipartError, limit: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge { limit }
    } else {
        AppError::BadRequest(format!("bad multipart body: {}", e.body_text()))
    }
}

/// Answer `err` to an upload refused before its form was fully read (no or bad credentials, too large), after
/// reading and dropping the rest of the body, which the route's body limit bounds.
async fn refuse<T>(mut form: Multipart, err: AppError) -> Result<T, AppError> {
    while let Ok(Some(mut field)) = form.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
    Err(err)
}

/// Reads the form: field `file` (required, at most `limit` bytes), `chatId` and `password` (optional). Checks
/// the type and that the file decodes within `limits` (with the password, when it is a PDF that needs one),
/// in one of `slots` (`503` when none is free in time).
async fn read_upload(mut form: Multipart, limit: u64, limits: Limits, slots: &DecodeSlots) -> Result<Upload, AppError> {
    let mut file: Option<(Bytes, String)> = None;
    let mut chat_id = None;
    let mut password = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| multipart_error(e, limit))? {
        match field.name() {
            Some("file") => {
                if file.is_some() {
                    drop(field);
                    return refuse(form, AppError::BadRequest("send one `file` field per upload".into())).await;
                }
                let name = clean_file_name(field.file_name().unwrap_or(""));
                let mut buf = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                    if (buf.len() + chunk.len()) as u64 > limit {
                        // The client gets the 413 instead of a connection reset while it is still sending.
                        drop(field);
                        return refuse(form, AppError::PayloadTooLarge { limit }).await;
                    }
                    buf.extend_from_slice(&chunk);
                }
                file = Some((Bytes::from(buf), name));
            }
            Some("chatId") => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                let text = text.trim();
                if text.len() > 100 {
                    return Err(AppError::BadRequest("chatId is too long".into()));
                }
                if !text.is_empty() {
                    chat_id = Some(text.to_owned());
                }
            }
            Some("password") => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                if text.len() > 1024 {
                    return Err(AppError::BadRequest("password is too long (at most 1024 bytes)".into()));
                }
                // Kept as typed: spaces may be part of a password. An empty field is no password.
                if !text.is_empty() {
                    password = Some(Password::new(text));
                }
            }
            // Unknown fields are drained and ignored.
            _ => while field.chunk().await.map_err(|e| multipart_error(e, limit))?.is_some() {},
        }
    }
    let (bytes, file_name) = file.ok_or_else(|| AppError::BadRequest("the form has no `file` field".into()))?;
    // The slot is taken once the body is read: a slow sender must not hold one.
    let slot = slots.acquire().await?;
    let (content_type, pdf_password) = check_bytes(bytes.clone(), password, limits).await?;
    Ok(Upload { bytes, file_name, content_type, chat_id, pdf_password, slot })
}

/// Sniffs the type and decodes the file off the async threads within `limits`, with `password` when it is a
/// PDF that needs one. Returns the type and the password when it was needed. `400` for empty or corrupt
/// files, files over the limits (image size, pages, a PDF decompression bomb) and a missing or wrong PDF
/// password, `415` for unsupported types.
pub async fn check_bytes(
    bytes: Bytes,
    password: Option<Password>,
    limits: Limits,
) -> Result<(&'static str, Option<Password>), AppError> {
    if bytes.is_empty() {
        return Err(AppError::BadRequest("the file is empty".into()));
    }
    let kind = sniff(&bytes)?;
    let needed = tokio::task::spawn_blocking(move || {
        // Without the password first: a password the file does not need is not kept.
        match verify_decodes(&bytes, None, limits) {
            Err(AppError::PdfPassword { .. }) if password.is_some() => {
                verify_decodes(&bytes, password.clone(), limits).map(|()| password)
            }
            other => other.map(|()| None),
        }
    })
    .await??;
    Ok((kind.mime(), needed))
}

/// The file types the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// TIFF (one or more pages).
    Tiff,
    /// WebP.
    WebP,
    /// BMP.
    Bmp,
    /// PDF.
    Pdf,
}

impl FileKind {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Tiff => "image/tiff",
            FileKind::WebP => "image/webp",
            FileKind::Bmp => "image/bmp",
            FileKind::Pdf => "application/pdf",
        }
    }
}

/// The type of a file from its first bytes (never from the name or the client's header).
pub fn sniff(bytes: &[u8]) -> Result<FileKind, AppError> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let kind = if starts(b"\x89PNG\r\n\x1a\n") {
        FileKind::Png
    } else if starts(b"\xff\xd8\xff") {
        FileKind::Jpeg
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        FileKind::Tiff
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        FileKind::WebP
    } else if starts(b"BM") {
        FileKind::Bmp
    } else if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        FileKind::Pdf
    } else {
        let what = if starts(b"GIF8") {
            "GIF"
        } else if starts(b"PK\x03\x04") {
            "a ZIP archive"
        } else if std::str::from_utf8(&bytes[..bytes.len().min(512)]).is_ok() {
            "text"
        } else {
            "an unknown type"
        };
        return Err(AppError::UnsupportedMediaType(format!(
            "unsupported file type ({what}): send PNG, JPEG, TIFF, WebP, BMP or PDF"
        )));
    };
    Ok(kind)
}

/// Opens the file with the same decoder the OCR pipeline uses, checks every page's size against the
/// pipeline's limits and decodes its first page that decodes (all of it for a single image), to prove it is
/// not corrupt, truncated or a decompression bomb (opening a PDF checks its page count and what its streams
/// inflate to before any page is rendered). A damaged page before it does not refuse the file: OCR reads the
/// other pages and names that one (`hindi_ocr_core::pipeline::read_document`).
fn verify_decodes(bytes: &[u8], password: Option<Password>, limits: Limits) -> Result<(), AppError> {
    use hindi_ocr_core::Error as E;
    let opts = crate::jobs::recognize::document_options(password, limits);
    let first = hindi_ocr_core::pipeline::pages(bytes, &opts).and_then(|mut pages| {
        pages.check_sizes()?;
        let mut first_error = None;
        for page in pages.by_ref() {
            match page {
                Ok(img) => return Ok(Some(img)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(None), Err)
    });
    match first {
        Ok(Some(_)) => Ok(()),
        Ok(None) | Err(E::NoPages) => Err(AppError::BadRequest("the file has no pages".into())),
        Err(E::PdfPasswordRequired) => Err(AppError::PdfPassword { wrong: false }),
        Err(E::PdfWrongPassword) => Err(AppError::PdfPassword { wrong: true }),
        Err(E::UnsupportedFormat(what)) => Err(AppError::UnsupportedMediaType(format!(
            "unsupported file type{}: send PNG, JPEG, TIFF, WebP, BMP or PDF",
            what.map(|w| format!(" ({w})")).unwrap_or_default()
        ))),
        // Their own words say what is over which limit.
        Err(e @ (E::TooManyPages { .. } | E::PdfTooLarge(_))) => Err(AppError::BadRequest(e.to_string())),
        Err(e) => Err(AppError::BadRequest(format!("the file could not be read: {e}"))),
    }
}

/// The client's file name reduced to its last path part, without control characters or bidirectional
/// controls ([`is_bidi_control`]: `invoice\u{202E}fdp.exe` would show as `invoiceexe.pdf`), at most 200
/// characters; `upload` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|&c| !c.is_control() && !is_bidi_control(c)).take(200).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." { "upload".to_owned() } else { cleaned.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxxxx").unwrap(), FileKind::Png);
        assert_eq!(sniff(b"\xff\xd8\xff\xe0").unwrap(), FileKind::Jpeg);
        assert_eq!(sniff(b"II*\0....").unwrap(), FileKind::Tiff);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), FileKind::WebP);
        assert_eq!(sniff(b"%PDF-1.7\n").unwrap(), FileKind::Pdf);
        assert!(matches!(sniff(b"GIF89a...."), Err(AppError::UnsupportedMediaType(_))));
        assert!(matches!(sniff(b"hello world"), Err(AppError::UnsupportedMediaType(_))));
    }

    #[test]
    fn file_names_lose_paths_and_controls() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\x\\scan 1.png"), "scan 1.png");
        assert_eq!(clean_file_name("a\u{0}b\n.png"), "ab.png");
        assert_eq!(clean_file_name(".."), "upload");
        assert_eq!(clean_file_name(""), "upload");
    }

    #[test]
    fn file_names_lose_bidirectional_controls() {
        assert_eq!(clean_file_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        let every: String = ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .chain(['\u{200E}', '\u{200F}', '\u{061C}'])
            .collect();
        assert_eq!(clean_file_name(&format!("a{every}b.png")), "ab.png");
        assert_eq!(clean_file_name(&every), "upload");
        // Joiners are part of Devanagari spelling and stay.
        assert_eq!(clean_file_name("क्\u{200D}ष.png"), "क्\u{200D}ष.png");
    }

    #[test]
    fn truncated_png_is_rejected() {
        let mut png = Vec::new();
        image::GrayImage::from_pixel(64, 32, image::Luma([200]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(verify_decodes(&png, None, Limits::default()).is_ok());
        assert!(verify_decodes(&png[..png.len() / 2], None, Limits::default()).is_err());
    }
}
