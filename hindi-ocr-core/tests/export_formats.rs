//! Exports: hOCR and ALTO checked structurally (and by `xmllint` for well-formedness), hOCR also by
//! `hocr-check` (the hOCR checker of hocr-tools, in the project's `.venv`), the searchable PDF checked with
//! `pdftotext` (poppler-utils). `make test` installs all three.

mod common;

use std::process::Command;

use common::{Script, text_page};
use hindi_ocr_core::export::{Format, to_alto, to_hocr, to_json, to_searchable_pdf, to_text};
use hindi_ocr_core::layout::AnalysisOptions;
use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_document};
use hindi_ocr_core::{BBox, Document};
use unicode_normalization::UnicodeNormalization;

const LINES: [&str; 3] = ["नमस्ते दुनिया यह पहली पंक्ति है", "दूसरी पंक्ति में <कुछ> & चिह्न", "तीसरी पंक्ति।"];

/// Page layout, each line read whole (one recogniser call per line, so the script's texts map to lines).
fn whole_lines() -> DocumentOptions {
    let analysis = AnalysisOptions { max_segment_aspect: 100.0, ..Default::default() };
    DocumentOptions { layout: Layout::Page, analysis, ..Default::default() }
}

/// A drawn page read with a scripted recogniser that "reads" exactly LINES.
fn document() -> (Document, Vec<u8>, DocumentOptions) {
    let page = text_page(1200, 330, &LINES, 50.0, 40.0, 40.0, 90.0);
    let bytes = common::png(&page);
    let opts = whole_lines();
    let doc = read_document(&Script::new(&LINES), &bytes, &opts, &mut |_| {}).unwrap();
    assert_eq!(doc.pages[0].lines.len(), 3, "page analysis found the drawn lines");
    (doc, bytes, opts)
}

fn parse_bbox(title: &str) -> BBox {
    let part = title.split(';').map(str::trim).find(|p| p.starts_with("bbox ")).expect("title has a bbox");
    let v: Vec<u32> = part[5..].split_whitespace().map(|n| n.parse().expect("bbox numbers")).collect();
    assert_eq!(v.len(), 4, "{title}");
    assert!(v[0] <= v[2] && v[1] <= v[3], "bbox corners ordered: {title}");
    BBox { x: v[0], y: v[1], width: v[2] - v[0], height: v[3] - v[1] }
}

fn inside(inner: BBox, outer: BBox) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x + inner.width <= outer.x + outer.width
        && inner.y + inner.height <= outer.y + outer.height
}

fn xmllint_ok(xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint").arg("--noout").arg(&path).output().expect("xmllint (libxml2-utils) is installed by make test");
    assert!(out.status.success(), "xmllint: {}", String::from_utf8_lossy(&out.stderr));
}

/// `hocr-check` (hocr-tools) reports in TAP: one `ok`/`not ok` line per rule (pages, lines inside pages, capability
/// metadata, boxes that do not overlap).
fn hocr_check_ok(hocr: &str) {
    let checker = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/hocr-check");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.hocr");
    std::fs::write(&path, hocr).unwrap();
    let out = Command::new(&checker).arg(&path).output().unwrap_or_else(|e| panic!("{} (make setup installs it): {e}", checker.display()));
    // The report goes to stderr.
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "hocr-check failed: {report}");
    assert!(report.lines().any(|l| l.starts_with("ok ")), "hocr-check checked nothing: {report}");
    assert!(!report.contains("not ok"), "hocr-check: {report}");
}

