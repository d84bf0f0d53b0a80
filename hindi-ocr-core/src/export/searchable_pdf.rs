//! Searchable PDF: each page is the page image (re-rasterised from the source file, JPEG) with an invisible
//! text layer (text render mode 3) placed on the recognised words, so text selected or extracted from the
//! PDF (`pdftotext`, a viewer's copy) is the recognised Hindi.
//!
//! The text layer needs no shaping because nothing is drawn: a Type0 font (CIDFontType2, `Identity-H`)
//! embeds Lohit Devanagari (OFL); each character is written as its Unicode code point used as the CID, a
//! `CIDToGIDMap` maps CIDs to the font's glyphs and a `ToUnicode` CMap maps them back to Unicode. Every
//! glyph advances by half an em and each word is stretched (`Tz`) to its box, rotated back by the page's
//! measured skew so it lies on the original, unrotated image. A page that was read turned by 90, 180 or 270
//! degrees (`Page::rotation`) is written turned the same way, upright.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use super::pdf_writer::{PdfWriter, literal};
use crate::layout::orientation;
use crate::pipeline::{DocumentOptions, pages};
use crate::{BBox, Document, Error, Page, Result};

/// The embedded font (OFL-1.1; see `assets/fonts/LICENSE-OFL.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/Lohit-Devanagari.ttf");
const FONT_NAME: &str = "Lohit-Devanagari";
/// Glyph advance in text space units per 1000 em: every glyph is this wide.
const ADVANCE: f32 = 500.0;
/// JPEG quality of the page images.
const JPEG_QUALITY: u8 = 80;

fn cid(c: char) -> u16 {
    u16::try_from(c as u32).unwrap_or(0xFFFD)
}

/// Write a searchable PDF of `doc`, whose pages come from `source` (the same bytes and options the document
/// was read with: the pages are rendered again one at a time, so memory holds one page image).
///
/// Errors: the source's own decoding errors (except on pages the document records as unreadable, which become
/// blank pages), and [`Error::Export`] when the source's pages do not match
/// the document (count or size).
pub fn to_searchable_pdf(doc: &Document, source: &[u8], opts: &DocumentOptions) -> Result<Vec<u8>> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| Error::Export(format!("embedded font: {e}")))?;
    let mut src = pages(source, opts)?;
    if src.total() != doc.pages.len() {
        return Err(Error::Export(format!(
            "source has {} pages but the document has {}",
            src.total(),
            doc.pages.len()
        )));
    }

    let mut w = PdfWriter::new();
    let catalog = w.alloc();
    let page_tree = w.alloc();
    let font = w.alloc();
    let info = w.alloc();
    let mut kids = Vec::new();

    for (i, page) in doc.pages.iter().enumerate() {
        let rendered = src.next().ok_or_else(|| Error::Export(format!("source ended before page {}", i + 1)))?;
        if page.error.is_some() {
            // A page that could not be read when the document was: a blank page in its place, so the page
            // numbers still match the original's.
            let (pw, ph) = src.page_size_pt(i).unwrap_or((595.0, 842.0));
            let page_id = w.alloc();
            w.object(page_id, &format!("<< /Type /Page /Parent {page_tree} 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] >>"));
            kids.push(page_id);
            continue;
        }
        let mut img = rendered?.to_luma8();
        // A photo read straightened is written straightened, and a page read turned (sideways or upside down)
        // upright: as it was read, so the text lies over its words.
        if let Some(quad) = &page.quad {
            img = crate::layout::page_quad::rectify(&img, quad)
                .ok_or_else(|| Error::Export(format!("page {}: the recorded page corners are degenerate", i + 1)))?;
        }
        let img = orientation::turn(&img, page.rotation);
        if img.dimensions() != (page.width, page.height) {
            return Err(Error::Export(format!(
                "page {}: source renders {}x{}, document page is {}x{} (same dpi?)",
                i + 1,
                img.width(),
                img.height(),
                page.width,
                page.height
            )));
        }
        let (pw, ph) = src
            .page_size_pt(i)
            .map(|(a, b)| if page.rotation % 180 == 90 { (b, a) } else { (a, b) })
            .unwrap_or((page.width as f32 * 72.0 / opts.dpi as f32, page.height as f32 * 72.0 / opts.dpi as f32));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8)
            .map_err(|e| Error::Export(format!("JPEG: {e}")))?;
        drop(img);

        let image_id = w.alloc();
        w.stream(
            image_id,
            &format!(
                "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
                page.width, page.height
            ),
            &jpeg,
            false,
        );
        let content = page_content(page, pw, ph);
        let content_id = w.alloc();
        w.stream(content_id, "", content.as_bytes(), true);
        let page_id = w.alloc();
        w.object(
            page_id,
            &format!(
                "<< /Type /Page /Parent {page_tree} 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] /Contents {content_id} 0 R /Resources << /XObject << /Im0 {image_id} 0 R >> /Font << /F0 {font} 0 R >> >> >>"
            ),
        );
        kids.push(page_id);
    }

    write_font(&mut w, font, &face, doc);
    let kids_list: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    w.object(page_tree, &format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids_list.join(" "), kids.len()));
    w.object(catalog, &format!("<< /Type /Catalog /Pages {page_tree} 0 R >>"));
    w.object(info, &format!("<< /Producer {} >>", literal(&format!("hindi-ocr {}", env!("CARGO_PKG_VERSION")))));
    Ok(w.finish(catalog, Some(info)))
}

