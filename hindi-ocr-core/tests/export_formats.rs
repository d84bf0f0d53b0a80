//! Exports: hOCR, ALTO and PAGE XML checked structurally and by `xmllint` (well-formed; ALTO and PAGE also
//! valid against their schemas in `../shared/schemas`), hOCR also by `hocr-check` (the hOCR checker of
//! hocr-tools, in the project's `.venv`), the searchable PDF checked with `pdftotext` (poppler-utils).
//! `make test` installs all three.

mod common;

use std::process::Command;

use common::{Script, text_page};
use hindi_ocr_core::export::{Format, PageXmlOptions, to_alto, to_hocr, to_json, to_page_xml, to_searchable_pdf, to_text};
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
    schema_valid(&alto, ALTO_XSD);
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

// --- Schema validation (ALTO, PAGE) -------------------------------------------------------------------------

const ALTO_XSD: &str = "alto-4-4.xsd";
const PAGE_XSD: &str = "pagecontent-2019-07-15.xsd";
const PAGE_NS: &str = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15";

/// A schema in `../shared/schemas` (beside the repository). A missing one fails the test: an export that was
/// never validated must not pass as valid.
fn schema(name: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/schemas").join(name);
    assert!(path.is_file(), "schema {} is missing: the XML exports cannot be validated without it", path.display());
    path
}

/// `xmllint --schema`, offline: the schemas import only files beside them (alto-4-4.xsd its local xlink.xsd),
/// and `--nonet` makes a URL that slipped in an error instead of a hang.
fn schema_valid(xml: &str, xsd: &str) {
    let xsd = schema(xsd);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(&path)
        .output()
        .expect("xmllint (libxml2-utils) is installed by make test");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && report.contains("validates"), "not valid against {}: {report}\n{xml}", xsd.display());
}

/// A PAGE element's `Coords` as a box; the points must be its four corners clockwise from the top-left.
fn page_coords(n: roxmltree::Node) -> BBox {
    let coords = n.children().find(|c| c.has_tag_name((PAGE_NS, "Coords"))).expect("Coords comes first");
    let pts: Vec<(u32, u32)> = coords
        .attribute("points")
        .unwrap()
        .split(' ')
        .map(|p| p.split_once(',').map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap())).unwrap())
        .collect();
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = pts[..] else { panic!("four corners: {pts:?}") };
    assert!(y0 == y1 && x1 == x2 && y2 == y3 && x3 == x0 && x0 <= x1 && y0 <= y2, "a box clockwise: {pts:?}");
    BBox { x: x0, y: y0, width: x1 - x0, height: y2 - y0 }
}

/// `TextEquiv/Unicode` of a PAGE element, with its `conf`.
fn page_text(n: roxmltree::Node) -> (String, f32) {
    let equiv = n.children().find(|c| c.has_tag_name((PAGE_NS, "TextEquiv"))).expect("TextEquiv");
    let conf: f32 = equiv.attribute("conf").expect("conf").parse().unwrap();
    assert!((0.0..=1.0).contains(&conf));
    let unicode = equiv.children().find(|c| c.has_tag_name((PAGE_NS, "Unicode"))).unwrap();
    (unicode.text().unwrap_or("").to_string(), conf)
}