#[test]
fn hocr_is_valid_and_carries_boxes_and_confidences() {
    let (doc, _, _) = document();
    let hocr = to_hocr(&doc);
    xmllint_ok(&hocr);
    hocr_check_ok(&hocr);
    let xml = roxmltree::Document::parse_with_options(&hocr, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }).unwrap();
    let class = |n: &roxmltree::Node, c: &str| n.attribute("class") == Some(c);
    let pages: Vec<_> = xml.descendants().filter(|n| class(n, "ocr_page")).collect();
    assert_eq!(pages.len(), 1);
    let page_box = parse_bbox(pages[0].attribute("title").unwrap());
    assert_eq!((page_box.width, page_box.height), (1200, 330));
    let mut ids = std::collections::HashSet::new();
    let lines: Vec<_> = xml.descendants().filter(|n| class(n, "ocr_line")).collect();
    assert_eq!(lines.len(), 3);
    let mut words_text = Vec::new();
    for line in &lines {
        assert!(line.ancestors().any(|a| class(&a, "ocr_carea")), "line inside a content area");
        let lb = parse_bbox(line.attribute("title").unwrap());
        assert!(inside(lb, page_box));
        assert!(ids.insert(line.attribute("id").unwrap().to_string()), "ids unique");
        let mut line_words = Vec::new();
        for word in line.children().filter(|n| class(n, "ocrx_word")) {
            let title = word.attribute("title").unwrap();
            let wb = parse_bbox(title);
            assert!(inside(wb, lb), "word {wb:?} inside line {lb:?}");
            let conf: u32 = title.split("x_wconf ").nth(1).unwrap().trim().parse().unwrap();
            assert!(conf <= 100);
            assert!(ids.insert(word.attribute("id").unwrap().to_string()));
            line_words.push(word.text().unwrap_or("").to_string());
        }
        words_text.push(line_words.join(" "));
    }
    assert_eq!(words_text, LINES.iter().map(|s| s.nfc().collect::<String>()).collect::<Vec<_>>());
}

#[test]
fn alto_is_valid_v4_structure() {
    let (doc, _, _) = document();
    let alto = to_alto(&doc);
    xmllint_ok(&alto);
    let xml = roxmltree::Document::parse(&alto).unwrap();
    let ns = "http://www.loc.gov/standards/alto/ns-v4#";
    let root = xml.root_element();
    assert_eq!((root.tag_name().namespace(), root.tag_name().name()), (Some(ns), "alto"));
    let names: Vec<&str> = root.children().filter(|n| n.is_element()).map(|n| n.tag_name().name()).collect();
    assert_eq!(names, ["Description", "Layout"]);
    let unit = xml.descendants().find(|n| n.has_tag_name((ns, "MeasurementUnit"))).unwrap();
    assert_eq!(unit.text(), Some("pixel"));
    let page = xml.descendants().find(|n| n.has_tag_name((ns, "Page"))).unwrap();
    for a in ["ID", "PHYSICAL_IMG_NR", "WIDTH", "HEIGHT"] {
        assert!(page.attribute(a).is_some(), "Page@{a} is required");
    }
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or_else(|| panic!("{a} on {:?}", n.tag_name())).parse::<u32>().unwrap();
    let mut seen_ids = std::collections::HashSet::new();
    let lines: Vec<_> = xml.descendants().filter(|n| n.has_tag_name((ns, "TextLine"))).collect();
    assert_eq!(lines.len(), 3);
    let mut texts = Vec::new();
    for line in &lines {
        assert_eq!(line.parent_element().unwrap().tag_name().name(), "TextBlock");
        assert!(seen_ids.insert(line.attribute("ID").unwrap()));
        let (lx, ly, lw, lh) = (num(line, "HPOS"), num(line, "VPOS"), num(line, "WIDTH"), num(line, "HEIGHT"));
        let mut words = Vec::new();
        for child in line.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "String" => {
                    assert!(seen_ids.insert(child.attribute("ID").unwrap()));
                    let (x, y) = (num(&child, "HPOS"), num(&child, "VPOS"));
                    assert!(x >= lx && y >= ly && x + num(&child, "WIDTH") <= lx + lw && y + num(&child, "HEIGHT") <= ly + lh);
                    let wc: f32 = child.attribute("WC").unwrap().parse().unwrap();
                    assert!((0.0..=1.0).contains(&wc));
                    words.push(child.attribute("CONTENT").unwrap().to_string());
                }
                "SP" => {
                    num(&child, "HPOS");
                }
                other => panic!("unexpected <{other}> in TextLine"),
            }
        }
        texts.push(words.join(" "));
    }
    assert_eq!(texts[1], LINES[1].nfc().collect::<String>(), "markup characters survive escaping");
}