/// The page's content stream: the image over the whole page, then the invisible words.
fn page_content(page: &Page, pw: f32, ph: f32) -> String {
    let mut s = format!("q {pw:.3} 0 0 {ph:.3} 0 0 cm /Im0 Do Q\n");
    let (kx, ky) = (pw / page.width.max(1) as f32, ph / page.height.max(1) as f32);
    let (sin, cos) = page.skew.to_radians().sin_cos();
    let (cx, cy) = (page.width as f32 / 2.0, page.height as f32 / 2.0);
    // Deskewed pixel -> original pixel (rotate back about the centre) -> PDF points (y up).
    let to_pdf = |x: f32, y: f32| {
        let (dx, dy) = (x - cx, y - cy);
        let (ox, oy) = (cx + dx * cos + dy * sin, cy - dx * sin + dy * cos);
        (ox * kx, ph - oy * ky)
    };
    s.push_str("BT\n3 Tr\n");
    for line in &page.lines {
        // One run per word (with its trailing space, so extractors see word breaks); a line without word
        // boxes is one run.
        let runs: Vec<(String, BBox)> = if line.words.is_empty() {
            vec![(line.text.clone(), line.bbox)]
        } else {
            line.words
                .iter()
                .enumerate()
                .map(|(i, word)| match line.words.get(i + 1) {
                    Some(next) if next.bbox.x > word.bbox.x => {
                        let b = BBox { width: next.bbox.x - word.bbox.x, ..word.bbox };
                        (format!("{} ", word.text), b)
                    }
                    _ => (word.text.clone(), word.bbox),
                })
                .collect()
        };
        for (text, b) in runs {
            let n = text.chars().count();
            if n == 0 {
                continue;
            }
            let size = (b.height as f32 * ky).max(1.0);
            let natural = n as f32 * ADVANCE / 1000.0 * size;
            let stretch = (100.0 * b.width.max(1) as f32 * kx / natural).clamp(1.0, 10_000.0);
            let (x, y) = to_pdf(b.x as f32, (b.y + b.height) as f32);
            let hex: String = text.chars().map(|c| format!("{:04X}", cid(c))).collect();
            let _ = writeln!(
                s,
                "/F0 {size:.2} Tf {stretch:.2} Tz {cos:.5} {sin:.5} {:.5} {cos:.5} {x:.2} {y:.2} Tm <{hex}> Tj",
                -sin
            );
        }
    }
    s.push_str("ET\n");
    s
}

