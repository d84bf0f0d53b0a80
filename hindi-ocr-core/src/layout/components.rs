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
/// neither tiny nor huge. `None` when there is nothing that looks like text.
pub fn text_height(comps: &[Component], page_w: u32, page_h: u32) -> Option<f32> {
    let mut hs: Vec<u32> = comps
        .iter()
        .filter(|c| c.area >= 12 && c.height() >= 5 && c.height() < page_h / 3 + 1 && c.width() < page_w / 2 + 1)
        .map(|c| c.height())
        .collect();
    if hs.is_empty() {
        return None;
    }
    hs.sort_unstable();
    Some(hs[hs.len() / 2] as f32)
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
