//! Page analysis: from a page image to text lines (with word boxes) ready for the line recogniser.
//!
//! a photo of a page seen at an angle warped back to a rectangle ([`page_quad`]) -> binarise (Sauvola,
//! [`binarize`]) -> turn pages lying sideways or upside down upright ([`orientation`]) ->
//! measure and remove skew ([`deskew`]) -> connected components, drop
//! specks, rules and pictures ([`components`]) -> columns ([`columns`]) -> lines that follow the headline,
//! keeping matras above and below with their line, and words ([`lines`]) -> segments: a line much wider than
//! the model's input aspect is cut at word gaps so that each piece is read at a legible scale.
//!
//! Boxes are in the upright, deskewed frame: the page (rectified when [`PageLayout::quad`] is set) turned clockwise by [`PageLayout::rotation`] degrees, then
//! rotated by [`PageLayout::skew`] about its centre (same size).

pub mod binarize;
pub mod columns;
pub mod components;
pub mod deskew;
pub mod lines;
pub mod orientation;
pub mod page_quad;

use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::drawing::draw_hollow_rect_mut;
use imageproc::rect::Rect;

use crate::BBox;
use components::{Component, Components, Kind};

/// Settings of page analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisOptions {
    /// Sauvola `k`.
    pub sauvola_k: f32,
    /// Find pages turned by 90, 180 or 270 degrees and read them upright.
    pub detect_orientation: bool,
    /// Measure and remove skew.
    pub deskew: bool,
    /// Largest skew searched, degrees.
    pub max_skew_deg: f32,
    /// A line crop wider than this many times its height is split at word gaps. The recogniser squeezes each
    /// line into a fixed input (e.g. 384x32 or 384x48), so pieces much wider than that become illegible.
    pub max_segment_aspect: f32,
    /// Detect up to this many column splits (0: single column).
    pub max_column_splits: u32,
    /// Warp a photo of a page seen at an angle (a bright quadrilateral on a darker background) back to a
    /// rectangle before reading it.
    pub rectify_photos: bool,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            sauvola_k: binarize::DEFAULT_K,
            detect_orientation: true,
            deskew: true,
            max_skew_deg: deskew::MAX_SKEW_DEG,
            max_segment_aspect: 12.0,
            max_column_splits: 2,
            rectify_photos: true,
        }
    }
}

/// A piece of a line, sent to the recogniser as one image.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Where the piece is (deskewed frame), without padding.
    pub bbox: BBox,
    /// The line's words that it covers (indices into [`LineLayout::words`]).
    pub words: std::ops::Range<usize>,
    /// The padded grey crop, with ink of other lines and noise painted white.
    pub image: GrayImage,
}

/// One line found on a page.
#[derive(Debug, Clone)]
pub struct LineLayout {
    /// The line's box (deskewed frame).
    pub bbox: BBox,
    /// Word boxes, left to right.
    pub words: Vec<BBox>,
    /// Pieces for the recogniser, left to right; their texts joined with spaces give the line text.
    pub segments: Vec<Segment>,
}

/// The result of page analysis.
#[derive(Debug, Clone)]
pub struct PageLayout {
    /// The page's corners in the image (top-left, top-right, bottom-right, bottom-left, pixels) when it was a
    /// photo seen at an angle and was warped to a rectangle first ([`page_quad`]); everything below is then of
    /// the rectified page.
    pub quad: Option<page_quad::Quad>,
    /// Page width (upright: after the turn by `rotation`).
    pub width: u32,
    /// Page height (upright).
    pub height: u32,
    /// Degrees (0, 90, 180, 270) the page was turned clockwise to make its text upright.
    pub rotation: u16,
    /// After the turn, the text may still be upside down: a few words say so and none say otherwise, too few
    /// to turn the page on their own ([`orientation::Votes::maybe_upside_down`]).
    pub maybe_upside_down: bool,
    /// Measured skew in degrees (positive: text rises to the right).
    pub skew: f32,
    /// The typical text height found, px (0 when the page has no text).
    pub text_height: f32,
    /// Lines in reading order.
    pub lines: Vec<LineLayout>,
}

