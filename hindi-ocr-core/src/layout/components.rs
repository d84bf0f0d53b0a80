//! Connected components of the ink, with the statistics page analysis needs: box, area, and the headline
//! (the row with the most ink inside the component: the shirorekha of a Devanagari word).

use image::{GrayImage, ImageBuffer, Luma};
use imageproc::region_labelling::{Connectivity, connected_components};

/// What a component is taken to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Part of the text.
    Text,
    /// Too small to be a mark: noise.
    Speck,
    /// A long thin horizontal or vertical line (table rule, underline, border).
    Rule,
    /// Much larger than the text: a picture, logo or stain.
    Blob,
}

/// One connected component of ink.
#[derive(Debug, Clone)]
pub struct Component {
    /// Left edge (inclusive).
    pub x0: u32,
    /// Top edge (inclusive).
    pub y0: u32,
    /// Right edge (exclusive).
    pub x1: u32,
    /// Bottom edge (exclusive).
    pub y1: u32,
    /// Ink pixels.
    pub area: u32,
    /// The row (page coordinates) with the most ink in this component.
    pub peak_row: u32,
    /// Ink pixels on that row.
    pub peak_count: u32,
    /// Classification (set by [`classify`]).
    pub kind: Kind,
}

impl Component {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }
    /// Vertical centre.
    pub fn cy(&self) -> f32 {
        (self.y0 + self.y1) as f32 / 2.0
    }
    /// Horizontal centre.
    pub fn cx(&self) -> f32 {
        (self.x0 + self.x1) as f32 / 2.0
    }
    /// True when the component carries a headline: its busiest row runs along most of its width near its
    /// top, as the shirorekha does in a Devanagari word.
    pub fn has_headline(&self, text_height: f32) -> bool {
        let (w, h) = (self.width() as f32, self.height() as f32);
        w >= 0.45 * text_height
            && h >= 0.45 * text_height
            && self.peak_count as f32 >= 0.6 * w
            && (self.peak_row - self.y0) as f32 <= 0.5 * h
    }
}

/// All components of a binary image, and the label image (label `i + 1` is `comps[i]`; 0 is background).
pub struct Components {
    /// Per-pixel labels.
    pub labels: ImageBuffer<Luma<u32>, Vec<u32>>,
    /// Components by label - 1.
    pub comps: Vec<Component>,
}

impl Components {
    /// Label the ink (255) of `binary` with 8-connectivity and measure each component.
    pub fn find(binary: &GrayImage) -> Self {
        let labels = connected_components(binary, Connectivity::Eight, Luma([0u8]));
        let n = labels.pixels().map(|p| p[0]).max().unwrap_or(0) as usize;
        let mut comps: Vec<Component> = (0..n)
            .map(|_| Component {
                x0: u32::MAX,
                y0: u32::MAX,
                x1: 0,
                y1: 0,
                area: 0,
                peak_row: 0,
                peak_count: 0,
                kind: Kind::Text,
            })
            .collect();
        for (x, y, p) in labels.enumerate_pixels() {
            if p[0] == 0 {
                continue;
            }
            let c = &mut comps[p[0] as usize - 1];
            c.x0 = c.x0.min(x);
            c.y0 = c.y0.min(y);
            c.x1 = c.x1.max(x + 1);
            c.y1 = c.y1.max(y + 1);
            c.area += 1;
        }
        // Row histograms per component, to find each one's busiest row.
        let mut offsets = Vec::with_capacity(n + 1);
        let mut total = 0usize;
        for c in &comps {
            offsets.push(total);
            total += c.height() as usize;
        }
        let mut rows = vec![0u32; total];
        for (_, y, p) in labels.enumerate_pixels() {
            if p[0] != 0 {
                let i = p[0] as usize - 1;
                rows[offsets[i] + (y - comps[i].y0) as usize] += 1;
            }
        }
        for (i, c) in comps.iter_mut().enumerate() {
            let hist = &rows[offsets[i]..offsets[i] + c.height() as usize];
            // First maximum from the top: the headline sits above the letters' bodies.
            let (mut best_row, mut best) = (0usize, 0u32);
            for (r, &v) in hist.iter().enumerate() {
                if v > best {
                    best = v;
                    best_row = r;
                }
            }
            c.peak_row = c.y0 + best_row as u32;
            c.peak_count = best;
        }
        Self { labels, comps }
    }
}

