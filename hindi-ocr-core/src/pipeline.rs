//! Whole documents: bytes in (image, multi-page TIFF, PDF), pages found and read one at a time, a
//! [`Document`] out.
//!
//! Each page: greyscale -> page analysis ([`crate::layout`]) or the whole image as one line -> every line
//! segment of the page to the recogniser in one call (it batches by width) -> texts normalised
//! ([`crate::text`]) and assembled into lines with word boxes.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;
use std::time::Instant;

use image::{DynamicImage, GrayImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};

use crate::image_input::{self, Limits};
use crate::layout::{self, AnalysisOptions};
use crate::pdf::{self, Password, PdfPages};
use crate::{BBox, Document, Error, Line, LineRecognizer, Page, Result, Word, text};

/// How a page image is cut into lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The whole image is one text line.
    Line,
    /// A page: find lines (and columns, words) first.
    Page,
    /// Decide per image: wide strips (at least 4:1) in which page analysis finds at most one line are read
    /// whole as one line, everything else as a page.
    #[default]
    Auto,
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "line" => Ok(Layout::Line),
            "page" => Ok(Layout::Page),
            "auto" => Ok(Layout::Auto),
            other => Err(Error::InvalidParams(format!("layout must be line, page or auto, got {other:?}"))),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Line => "line",
            Layout::Page => "page",
            Layout::Auto => "auto",
        })
    }
}

/// Options for reading a document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentOptions {
    /// How pages are cut into lines.
    pub layout: Layout,
    /// Resolution PDF pages are rendered at (10..=1200); also the resolution assumed for images when a
    /// searchable PDF is written. Default 300.
    pub dpi: u32,
    /// Limits on each image or rendered page (bytes of an image file, width, height, pixels).
    pub limits: Limits,
    /// Largest PDF accepted, in bytes (PDFs are larger than single images). Default 1 GiB.
    pub max_pdf_bytes: u64,
    /// Page analysis settings.
    pub analysis: AnalysisOptions,
    /// The password of an encrypted PDF (ignored for other inputs and for PDFs that open without one).
    pub password: Option<Password>,
    /// How the text is written: as printed (default) or with dandas attached ([`text::TextStyle`]).
    pub text_style: text::TextStyle,
    /// A line (or piece of one) the model reads with a confidence below this is dropped as not text: the
    /// guard against text the decoder writes where the image shows none (rules, specks, leaders). 0 keeps
    /// everything. Default [`DEFAULT_MIN_CONFIDENCE`].
    pub min_confidence: f32,
}

/// See [`DocumentOptions::min_confidence`]. Chosen on synthetic lines and non-text crops
/// (`benches/calibration.py`, `benches/nontext.py`), never on an evaluation set.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.1;

impl Default for DocumentOptions {
    fn default() -> Self {
        Self {
            layout: Layout::Auto,
            dpi: 300,
            limits: Limits::default(),
            max_pdf_bytes: 1 << 30,
            analysis: AnalysisOptions::default(),
            password: None,
            text_style: text::TextStyle::AsPrinted,
            min_confidence: DEFAULT_MIN_CONFIDENCE,
        }
    }
}

/// Progress of [`read_document`]: called once before the first page and after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Pages finished.
    pub pages_done: usize,
    /// Pages in the document.
    pub pages_total: usize,
}

/// The pages of an input, decoded one at a time (memory holds one page bitmap, not the document).
pub struct Pages<'a> {
    source: Source<'a>,
    next: usize,
    total: usize,
}

enum Source<'a> {
    Single(Option<DynamicImage>),
    Tiff(&'a [u8], Limits),
    Pdf(Box<PdfPages>),
}

impl<'a> Pages<'a> {
    /// Number of pages.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Check every page's size against the limits without decoding or rendering it (a PDF's page boxes, a
    /// TIFF's image headers), so that a document whose later page is too large is refused as a whole.
    pub fn check_sizes(&self) -> Result<()> {
        match &self.source {
            Source::Single(_) => Ok(()),
            Source::Pdf(pdf) => (0..self.total).try_for_each(|i| pdf.check_size(i).map(drop)),
            Source::Tiff(bytes, limits) => {
                let mut d = tiff_decoder(bytes, limits)?;
                for i in 0..self.total {
                    d.seek_to_image(i).map_err(tiff_err)?;
                    let (w, h) = d.dimensions().map_err(tiff_err)?;
                    limits.check_dimensions(w, h)?;
                }
                Ok(())
            }
        }
    }

