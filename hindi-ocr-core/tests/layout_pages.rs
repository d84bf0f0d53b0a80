//! Page analysis on drawn pages: line count, matras kept with their lines, skew, pages turned sideways or upside
//! down, two columns in reading order, a photo of a page on a dark table.

mod common;

use common::{Script, WordCounter, draw_word, text_page};
use hindi_ocr_core::layout::{AnalysisOptions, analyze_page, deskew};
use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_image};
use image::{DynamicImage, GrayImage, Luma};

const LINES: [&str; 5] = [
    "भारत एक विशाल देश है जिसमें कई भाषाएँ बोली जाती हैं।",
    "हिंदी में मात्राएँ ऊपर और नीचे दोनों ओर लगती हैं।",
    "कुछ शब्द जैसे कृपा, पुस्तक, सूर्य और दुःख नीचे जाते हैं।",
    "किताबें, चिड़िया, मैं और कौन ऊपर की मात्राएँ दिखाते हैं।",
    "अंतिम पंक्ति छोटी है।",
];

#[test]
fn finds_every_line_with_its_matras() {
    let page = text_page(1400, 420, &LINES, 40.0, 30.0, 40.0, 70.0);
    let layout = analyze_page(&page, &AnalysisOptions::default());
    assert_eq!(layout.lines.len(), LINES.len(), "one line per drawn line");
    assert!(layout.skew.abs() < 0.3, "straight page measured {}", layout.skew);
    for (i, line) in layout.lines.iter().enumerate() {
        // Each drawn line's ink lies within [top, top + pitch): a matra given to the wrong line would
        // stretch that line's box into its neighbour's band.
        let top = 30 + i as u32 * 70;
        assert!(line.bbox.y >= top && line.bbox.y + line.bbox.height <= top + 70, "line {i} box {:?}", line.bbox);
        assert!(line.words.len() >= 3, "line {i} has words: {:?}", line.words);
        let seg_words: usize = line.segments.iter().map(|s| s.words.len()).sum();
        assert_eq!(seg_words, line.words.len(), "segments cover each word once");
    }
}

#[test]
fn skewed_page_reads_like_a_straight_one() {
    let page = text_page(1400, 520, &LINES, 60.0, 80.0, 40.0, 70.0);
    for deg in [-3.0f32, 2.0] {
        // Rotating by -deg makes the text rise to the right by deg.
        let skewed = imageproc::geometric_transformations::rotate_about_center(
            &page,
            -deg.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(Luma([255])),
        );
        let layout = analyze_page(&skewed, &AnalysisOptions::default());
        assert!((layout.skew - deg).abs() < 0.3, "measured {} for {deg}", layout.skew);
        assert_eq!(layout.lines.len(), LINES.len(), "skew {deg}");
        // After deskewing, lines are level: each line's box is not much taller than on the straight page.
        for line in &layout.lines {
            assert!(line.bbox.height < 70, "line box {:?} at skew {deg}", line.bbox);
        }
    }
    let _ = deskew::MAX_SKEW_DEG;
}

#[test]
fn a_page_lying_sideways_or_upside_down_is_analysed_upright() {
    use image::imageops::{rotate90, rotate180, rotate270};
    let page = text_page(1400, 420, &LINES, 40.0, 30.0, 40.0, 70.0);
    let upright = analyze_page(&page, &AnalysisOptions::default());
    assert_eq!(upright.rotation, 0);
    let boxes = |l: &hindi_ocr_core::layout::PageLayout| l.lines.iter().map(|x| x.bbox).collect::<Vec<_>>();
    for (turned, back) in [(rotate90(&page), 270), (rotate180(&page), 180), (rotate270(&page), 90)] {
        let layout = analyze_page(&turned, &AnalysisOptions::default());
        assert_eq!(layout.rotation, back);
        assert_eq!((layout.width, layout.height), (1400, 420), "the upright size");
        assert_eq!(boxes(&layout), boxes(&upright), "turned back by {back}");
        // The whole-page path reports it, and sizes the page upright.
        let opts = DocumentOptions { layout: Layout::Page, ..Default::default() };
        let read = read_image(&WordCounter, &DynamicImage::ImageLuma8(turned), &opts).unwrap();
        assert_eq!((read.rotation, read.width, read.height, read.lines.len()), (back, 1400, 420, LINES.len()));
    }
}

