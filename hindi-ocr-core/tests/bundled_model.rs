//! The bundled model (`models/hindi-trocr`) reads rendered Hindi lines.
//!
//! `training/make_line_fixtures.py` rendered five sentences written for this test (not from the training corpus
//! or the evaluation set) in five Devanagari fonts, two of them degraded (blur, grey paper, noise), and recorded
//! the text and the token ids Python ONNX Runtime reads with the bundled model. The engine must read every line
//! exactly, with the same token ids (parity between the Rust engine and the Python export check), and through
//! `Engine::bundled()`, so the bundled model is what the engine finds by default.

use std::path::{Path, PathBuf};

use hindi_ocr_core::{Engine, Params};

struct Line {
    file: String,
    text: String,
    token_ids: Vec<u32>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lines")
}

fn expected() -> Vec<Line> {
    let tsv = std::fs::read_to_string(fixtures_dir().join("expected.tsv")).expect("expected.tsv is readable");
    tsv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "expected.tsv row {l:?}: file, text, token ids");
            Line {
                file: cols[0].to_string(),
                text: cols[1].to_string(),
                token_ids: cols[2].split(' ').map(|t| t.parse().expect("token id")).collect(),
            }
        })
        .collect()
}

fn bundled_engine() -> Engine {
    // Greedy, as the model's generation_config.json says; explicit so the test does not depend on defaults.
    Engine::bundled().expect("the bundled model loads").with_params(Params::greedy()).expect("greedy params")
}

#[test]
fn bundled_model_is_the_hindi_trocr_export() {
    let engine = bundled_engine();
    let info = engine.info();
    assert!(info.source.contains("hindi-trocr"), "Engine::bundled() should find models/hindi-trocr, got {}", info.source);
    assert!(info.merged_decoder, "the bundled export ships decoder_model_merged.onnx");
    assert_eq!((info.processor.height, info.processor.width), (48, 768), "preprocessor_config.json size");
    assert_eq!(info.decoder.layers, 6);
    assert_eq!(info.tokenizer_vocab_size, 2010);
}

#[test]
fn reads_rendered_lines_exactly_one_by_one() {
    let engine = bundled_engine();
    let lines = expected();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        let img = image::open(fixtures_dir().join(&line.file)).expect("fixture decodes");
        let got = engine.recognize_line(&img).expect("recognition runs");
        assert_eq!(got.text, line.text, "{}: text", line.file);
        assert_eq!(got.token_ids, line.token_ids, "{}: token ids differ from Python ONNX Runtime", line.file);
        assert!(got.confidence > 0.5, "{}: confidence {} for an exact read", line.file, got.confidence);
    }
}

#[test]
fn reads_rendered_lines_exactly_in_one_batch() {
    let engine = bundled_engine();
    let lines = expected();
    let images: Vec<_> =
        lines.iter().map(|l| image::open(fixtures_dir().join(&l.file)).expect("fixture decodes")).collect();
    let got = engine.recognize_lines(&images).expect("batched recognition runs");
    assert_eq!(got.len(), lines.len());
    for (g, l) in got.iter().zip(&lines) {
        assert_eq!(g.text, l.text, "{}: text in a batch", l.file);
    }
}

/// The five fixture lines stacked into one page with white margins, for the whole-document path.
fn stacked_page() -> image::GrayImage {
    let lines: Vec<image::GrayImage> = expected()
        .iter()
        .map(|l| image::open(fixtures_dir().join(&l.file)).expect("fixture line decodes").to_luma8())
        .collect();
    let width = lines.iter().map(|l| l.width()).max().unwrap_or(0) + 80;
    let height = lines.iter().map(|l| l.height() + 30).sum::<u32>() + 60;
    let mut page = image::GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut y = 40;
    for line in &lines {
        image::imageops::replace(&mut page, line, 40, i64::from(y));
        y += line.height() + 30;
    }
    page
}

/// PNG bytes of `img`, with an EXIF block holding the Orientation tag `orientation` when given.
fn png_bytes(img: &image::GrayImage, orientation: Option<u16>) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let mut enc = image::codecs::png::PngEncoder::new(&mut out);
    if let Some(o) = orientation {
        // TIFF header, one IFD with one SHORT entry (0x0112 Orientation), no next IFD.
        let mut exif = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        exif.extend(o.to_le_bytes());
        exif.extend([0, 0, 0, 0, 0, 0]);
        enc.set_exif_metadata(exif).expect("PNG takes EXIF");
    }
    enc.write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::L8).expect("PNG encodes");
    out
}

#[test]
fn a_page_scanned_sideways_or_upside_down_reads_as_upright() {
    use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_document};
    use image::imageops::{rotate90, rotate180, rotate270};
    let engine = bundled_engine();
    let page = stacked_page();
    let opts = DocumentOptions { layout: Layout::Page, ..Default::default() };
    let read = |bytes: Vec<u8>| read_document(&engine, &bytes, &opts, &mut |_| {}).expect("page reads");
    let upright = read(png_bytes(&page, None));
    let want: Vec<String> = expected().into_iter().map(|l| l.text).collect();
    assert_eq!(upright.text, want.join("\n"));
    assert_eq!(upright.pages[0].rotation, 0);
    // Turned clockwise by 90, 180, 270: turned back by 270, 180, 90, and read the same.
    for (turned, back) in [(rotate90(&page), 270), (rotate180(&page), 180), (rotate270(&page), 90)] {
        let doc = read(png_bytes(&turned, None));
        let p = &doc.pages[0];
        assert_eq!(p.rotation, back, "{}", doc.text);
        assert_eq!((p.width, p.height), page.dimensions(), "the upright page's size");
        assert_eq!(doc.text, upright.text, "turned back by {back}");
        assert_eq!(
            p.lines.iter().map(|l| l.bbox).collect::<Vec<_>>(),
            upright.pages[0].lines.iter().map(|l| l.bbox).collect::<Vec<_>>(),
            "boxes in the upright frame"
        );
    }
    // Stored sideways with an EXIF tag that says so (as phones do): upright once decoded, nothing to turn.
    let doc = read(png_bytes(&rotate270(&page), Some(6)));
    assert_eq!((doc.pages[0].rotation, doc.text.as_str()), (0, upright.text.as_str()));
    // Told to read the page as it lies, the sideways page is not turned.
    let mut as_is = opts.clone();
    as_is.analysis.detect_orientation = false;
    let doc = read_document(&engine, &png_bytes(&rotate90(&page), None), &as_is, &mut |_| {}).expect("reads");
    assert_eq!(doc.pages[0].rotation, 0);
    assert_ne!(doc.text, upright.text);
}

