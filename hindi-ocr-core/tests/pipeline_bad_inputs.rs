//! Bad and odd inputs give clear errors or empty results, never a panic.

mod common;

use common::{Script, png};
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