#[test]
fn text_and_json() {
    let (doc, _, _) = document();
    assert_eq!(to_text(&doc), LINES.map(|l| l.nfc().collect::<String>()).join("\n"));
    let v: serde_json::Value = serde_json::from_str(&to_json(&doc)).unwrap();
    assert_eq!(v["pages"][0]["lines"].as_array().unwrap().len(), 3);
    assert!(v["pages"][0]["lines"][0]["words"][0]["bbox"]["width"].as_u64().unwrap() > 0);
    assert_eq!("ALTO".parse::<Format>().unwrap(), Format::Alto);
    assert!("docx".parse::<Format>().is_err());
}

#[test]
fn searchable_pdf_text_layer_is_the_recognised_hindi() {
    let (doc, source, opts) = document();
    let pdf = to_searchable_pdf(&doc, &source, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext").arg("-enc").arg("UTF-8").arg(&path).arg("-").output().expect("pdftotext (poppler-utils) is installed by make test");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<String> = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect();
    let want: Vec<String> = LINES.iter().map(|l| l.nfc().collect::<String>()).collect();
    assert_eq!(got, want);
    // Our own reader opens it too, with the same page size.
    let back = hindi_ocr_core::pipeline::pages(&pdf, &opts).unwrap().next().unwrap().unwrap();
    assert_eq!((back.width(), back.height()), (1200, 330));
}

#[test]
fn searchable_pdf_of_a_skewed_page_keeps_words_in_order() {
    let page = text_page(1200, 400, &LINES, 80.0, 80.0, 40.0, 90.0);
    let skewed = imageproc::geometric_transformations::rotate_about_center(
        &page,
        -(2.0f32).to_radians(),
        imageproc::geometric_transformations::Interpolation::Bilinear,
        imageproc::geometric_transformations::Border::Constant(image::Luma([255])),
    );
    let bytes = common::png(&skewed);
    let opts = whole_lines();
    let doc = read_document(&Script::new(&LINES), &bytes, &opts, &mut |_| {}).unwrap();
    assert!((doc.pages[0].skew - 2.0).abs() < 0.3);
    let pdf = to_searchable_pdf(&doc, &bytes, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("skew.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext").arg("-raw").arg(&path).arg("-").output().unwrap();
    let text: String = String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    let want: String = LINES.iter().map(|l| l.nfc().collect::<String>()).collect::<Vec<_>>().join(" ");
    assert_eq!(text, want);
    // The wrong source is refused.
    let other = common::png(&image::GrayImage::from_pixel(10, 10, image::Luma([255])));
    assert!(to_searchable_pdf(&doc, &other, &opts).is_err());
}

#[test]
fn searchable_pdf_of_a_page_read_upside_down_is_upright() {
    let (upright, _, opts) = document();
    let page = text_page(1200, 330, &LINES, 50.0, 40.0, 40.0, 90.0);
    for turned in [image::imageops::rotate180(&page), image::imageops::rotate90(&page)] {
        let bytes = common::png(&turned);
        let doc = read_document(&Script::new(&LINES), &bytes, &opts, &mut |_| {}).unwrap();
        assert_ne!(doc.pages[0].rotation, 0);
        let pdf = to_searchable_pdf(&doc, &bytes, &opts).unwrap();
        // The page image is written upright: the PDF page is the upright page's size, its text layer in order.
        let back = hindi_ocr_core::pipeline::pages(&pdf, &opts).unwrap().next().unwrap().unwrap();
        assert_eq!((back.width(), back.height()), (1200, 330));
        assert_eq!(doc.pages[0].lines.iter().map(|l| l.bbox).collect::<Vec<_>>(), upright.pages[0].lines.iter().map(|l| l.bbox).collect::<Vec<_>>());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("turned.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let out = Command::new("pdftotext").arg("-enc").arg("UTF-8").arg(&path).arg("-").output().unwrap();
        let got: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect();
        let want: Vec<String> = LINES.iter().map(|l| l.nfc().collect::<String>()).collect();
        assert_eq!(got, want);
    }
}
