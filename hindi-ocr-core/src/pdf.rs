//! PDF input: every page rasterised at a chosen resolution with `hayro`, a pure-Rust PDF renderer.
//!
//! Why `hayro`: it builds from crates.io with no system library and no download (the machines reach only
//! package registries), it forbids `unsafe`, renders embedded TrueType/CFF/Type1 fonts (so Devanagari PDFs,
//! whose text is drawn from embedded, already-shaped glyphs, render as printed) and images (JPEG, JPEG 2000,
//! JBIG2, CCITT: what scanned PDFs hold). PDFium would need a native library from a wheel and `unsafe` FFI.
//!
//! Pages are rendered one at a time on request, so a 300-page PDF holds one page bitmap at a time.

use std::fmt;
use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::GrayImage;

use crate::image_input::Limits;
use crate::{Error, Result};

mod scan;

/// True when the bytes start like a PDF file (`%PDF-` within the first 1024 bytes, as readers accept).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The password of an encrypted PDF (the user or the owner password). Its `Debug` does not show it, so
/// options and errors can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wrap a password as the user typed it (PDF 2.0's AES-256 takes UTF-8; older encryption Latin-1, so
    /// passwords of ASCII characters work with every kind).
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// An opened PDF whose pages are rendered on demand.
pub struct PdfPages {
    pdf: Pdf,
    dpi: u32,
    limits: Limits,
}

impl PdfPages {
    /// Parse a PDF, decrypting it with `password` when it is encrypted, and check what it holds against
    /// `limits` before any page is rendered (page count; every stream's inflated size and every image's
    /// declared size, see `scan`). Errors: [`Error::PdfPasswordRequired`] and [`Error::PdfWrongPassword`],
    /// [`Error::PdfEncrypted`] (encryption the reader does not support), [`Error::PdfInvalid`] (corrupt),
    /// [`Error::NoPages`], [`Error::TooManyPages`], [`Error::PdfTooLarge`], [`Error::InvalidParams`] for a
    /// DPI outside 10..=1200.
    pub fn open(
        bytes: &[u8],
        dpi: u32,
        limits: Limits,
        password: Option<&Password>,
    ) -> Result<Self> {
        if bytes.is_empty() {
            return Err(Error::EmptyInput);
        }
        if !(10..=1200).contains(&dpi) {
            return Err(Error::InvalidParams(format!(
                "dpi must be 10..=1200, got {dpi}"
            )));
        }
        // The parser inflates object and cross-reference streams while it opens the file.
        scan::check_raw(bytes, &limits)?;
        let data = Arc::new(bytes.to_vec());
        let load = |pw: &str| Pdf::new_with_password(data.clone(), pw);
        let loaded = match password {
            // A password given for a PDF that opens without one (only editing restricted) must not stop it:
            // the CLI passes one password to every file of a batch.
            Some(pw) => load(pw.as_str()).or_else(|e| match e {
                LoadPdfError::Decryption(DecryptionError::PasswordProtected) => {
                    load("").map_err(|_| e)
                }
                e => Err(e),
            }),
            None => load(""),
        };
        let pdf = loaded.map_err(|e| match e {
            LoadPdfError::Decryption(DecryptionError::PasswordProtected) if password.is_some() => {
                Error::PdfWrongPassword
            }
            LoadPdfError::Decryption(DecryptionError::PasswordProtected) => {
                Error::PdfPasswordRequired
            }
            LoadPdfError::Decryption(DecryptionError::UnsupportedAlgorithm) => Error::PdfEncrypted(
                "its encryption algorithm is not supported (RC4, AES-128 and AES-256 are)".into(),
            ),
            LoadPdfError::Decryption(
                DecryptionError::InvalidEncryption | DecryptionError::MissingIDEntry,
            ) => Error::PdfEncrypted("its encryption dictionary is broken".into()),
            LoadPdfError::Invalid => {
                if has_no_pages(bytes) {
                    Error::NoPages
                } else {
                    Error::PdfInvalid(
                        "not a readable PDF (corrupt or truncated cross-reference or page tree)"
                            .into(),
                    )
                }
            }
        })?;
        if pdf.pages().is_empty() {
            // A page tree that says it is empty, or a file cut short or broken whose pages cannot be found.
            return Err(if has_no_pages(bytes) {
                Error::NoPages
            } else {
                Error::PdfInvalid("no readable pages (the file is corrupt or truncated)".into())
            });
        }
        let pages = pdf.pages().len();
        if pages > limits.max_pages {
            return Err(Error::TooManyPages {
                pages,
                limit: limits.max_pages,
            });
        }
        scan::check_objects(&pdf, &limits)?;
        Ok(Self { pdf, dpi, limits })
    }

