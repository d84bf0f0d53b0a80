//! ALTO XML v4 (namespace `http://www.loc.gov/standards/alto/ns-v4#`): `Page` > `PrintSpace` > `TextBlock`
//! > `TextLine` > `String` / `SP`, positions in pixels (`MeasurementUnit` pixel), word confidence `WC` 0-1.

use std::borrow::Cow;

use super::xml::escape;
use crate::{BBox, Document, Line, Word};

fn pos(b: &BBox) -> String {
    format!("HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\" HEIGHT=\"{}\"", b.x, b.y, b.width, b.height)
}

/// The document as ALTO v4.
pub fn to_alto(doc: &Document) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" ");
    s.push_str("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ");
    s.push_str("xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/alto/v4/alto-4-4.xsd\">\n");
    s.push_str("<Description>\n<MeasurementUnit>pixel</MeasurementUnit>\n");
    s.push_str("<OCRProcessing ID=\"OCR_0\">\n<ocrProcessingStep>\n<processingSoftware>\n");
    s.push_str(&format!(
        "<softwareName>hindi-ocr</softwareName>\n<softwareVersion>{}</softwareVersion>\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str("</processingSoftware>\n</ocrProcessingStep>\n</OCRProcessing>\n</Description>\n<Layout>\n");
    for (pi, page) in doc.pages.iter().enumerate() {
        let p = pi + 1;
        let page_box = BBox { x: 0, y: 0, width: page.width, height: page.height };
        s.push_str(&format!(
            "<Page ID=\"page_{p}\" PHYSICAL_IMG_NR=\"{p}\" WIDTH=\"{}\" HEIGHT=\"{}\">\n",
            page.width, page.height
        ));
        s.push_str(&format!("<PrintSpace {}>\n", pos(&page_box)));
        // ALTO's TextLine needs a String: a line without text is left out, one without words is one String.
        let lines: Vec<(usize, &Line, Cow<[Word]>)> = page
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.words.is_empty() || !l.text.is_empty())
            .map(|(i, l)| (i, l, words_of(l)))
            .collect();
        if !lines.is_empty() {
            let area = lines.iter().map(|(_, l, _)| l.bbox).reduce(BBox::union).unwrap_or(page_box);
            s.push_str(&format!("<TextBlock ID=\"block_{p}_1\" {}>\n", pos(&area)));
            for (li, line, words) in &lines {
                let l = li + 1;
                s.push_str(&format!("<TextLine ID=\"line_{p}_{l}\" {}>\n", pos(&line.bbox)));
                for (wi, word) in words.iter().enumerate() {
                    if wi > 0 {
                        let prev = &words[wi - 1].bbox;
                        let x = prev.x + prev.width;
                        let gap = word.bbox.x.saturating_sub(x);
                        s.push_str(&format!("<SP WIDTH=\"{gap}\" HPOS=\"{x}\" VPOS=\"{}\"/>\n", line.bbox.y));
                    }
                    s.push_str(&format!(
                        "<String ID=\"string_{p}_{l}_{}\" {} CONTENT=\"{}\" WC=\"{:.3}\"/>\n",
                        wi + 1,
                        pos(&word.bbox),
                        escape(&word.text),
                        wc(word.confidence)
                    ));
                }
                s.push_str("</TextLine>\n");
            }
            s.push_str("</TextBlock>\n");
        }
        s.push_str("</PrintSpace>\n</Page>\n");
    }
    s.push_str("</Layout>\n</alto>\n");
    s
}

/// A line's words, or the whole line as one word when it has none.
fn words_of(line: &Line) -> Cow<'_, [Word]> {
    if line.words.is_empty() {
        Cow::Owned(vec![Word { bbox: line.bbox, text: line.text.clone(), confidence: line.confidence }])
    } else {
        Cow::Borrowed(&line.words)
    }
}

/// `WC` in [0, 1] as the schema requires (NaN, which `clamp` keeps, becomes 0).
fn wc(c: f32) -> f32 {
    if c.is_finite() { c.clamp(0.0, 1.0) } else { 0.0 }
}