/// Two columns; line i of the left column has i+1 words, line i of the right column has i+6 words.
fn two_column_page() -> GrayImage {
    let mut img = GrayImage::from_pixel(1300, 600, Luma([255]));
    for col in 0..2u32 {
        let x0 = 50 + col * 650;
        for i in 0..5u32 {
            let y = 60 + i * 90;
            let n = i + 1 + col * 5;
            for k in 0..n {
                draw_word(&mut img, x0 + k * 52, y, 36, 30);
            }
        }
    }
    img
}

#[test]
fn two_columns_are_read_left_column_first() {
    let page = two_column_page();
    // Lines read whole, so each line's word count comes back as one number.
    let analysis = AnalysisOptions { max_segment_aspect: 100.0, ..Default::default() };
    let opts = DocumentOptions { layout: Layout::Page, analysis, ..Default::default() };
    let result = read_image(&WordCounter, &DynamicImage::ImageLuma8(page), &opts).unwrap();
    let texts: Vec<&str> = result.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    // The right column's lines start right of the gutter.
    assert!(result.lines[5..].iter().all(|l| l.bbox.x >= 650));
    assert!(result.lines[..5].iter().all(|l| l.bbox.x + l.bbox.width <= 650));
}

#[test]
fn rules_and_specks_are_not_text() {
    let mut page = text_page(1400, 300, &LINES[..2], 40.0, 30.0, 40.0, 70.0);
    // A horizontal rule under the text, and scattered specks.
    for x in 40..1300 {
        for y in 200..203 {
            page.put_pixel(x, y, Luma([0]));
        }
    }
    for k in 0..40u32 {
        page.put_pixel(30 + k * 33, 250 + (k * 7) % 40, Luma([0]));
    }
    let layout = analyze_page(&page, &AnalysisOptions::default());
    assert_eq!(layout.lines.len(), 2, "{:?}", layout.lines.iter().map(|l| l.bbox).collect::<Vec<_>>());
}

#[test]
fn long_lines_are_split_into_segments_at_word_gaps() {
    let long = "यह एक बहुत लंबी पंक्ति है जिसमें बहुत सारे शब्द हैं ताकि इसे टुकड़ों में पढ़ा जाए और फिर जोड़ा जाए";
    let page = text_page(2200, 140, &[long], 20.0, 30.0, 40.0, 70.0);
    let opts = AnalysisOptions::default();
    let layout = analyze_page(&page, &opts);
    assert_eq!(layout.lines.len(), 1);
    let segs = &layout.lines[0].segments;
    assert!(segs.len() >= 2, "a ~{}:1 line is split", layout.lines[0].bbox.width / layout.lines[0].bbox.height);
    for s in segs {
        let (w, h) = s.image.dimensions();
        assert!(w as f32 <= opts.max_segment_aspect * h as f32 + 1.0 || s.words.len() == 1, "segment {w}x{h}");
    }
    // Segments follow each other without overlap, left to right.
    for pair in segs.windows(2) {
        assert!(pair[0].bbox.x + pair[0].bbox.width <= pair[1].bbox.x);
        assert_eq!(pair[0].words.end, pair[1].words.start);
    }
}

#[test]
fn auto_reads_a_wide_strip_whole_unless_it_holds_several_lines() {
    let opts = DocumentOptions { layout: Layout::Auto, ..Default::default() };
    // One line, 1400x90 (more than 4:1): read whole, as one line covering the image.
    let one = text_page(1400, 90, &LINES[..1], 40.0, 20.0, 40.0, 70.0);
    let page = read_image(&WordCounter, &DynamicImage::ImageLuma8(one), &opts).unwrap();
    assert_eq!(page.lines.len(), 1);
    assert_eq!((page.lines[0].bbox.width, page.lines[0].bbox.height), (1400, 90), "the whole image is the line");
    // Two long lines cut from a page, 1400x160 (still more than 4:1): two lines, not one garbled strip.
    let two = text_page(1400, 160, &LINES[..2], 40.0, 20.0, 40.0, 70.0);
    let page = read_image(&WordCounter, &DynamicImage::ImageLuma8(two), &opts).unwrap();
    assert_eq!(page.lines.len(), 2, "{:?}", page.lines.iter().map(|l| l.bbox).collect::<Vec<_>>());
}

