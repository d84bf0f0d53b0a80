//! PAGE XML: the PRImA PAGE content schema 2019-07-15 (namespace
//! `http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15`), the version OCR-D works in.
//!
//! A PAGE file describes one page image, so one page of the document is written per file:
//! `PcGts` > `Metadata` (`Creator`, `Created`, `LastChange`, `Comments`) + `Page` > `ReadingOrder` +
//! `TextRegion` > `TextLine` > `Word`. Every element carries `Coords` (its box as four corners, clockwise from
//! the top-left) and `TextEquiv` (`Unicode`, `conf` 0-1). The core finds lines, not blocks, so one region
//! holds all of a page's lines (as hOCR's single `ocr_carea` and ALTO's single `TextBlock` do). No `Baseline`:
//! the result carries boxes only, and a baseline guessed from a box would mislead tools that train on it.
//!
//! Coordinate frame: the boxes are those of the JSON result, in pixels of the page as it was read: a photo
//! straightened to a rectangle from its corners (`Page::quad`), then turned upright (`Page::rotation`), then
//! deskewed by a turn about its centre (`Page::skew`, same size). `imageWidth`/`imageHeight` are that page's
//! size. When any of these applies the
//! coordinates are not pixels of the file named in `imageFilename`; `Metadata/Comments` says which did.

use std::time::{SystemTime, UNIX_EPOCH};

use super::xml::escape;
use crate::{BBox, Document, Error, Line, Page, Result};

const NAMESPACE: &str = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15";

/// What [`to_page_xml`] writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageXmlOptions {
    /// The page to write, numbered from 1. `None` writes the document's only page; a document of several
    /// pages is then an error (PAGE XML holds one page per file).
    pub page: Option<usize>,
    /// `Page/@imageFilename`: the name of the image (or PDF, TIFF) the page was read from.
    pub image_filename: String,
}

/// One page of the document as PAGE XML (see the module docs for the structure and the coordinate frame).
/// Errors when the page asked for does not exist, or none was asked for and the document has several.
pub fn to_page_xml(doc: &Document, opts: &PageXmlOptions) -> Result<String> {
    let index = page_index(doc.pages.len(), opts.page)?;
    let page_no = index + 1;
    let page = &doc.pages[index];
    let name = &opts.image_filename;
    Ok(write(page, page_no, doc.pages.len(), name, SystemTime::now()))
}

/// The 0-based index of `page` (1-based) in a document of `count` pages.
fn page_index(count: usize, page: Option<usize>) -> Result<usize> {
    match page {
        _ if count == 0 => Err(Error::InvalidParams("the document has no pages to write as PAGE XML".into())),
        Some(p) if (1..=count).contains(&p) => Ok(p - 1),
        Some(p) => Err(Error::InvalidParams(format!("page must be 1 to {count}, got {p}"))),
        None if count == 1 => Ok(0),
        None => Err(Error::InvalidParams(format!(
            "PAGE XML holds one page and this document has {count}: choose one (1 to {count})"
        ))),
    }
}

fn write(page: &Page, page_no: usize, pages: usize, image_filename: &str, now: SystemTime) -> String {
    let stamp = utc_timestamp(now);
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<PcGts xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NAMESPACE} {NAMESPACE}/pagecontent.xsd\">\n"
    ));
    s.push_str("<Metadata>\n");
    s.push_str(&format!("<Creator>hindi-ocr {}</Creator>\n", env!("CARGO_PKG_VERSION")));
    s.push_str(&format!("<Created>{stamp}</Created>\n<LastChange>{stamp}</LastChange>\n"));
    s.push_str(&format!("<Comments>{}</Comments>\n", escape(&comments(page, page_no, pages))));
    s.push_str("</Metadata>\n");
    s.push_str(&format!(
        "<Page imageFilename=\"{}\" imageWidth=\"{}\" imageHeight=\"{}\">\n",
        escape(image_filename),
        page.width,
        page.height
    ));
    if let Some(area) = page.lines.iter().map(|l| l.bbox).reduce(BBox::union) {
        let region = "r1";
        s.push_str("<ReadingOrder>\n<OrderedGroup id=\"ro1\">\n");
        s.push_str(&format!("<RegionRefIndexed index=\"0\" regionRef=\"{region}\"/>\n"));
        s.push_str("</OrderedGroup>\n</ReadingOrder>\n");
        s.push_str(&format!("<TextRegion id=\"{region}\">\n{}", coords(&area)));
        for (li, line) in page.lines.iter().enumerate() {
            write_line(&mut s, line, &format!("{region}_l{}", li + 1));
        }
        let text: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        s.push_str(&text_equiv(&text.join("\n"), region_confidence(&page.lines)));
        s.push_str("</TextRegion>\n");
    }
    s.push_str("</Page>\n</PcGts>\n");
    s
}