    /// The size of page `index` in PDF points when the input is a PDF; `None` for images.
    pub fn page_size_pt(&self, index: usize) -> Option<(f32, f32)> {
        match &self.source {
            Source::Pdf(p) => p.page_size_pt(index).ok(),
            _ => None,
        }
    }

    /// The pixel size page `index` renders to when the input is a PDF (without rendering it); `None` for images.
    pub fn page_size_px(&self, index: usize) -> Option<(u32, u32)> {
        match &self.source {
            Source::Pdf(p) => p.page_size_px(index).ok(),
            _ => None,
        }
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<DynamicImage>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.total {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(match &mut self.source {
            Source::Single(img) => img.take().ok_or(Error::NoPages),
            Source::Tiff(bytes, limits) => tiff_page(bytes, i, limits),
            Source::Pdf(pdf) => pdf.render(i).map(DynamicImage::ImageLuma8),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.total - self.next;
        (left, Some(left))
    }
}

/// Open an input (PNG, JPEG, TIFF with all its pages, WebP, BMP, or PDF) as a page iterator.
pub fn pages<'a>(bytes: &'a [u8], opts: &DocumentOptions) -> Result<Pages<'a>> {
    if bytes.is_empty() {
        return Err(Error::EmptyInput);
    }
    if pdf::is_pdf(bytes) {
        if bytes.len() as u64 > opts.max_pdf_bytes {
            return Err(Error::ImageTooLarge { what: "bytes", actual: bytes.len() as u64, limit: opts.max_pdf_bytes });
        }
        let pdf = PdfPages::open(bytes, opts.dpi, opts.limits, opts.password.as_ref())?;
        let total = pdf.len();
        return Ok(Pages { source: Source::Pdf(Box::new(pdf)), next: 0, total });
    }
    if is_tiff(bytes) {
        let limit = opts.limits.max_pages;
        let total = tiff_page_count(bytes, limit.saturating_add(1).max(10_000))?;
        if total > limit {
            return Err(Error::TooManyPages { pages: total, limit });
        }
        if total > 1 {
            if bytes.len() as u64 > opts.limits.max_bytes {
                return Err(Error::ImageTooLarge {
                    what: "bytes",
                    actual: bytes.len() as u64,
                    limit: opts.limits.max_bytes,
                });
            }
            return Ok(Pages { source: Source::Tiff(bytes, opts.limits), next: 0, total });
        }
    }
    let img = image_input::decode(bytes, &opts.limits)?;
    Ok(Pages { source: Source::Single(Some(img)), next: 0, total: 1 })
}

/// Read a whole document. `progress` is called with 0 done before the first page and after every page.
///
/// A page of a multi-page document that cannot be decoded or rendered (a corrupt TIFF page, a broken PDF
/// page) does not cost the others: it is kept in its place with no lines and [`Page::error`] saying why. The
/// document fails only when no page could be read, or when recognition itself fails.
pub fn read_document(
    rec: &dyn LineRecognizer,
    bytes: &[u8],
    opts: &DocumentOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Document> {
    let start = Instant::now();
    let mut pages_iter = pages(bytes, opts)?;
    let total = pages_iter.total();
    progress(Progress { pages_done: 0, pages_total: total });
    let mut pages = Vec::with_capacity(total);
    let mut first_error = None;
    for i in 0..total {
        let Some(page) = pages_iter.next() else { break };
        match page {
            Ok(img) => pages.push(read_image(rec, &img, opts)?),
            Err(e) if total > 1 => {
                let (width, height) = pages_iter.page_size_px(i).unwrap_or((0, 0));
                pages.push(Page { width, height, error: Some(e.to_string()), ..Page::default() });
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
        progress(Progress { pages_done: i + 1, pages_total: total });
    }
    if let Some(e) = first_error.filter(|_| pages.iter().all(|p| p.error.is_some())) {
        return Err(e);
    }
    Ok(assemble(pages, start.elapsed().as_secs_f64() * 1000.0))
}

/// Build a [`Document`] from pages: plain text (lines joined by `\n`, pages by `\n\n`) and the mean
/// confidence weighted by characters.
pub fn assemble(pages: Vec<Page>, processing_time_ms: f64) -> Document {
    let text = pages
        .iter()
        .map(|p| p.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let (mut sum, mut chars) = (0.0f64, 0usize);
    for line in pages.iter().flat_map(|p| &p.lines) {
        let n = line.text.chars().count();
        sum += line.confidence as f64 * n as f64;
        chars += n;
    }
    let confidence = if chars == 0 { 0.0 } else { (sum / chars as f64) as f32 };
    Document { pages, text, confidence, processing_time_ms }
}

/// Read one page image.
pub fn read_image(rec: &dyn LineRecognizer, img: &DynamicImage, opts: &DocumentOptions) -> Result<Page> {
    let start = Instant::now();
    let gray = image_input::opaque(img).to_luma8();
    let (mut w, mut h) = gray.dimensions();
    let (mut rotation, mut quad) = (0, None);
    let (skew, mut lines) = match opts.layout {
        Layout::Line => (0.0, read_as_line(rec, gray, false, opts.min_confidence)?.1),
        Layout::Page | Layout::Auto => {
            let found = layout::analyze_page(&gray, &opts.analysis);
            (w, h, rotation, quad) = (found.width, found.height, found.rotation, found.quad);
            // Analysis is cheap next to the model: in auto, a wide strip (upright) is read whole as one line
            // unless analysis finds several lines in it (two long lines cut from a page are also wide).
            if opts.layout == Layout::Auto && quad.is_none() && w >= 4 * h && found.lines.len() < 2 {
                // When a few words say upside down and none say otherwise, the model reads it both ways.
                let upright = layout::orientation::turn(&gray, rotation);
                let (turned, lines) = read_as_line(rec, upright, found.maybe_upside_down, opts.min_confidence)?;
                rotation = (rotation + turned) % 360;
                (0.0, lines)
            } else {
                read_layout(rec, found, opts.min_confidence)?
            }
        }
    };
    for line in &mut lines {
        line.restyle(opts.text_style);
    }
    let processing_time_ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(Page { width: w, height: h, quad, rotation, skew, lines, processing_time_ms, error: None })
}

/// The whole image is one line. An image without ink gives no line (the recogniser is not asked). With
/// `either_way`, it is also read turned by 180 degrees in the same batch, and the reading with the higher
/// confidence is kept; the turn it took (0 or 180) comes back with the line. A reading below `min_confidence`
/// is no line.
fn read_as_line(
    rec: &dyn LineRecognizer,
    gray: GrayImage,
    either_way: bool,
    min_confidence: f32,
) -> Result<(u16, Vec<Line>)> {
    if !has_ink(&gray) {
        return Ok((0, vec![]));
    }
    let (w, h) = gray.dimensions();
    let mut images = vec![gray];
    if either_way {
        images.push(layout::orientation::turn(&images[0], 180));
    }
    let mut results = recognize(rec, images)?;
    let pick = usize::from(either_way && results[1].confidence > results[0].confidence);
    let result = results.swap_remove(pick);
    let text = line_text(&result, min_confidence, text::TextStyle::AsPrinted);
    if text.is_empty() {
        return Ok((0, vec![]));
    }
    let bbox = BBox { x: 0, y: 0, width: w, height: h };
    let words = spread_words(&text, bbox, result.confidence);
    Ok((if pick == 1 { 180 } else { 0 }, vec![Line { bbox, text, confidence: result.confidence, words }]))
}

/// The text of one line the model read, by the `line` layout's rules: normalised in `style`, and nothing when
/// the reading is below `min_confidence` (the bindings' `recognize_line` uses it too, so both say the same).
pub fn line_text(result: &crate::LineResult, min_confidence: f32, style: text::TextStyle) -> String {
    if result.confidence < min_confidence { String::new() } else { text::normalize_with(&result.text, style) }
}

/// Whether a line image has any ink: Sauvola with the default window and `k` finds at least one ink pixel.
/// The `line` layout's rule for "there is something to read" (the bindings' `recognize_line` uses it too).
pub fn has_ink(gray: &GrayImage) -> bool {
    let (w, h) = gray.dimensions();
    let binary = layout::binarize::sauvola(gray, layout::binarize::default_window(w, h), layout::binarize::DEFAULT_K);
    binary.pixels().any(|p| p[0] == layout::binarize::INK)
}

fn recognize(rec: &dyn LineRecognizer, images: Vec<GrayImage>) -> Result<Vec<crate::LineResult>> {
    let n = images.len();
    let results = rec.recognize_gray_lines(&images)?;
    if results.len() != n {
        return Err(Error::Inference(format!("recogniser returned {} results for {n} lines", results.len())));
    }
    Ok(results)
}

/// Read the lines page analysis found.
fn read_layout(
    rec: &dyn LineRecognizer,
    mut page: layout::PageLayout,
    min_confidence: f32,
) -> Result<(f32, Vec<Line>)> {
    let images: Vec<GrayImage> =
        page.lines.iter_mut().flat_map(|l| l.segments.iter_mut().map(|s| std::mem::take(&mut s.image))).collect();
    if images.is_empty() {
        return Ok((page.skew, vec![]));
    }
    let mut results = recognize(rec, images)?.into_iter();
    let mut lines = Vec::with_capacity(page.lines.len());
    for found in &page.lines {
        let mut texts = Vec::new();
        let mut words = Vec::new();
        let (mut conf_sum, mut conf_chars, mut conf_plain) = (0.0f32, 0usize, Vec::new());
        for seg in &found.segments {
            let Some(r) = results.next() else { break };
            let t = text::normalize(&r.text);
            conf_plain.push(r.confidence);
            if t.is_empty() || !fits(&t, seg.bbox.width, page.text_height) || r.confidence < min_confidence {
                continue;
            }
            let n = t.chars().count();
            conf_sum += r.confidence * n as f32;
            conf_chars += n;
            words.extend(assign_words(&t, &found.words[seg.words.clone()], seg.bbox, r.confidence));
            texts.push(t);
        }
        if texts.is_empty() {
            continue; // ink the model reads as nothing (noise): no line
        }
        let confidence = if conf_chars > 0 {
            conf_sum / conf_chars as f32
        } else {
            conf_plain.iter().sum::<f32>() / conf_plain.len().max(1) as f32
        };
        lines.push(Line { bbox: found.bbox, text: texts.join(" "), confidence, words });
    }
    Ok((page.skew, lines))
}

/// Whether `text` can be printed in `width` px at text height `th`. Printed Hindi runs at 1.4-3.0 code points
/// per text height of width (every dev line and page); a read far beyond that is the model making text up
/// from a speck (on a photo, a fleck of the table read as 27 characters).
fn fits(text: &str, width: u32, th: f32) -> bool {
    th <= 0.0 || text.chars().count() as f32 <= MAX_CHARS_PER_TEXT_HEIGHT * width as f32 / th + 3.0
}

/// See [`fits`]: well above the densest print measured (3.0), far below made-up text (27 on one height).
const MAX_CHARS_PER_TEXT_HEIGHT: f32 = 5.0;

/// Pair the words of a segment's text with the word boxes found on the page. When the counts agree the
/// pairing is one to one; otherwise each word gets the span of the segment proportional to its characters.
fn assign_words(text: &str, boxes: &[BBox], seg: BBox, confidence: f32) -> Vec<Word> {
    let words = text::words(text);
    if words.len() == boxes.len() {
        return words.iter().zip(boxes).map(|(w, b)| Word { bbox: *b, text: (*w).to_string(), confidence }).collect();
    }
    spread_words(text, seg, confidence)
}

/// Word boxes spread over `bbox` in proportion to character counts (spaces included).
fn spread_words(text: &str, bbox: BBox, confidence: f32) -> Vec<Word> {
    let total = text.chars().count().max(1) as f32;
    let mut out = Vec::new();
    let mut pos = 0usize;
    for (i, part) in text.split(' ').enumerate() {
        if i > 0 {
            pos += 1;
        }
        let n = part.chars().count();
        if n > 0 {
            let x0 = bbox.x + (bbox.width as f32 * pos as f32 / total) as u32;
            let x1 = bbox.x + (bbox.width as f32 * (pos + n) as f32 / total) as u32;
            out.push(Word {
                bbox: BBox { x: x0, y: bbox.y, width: (x1 - x0).max(1), height: bbox.height },
                text: part.to_string(),
                confidence,
            });
        }
        pos += n;
    }
    out
}

fn is_tiff(bytes: &[u8]) -> bool {
    bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
}

fn tiff_err(e: tiff::TiffError) -> Error {
    match e {
        tiff::TiffError::LimitsExceeded => Error::ImageTooLarge { what: "pixels", actual: 0, limit: 0 },
        other => Error::ImageDecode(format!("TIFF: {other}")),
    }
}

fn tiff_decoder<'b>(bytes: &'b [u8], limits: &Limits) -> Result<tiff::decoder::Decoder<Cursor<&'b [u8]>>> {
    let mut tl = tiff::decoder::Limits::default();
    tl.decoding_buffer_size = (limits.max_pixels.saturating_mul(8)).min(usize::MAX as u64) as usize;
    Ok(tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)?.with_limits(tl))
}

/// Count the images (IFDs) of a TIFF without decoding pixels, at most `bound`, so a looping IFD chain cannot
/// hang.
fn tiff_page_count(bytes: &[u8], bound: usize) -> Result<usize> {
    let mut d = tiff_decoder(bytes, &Limits::default())?;
    let mut n = 1;
    while d.more_images() && n < bound {
        d.next_image().map_err(tiff_err)?;
        n += 1;
    }
    Ok(n)
}

/// Decode page `index` of a multi-page TIFF, checking its size against the limits first.
fn tiff_page(bytes: &[u8], index: usize, limits: &Limits) -> Result<DynamicImage> {
    use tiff::ColorType as C;
    use tiff::decoder::DecodingResult as R;
    let mut d = tiff_decoder(bytes, limits)?;
    d.seek_to_image(index).map_err(tiff_err)?;
    let (w, h) = d.dimensions().map_err(tiff_err)?;
    limits.check_dimensions(w, h)?;
    let color = d.colortype().map_err(tiff_err)?;
    let white_is_zero = d.get_tag_u32(tiff::tags::Tag::PhotometricInterpretation).map(|v| v == 0).unwrap_or(false);
    // The page's Orientation tag (274), as for single images in `image_input::decode`.
    let orientation = d
        .get_tag_u32(tiff::tags::Tag::Orientation)
        .ok()
        .and_then(|v| u8::try_from(v).ok())
        .and_then(image::metadata::Orientation::from_exif)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let data = d.read_image().map_err(|e| match tiff_err(e) {
        // Say which page: the others may be fine.
        Error::ImageDecode(m) => Error::ImageDecode(format!("page {}: {m}", index + 1)),
        other => other,
    })?;
    let bad = || Error::ImageDecode(format!("TIFF page {index}: pixel data does not match {w}x{h} {color:?}"));
    let mut img = match (color, data) {
        (C::Gray(8), R::U8(v)) => {
            let v = if white_is_zero { v.into_iter().map(|p| 255 - p).collect() } else { v };
            DynamicImage::ImageLuma8(ImageBuffer::<Luma<u8>, _>::from_raw(w, h, v).ok_or_else(bad)?)
        }
        (C::Gray(16), R::U16(v)) => {
            DynamicImage::ImageLuma16(ImageBuffer::<Luma<u16>, _>::from_raw(w, h, v).ok_or_else(bad)?)
        }
        (C::GrayA(8), R::U8(v)) => {
            DynamicImage::ImageLumaA8(ImageBuffer::<LumaA<u8>, _>::from_raw(w, h, v).ok_or_else(bad)?)
        }
        (C::RGB(8), R::U8(v)) => DynamicImage::ImageRgb8(ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, v).ok_or_else(bad)?),
        (C::RGBA(8), R::U8(v)) => {
            DynamicImage::ImageRgba8(ImageBuffer::<Rgba<u8>, _>::from_raw(w, h, v).ok_or_else(bad)?)
        }
        (C::Gray(1), R::U8(v)) => {
            // Bilevel (fax): rows padded to whole bytes.
            let stride = w.div_ceil(8) as usize;
            if v.len() < stride * h as usize {
                return Err(bad());
            }
            DynamicImage::ImageLuma8(GrayImage::from_fn(w, h, |x, y| {
                let bit = v[y as usize * stride + x as usize / 8] >> (7 - x % 8) & 1;
                let white = (bit == 1) != white_is_zero;
                Luma([if white { 255 } else { 0 }])
            }))
        }
        (c, _) => {
            return Err(Error::UnsupportedFormat(Some(format!("TIFF page {index} with colour type {c:?}"))));
        }
    };
    img.apply_orientation(orientation);
    Ok(image_input::flatten_alpha(img))
}