    /// Number of pages.
    pub fn len(&self) -> usize {
        self.pdf.pages().len()
    }

    /// Always false: [`PdfPages::open`] rejects PDFs without pages.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of page `index` in PDF points (1/72 inch), as displayed (crop box, rotation applied).
    pub fn page_size_pt(&self, index: usize) -> Result<(f32, f32)> {
        let page = self
            .pdf
            .pages()
            .get(index)
            .ok_or_else(|| Error::PdfInvalid(format!("no page {index}")))?;
        Ok(page.render_dimensions())
    }

    /// The pixel size page `index` renders to at the chosen DPI.
    pub fn page_size_px(&self, index: usize) -> Result<(u32, u32)> {
        let (w, h) = self.page_size_pt(index)?;
        let scale = self.dpi as f32 / 72.0;
        Ok((
            (w * scale).round().max(1.0) as u32,
            (h * scale).round().max(1.0) as u32,
        ))
    }

    /// Check that page `index` renders within the limits at the chosen DPI (without rendering it).
    pub fn check_size(&self, index: usize) -> Result<(u32, u32)> {
        let (w, h) = self.page_size_px(index)?;
        self.limits.check_dimensions(w, h)?;
        if w > u16::MAX as u32 || h > u16::MAX as u32 {
            return Err(Error::ImageTooLarge {
                what: "width",
                actual: w.max(h) as u64,
                limit: u16::MAX as u64,
            });
        }
        Ok((w, h))
    }

    /// Render page `index` (0-based) to greyscale on white. The size is checked against the limits first.
    pub fn render(&self, index: usize) -> Result<GrayImage> {
        let page = self
            .pdf
            .pages()
            .get(index)
            .ok_or_else(|| Error::PdfInvalid(format!("no page {index}")))?;
        let (w, h) = self.check_size(index)?;
        let (pw, ph) = page.render_dimensions();
        // hayro truncates `size * scale` to whole pixels: aim half a pixel past so f32 rounding cannot lose one.
        let settings = PixmapSettings {
            x_scale: (w as f32 + 0.5) / pw,
            y_scale: (h as f32 + 0.5) / ph,
            bg_color: WHITE,
        };
        // A fresh cache per page keeps memory flat over long documents.
        let cache = RenderCache::new();
        let pixmap = hayro::render(
            page,
            &cache,
            &InterpreterSettings::default(),
            &RenderSettings::default(),
            &settings,
        );
        let (rw, rh) = (pixmap.width() as u32, pixmap.height() as u32);
        let rgba = pixmap.data_as_u8_slice();
        let gray: Vec<u8> = rgba
            .chunks_exact(4)
            .map(|p| {
                // Premultiplied on an opaque white background: alpha is 255, so the colour is the colour.
                ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32) / 1000) as u8
            })
            .collect();
        GrayImage::from_raw(rw, rh, gray)
            .ok_or_else(|| Error::PdfInvalid("renderer returned a short buffer".into()))
    }
}

/// A page tree that declares `/Count 0` (hayro reports such files as invalid; we say what is wrong).
fn has_no_pages(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.contains("/Type /Pages")
        && !text.contains("/Type /Page\n")
        && !text.contains("/Type /Page ")
        && !text.contains("/Type/Page/")
        && !text.contains("/Type /Page/")
        && (text.contains("/Count 0") || text.contains("/Count 0 "))
}