fn union(comps: &[Component], idx: &[usize]) -> BBox {
    let x0 = idx.iter().map(|&i| comps[i].x0).min().unwrap_or(0);
    let y0 = idx.iter().map(|&i| comps[i].y0).min().unwrap_or(0);
    let x1 = idx.iter().map(|&i| comps[i].x1).max().unwrap_or(0);
    let y1 = idx.iter().map(|&i| comps[i].y1).max().unwrap_or(0);
    BBox { x: x0, y: y0, width: x1.saturating_sub(x0), height: y1.saturating_sub(y0) }
}

/// Analyse a page image. Never fails: a page without text gives no lines.
pub fn analyze_page(gray: &GrayImage, opts: &AnalysisOptions) -> PageLayout {
    let (w, h) = gray.dimensions();
    if w < 4 || h < 4 {
        return PageLayout { quad: None, width: w, height: h, rotation: 0, maybe_upside_down: false, skew: 0.0, text_height: 0.0, lines: vec![] };
    }
    let rectified;
    let quad = if opts.rectify_photos { page_quad::find(gray) } else { None };
    let (gray, quad) = match quad.and_then(|q| page_quad::rectify(gray, &q).map(|r| (r, q))) {
        Some((r, q)) => {
            rectified = r;
            (&rectified, Some(q))
        }
        None => (gray, None),
    };
    let (w, h) = gray.dimensions();
    let window = binarize::default_window(w, h);
    let mut binary = binarize::sauvola_stretched(gray, window, opts.sauvola_k, binarize::Contrast::of(gray));
    let (mut rotation, mut maybe_upside_down) = (0, false);
    let (turned, rotated);
    let mut page = gray;
    if opts.detect_orientation {
        let votes = orientation::votes(&binary);
        (rotation, maybe_upside_down) = (votes.rotation(), votes.maybe_upside_down());
        if rotation != 0 {
            // The window is square and the contrast global: turning the binary equals binarising the turn.
            turned = orientation::turn(gray, rotation);
            binary = orientation::turn(&binary, rotation);
            page = &turned;
        }
    }
    let (w, h) = page.dimensions();
    let empty = |skew| PageLayout { quad, width: w, height: h, rotation, maybe_upside_down, skew, text_height: 0.0, lines: vec![] };
    let mut skew = 0.0;
    if opts.deskew {
        skew = deskew::estimate_skew(&binary, opts.max_skew_deg);
        if skew.abs() >= 0.1 {
            rotated = deskew::rotate(page, skew);
            binary = binarize::sauvola_stretched(&rotated, window, opts.sauvola_k, binarize::Contrast::of(&rotated));
            page = &rotated;
        } else {
            skew = 0.0;
        }
    }
    let mut found = Components::find(&binary);
    drop(binary);
    let Some(th) = components::text_height(&found.comps, w, h) else { return empty(skew) };
    components::classify(&mut found.comps, th);
    let text: Vec<usize> = (0..found.comps.len()).filter(|&i| found.comps[i].kind == Kind::Text).collect();

    // Which line owns each component (to paint other lines' ink white in a line's crop).
    let mut owner = vec![u32::MAX; found.comps.len()];
    let mut groups = Vec::new();
    for column in columns::split_columns(&found.comps, text, th, opts.max_column_splits) {
        for line in lines::group_lines(&found.comps, &column, th) {
            for &c in &line.comps {
                owner[c] = groups.len() as u32;
            }
            groups.push(line);
        }
    }
    let lines = groups
        .iter()
        .enumerate()
        .map(|(li, g)| {
            let words_idx = lines::group_words(&found.comps, g, th);
            let bbox = union(&found.comps, &g.comps);
            let words: Vec<BBox> = words_idx.iter().map(|ws| union(&found.comps, ws)).collect();
            let segments = segment_line(page, &found, &owner, li as u32, bbox, &words, opts.max_segment_aspect);
            LineLayout { bbox, words, segments }
        })
        .collect();
    PageLayout { quad, width: w, height: h, rotation, maybe_upside_down, skew, text_height: th, lines }
}