/// A phone photo of a page: the page on a dark table, turned by `deg`, and seen a little from the left, so
/// that its right edge is `squeeze` of the height shorter at the top and at the bottom: after deskewing, the
/// top lines still descend to the right and the bottom ones rise.
fn photo_of(page: &GrayImage, deg: f32, squeeze: f32) -> GrayImage {
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, rotate_about_center, warp};
    let (w, h) = page.dimensions();
    let (mx, my) = (w / 8, h / 3);
    let mut table = GrayImage::from_pixel(w + 2 * mx, h + 2 * my, Luma([60]));
    image::imageops::replace(&mut table, page, i64::from(mx), i64::from(my));
    let turned = rotate_about_center(&table, -deg.to_radians(), Interpolation::Bilinear, Border::Constant(Luma([60])));
    let (tw, th) = (turned.width() as f32, turned.height() as f32);
    let from = [(0.0, 0.0), (tw, 0.0), (tw, th), (0.0, th)];
    let to = [(0.0, 0.0), (tw, squeeze * th), (tw, (1.0 - squeeze) * th), (0.0, th)];
    let view = Projection::from_control_points(from, to).expect("control points span the image");
    warp(&turned, view, Interpolation::Bilinear, Border::Constant(Luma([60])))
}

#[test]
fn photo_of_a_page_on_a_dark_table() {
    let page = text_page(1400, 420, &LINES, 40.0, 30.0, 40.0, 70.0);
    let layout = analyze_page(&photo_of(&page, 2.0, 0.01), &AnalysisOptions::default());
    // Deskewing must not add bright corners whose edges against the dark table read as lines of text.
    assert_eq!(layout.lines.len(), LINES.len(), "{:?}", layout.lines.iter().map(|l| l.bbox).collect::<Vec<_>>());
    for line in &layout.lines {
        assert!(line.words.len() >= 3 && line.bbox.height < 70, "line {:?}, {} words", line.bbox, line.words.len());
    }
}

#[test]
fn text_made_up_from_a_speck_is_dropped() {
    // A line of text and, far below it, a fleck as big as a small letter: analysis gives it a line of its own.
    let mut page = text_page(1400, 300, &LINES[..1], 40.0, 30.0, 40.0, 70.0);
    let fleck = imageproc::rect::Rect::at(1200, 230).of_size(18, 16);
    imageproc::drawing::draw_filled_rect_mut(&mut page, fleck, Luma([0]));
    let opts = DocumentOptions { layout: Layout::Page, ..Default::default() };
    let layout = analyze_page(&page, &opts.analysis);
    let pieces: usize = layout.lines.iter().map(|l| l.segments.len()).sum();
    assert_eq!(layout.lines.len(), 2, "the fleck is a line of its own");
    // The model reads the text line right, and "reads" 27 characters in the 18 px fleck: that is dropped.
    let mut texts = vec!["भारत एक विशाल देश है"; pieces - 1];
    texts.push("ऋणिक फ्लोपोरोरोरोर नारस्वीर");
    let img = DynamicImage::ImageLuma8(page);
    let read = read_image(&Script::new(&texts), &img, &opts).unwrap();
    assert_eq!(read.lines.len(), 1, "{:?}", read.lines.iter().map(|l| &l.text).collect::<Vec<_>>());
    assert!(read.lines[0].text.starts_with("भारत"));
    // A short read that fits the fleck is dropped when the model is all but sure it is not text (a mark on a
    // photo's table read at 0.05), kept otherwise.
    *texts.last_mut().unwrap() = "कलम।";
    let mut confidences = vec![0.9; pieces - 1];
    for (conf, lines) in [(0.05, 1), (0.5, 2)] {
        confidences.truncate(pieces - 1);
        confidences.push(conf);
        let read = read_image(&Script::with_confidences(&texts, &confidences), &img, &opts).unwrap();
        assert_eq!(read.lines.len(), lines, "confidence {conf}");
    }
}