/// The Type0 font with its descendant CIDFontType2, descriptor, embedded TrueType file, CID-to-glyph map and
/// ToUnicode CMap, covering every character the document uses.
fn write_font(w: &mut PdfWriter, type0: u32, face: &ttf_parser::Face<'_>, doc: &Document) {
    let mut used: BTreeSet<u16> = BTreeSet::new();
    for line in doc.pages.iter().flat_map(|p| &p.lines) {
        used.extend(line.text.chars().map(cid));
        used.extend(line.words.iter().flat_map(|w| w.text.chars()).map(cid));
    }
    used.insert(cid(' '));
    let max_cid = used.iter().copied().max().unwrap_or(0) as usize;
    let mut cid_to_gid = vec![0u8; 2 * (max_cid + 1)];
    for &c in &used {
        let gid = char::from_u32(c as u32).and_then(|ch| face.glyph_index(ch)).map(|g| g.0).unwrap_or(0);
        cid_to_gid[2 * c as usize..2 * c as usize + 2].copy_from_slice(&gid.to_be_bytes());
    }

    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let used: Vec<u16> = used.into_iter().collect();
    for chunk in used.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for c in chunk {
            let _ = writeln!(cmap, "<{c:04X}> <{c:04X}>");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");

    let upem = face.units_per_em() as f32;
    let scale = |v: i16| (v as f32 * 1000.0 / upem).round() as i32;
    let bb = face.global_bounding_box();
    let cid_font = w.alloc();
    let descriptor = w.alloc();
    let file = w.alloc();
    let to_unicode = w.alloc();
    let gid_map = w.alloc();
    w.object(
        type0,
        &format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{FONT_NAME} /Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ),
    );
    w.object(
        cid_font,
        &format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{FONT_NAME} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW {ADVANCE} /CIDToGIDMap {gid_map} 0 R >>"
        ),
    );
    w.object(
        descriptor,
        &format!(
            "<< /Type /FontDescriptor /FontName /{FONT_NAME} /Flags 4 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /FontFile2 {file} 0 R >>",
            scale(bb.x_min),
            scale(bb.y_min),
            scale(bb.x_max),
            scale(bb.y_max),
            scale(face.ascender()),
            scale(face.descender()),
            scale(face.capital_height().unwrap_or(face.ascender())),
        ),
    );
    w.stream(file, &format!("/Length1 {}", FONT.len()), FONT, true);
    w.stream(to_unicode, "", cmap.as_bytes(), true);
    w.stream(gid_map, "", &cid_to_gid, true);
}

/// A PDF of page images only (no text layer), each page sized for `dpi`. Useful to bundle scans, and to
/// build PDF inputs in tests.
pub fn images_to_pdf(pages: &[image::GrayImage], dpi: u32) -> Result<Vec<u8>> {
    let dpi = dpi.max(1) as f32;
    let mut w = PdfWriter::new();
    let catalog = w.alloc();
    let page_tree = w.alloc();
    let mut kids = Vec::new();
    for img in pages {
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8)
            .map_err(|e| Error::Export(format!("JPEG: {e}")))?;
        let (pw, ph) = (img.width() as f32 * 72.0 / dpi, img.height() as f32 * 72.0 / dpi);
        let image_id = w.alloc();
        w.stream(
            image_id,
            &format!(
                "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
                img.width(),
                img.height()
            ),
            &jpeg,
            false,
        );
        let content_id = w.alloc();
        w.stream(content_id, "", format!("q {pw:.3} 0 0 {ph:.3} 0 0 cm /Im0 Do Q\n").as_bytes(), true);
        let page_id = w.alloc();
        w.object(
            page_id,
            &format!(
                "<< /Type /Page /Parent {page_tree} 0 R /MediaBox [0 0 {pw:.3} {ph:.3}] /Contents {content_id} 0 R /Resources << /XObject << /Im0 {image_id} 0 R >> >> >>"
            ),
        );
        kids.push(format!("{page_id} 0 R"));
    }
    w.object(page_tree, &format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len()));
    w.object(catalog, &format!("<< /Type /Catalog /Pages {page_tree} 0 R >>"));
    Ok(w.finish(catalog, None))
}