/// Cut a line into pieces no wider than `max_aspect` times the padded height, at word gaps, and crop them.
fn segment_line(
    page: &GrayImage,
    found: &Components,
    owner: &[u32],
    line: u32,
    bbox: BBox,
    words: &[BBox],
    max_aspect: f32,
) -> Vec<Segment> {
    let pad = ((bbox.height as f32 * 0.12).round() as u32).max(4);
    let max_w = (max_aspect * (bbox.height + 2 * pad) as f32).max(1.0) as u32;
    cut_at_word_gaps(words, pad, max_w)
        .into_iter()
        .map(|range| {
            let x0 = words[range.start].x;
            let x1 = words[range.clone()].iter().map(|b| b.x + b.width).max().unwrap_or(x0);
            let seg_box = BBox { x: x0, y: bbox.y, width: x1 - x0, height: bbox.height };
            Segment { bbox: seg_box, words: range, image: crop(page, found, owner, line, seg_box, pad) }
        })
        .collect()
}

/// Word ranges of the pieces a line is cut into: as few pieces as fit `max_w` (padded width), and among those
/// the most even widths. Filling pieces greedily would leave a last piece of one short word (`५`, `की`), which
/// the model then sees stretched 20 times and misreads; even pieces are all read at about the same scale.
fn cut_at_word_gaps(words: &[BBox], pad: u32, max_w: u32) -> Vec<std::ops::Range<usize>> {
    let n = words.len();
    // best[i]: (pieces, sum of squared widths, start of the last piece) for words[..i].
    let mut best: Vec<(u32, u64, usize)> = vec![(u32::MAX, u64::MAX, 0); n + 1];
    best[0] = (0, 0, 0);
    for i in 1..=n {
        let mut right = 0;
        for j in (0..i).rev() {
            right = right.max(words[j].x + words[j].width);
            let width = right.saturating_sub(words[j].x) + 2 * pad;
            // A single word wider than max_w still makes a piece of its own.
            if width > max_w && j + 1 < i {
                break;
            }
            let (pieces, sq, _) = best[j];
            if pieces == u32::MAX {
                continue;
            }
            let cand = (pieces + 1, sq + u64::from(width) * u64::from(width), j);
            if (cand.0, cand.1) < (best[i].0, best[i].1) {
                best[i] = cand;
            }
        }
    }
    let mut ranges = Vec::new();
    let mut end = n;
    while end > 0 {
        let start = best[end].2;
        ranges.push(start..end);
        end = start;
    }
    ranges.reverse();
    ranges
}

/// A padded grey crop of the piece `b` of line `line`, in which ink that belongs to other lines, to the line's
/// words outside the piece, to rules and to pictures is painted white. (The padding can reach into the next
/// word across a narrow gap; its first stroke, cut off, reads as a danda.)
fn crop(page: &GrayImage, found: &Components, owner: &[u32], line: u32, b: BBox, pad: u32) -> GrayImage {
    let (pw, ph) = page.dimensions();
    let x0 = b.x.saturating_sub(pad);
    let y0 = b.y.saturating_sub(pad);
    let x1 = (b.x + b.width + pad).min(pw);
    let y1 = (b.y + b.height + pad).min(ph);
    let mut out = GrayImage::from_pixel(b.width + 2 * pad, b.height + 2 * pad, Luma([255]));
    let (ox, oy) = (pad - (b.x - x0), pad - (b.y - y0));
    for y in y0..y1 {
        for x in x0..x1 {
            let label = found.labels.get_pixel(x, y)[0] as usize;
            let foreign = label != 0 && {
                let c = &found.comps[label - 1];
                let o = owner[label - 1];
                let other_piece = o == line && (c.x1 <= b.x || c.x0 >= b.x + b.width);
                // Another line's ink, or a rule or picture edge. Specks stay: at low resolution a nukta or an
                // anusvara is one (painting them white lost them), and the model reads through noise anyway.
                (o != u32::MAX && o != line) || other_piece || matches!(c.kind, Kind::Rule | Kind::Blob)
            };
            if !foreign {
                out.put_pixel(x - x0 + ox, y - y0 + oy, *page.get_pixel(x, y));
            }
        }
    }
    out
}