#[test]
fn a_line_image_upside_down_reads_as_upright() {
    use hindi_ocr_core::pipeline::{DocumentOptions, read_document};
    let engine = bundled_engine();
    let opts = DocumentOptions::default(); // auto: each fixture is a wide strip, read as one line
    for line in expected() {
        let img = image::open(fixtures_dir().join(&line.file)).expect("fixture decodes").to_luma8();
        let doc = read_document(&engine, &png_bytes(&image::imageops::rotate180(&img), None), &opts, &mut |_| {}).unwrap();
        assert_eq!((doc.text.as_str(), doc.pages[0].rotation), (line.text.as_str(), 180), "{}", line.file);
    }
}

#[test]
fn a_born_digital_pdf_reads_as_printed() {
    // fixtures/born_digital/make.sh: report.txt printed to PDF by Chromium, text drawn from the embedded
    // Noto Sans (page 1) and Noto Serif (page 2) Devanagari fonts, no images. hayro renders the shaped glyphs.
    use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_document};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/born_digital");
    let pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    let want = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    let opts = DocumentOptions { layout: Layout::Page, ..Default::default() };
    let doc = read_document(&bundled_engine(), &pdf, &opts, &mut |_| {}).expect("the PDF reads");
    assert_eq!(doc.pages.len(), 2);
    assert_eq!(doc.text, want.trim_end(), "pages joined by a blank line");
}

#[test]
fn a_photo_of_a_page_seen_at_an_angle_is_straightened_and_read() {
    use hindi_ocr_core::export::to_searchable_pdf;
    use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_document};
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
    let engine = bundled_engine();
    let page = stacked_page();
    let (w, h) = (page.width() as f32, page.height() as f32);
    // The page on a dark table, photographed from below its bottom edge: the far (top) edge is 30 % narrower
    // than the near one, and the whole is turned a little.
    let (pw, ph) = (1.6 * w, 1.7 * h);
    let corners = [(0.32 * w, 0.25 * h), (1.22 * w, 0.3 * h), (1.45 * w, 1.4 * h), (0.12 * w, 1.35 * h)];
    let to = Projection::from_control_points([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], corners).unwrap();
    let mut photo = image::GrayImage::from_pixel(pw as u32, ph as u32, image::Luma([70]));
    let mut on_table = image::GrayImage::from_pixel(pw as u32, ph as u32, image::Luma([0]));
    warp_into(&page, to, Interpolation::Bilinear, Border::Constant(image::Luma([0])), &mut on_table);
    let mask = image::GrayImage::from_pixel(page.width(), page.height(), image::Luma([255]));
    let mut covered = image::GrayImage::new(pw as u32, ph as u32);
    warp_into(&mask, to, Interpolation::Bilinear, Border::Constant(image::Luma([0])), &mut covered);
    for (x, y, p) in photo.enumerate_pixels_mut() {
        let a = covered.get_pixel(x, y)[0] as u32;
        p[0] = ((on_table.get_pixel(x, y)[0] as u32 * a + 70 * (255 - a)) / 255) as u8;
    }
    let opts = DocumentOptions { layout: Layout::Page, ..Default::default() };
    let bytes = png_bytes(&photo, None);
    if std::env::var_os("HINDI_OCR_WRITE_FIXTURES").is_some() {
        // The web page's browser test uploads this photo (tests/fixtures/photo_keystone.jpg).
        photo.save(fixtures_dir().join("../photo_keystone.jpg")).expect("fixture written");
    }
    let doc = read_document(&engine, &bytes, &opts, &mut |_| {}).expect("the photo reads");
    let want: Vec<String> = expected().into_iter().map(|l| l.text).collect();
    assert_eq!(doc.text, want.join("\n"));
    let quad = doc.pages[0].quad.expect("the page was straightened");
    for (found, real) in quad.iter().zip(corners) {
        assert!((found.0 - real.0).abs() < 0.05 * pw && (found.1 - real.1).abs() < 0.05 * ph, "{quad:?} vs {corners:?}");
    }
    // The option turns it off. (These short lines read right either way; on full pages straightening is what
    // keeps strongly keystoned photos readable: docs/DOCUMENTS.md.)
    let mut plain = opts.clone();
    plain.analysis.rectify_photos = false;
    assert_eq!(read_document(&engine, &bytes, &plain, &mut |_| {}).expect("reads").pages[0].quad, None);
    // The searchable PDF is of the straightened page, the size the boxes were measured in.
    let pdf = to_searchable_pdf(&doc, &bytes, &opts).expect("searchable PDF");
    let reread = read_document(&engine, &pdf, &opts, &mut |_| {}).expect("the PDF reads");
    assert_eq!(reread.text, doc.text);
}