/// Check a PAGE document against the page it was written from: valid, the page's size and boxes, regions in
/// the reading order, lines and words nested inside each other, the texts. Returns `Metadata/Comments`.
fn check_page_xml(xml: &str, page: &hindi_ocr_core::Page, image_filename: &str) -> String {
    schema_valid(xml, PAGE_XSD);
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((PAGE_NS, "PcGts")));
    let meta = root.children().find(|n| n.has_tag_name((PAGE_NS, "Metadata"))).unwrap();
    let creator = meta.children().find(|n| n.has_tag_name((PAGE_NS, "Creator"))).unwrap();
    assert!(creator.text().unwrap().starts_with("hindi-ocr "));
    let p = root.children().find(|n| n.has_tag_name((PAGE_NS, "Page"))).unwrap();
    assert_eq!(p.attribute("imageFilename"), Some(image_filename));
    assert_eq!(p.attribute("imageWidth"), Some(page.width.to_string().as_str()));
    assert_eq!(p.attribute("imageHeight"), Some(page.height.to_string().as_str()));
    let page_box = BBox { x: 0, y: 0, width: page.width, height: page.height };
    let regions: Vec<_> = p.children().filter(|n| n.has_tag_name((PAGE_NS, "TextRegion"))).collect();
    let order: Vec<&str> = p.descendants().filter_map(|n| n.attribute("regionRef")).collect();
    assert_eq!(order, regions.iter().map(|r| r.attribute("id").unwrap()).collect::<Vec<_>>(), "reading order");
    let mut lines = Vec::new();
    for region in &regions {
        let rb = page_coords(*region);
        assert!(inside(rb, page_box), "region {rb:?} on the page");
        let mut texts = Vec::new();
        for line in region.children().filter(|n| n.has_tag_name((PAGE_NS, "TextLine"))) {
            let lb = page_coords(line);
            assert!(inside(lb, rb), "line {lb:?} inside its region {rb:?}");
            let words: Vec<_> = line.children().filter(|n| n.has_tag_name((PAGE_NS, "Word"))).collect();
            for w in &words {
                assert!(inside(page_coords(*w), lb), "word inside its line");
            }
            let (text, conf) = page_text(line);
            let word_texts: Vec<String> = words.iter().map(|w| page_text(*w).0).collect();
            assert_eq!(word_texts.join(" "), text, "the words make the line");
            texts.push(text.clone());
            lines.push((lb, text, conf));
        }
        assert_eq!(page_text(*region).0, texts.join("\n"), "the lines make the region");
    }
    let want: Vec<_> = page.lines.iter().map(|l| (l.bbox, l.text.clone(), l.confidence)).collect();
    assert_eq!(lines.len(), want.len());
    for ((b, t, c), (wb, wt, wc)) in lines.iter().zip(&want) {
        assert_eq!((b, t), (wb, wt));
        assert!((c - wc).abs() < 1e-3);
    }
    meta.children().find(|n| n.has_tag_name((PAGE_NS, "Comments"))).and_then(|n| n.text()).unwrap_or("").to_string()
}

fn page_xml(doc: &Document, page: Option<usize>, name: &str) -> String {
    to_page_xml(doc, &PageXmlOptions { page, image_filename: name.into() }).unwrap()
}

#[test]
fn page_xml_is_valid_and_carries_lines_words_and_confidences() {
    let (doc, _, _) = document();
    // A name that needs escaping in an attribute.
    let name = "scan \"1\" <&>.png";
    let xml = page_xml(&doc, None, name);
    let comments = check_page_xml(&xml, &doc.pages[0], name);
    assert!(comments.contains("Page 1 of 1") && comments.contains("the image as it is"), "{comments}");
    let texts: Vec<String> = doc.pages[0].lines.iter().map(|l| l.text.clone()).collect();
    assert_eq!(texts, LINES.iter().map(|s| s.nfc().collect::<String>()).collect::<Vec<_>>());
    assert_eq!(page_xml(&doc, Some(1), name).len(), xml.len(), "page 1 is the only page");
    assert_eq!("page".parse::<Format>().unwrap(), Format::Page);
    assert_eq!((Format::Page.extension(), Format::Page.content_type()), ("page.xml", "application/xml; charset=utf-8"));
}

#[test]
fn page_xml_of_a_page_read_sideways_is_in_the_upright_frame() {
    let (upright, _, opts) = document();
    let page = text_page(1200, 330, &LINES, 50.0, 40.0, 40.0, 90.0);
    let bytes = common::png(&image::imageops::rotate90(&page));
    let doc = read_document(&Script::new(&LINES), &bytes, &opts, &mut |_| {}).unwrap();
    let read = &doc.pages[0];
    assert_eq!((read.rotation, read.width, read.height), (270, 1200, 330));
    let xml = page_xml(&doc, None, "turned.png");
    let comments = check_page_xml(&xml, read, "turned.png");
    assert!(comments.contains("turned 270 degrees clockwise"), "{comments}");
    // The same boxes as the page read upright.
    let boxes = |d: &Document| d.pages[0].lines.iter().map(|l| l.bbox).collect::<Vec<_>>();
    assert_eq!(boxes(&doc), boxes(&upright));
    schema_valid(&to_alto(&doc), ALTO_XSD);
}