/// Draw the found lines (blue) and words (red) over the upright, deskewed page, for checking page analysis by
/// eye.
pub fn draw_layout(gray: &GrayImage, layout: &PageLayout) -> RgbImage {
    let page = orientation::turn(gray, layout.rotation);
    let page = if layout.skew != 0.0 { deskew::rotate(&page, layout.skew) } else { page };
    let mut rgb = RgbImage::from_fn(page.width(), page.height(), |x, y| {
        let v = page.get_pixel(x, y)[0];
        Rgb([v, v, v])
    });
    let rect = |b: &BBox| Rect::at(b.x as i32, b.y as i32).of_size(b.width.max(1), b.height.max(1));
    for line in &layout.lines {
        draw_hollow_rect_mut(&mut rgb, rect(&line.bbox), Rgb([0, 0, 255]));
        for word in &line.words {
            draw_hollow_rect_mut(&mut rgb, rect(word), Rgb([255, 0, 0]));
        }
        for seg in &line.segments {
            let b = BBox { x: seg.bbox.x, y: seg.bbox.y + seg.bbox.height, width: seg.bbox.width, height: 1 };
            draw_hollow_rect_mut(&mut rgb, rect(&b), Rgb([0, 160, 0]));
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(widths: &[u32], gap: u32) -> Vec<BBox> {
        let mut x = 0;
        widths
            .iter()
            .map(|&w| {
                let b = BBox { x, y: 0, width: w, height: 30 };
                x += w + gap;
                b
            })
            .collect()
    }

    #[test]
    fn a_piece_holds_only_its_own_words() {
        // One line of two words 4 px apart: the first word's crop, padded by 8 px, reaches into the second.
        let mut page = GrayImage::from_pixel(120, 40, Luma([255]));
        for (x, w) in [(10, 40), (54, 46)] {
            imageproc::drawing::draw_filled_rect_mut(&mut page, Rect::at(x, 10).of_size(w, 20), Luma([0]));
        }
        let binary = GrayImage::from_fn(120, 40, |x, y| Luma([if page.get_pixel(x, y)[0] == 0 { binarize::INK } else { 0 }]));
        let found = Components::find(&binary);
        assert_eq!(found.comps.len(), 2);
        let owner = vec![0u32; 2];
        let first = BBox { x: 10, y: 10, width: 40, height: 20 };
        let img = crop(&page, &found, &owner, 0, first, 8);
        assert_eq!(img.dimensions(), (56, 36));
        let dark: Vec<u32> = (0..56).filter(|&x| (0..36).any(|y| img.get_pixel(x, y)[0] == 0)).collect();
        assert_eq!(dark, (8..48).collect::<Vec<u32>>(), "only the first word's columns hold ink");
    }

    #[test]
    fn pieces_are_few_and_even() {
        // 22 words of 50 px, 10 px gaps: 7 fit in 456 px, so greedy filling gives 7, 7, 7 and a lone word.
        let words = row(&[50; 22], 10);
        let cuts = cut_at_word_gaps(&words, 4, 456);
        assert_eq!(cuts.len(), 4, "{cuts:?}");
        let sizes: Vec<usize> = cuts.iter().map(|r| r.len()).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
        // The ranges cover every word once, in order.
        assert_eq!(cuts.first().unwrap().start, 0);
        assert_eq!(cuts.last().unwrap().end, 22);
        assert!(cuts.windows(2).all(|w| w[0].end == w[1].start));
        for r in &cuts {
            let w = words[r.end - 1].x + words[r.end - 1].width - words[r.start].x + 8;
            assert!(w <= 456, "{r:?} is {w} px");
        }
    }

    #[test]
    fn short_lines_stay_whole_and_wide_words_stand_alone() {
        assert_eq!(cut_at_word_gaps(&row(&[50; 3], 10), 4, 456), vec![0..3]);
        assert_eq!(cut_at_word_gaps(&[], 4, 456), Vec::<std::ops::Range<usize>>::new());
        let cuts = cut_at_word_gaps(&row(&[100, 600, 100], 10), 4, 456);
        assert_eq!(cuts, vec![0..1, 1..2, 2..3]);
    }
}
