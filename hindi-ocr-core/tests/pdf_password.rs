//! Password-protected PDFs: opened with their user password (AES-256 with a Devanagari password, RC4), a clear
//! error without one or with a wrong one, and a PDF that opens without a password (only editing restricted)
//! opens whether or not one is given. The fixtures are made by `tests/fixtures/encrypted/make.py`: one page
//! holding the rendered lines 1 and 2 of `tests/fixtures/lines`.

use std::path::Path;

use hindi_ocr_core::pipeline::{DocumentOptions, Layout, pages, read_document};
use hindi_ocr_core::{Engine, Error, Params, Password};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encrypted").join(name)).expect("fixture")
}

fn with_password(pw: Option<&str>) -> DocumentOptions {
    DocumentOptions { layout: Layout::Page, password: pw.map(Password::new), ..Default::default() }
}

fn open_err(name: &str, pw: Option<&str>) -> Error {
    pages(&fixture(name), &with_password(pw)).err().expect("should not open")
}

const AES_PASSWORD: &str = "पासवर्ड 123";

#[test]
fn without_the_password_the_error_says_one_is_needed() {
    for name in ["aes256.pdf", "rc4.pdf"] {
        let err = open_err(name, None);
        assert!(matches!(err, Error::PdfPasswordRequired), "{name}: {err:?}");
        assert_eq!(err.to_string(), "PDF is password-protected: give its password to read it");
    }
}

#[test]
fn a_wrong_password_is_named_as_wrong() {
    // Near misses too: the RC4 password as the AES one, the AES password without its Devanagari word.
    for (name, pw) in [("aes256.pdf", "secret"), ("aes256.pdf", "123"), ("rc4.pdf", "Secret"), ("rc4.pdf", "")] {
        let err = open_err(name, Some(pw));
        assert!(matches!(err, Error::PdfWrongPassword), "{name} with {pw:?}: {err:?}");
    }
}

#[test]
fn the_right_password_opens_and_the_page_reads() {
    let engine = Engine::bundled().expect("bundled model").with_params(Params::greedy()).expect("greedy");
    let expected = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lines/expected.tsv")).unwrap();
    let want: Vec<&str> = expected.lines().skip(1).take(2).map(|l| l.split('\t').nth(1).unwrap()).collect();
    for (name, pw) in [("aes256.pdf", AES_PASSWORD), ("rc4.pdf", "secret")] {
        let doc = read_document(&engine, &fixture(name), &with_password(Some(pw)), &mut |_| {}).expect(name);
        assert_eq!(doc.pages.len(), 1);
        assert_eq!(doc.text, want.join("\n"), "{name}");
    }
}

#[test]
fn the_owner_password_opens_aes256() {
    // make.py sets owner password "owner-<file name>". The reader (hayro 0.9) checks owner passwords of AES-256
    // files only; an RC4 or AES-128 file needs its user password.
    assert_eq!(pages(&fixture("aes256.pdf"), &with_password(Some("owner-aes256.pdf"))).map(|p| p.total()).ok(), Some(1));
}

#[test]
fn a_pdf_that_opens_without_a_password_ignores_one() {
    for pw in [None, Some("anything"), Some(AES_PASSWORD)] {
        let (bytes, opts) = (fixture("owner_only.pdf"), with_password(pw));
        let mut p = pages(&bytes, &opts).unwrap_or_else(|e| panic!("{pw:?}: {e}"));
        assert_eq!(p.total(), 1);
        let page = p.next().expect("a page").expect("renders");
        assert!(page.width() > 500, "rendered at 300 dpi");
    }
}

#[test]
fn the_password_stays_out_of_debug_output() {
    let opts = with_password(Some(AES_PASSWORD));
    let shown = format!("{opts:?}");
    assert!(!shown.contains("123") && !shown.contains("पासवर्ड"), "{shown}");
    assert!(shown.contains("Password(<hidden>)"), "{shown}");
}
