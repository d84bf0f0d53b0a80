//! Bad and odd inputs give clear errors or empty results, never a panic.

mod common;

use common::{Script, draw_word, png};
use hindi_ocr_core::pipeline::{DocumentOptions, Layout, pages, read_document};
use hindi_ocr_core::{Error, Progress};
use image::{GrayImage, Luma};

fn read(bytes: &[u8], layout: Layout) -> hindi_ocr_core::Result<hindi_ocr_core::Document> {
    let rec = Script::new(&["कुछ"; 64]);
    let opts = DocumentOptions { layout, ..Default::default() };
    read_document(&rec, bytes, &opts, &mut |_: Progress| {})
}

#[test]
fn empty_and_garbage_bytes_are_errors() {
    assert!(matches!(read(b"", Layout::Auto), Err(Error::EmptyInput)));
    assert!(matches!(read(b"hello, not an image", Layout::Auto), Err(Error::UnsupportedFormat(_))));
}

#[test]
fn one_pixel_image_gives_an_empty_page() {
    for layout in [Layout::Line, Layout::Page, Layout::Auto] {
        let doc = read(&png(&GrayImage::from_pixel(1, 1, Luma([0]))), layout).unwrap();
        assert_eq!(doc.pages.len(), 1);
        assert!(doc.pages[0].lines.is_empty(), "{layout}");
        assert_eq!(doc.text, "");
    }
}

#[test]
fn all_white_page_gives_no_lines_and_does_not_call_the_recognizer() {
    let rec = Script::new(&["never"]);
    for layout in [Layout::Line, Layout::Page] {
        let opts = DocumentOptions { layout, ..Default::default() };
        let doc = read_document(&rec, &png(&GrayImage::from_pixel(1200, 900, Luma([255]))), &opts, &mut |_| {}).unwrap();
        assert!(doc.pages[0].lines.is_empty());
        assert_eq!(doc.confidence, 0.0);
    }
    assert!(rec.seen.lock().unwrap().is_empty());
}

#[test]
fn very_tall_strip_is_handled() {
    // 20000 px tall, 60 px wide, a few marks: no panic, at most a handful of tiny lines.
    let mut strip = GrayImage::from_pixel(60, 20_000, Luma([255]));
    for k in 0..50u32 {
        for y in k * 400..k * 400 + 20 {
            for x in 10..40 {
                strip.put_pixel(x, y, Luma([0]));
            }
        }
    }
    let doc = read(&png(&strip), Layout::Page).unwrap();
    assert_eq!(doc.pages[0].height, 20_000);
    // Over the height limit: a clear error before decoding.
    let too_tall = GrayImage::from_pixel(2, 20_001, Luma([255]));
    assert!(matches!(read(&png(&too_tall), Layout::Page), Err(Error::ImageTooLarge { what: "height", .. })));
}

#[test]
fn multi_page_tiff_yields_every_page() {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut enc = tiff::encoder::TiffEncoder::new(&mut buf).unwrap();
        for shade in [0u8, 100, 200] {
            let img = GrayImage::from_pixel(30, 20, Luma([shade]));
            enc.write_image::<tiff::encoder::colortype::Gray8>(30, 20, img.as_raw()).unwrap();
        }
    }
    let bytes = buf.into_inner();
    let p = pages(&bytes, &DocumentOptions::default()).unwrap();
    assert_eq!(p.total(), 3);
    let shades: Vec<u8> = p.map(|img| img.unwrap().to_luma8().get_pixel(5, 5)[0]).collect();
    assert_eq!(shades, [0, 100, 200]);
}

/// A three-page TIFF, a word on each page, whose page `broken` (0-based) has its pixel data pointing past
/// the end of the file (as when a scanner's file is damaged): that page cannot be decoded, the others can.
fn tiff_with_broken_pages(broken: &[usize]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut enc = tiff::encoder::TiffEncoder::new(&mut buf).unwrap();
        for _ in 0..3 {
            let mut img = GrayImage::from_pixel(300, 100, Luma([255]));
            draw_word(&mut img, 40, 40, 120, 30);
            enc.write_image::<tiff::encoder::colortype::Gray8>(300, 100, img.as_raw()).unwrap();
        }
    }
    let mut bytes = buf.into_inner();
    for &page in broken {
        let mut d = tiff::decoder::Decoder::new(std::io::Cursor::new(&bytes)).unwrap();
        d.seek_to_image(page).unwrap();
        let offset = d.get_tag_u32(tiff::tags::Tag::StripOffsets).unwrap();
        // The IFD entry: tag 273 (StripOffsets), type LONG, count 1, the offset inline (little-endian file).
        let mut entry = vec![0x11, 0x01, 4, 0, 1, 0, 0, 0];
        entry.extend_from_slice(&offset.to_le_bytes());
        let at = bytes.windows(entry.len()).position(|w| w == entry).expect("StripOffsets entry");
        bytes[at + 8..at + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    }
    bytes
}

#[test]
fn a_broken_page_of_a_multi_page_tiff_does_not_cost_the_others() {
    let doc = read(&tiff_with_broken_pages(&[1]), Layout::Page).expect("pages 1 and 3 are read");
    assert_eq!(doc.pages.len(), 3, "the broken page keeps its place");
    for i in [0, 2] {
        assert_eq!(doc.pages[i].error, None);
        assert_eq!(doc.pages[i].lines.len(), 1, "page {}", i + 1);
    }
    let error = doc.pages[1].error.as_deref().expect("page 2 says why");
    assert!(error.contains("page 2"), "{error}");
    assert!(doc.pages[1].lines.is_empty());
    assert_eq!(doc.text, "कुछ\n\n\n\nकुछ", "an empty page between the two");
    let json = hindi_ocr_core::export::to_json(&doc);
    assert!(json.contains("\"error\""), "the JSON says which page failed");

    // The searchable PDF keeps the page count: a blank page where the broken one was.
    let pdf = hindi_ocr_core::export::to_searchable_pdf(&doc, &tiff_with_broken_pages(&[1]), &DocumentOptions { layout: Layout::Page, ..Default::default() })
        .expect("searchable PDF");
    assert_eq!(pages(&pdf, &DocumentOptions::default()).unwrap().total(), 3);

    // When no page can be read, the document is an error, as a broken single image is.
    let err = read(&tiff_with_broken_pages(&[0, 1, 2]), Layout::Page).err().expect("nothing readable");
    assert!(err.to_string().contains("page 1"), "{err}");
}

#[test]
fn the_broken_page_fixtures_are_these_tiffs() {
    // tests/fixtures/broken_page.tif (page 2 broken) and broken_first_page.tif (page 1) serve the CLI, service and
    // Python tests. HINDI_OCR_WRITE_FIXTURES=1 writes them again.
    for (name, broken) in [("broken_page.tif", 1), ("broken_first_page.tif", 0)] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        let bytes = tiff_with_broken_pages(&[broken]);
        if std::env::var_os("HINDI_OCR_WRITE_FIXTURES").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).expect("fixture (HINDI_OCR_WRITE_FIXTURES=1 writes it)"), bytes, "{name}");
    }
}
