//! Output formats of `hindi-ocr ocr`: the core's exports plus `tsv`.

use std::str::FromStr;

use hindi_ocr_core::export::{self, Format};
use hindi_ocr_core::pipeline::DocumentOptions;
use hindi_ocr_core::{Document, Error, Result};

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliFormat {
    /// One of the core exports.
    Export(Format),
    /// `path<TAB>text` per input.
    Tsv,
}

impl FromStr for CliFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s.eq_ignore_ascii_case("tsv") {
            return Ok(CliFormat::Tsv);
        }
        Format::from_str(s)
            .map(CliFormat::Export)
            .map_err(|_| format!("unknown format {s:?}: use text, json, hocr, alto, page, pdf or tsv"))
    }
}

impl CliFormat {
    /// The `--format` value.
    pub fn name(self) -> &'static str {
        match self {
            CliFormat::Export(Format::Text) => "text",
            CliFormat::Export(Format::Json) => "json",
            CliFormat::Export(Format::Hocr) => "hocr",
            CliFormat::Export(Format::Alto) => "alto",
            CliFormat::Export(Format::Page) => "page",
            CliFormat::Export(Format::Pdf) => "pdf",
            CliFormat::Tsv => "tsv",
        }
    }

    /// File extension for outputs written into a directory.
    pub fn extension(self) -> &'static str {
        match self {
            CliFormat::Export(f) => f.extension(),
            CliFormat::Tsv => "tsv",
        }
    }
}

/// One `path<TAB>text` row of the `tsv` format, both fields escaped.
pub fn tsv_row(name: &str, text: &str) -> Vec<u8> {
    format!("{}\t{}\n", tsv_escape(name), tsv_escape(text)).into_bytes()
}

/// Escape text for one TSV field: backslash, newline, carriage return and tab become `\\`, `\n`, `\r`, `\t`.
pub fn tsv_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Render a document in `format`; `source` and `opts` are needed for the searchable PDF, `name` for tsv and
/// as PAGE XML's `imageFilename`.
pub fn render(doc: &Document, format: CliFormat, source: &[u8], opts: &DocumentOptions, name: &str) -> Result<Vec<u8>> {
    Ok(match format {
        CliFormat::Tsv => tsv_row(name, &doc.text),
        CliFormat::Export(Format::Text) => {
            let mut t = export::to_text(doc);
            if !t.is_empty() && !t.ends_with('\n') {
                t.push('\n');
            }
            t.into_bytes()
        }
        CliFormat::Export(Format::Json) => export::to_json(doc).into_bytes(),
        CliFormat::Export(Format::Hocr) => export::to_hocr(doc).into_bytes(),
        CliFormat::Export(Format::Alto) => export::to_alto(doc).into_bytes(),
        CliFormat::Export(Format::Page) => page_xml(doc, name)?.into_bytes(),
        CliFormat::Export(Format::Pdf) => export::to_searchable_pdf(doc, source, opts)?,
    })
}

/// PAGE XML describes one page image, so only a one-page input can be written as one file; the message of a
/// longer one says what to do instead.
fn page_xml(doc: &Document, name: &str) -> Result<String> {
    let pages = doc.pages.len();
    if pages > 1 {
        return Err(Error::InvalidParams(format!(
            "--format page writes one page per file and this file has {pages} pages: split it into page images \
             first (pdftoppm, tiffsplit), or use --format alto, hocr or json for all pages"
        )));
    }
    export::to_page_xml(doc, &export::PageXmlOptions { page: None, image_filename: name.to_owned() })
}
