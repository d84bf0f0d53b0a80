//! One document's bytes in, the core's `Document` out: the call into `hindi-ocr-core`'s pipeline, with
//! page progress reported as it goes.

use hindi_ocr_core::image_input::Limits;
use hindi_ocr_core::pipeline::{DocumentOptions, Progress, read_document};
use hindi_ocr_core::{Document as OcrDocument, Error as CoreError, LineRecognizer, Password};

/// The pipeline options the service uses (automatic layout, PDFs at 300 dpi), with the service's input
/// limits (`JobSettings::limits`) and the document's PDF password if it has one.
pub fn document_options(password: Option<Password>, limits: Limits) -> DocumentOptions {
    DocumentOptions { password, limits, ..DocumentOptions::default() }
}

/// Reads a whole document (image, multi-page TIFF or PDF) with `recognizer`, calling
/// `progress(pages_done, pages_total)` before the first page and after each page. Runs on the calling
/// thread: call it from a blocking task.
pub fn recognize_document(
    bytes: &[u8],
    password: Option<Password>,
    limits: Limits,
    recognizer: &dyn LineRecognizer,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<OcrDocument, CoreError> {
    let mut report = |p: Progress| progress(p.pages_done as u32, p.pages_total as u32);
    read_document(recognizer, bytes, &document_options(password, limits), &mut report)
}

/// Whether retrying cannot help: the input itself is bad.
pub fn is_permanent(e: &CoreError) -> bool {
    matches!(
        e,
        CoreError::EmptyInput
            | CoreError::UnsupportedFormat(_)
            | CoreError::ImageDecode(_)
            | CoreError::ImageTooLarge { .. }
            | CoreError::TooManyPages { .. }
            | CoreError::PdfTooLarge(_)
            | CoreError::PdfEncrypted(_)
            | CoreError::PdfPasswordRequired
            | CoreError::PdfWrongPassword
            | CoreError::PdfInvalid(_)
            | CoreError::NoPages
    )
}