fn write_line(s: &mut String, line: &Line, id: &str) {
    s.push_str(&format!("<TextLine id=\"{id}\">\n{}", coords(&line.bbox)));
    for (wi, word) in line.words.iter().enumerate() {
        s.push_str(&format!("<Word id=\"{id}_w{}\">\n{}", wi + 1, coords(&word.bbox)));
        s.push_str(&text_equiv(&word.text, word.confidence));
        s.push_str("</Word>\n");
    }
    s.push_str(&text_equiv(&line.text, line.confidence));
    s.push_str("</TextLine>\n");
}

/// What the reader of the file needs to know that the schema has no place for: which page of the source
/// this is, the frame the coordinates are in, and why a page has no text.
fn comments(page: &Page, page_no: usize, pages: usize) -> String {
    let mut steps = Vec::new();
    if let Some(q) = page.quad {
        let corners: Vec<String> = q.iter().map(|(x, y)| format!("{x:.0},{y:.0}")).collect();
        steps.push(format!("straightened to a rectangle from the page's corners in the photo ({})", corners.join(" ")));
    }
    if page.rotation != 0 {
        steps.push(format!("turned {} degrees clockwise", page.rotation));
    }
    if page.skew != 0.0 {
        steps.push(format!("deskewed (its skew of {:.2} degrees turned away about its centre)", page.skew));
    }
    let mut note = format!("Page {page_no} of {pages}. Coordinates are pixels of the page as it was read");
    if steps.is_empty() {
        note.push_str(" (the image as it is).");
    } else {
        note.push_str(&format!(": the image {}.", steps.join(", then ")));
    }
    if let Some(e) = &page.error {
        note.push_str(&format!(" This page could not be read: {e}"));
    }
    note
}

/// The box as a PAGE polygon: its four corners clockwise from the top-left, right and bottom edges exclusive
/// (as hOCR's `bbox x0 y0 x1 y1`).
fn coords(b: &BBox) -> String {
    let (x0, y0) = (b.x, b.y);
    let (x1, y1) = (b.x.saturating_add(b.width), b.y.saturating_add(b.height));
    format!("<Coords points=\"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}\"/>\n")
}

fn text_equiv(text: &str, confidence: f32) -> String {
    format!("<TextEquiv conf=\"{:.4}\">\n<Unicode>{}</Unicode>\n</TextEquiv>\n", conf(confidence), escape(text))
}

/// A confidence the schema takes: in [0, 1] (NaN, which `clamp` keeps, becomes 0).
fn conf(c: f32) -> f32 {
    if c.is_finite() { c.clamp(0.0, 1.0) } else { 0.0 }
}

/// The region's confidence: its lines' confidences weighted by characters (as the document's is), or their
/// plain mean when no line has text.
fn region_confidence(lines: &[Line]) -> f32 {
    let (mut sum, mut chars) = (0.0f32, 0usize);
    for l in lines {
        let n = l.text.chars().count();
        sum += conf(l.confidence) * n as f32;
        chars += n;
    }
    if chars > 0 {
        return sum / chars as f32;
    }
    lines.iter().map(|l| conf(l.confidence)).sum::<f32>() / lines.len().max(1) as f32
}

/// `time` as the schema's `dateTime` in UTC (`2019-07-15T12:00:00`), without a date crate: days since the
/// epoch to a civil date (H. Hinnant's algorithm). A clock before 1970 reads as 1970.
fn utc_timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        let at = |s: u64| utc_timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(at(1_563_192_000), "2019-07-15T12:00:00");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59");
    }

    #[test]
    fn the_page_asked_for_must_exist() {
        assert_eq!(page_index(1, None).ok(), Some(0));
        assert_eq!(page_index(3, Some(3)).ok(), Some(2));
        for (count, page) in [(3, None), (3, Some(0)), (3, Some(4)), (0, None)] {
            assert!(matches!(page_index(count, page), Err(Error::InvalidParams(_))), "{count} {page:?}");
        }
    }

    #[test]
    fn confidences_fit_the_schema() {
        assert_eq!((conf(f32::NAN), conf(1.5), conf(-0.1), conf(0.25)), (0.0, 1.0, 0.0, 0.25));
        let line = |text: &str, confidence| Line { text: text.into(), confidence, ..Line::default() };
        assert!((region_confidence(&[line("abc", 1.0), line("d", 0.0)]) - 0.75).abs() < 1e-6);
        assert!((region_confidence(&[line("", 0.5), line("", 0.7)]) - 0.6).abs() < 1e-6);
    }
}
