//! Connected components of the ink, with the statistics page analysis needs: box, area, and the headline
//! (the row with the most ink inside the component: the shirorekha of a Devanagari word).

use image::{GrayImage, ImageBuffer, Luma};

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
        let labels = label_runs(binary);
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

/// 8-connected labels of the ink (non-zero) of `binary`: component `i` (0-based, numbered by its first pixel
/// in raster order) gets label `i + 1`, background 0, exactly as `imageproc`'s `connected_components`
/// numbers them. Worked over runs of ink rather than pixels: imageproc's union-find holds 16 bytes per pixel
/// of the page (1.6 GB for the 100 megapixels an input may have), this one 16 bytes per run of ink.
fn label_runs(binary: &GrayImage) -> ImageBuffer<Luma<u32>, Vec<u32>> {
    let (w, h) = binary.dimensions();
    let mut labels = ImageBuffer::new(w, h);
    let raw = binary.as_raw();
    // Runs of ink, row by row: (x0, x1) with x1 exclusive; `rows[y]..rows[y + 1]` are row y's.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut rows = Vec::with_capacity(h as usize + 1);
    for y in 0..h as usize {
        rows.push(runs.len());
        let row = &raw[y * w as usize..(y + 1) * w as usize];
        let mut x = 0;
        while x < row.len() {
            if row[x] == 0 {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] != 0 {
                x += 1;
            }
            runs.push((start as u32, x as u32));
        }
    }
    rows.push(runs.len());

    // Union-find over runs; a run touches a run of the row above when they overlap or meet at a corner.
    let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
    fn root(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize]; // path halving
            i = parent[i as usize];
        }
        i
    }
    for y in 1..h as usize {
        let (above, here) = (rows[y - 1]..rows[y], rows[y]..rows[y + 1]);
        let mut a = above.start;
        for b in here {
            let (b0, b1) = runs[b];
            // Runs above that end before this one's corner cannot touch it or any later run of this row.
            while a < above.end && runs[a].1 < b0 {
                a += 1;
            }
            let mut k = a;
            while k < above.end && runs[k].0 <= b1 {
                let (ra, rb) = (root(&mut parent, k as u32), root(&mut parent, b as u32));
                if ra != rb {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
                k += 1;
            }
        }
    }

    // Number the components by their first run in raster order, and paint the labels.
    let mut number = vec![0u32; runs.len()];
    let mut next = 1;
    for y in 0..h as usize {
        for i in rows[y]..rows[y + 1] {
            let r = root(&mut parent, i as u32) as usize;
            if number[r] == 0 {
                number[r] = next;
                next += 1;
            }
            let (x0, x1) = runs[i];
            for x in x0..x1 {
                labels.put_pixel(x, y as u32, Luma([number[r]]));
            }
        }
    }
    labels
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
    fn labels_are_those_of_imageproc() {
        use imageproc::region_labelling::{Connectivity, connected_components};
        // Random ink at several densities (sparse specks to one big blob), and shapes that join only at a
        // corner or through a U whose arms meet below.
        let mut seed = 12345u64;
        let mut rand = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for (w, h, density) in [(1, 1, 50), (7, 1, 50), (1, 9, 50), (40, 30, 10), (40, 30, 45), (64, 48, 60), (97, 13, 30), (300, 200, 50)] {
            let img = GrayImage::from_fn(w, h, |_, _| Luma([if rand() % 100 < density { 255 } else { 0 }]));
            assert_eq!(label_runs(&img), connected_components(&img, Connectivity::Eight, Luma([0u8])), "{w}x{h} {density}%");
        }
        let mut u = GrayImage::new(9, 6);
        for (x, y) in [(1, 0), (1, 1), (1, 2), (7, 0), (7, 1), (7, 2), (2, 3), (6, 3), (3, 4), (4, 4), (5, 4), (8, 5), (0, 5)] {
            u.put_pixel(x, y, Luma([255]));
        }
        let labels = label_runs(&u);
        assert_eq!(labels, connected_components(&u, Connectivity::Eight, Luma([0u8])));
        assert_eq!(labels.get_pixel(1, 0), labels.get_pixel(7, 0), "the U's arms are one component");
        assert_eq!(labels.pixels().map(|p| p[0]).max(), Some(3));
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
