//! hOCR 1.2: XHTML with `ocr_page` / `ocr_carea` / `ocr_line` / `ocrx_word` elements whose `title` carries
//! `bbox x0 y0 x1 y1` (page pixels, deskewed frame) and, on words, `x_wconf` (0-100).

use super::xml::escape;
use crate::{BBox, Document};

fn bbox(b: &BBox) -> String {
    format!("bbox {} {} {} {}", b.x, b.y, b.x + b.width, b.y + b.height)
}

/// The document as hOCR.
pub fn to_hocr(doc: &Document) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n");
    s.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"hi\" lang=\"hi\">\n<head>\n");
    s.push_str("<title></title>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"/>\n");
    s.push_str(&format!("<meta name=\"ocr-system\" content=\"hindi-ocr {}\"/>\n", env!("CARGO_PKG_VERSION")));
    s.push_str("<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_carea ocr_line ocrx_word ocrp_wconf\"/>\n");
    s.push_str("<meta name=\"ocr-langs\" content=\"hi\"/>\n</head>\n<body>\n");
    for (pi, page) in doc.pages.iter().enumerate() {
        let p = pi + 1;
        let page_box = BBox { x: 0, y: 0, width: page.width, height: page.height };
        s.push_str(&format!(
            "<div class=\"ocr_page\" id=\"page_{p}\" title=\"{}; ppageno {pi}; textangle {:.2}\">\n",
            bbox(&page_box),
            page.skew
        ));
        if !page.lines.is_empty() {
            let area = page.lines.iter().map(|l| l.bbox).reduce(BBox::union).unwrap_or(page_box);
            s.push_str(&format!("<div class=\"ocr_carea\" id=\"block_{p}_1\" title=\"{}\">\n", bbox(&area)));
            for (li, line) in page.lines.iter().enumerate() {
                let l = li + 1;
                s.push_str(&format!(
                    "<span class=\"ocr_line\" id=\"line_{p}_{l}\" title=\"{}; x_wconf {}\">",
                    bbox(&line.bbox),
                    wconf(line.confidence)
                ));
                for (wi, word) in line.words.iter().enumerate() {
                    if wi > 0 {
                        s.push(' ');
                    }
                    s.push_str(&format!(
                        "<span class=\"ocrx_word\" id=\"word_{p}_{l}_{}\" title=\"{}; x_wconf {}\">{}</span>",
                        wi + 1,
                        bbox(&word.bbox),
                        wconf(word.confidence),
                        escape(&word.text)
                    ));
                }
                s.push_str("</span>\n");
            }
            s.push_str("</div>\n");
        }
        s.push_str("</div>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

fn wconf(c: f32) -> u32 {
    (c.clamp(0.0, 1.0) * 100.0).round() as u32
}