/// The drawn page on a dark table, photographed at an angle (the far edge narrower), as bundled_model.rs's
/// photo test makes it: the reader straightens it before reading (`Page::quad`).
fn photo_of(page: &image::GrayImage) -> image::GrayImage {
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
    let (w, h) = (page.width() as f32, page.height() as f32);
    let (pw, ph) = ((1.6 * w) as u32, (1.9 * h) as u32);
    let corners = [(0.32 * w, 0.3 * h), (1.22 * w, 0.35 * h), (1.45 * w, 1.6 * h), (0.12 * w, 1.55 * h)];
    let to = Projection::from_control_points([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], corners).unwrap();
    let mut on_table = image::GrayImage::new(pw, ph);
    warp_into(page, to, Interpolation::Bilinear, Border::Constant(image::Luma([0])), &mut on_table);
    let mask = image::GrayImage::from_pixel(page.width(), page.height(), image::Luma([255]));
    let mut covered = image::GrayImage::new(pw, ph);
    warp_into(&mask, to, Interpolation::Bilinear, Border::Constant(image::Luma([0])), &mut covered);
    let mut photo = image::GrayImage::from_pixel(pw, ph, image::Luma([70]));
    for (x, y, p) in photo.enumerate_pixels_mut() {
        let a = covered.get_pixel(x, y)[0] as u32;
        p[0] = ((on_table.get_pixel(x, y)[0] as u32 * a + 70 * (255 - a)) / 255) as u8;
    }
    photo
}

#[test]
fn page_xml_of_a_straightened_photo_is_in_the_straightened_frame() {
    let page = text_page(1200, 500, &LINES, 80.0, 80.0, 40.0, 110.0);
    let bytes = common::png(&photo_of(&page));
    let doc = read_document(&Script::new(&LINES), &bytes, &whole_lines(), &mut |_| {}).unwrap();
    let read = &doc.pages[0];
    assert!(read.quad.is_some(), "the photo was straightened");
    assert_eq!(read.lines.len(), 3);
    let xml = page_xml(&doc, None, "photo.png");
    let comments = check_page_xml(&xml, read, "photo.png");
    assert!(comments.contains("straightened to a rectangle from the page's corners"), "{comments}");
    schema_valid(&to_alto(&doc), ALTO_XSD);
}

#[test]
fn page_xml_writes_one_page_of_several() {
    let (one, _, _) = document();
    let mut doc = one.clone();
    let mut second = one.pages[0].clone();
    second.lines.truncate(1);
    doc.pages.push(second);
    let err = to_page_xml(&doc, &PageXmlOptions { page: None, image_filename: "book.tif".into() }).unwrap_err();
    assert!(err.to_string().contains("this document has 2"), "{err}");
    for bad in [0, 3] {
        assert!(to_page_xml(&doc, &PageXmlOptions { page: Some(bad), image_filename: String::new() }).is_err());
    }
    let xml = page_xml(&doc, Some(2), "book.tif");
    let comments = check_page_xml(&xml, &doc.pages[1], "book.tif");
    assert!(comments.contains("Page 2 of 2"), "{comments}");
    schema_valid(&to_alto(&doc), ALTO_XSD);
}

/// Results the pipeline does not make but a stored or hand-built `Document` may hold: an empty page, a page
/// that could not be read, a line without words, confidences outside [0, 1] or NaN. Both XML exports stay valid.
#[test]
fn xml_exports_of_odd_results_stay_valid() {
    use hindi_ocr_core::{Line, Page, Word};
    let b = |x, width| BBox { x, y: 10, width, height: 20 };
    let word = |x, text: &str, confidence| Word { bbox: b(x, 30), text: text.into(), confidence };
    let lines = vec![
        Line { bbox: b(10, 200), text: "राम & <श्याम>".into(), confidence: 1.5, words: vec![word(10, "राम", f32::NAN), word(50, "&", -1.0), word(90, "<श्याम>", 0.5)] },
        Line { bbox: b(10, 200), text: "बिना शब्द".into(), confidence: 0.7, words: vec![] },
        Line { bbox: b(10, 200), text: String::new(), confidence: 0.1, words: vec![] },
    ];
    let pages = vec![
        Page { width: 300, height: 100, lines, ..Page::default() },
        Page { width: 300, height: 100, ..Page::default() },
        Page { error: Some("broken <page> & more".into()), ..Page::default() },
    ];
    let doc = Document { pages, ..Document::default() };
    for p in 1..=3 {
        let xml = page_xml(&doc, Some(p), "odd.tif");
        schema_valid(&xml, PAGE_XSD);
        if p == 3 {
            assert!(xml.contains("could not be read: broken &lt;page&gt; &amp; more"), "{xml}");
        }
    }
    let alto = to_alto(&doc);
    schema_valid(&alto, ALTO_XSD);
    assert!(alto.contains("CONTENT=\"बिना शब्द\""), "a line without words keeps its text: {alto}");
}
