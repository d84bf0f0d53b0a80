//! Skew: measured from the ink with a projection profile, then removed by rotating the page.
//!
//! Devanagari lines carry a headline (shirorekha), so the row profile of ink is sharpest (largest sum of
//! squares) when rows follow the text. We shear the ink points by each candidate angle and keep the best,
//! coarse then fine, on a downscaled copy so a 300 dpi page costs a few milliseconds.

use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};

use super::binarize::{INK, level_at_rank};

/// Largest skew searched, in degrees either way. Scans and phone photos of pages are within this.
pub const MAX_SKEW_DEG: f32 = 10.0;

/// Measure the skew of the ink in `binary` (ink = 255) in degrees; positive means text rises to the right.
/// Returns 0 when there is too little ink to tell.
pub fn estimate_skew(binary: &GrayImage, max_deg: f32) -> f32 {
    let (w, h) = binary.dimensions();
    // Downscale to about 1000 px wide: a block is ink when any of its pixels is.
    let f = (w.max(h) / 1000).max(1);
    let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
    let mut grid = vec![false; (sw * sh) as usize];
    for (x, y, p) in binary.enumerate_pixels() {
        if p[0] == INK {
            grid[((y / f) * sw + x / f) as usize] = true;
        }
    }
    let points: Vec<(f32, f32)> = grid
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .map(|(i, _)| ((i as u32 % sw) as f32, (i as u32 / sw) as f32))
        .collect();
    if points.len() < 20 {
        return 0.0;
    }
    let score = |deg: f32| -> f64 {
        let t = deg.to_radians().tan();
        let off = sw as f32 * t.abs() + 1.0;
        let n = (sh as f32 + 2.0 * off) as usize + 2;
        let mut hist = vec![0u32; n];
        for &(x, y) in &points {
            // A line rising to the right has y = y0 - x*tan(a): y + x*tan(a) is constant along it.
            let yy = y + x * t + off;
            hist[(yy as usize).min(n - 1)] += 1;
        }
        hist.iter().map(|&c| (c as f64) * (c as f64)).sum()
    };
    let best = |from: f32, to: f32, step: f32| -> f32 {
        let mut best = (0.0f32, f64::MIN);
        let mut a = from;
        while a <= to + 1e-6 {
            let s = score(a);
            // Prefer the smaller angle on ties so flat pages stay exactly flat.
            if s > best.1 * (1.0 + 1e-9) || (s >= best.1 && a.abs() < best.0.abs()) {
                best = (a, s);
            }
            a += step;
        }
        best.0
    };
    let coarse = best(-max_deg, max_deg, 0.5);
    let fine = best(coarse - 0.5, coarse + 0.5, 0.05);
    (fine * 100.0).round() / 100.0
}

/// Rotate `gray` so that text skewed by `skew_deg` (as [`estimate_skew`] reports) becomes level. The canvas
/// keeps its size and centre; uncovered corners take the grey of the image's edge ([`edge_level`]).
pub fn rotate(gray: &GrayImage, skew_deg: f32) -> GrayImage {
    // imageproc rotates clockwise (on screen) for positive angles; text rising to the right needs exactly that.
    let fill = Border::Constant(Luma([edge_level(gray)]));
    rotate_about_center(gray, skew_deg.to_radians(), Interpolation::Bilinear, fill)
}

/// The median grey of the image's outermost pixels. A scan's margin is paper, so its corners stay paper; a
/// photo of a page on a dark table would otherwise gain bright wedges whose edges binarise as lines of ink.
/// (Repeating each edge pixel instead would smear any ink that touches the edge across the corner.)
fn edge_level(gray: &GrayImage) -> u8 {
    let (w, h) = gray.dimensions();
    if w == 0 || h == 0 {
        return 255;
    }
    let mut hist = [0u64; 256];
    for x in 0..w {
        hist[gray.get_pixel(x, 0)[0] as usize] += 1;
        hist[gray.get_pixel(x, h - 1)[0] as usize] += 1;
    }
    for y in 0..h {
        hist[gray.get_pixel(0, y)[0] as usize] += 1;
        hist[gray.get_pixel(w - 1, y)[0] as usize] += 1;
    }
    level_at_rank(&hist, u64::from(w + h)) // the median of the 2w + 2h counted
}

#[cfg(test)]
mod tests {
    use super::super::binarize::{DEFAULT_K, sauvola};
    use super::*;

    /// Dark horizontal bars (like headlines with letters under them), rotated so they rise to the right.
    fn tilted_page(deg: f32) -> GrayImage {
        let mut g = GrayImage::from_pixel(800, 500, Luma([255]));
        for line in 0..6u32 {
            let y0 = 60 + line * 70;
            for x in 60..740u32 {
                if (x / 40) % 5 == 4 {
                    continue; // word gaps
                }
                for y in y0..y0 + 4 {
                    g.put_pixel(x, y, Luma([0]));
                }
                if x % 9 < 3 {
                    for y in y0..y0 + 25 {
                        g.put_pixel(x, y, Luma([0]));
                    }
                }
            }
        }
        // Rotating by -deg (counter-clockwise on screen) makes the text rise to the right by deg.
        rotate_about_center(&g, -deg.to_radians(), Interpolation::Bilinear, Border::Constant(Luma([255])))
    }

    #[test]
    fn measures_and_removes_skew() {
        for deg in [-4.0f32, 0.0, 2.5] {
            let page = tilted_page(deg);
            let est = estimate_skew(&sauvola(&page, 31, DEFAULT_K), MAX_SKEW_DEG);
            assert!((est - deg).abs() < 0.3, "measured {est}, drawn {deg}");
            let straight = rotate(&page, est);
            let again = estimate_skew(&sauvola(&straight, 31, DEFAULT_K), MAX_SKEW_DEG);
            assert!(again.abs() < 0.3, "after deskew {again}");
        }
    }

    #[test]
    fn blank_page_has_no_skew() {
        assert_eq!(estimate_skew(&GrayImage::new(100, 100), MAX_SKEW_DEG), 0.0);
    }

    #[test]
    fn corners_take_the_grey_of_the_edge() {
        // A white page on a dark table, and a white scan: the corners a rotation uncovers match each.
        let mut photo = GrayImage::from_pixel(300, 200, Luma([60]));
        for y in 50..150 {
            for x in 50..250 {
                photo.put_pixel(x, y, Luma([240]));
            }
        }
        assert_eq!(edge_level(&photo), 60);
        assert_eq!(rotate(&photo, 3.0).get_pixel(0, 0)[0], 60);
        let scan = GrayImage::from_pixel(300, 200, Luma([250]));
        assert_eq!(rotate(&scan, 3.0).get_pixel(0, 0)[0], 250);
    }
}