/// The typical height of a text component (a word or letter): the median height of components that are
/// neither tiny nor huge, each counted by its width. Counting by width measures the height along the length
/// of the text: on a blurred or broken scan a word falls apart into many narrow fragments (and dots and
/// matras are narrow too), which by count would outvote the words and make the estimate a fraction of the
/// real height (then whole words were taken for blobs and dropped). `None` when nothing looks like text.
pub fn text_height(comps: &[Component], page_w: u32, page_h: u32) -> Option<f32> {
    // Taller than a third of a page is a picture, not text; but on a short, wide image (a line or two cut out
    // of a page) the words themselves are most of its height, so there the bound is a quarter of the width.
    let max_h = (page_h / 3).max((page_w / 4).min(page_h));
    let mut hs: Vec<(u32, u64)> = comps
        .iter()
        .filter(|c| c.area >= 12 && c.height() >= 5 && c.height() <= max_h && c.width() < page_w / 2 + 1)
        .map(|c| (c.height(), u64::from(c.width())))
        .collect();
    hs.sort_unstable();
    // The height at which half of the total width is reached (nothing to count: None).
    let half = hs.iter().map(|&(_, w)| w).sum::<u64>().div_ceil(2);
    let mut seen = 0;
    hs.iter()
        .find(|&&(_, w)| {
            seen += w;
            seen >= half
        })
        .map(|&(h, _)| h as f32)
}

/// Mark specks, rules and blobs, given the typical text height `th`.
pub fn classify(comps: &mut [Component], th: f32) {
    let speck_area = (0.06 * th).powi(2).max(4.0);
    for c in comps.iter_mut() {
        let (w, h) = (c.width() as f32, c.height() as f32);
        c.kind = if (c.area as f32) < speck_area || (w < 0.08 * th && h < 0.08 * th) {
            Kind::Speck
        } else if (h < 0.2 * th && w > 5.0 * th) || (w < 0.2 * th && h > 4.0 * th) {
            Kind::Rule
        } else if h > 4.0 * th || (h > 2.5 * th && w > 2.5 * th && c.area as f32 > 0.5 * w * h) {
            Kind::Blob
        } else {
            Kind::Text
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(x0: u32, y0: u32, w: u32, h: u32) -> Component {
        Component { x0, y0, x1: x0 + w, y1: y0 + h, area: w * h / 3, peak_row: y0, peak_count: w, kind: Kind::Text }
    }

    #[test]
    fn text_height_counts_components_by_width() {
        // A blurred word falls apart: 3 words 25 px high and 80 wide, 12 narrow fragments 6 px high.
        let mut comps: Vec<Component> = (0..3).map(|i| comp(i * 100, 10, 80, 25)).collect();
        comps.extend((0..12).map(|i| comp(i * 20, 40, 4, 6)));
        assert_eq!(text_height(&comps, 2000, 2000), Some(25.0));
    }

    #[test]
    fn on_a_line_image_words_are_not_taken_for_pictures() {
        // A 700x60 line image: its words are 40 px high, two thirds of the image.
        let mut comps: Vec<Component> = (0..6).map(|i| comp(10 + i * 110, 10, 90, 40)).collect();
        comps.extend((0..4).map(|i| comp(30 + i * 150, 5, 5, 5)));
        assert_eq!(text_height(&comps, 700, 60), Some(40.0));
        // On a page, something a third of the page high is still left out.
        let mut page: Vec<Component> = (0..40).map(|i| comp(100 + (i % 8) * 200, 100 + (i / 8) * 60, 150, 30)).collect();
        page.push(comp(100, 900, 900, 1200));
        assert_eq!(text_height(&page, 2480, 3508), Some(30.0));
    }
}
