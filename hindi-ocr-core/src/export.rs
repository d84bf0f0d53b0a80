//! Exports of a [`Document`]: plain text, JSON, hOCR, ALTO XML v4, PAGE XML (one page per file) and a
//! searchable PDF.

mod alto;
mod hocr;
mod page;
mod pdf_writer;
mod searchable_pdf;
mod xml;

pub use alto::to_alto;
pub use hocr::to_hocr;
pub use page::{PageXmlOptions, to_page_xml};
pub use searchable_pdf::{images_to_pdf, to_searchable_pdf};

use crate::Document;

/// The plain text: lines in reading order joined by `\n`, pages by `\n\n`.
pub fn to_text(doc: &Document) -> String {
    doc.text.clone()
}

/// The document as JSON (pretty-printed, camelCase field names: `pages[].lines[].words[]` with `bbox`,
/// `text`, `confidence`).
pub fn to_json(doc: &Document) -> String {
    // Serialising plain data structs with string keys cannot fail.
    serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Output formats, by the names the CLI and HTTP API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// hOCR (XHTML).
    Hocr,
    /// ALTO XML v4.
    Alto,
    /// PAGE XML 2019-07-15: one page per file ([`to_page_xml`]).
    Page,
    /// Searchable PDF.
    Pdf,
}

impl std::str::FromStr for Format {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "hocr" => Ok(Format::Hocr),
            "alto" | "xml" => Ok(Format::Alto),
            "page" | "pagexml" | "page-xml" => Ok(Format::Page),
            "pdf" => Ok(Format::Pdf),
            other => Err(crate::Error::InvalidParams(format!("format must be text, json, hocr, alto, page or pdf, got {other:?}"))),
        }
    }
}

impl Format {
    /// The MIME type of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::Hocr => "text/html; charset=utf-8",
            Format::Alto | Format::Page => "application/xml; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }

    /// The file extension outputs get (CLI, HTTP downloads): hOCR, ALTO and PAGE say what they are and still
    /// open in a browser or an XML tool (`scan.hocr.html`, `scan.alto.xml`, `scan.page.xml`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "json",
            Format::Hocr => "hocr.html",
            Format::Alto => "alto.xml",
            Format::Page => "page.xml",
            Format::Pdf => "pdf",
        }
    }
}
