//! Limits on documents: PDF decompression bombs (images declared huge, streams that inflate to a gigabyte)
//! and documents with too many pages are refused with a typed error before any page is decoded or rendered.

#[path = "common/pdf_bombs.rs"]
mod pdf_bombs;

use hindi_ocr_core::export::images_to_pdf;
use hindi_ocr_core::image_input::Limits;
use hindi_ocr_core::pdf::PdfPages;
use hindi_ocr_core::pipeline::{DocumentOptions, pages};
use hindi_ocr_core::{Error, Result};
use image::{GrayImage, Luma};
use pdf_bombs::*;

fn open(pdf: &[u8]) -> Result<usize> {
    pages(pdf, &DocumentOptions::default()).map(|p| p.total())
}

fn too_large(r: Result<usize>) -> String {
    match r {
        Err(Error::PdfTooLarge(m)) => m,
        other => panic!("expected PdfTooLarge, got {other:?}"),
    }
}

#[test]
fn an_image_declared_32768_square_is_refused_before_rendering() {
    let bomb = declared_image_bomb();
    assert!(bomb.len() < 2 << 20, "a small file: {} bytes", bomb.len());
    let m = too_large(open(&bomb));
    assert!(m.contains("image in object 5") && m.contains("32768x32768") && m.contains("20000x20000"), "{m}");
    assert!(Error::PdfTooLarge(m).to_string().starts_with("PDF too large to read: "));
}

#[test]
fn a_content_stream_of_a_gigabyte_of_spaces_is_refused() {
    let m = too_large(open(&content_bomb()));
    assert!(m.contains("object 4") && m.contains("inflates to more than 67108864 bytes"), "{m}");
}

#[test]
fn image_data_past_its_declared_size_is_refused() {
    // 100x100 grey needs 10 100 bytes (a predictor byte a row): a gigabyte is a bomb, whatever the header says.
    let m = too_large(open(&image_bomb(100, 100, GIB)));
    assert!(m.contains("image in object 5") && m.contains("inflates"), "{m}");
}

#[test]
fn inline_images_and_object_streams_are_checked_too() {
    let m = too_large(open(&inline_image_bomb()));
    assert!(m.contains("inline image") && m.contains("32768x32768"), "{m}");
    let m = too_large(open(&object_stream_bomb()));
    assert!(m.contains("object stream"), "{m}");
}

#[test]
fn honest_pdfs_within_the_limits_open_and_render() {
    // A 2048x1024 image whose data is exactly its size, and a 2 MiB content stream of spaces.
    let honest = image_bomb(2048, 1024, 2 << 20);
    let p = PdfPages::open(&honest, 72, Limits::default(), None).unwrap();
    assert_eq!(p.render(0).unwrap().dimensions(), (612, 792));
    let spaces = pdf(&[stream("/Filter /FlateDecode", &zlib_of(b' ', 2 << 20))], false);
    assert_eq!(open(&spaces).unwrap(), 1);
    // The stream limit is a setting.
    let tight = Limits { max_stream_bytes: 1 << 20, ..Limits::default() };
    assert!(matches!(PdfPages::open(&spaces, 72, tight, None), Err(Error::PdfTooLarge(_))));
    // Real files: pages made by the searchable-PDF writer.
    let page = GrayImage::from_pixel(800, 500, Luma([255]));
    assert_eq!(open(&images_to_pdf(&[page.clone(), page], 150).unwrap()).unwrap(), 2);
}

/// A TIFF of `n` 1x1 pages.
fn tiff_pages(n: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::new(&mut buf).unwrap();
    for _ in 0..n {
        enc.write_image::<tiff::encoder::colortype::Gray8>(1, 1, &[255]).unwrap();
    }
    buf.into_inner()
}

#[test]
fn documents_over_the_page_limit_are_refused_before_any_page_is_read() {
    let tiff = tiff_pages(1000);
    match pages(&tiff, &DocumentOptions::default()) {
        Err(e @ Error::TooManyPages { pages: 1000, limit: 500 }) => {
            assert_eq!(e.to_string(), "document has too many pages: 1000, the limit is 500");
        }
        other => panic!("expected TooManyPages, got {:?}", other.map(|p| p.total())),
    }
    let roomy = DocumentOptions { limits: Limits { max_pages: 1000, ..Limits::default() }, ..Default::default() };
    assert_eq!(pages(&tiff, &roomy).unwrap().total(), 1000);

    let page = GrayImage::from_pixel(80, 50, Luma([255]));
    let pdf = images_to_pdf(&[page.clone(), page.clone(), page], 72).unwrap();
    let two = DocumentOptions { limits: Limits { max_pages: 2, ..Limits::default() }, ..Default::default() };
    assert!(matches!(pages(&pdf, &two), Err(Error::TooManyPages { pages: 3, limit: 2 })));
    assert_eq!(pages(&pdf, &DocumentOptions::default()).unwrap().total(), 3);
}

#[test]
fn image_codecs_are_sized_by_their_own_headers() {
    // JPEG 2000: a codestream whose SIZ marker says 60000x60000, in an image declared 100x100.
    let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
    for v in [60_000u32, 60_000, 0, 0] {
        siz.extend(v.to_be_bytes());
    }
    let content = stream("", b"q 612 0 0 792 0 0 cm /Im0 Do Q");
    let jpx = stream("/Subtype /Image /Width 100 /Height 100 /Filter /JPXDecode", &siz);
    let m = too_large(open(&pdf(&[content.clone(), jpx], true)));
    assert!(m.contains("JPEG 2000 data of 60000x60000"), "{m}");
    // JBIG2: a page information segment of 50000x50000.
    let mut seg = vec![0, 0, 0, 0, 48, 0, 1, 0, 0, 0, 19];
    seg.extend(50_000u32.to_be_bytes());
    seg.extend(50_000u32.to_be_bytes());
    let jbig2 = stream("/Subtype /Image /Width 100 /Height 100 /ImageMask true /Filter /JBIG2Decode", &seg);
    let m = too_large(open(&pdf(&[content, jbig2], true)));
    assert!(m.contains("JBIG2 data of 50000x50000"), "{m}");
    // CCITT in a page's content stream: rows `/Columns` wide, `/Rows` of them.
    let ccitt = stream("/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 100000 /Rows 100000 >>", b"\x00\x00");
    let m = too_large(open(&pdf(&[ccitt], false)));
    assert!(m.contains("object 4 holds CCITT data of 100000x100000"), "{m}");
}

#[test]
fn thousands_of_object_streams_are_refused_without_reading_the_file_for_each() {
    // Object streams without a usable length or an end: each would be read to the end of the file.
    let mut file = pdf(&[stream("", b"")], false);
    for i in 0..5000 {
        file.extend(
            format!("{} 0 obj << /Type /ObjStm /N 1 /First 4 /Length 999999999 >> stream\nabcd\n", i + 10).bytes(),
        );
    }
    let started = std::time::Instant::now();
    let m = too_large(open(&file));
    assert!(m.contains("more than 4096 object streams"), "{m}");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}
