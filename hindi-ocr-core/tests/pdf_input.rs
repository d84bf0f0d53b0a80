//! PDF input: a three-page PDF built in the test is read page by page; bad PDFs give clear errors.

mod common;

use common::{WordCounter, draw_word};
use hindi_ocr_core::export::images_to_pdf;
use hindi_ocr_core::pdf::{PdfPages, is_pdf};
use hindi_ocr_core::pipeline::{DocumentOptions, Layout, Progress, pages, read_document};
use hindi_ocr_core::{Error, image_input::Limits};
use image::{GrayImage, Luma};

/// Page `p` (0-based) has p+1 lines; line i has i+1 words.
fn page(p: u32) -> GrayImage {
    let mut img = GrayImage::from_pixel(800, 500, Luma([255]));
    for i in 0..=p {
        for k in 0..=i {
            draw_word(&mut img, 60 + k * 60, 60 + i * 90, 40, 32);
        }
    }
    img
}

#[test]
fn three_page_pdf_is_read_in_page_order() {
    let pdf = images_to_pdf(&[page(0), page(1), page(2)], 150).unwrap();
    assert!(is_pdf(&pdf));
    let opts = DocumentOptions {
        layout: Layout::Page,
        dpi: 150,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let doc = read_document(&WordCounter, &pdf, &opts, &mut |p: Progress| {
        seen.push((p.pages_done, p.pages_total))
    })
    .unwrap();
    assert_eq!(doc.pages.len(), 3);
    assert_eq!(seen, [(0, 3), (1, 3), (2, 3), (3, 3)]);
    for (p, pg) in doc.pages.iter().enumerate() {
        assert_eq!(
            (pg.width, pg.height),
            (800, 500),
            "rendered back at the dpi it was made for"
        );
        let texts: Vec<&str> = pg.lines.iter().map(|l| l.text.as_str()).collect();
        let want: Vec<String> = (1..=p + 1).map(|n| n.to_string()).collect();
        assert_eq!(texts, want, "page {p}");
    }
    assert_eq!(doc.text, "1\n\n1\n2\n\n1\n2\n3");
}

#[test]
fn dpi_sets_the_rendered_size() {
    let pdf = images_to_pdf(&[page(0)], 100).unwrap();
    let at_200 = PdfPages::open(&pdf, 200, Limits::default(), None).unwrap();
    assert_eq!(at_200.page_size_px(0).unwrap(), (1600, 1000));
    assert_eq!(at_200.render(0).unwrap().dimensions(), (1600, 1000));
    assert!(matches!(
        PdfPages::open(&pdf, 0, Limits::default(), None),
        Err(Error::InvalidParams(_))
    ));
    // A page that would exceed the pixel limits is refused before rendering.
    let small = Limits {
        max_width: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        PdfPages::open(&pdf, 200, small, None).unwrap().render(0),
        Err(Error::ImageTooLarge { .. })
    ));
}

#[test]
fn corrupt_pdf_is_an_error() {
    let opts = DocumentOptions::default();
    let err = pages(b"%PDF-1.7\nthis is not a pdf at all\n%%EOF\n", &opts)
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::PdfInvalid(_) | Error::NoPages),
        "{err:?}"
    );
    // A real PDF cut in half.
    let pdf = images_to_pdf(&[page(1)], 100).unwrap();
    let half = &pdf[..pdf.len() / 2];
    // Cut inside the page object: the page tree promises a page that cannot be read.
    let cut = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1";
    assert!(
        matches!(pages(cut, &opts).err(), Some(Error::PdfInvalid(_))),
        "a PDF cut short is corrupt, not empty"
    );
    match pages(half, &opts) {
        // Corrupt, not empty: a page tree declaring no pages is the only `NoPages` (zero_page_pdf_is_no_pages).
        Err(e) => assert!(matches!(e, Error::PdfInvalid(_)), "{e:?}"),
        Ok(mut p) => assert!(
            p.all(|r| r.is_err() || r.is_ok()),
            "no panic while rendering a truncated PDF"
        ),
    }
}

#[test]
fn zero_page_pdf_is_no_pages() {
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let err = pages(pdf, &DocumentOptions::default()).err().unwrap();
    assert!(matches!(err, Error::NoPages), "{err:?}");
}

#[test]
fn encrypted_pdf_needs_its_password() {
    // Standard security handler with a user password we do not know: the O and U entries are not those of
    // the empty password.
    let body = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>\nendobj\n4 0 obj\n<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> >>\nendobj\n";
    let mut pdf = body.as_bytes().to_vec();
    let mut offsets = Vec::new();
    for n in 1..=4 {
        let pat = format!("{n} 0 obj");
        offsets.push(body.find(&pat).unwrap());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let err = pages(&pdf, &DocumentOptions::default()).err().unwrap();
    assert!(matches!(err, Error::PdfPasswordRequired), "{err:?}");
}

#[test]
fn every_page_size_is_checked_without_rendering() {
    // Page 1 fits the limits, page 2 does not: the first page renders, check_sizes refuses the document.
    let small = GrayImage::from_pixel(100, 100, Luma([255]));
    let wide = GrayImage::from_pixel(1000, 100, Luma([255]));
    let pdf = images_to_pdf(&[small.clone(), wide.clone()], 72).unwrap();
    // Rendered at twice the resolution the images were put in at: page 2 is 2000 px wide, its image 1000.
    let opts = DocumentOptions {
        dpi: 144,
        limits: Limits {
            max_width: 1500,
            ..Limits::default()
        },
        ..Default::default()
    };
    let mut doc = pages(&pdf, &opts).unwrap();
    assert!(matches!(
        doc.check_sizes(),
        Err(Error::ImageTooLarge {
            what: "width",
            actual: 2000,
            limit: 1500
        })
    ));
    assert_eq!(
        doc.next().unwrap().unwrap().width(),
        200,
        "the first page alone is fine"
    );
    // An embedded image over the limits refuses the file when it is opened (see tests/pdf_limits.rs).
    let opts = DocumentOptions {
        dpi: 72,
        limits: Limits {
            max_width: 500,
            ..Limits::default()
        },
        ..Default::default()
    };
    assert!(
        matches!(pages(&pdf, &opts).err(), Some(Error::PdfTooLarge(m)) if m.contains("1000x100"))
    );
    // Within the limits: every page passes.
    assert!(
        pages(
            &images_to_pdf(&[small, wide], 72).unwrap(),
            &DocumentOptions {
                dpi: 72,
                ..Default::default()
            }
        )
        .unwrap()
        .check_sizes()
        .is_ok()
    );
}
