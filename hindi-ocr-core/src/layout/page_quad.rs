//! Photos of a page taken at an angle: the page is a bright quadrilateral on a darker table, its far side
//! smaller than its near side (a keystone), so lines shrink and fan out across it and no single deskew angle
//! fits them. Found, the page is warped back to a rectangle (a homography from its four corners) before any
//! other analysis. Scans, and photos whose page fills the picture or is already a rectangle, are left as
//! they are.
//!
//! Measured on the five dev pages photographed by `benches/photo_pages.py` with its keystone raised (CER of
//! `--layout page`): keystone 0.03 0.30 % -> 0.18 %, 0.12 1.49 % -> 0.34 %, 0.16 8.13 % -> 0.24 %.

use image::{GrayImage, Luma, imageops};
use imageproc::contrast::otsu_level;
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use imageproc::region_labelling::{Connectivity, connected_components};

/// Corners of a page in image pixels: top-left, top-right, bottom-right, bottom-left.
pub type Quad = [(f32, f32); 4];

/// Longer side of the picture the page is looked for in (its outline needs no more).
const SEARCH_SIDE: f32 = 400.0;
/// The corners are moved this much towards the centre: the page's edge (a grey rim, a shadow, a sliver of
/// table) would otherwise become a long dark component at the rectified page's border.
const INSET: f32 = 0.015;

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Twice the signed area of triangle (a, b, c): positive when it turns clockwise in image coordinates.
fn cross(a: (f32, f32), b: (f32, f32), c: (f32, f32)) -> f32 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn inside(q: &Quad, p: (f32, f32)) -> bool {
    (0..4).all(|i| cross(q[i], q[(i + 1) % 4], p) >= 0.0)
}

fn area(q: &Quad) -> f32 {
    (cross(q[0], q[1], q[2]) + cross(q[0], q[2], q[3])) / 2.0
}

/// The page's corners when `gray` is a photo of a whole page, seen at an angle, on a darker background.
pub fn find(gray: &GrayImage) -> Option<Quad> {
    let (w, h) = gray.dimensions();
    if w.max(h) < 200 {
        return None;
    }
    let s = SEARCH_SIDE / w.max(h) as f32;
    let (sw, sh) = (((w as f32 * s).round() as u32).max(1), ((h as f32 * s).round() as u32).max(1));
    let small = imageops::resize(gray, sw, sh, imageops::FilterType::Triangle);
    let level = otsu_level(&small);
    let bright = GrayImage::from_fn(sw, sh, |x, y| Luma([if small.get_pixel(x, y)[0] > level { 255 } else { 0 }]));
    let labels = connected_components(&bright, Connectivity::Four, Luma([0]));
    let mut sizes = std::collections::HashMap::<u32, u32>::new();
    for p in labels.pixels().filter(|p| p[0] != 0) {
        *sizes.entry(p[0]).or_default() += 1;
    }
    let (&page, _) = sizes.iter().max_by_key(|(label, n)| (**n, std::cmp::Reverse(**label)))?;
    // Corners: the page's pixels furthest along the diagonals.
    let (mut tl, mut tr, mut br, mut bl) = ((0.0, 0.0, f32::MAX), (0.0, 0.0, f32::MIN), (0.0, 0.0, f32::MIN), (0.0, 0.0, f32::MAX));
    for (x, y, p) in labels.enumerate_pixels() {
        if p[0] != page {
            continue;
        }
        let (x, y) = (x as f32, y as f32);
        if x + y < tl.2 {
            tl = (x, y, x + y);
        }
        if x + y > br.2 {
            br = (x, y, x + y);
        }
        if x - y > tr.2 {
            tr = (x, y, x - y);
        }
        if x - y < bl.2 {
            bl = (x, y, x - y);
        }
    }
    let q: Quad = [(tl.0, tl.1), (tr.0, tr.1), (br.0, br.1), (bl.0, bl.1)];
    let whole = (sw * sh) as f32;
    // A convex quadrilateral covering a good part of the picture but not all of it (a scan's white is all of
    // it). A corner may lie on the picture's edge: a photo taken close up cuts a corner or two off.
    if !(0..4).all(|i| cross(q[i], q[(i + 1) % 4], q[(i + 2) % 4]) > 0.0) {
        return None;
    }
    if !(0.2..0.95).contains(&(area(&q) / whole)) {
        return None;
    }
    // Bright inside (text takes a fraction), dark outside, with a clear step between them.
    let (mut n_in, mut bright_in, mut sum_in, mut n_out, mut bright_out, mut sum_out) = (0u32, 0u32, 0u64, 0u32, 0u32, 0u64);
    for (x, y, p) in small.enumerate_pixels() {
        let b = bright.get_pixel(x, y)[0] != 0;
        if inside(&q, (x as f32 + 0.5, y as f32 + 0.5)) {
            (n_in, bright_in, sum_in) = (n_in + 1, bright_in + b as u32, sum_in + p[0] as u64);
        } else {
            (n_out, bright_out, sum_out) = (n_out + 1, bright_out + b as u32, sum_out + p[0] as u64);
        }
    }
    if n_in == 0 || n_out == 0 {
        return None;
    }
    let (mean_in, mean_out) = (sum_in as f32 / n_in as f32, sum_out as f32 / n_out as f32);
    if (bright_in as f32) < 0.75 * n_in as f32 || bright_out as f32 > 0.15 * n_out as f32 || mean_in - mean_out < 40.0 {
        return None;
    }
    // Only a page seen at an angle: a rectangle (a page merely turned) is left to the deskew.
    let side_ratio = |a: f32, b: f32| a.max(b) / a.min(b).max(1.0);
    let (top, right, bottom, left) = (dist(q[0], q[1]), dist(q[1], q[2]), dist(q[2], q[3]), dist(q[3], q[0]));
    if side_ratio(top, bottom) < 1.015 && side_ratio(left, right) < 1.015 {
        return None;
    }
    // Back to full-size pixels, a little inside the page's edge.
    let (cx, cy) = (q.iter().map(|p| p.0).sum::<f32>() / 4.0, q.iter().map(|p| p.1).sum::<f32>() / 4.0);
    Some(q.map(|(x, y)| ((cx + (x - cx) * (1.0 - INSET)) / s, (cy + (y - cy) * (1.0 - INSET)) / s)))
}

/// The page inside `quad` warped to an upright rectangle as wide as its longer top/bottom side and as high
/// as its longer left/right side. `None` for a degenerate quad.
pub fn rectify(gray: &GrayImage, quad: &Quad) -> Option<GrayImage> {
    let w = dist(quad[0], quad[1]).max(dist(quad[3], quad[2])).round();
    let h = dist(quad[0], quad[3]).max(dist(quad[1], quad[2])).round();
    if w < 1.0 || h < 1.0 {
        return None;
    }
    let projection = Projection::from_control_points(*quad, [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)])?;
    let mut out = GrayImage::new(w as u32, h as u32);
    warp_into(gray, projection, Interpolation::Bilinear, Border::Constant(Luma([255])), &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white page with dark bars (text) drawn as the quad `corners` on a dark table.
    fn photo(w: u32, h: u32, corners: Quad) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let p = (x as f32 + 0.5, y as f32 + 0.5);
            if !inside(&corners, p) {
                return Luma([60]);
            }
            // Bars in the page's own coordinates would need the inverse map; horizontal image bars will do.
            Luma([if (y / 12) % 4 == 0 && (x / 20) % 4 != 3 { 30 } else { 235 }])
        })
    }

    #[test]
    fn finds_a_keystoned_page_and_leaves_scans_and_rectangles() {
        let q: Quad = [(300.0, 150.0), (1500.0, 220.0), (1650.0, 1050.0), (150.0, 1000.0)];
        let found = find(&photo(1800, 1200, q)).expect("a page seen at an angle");
        for (f, c) in found.iter().zip(q) {
            assert!(dist(*f, c) < 0.04 * 1800.0, "{found:?} vs {q:?}");
        }
        let page = rectify(&photo(1800, 1200, q), &found).unwrap();
        assert!(page.width() > 1300 && page.height() > 750, "{:?}", page.dimensions());
        // A scan (no table) and a rectangle on the table: left alone.
        assert_eq!(find(&GrayImage::from_fn(1800, 1200, |x, y| Luma([if (y / 12) % 3 == 0 && x % 80 < 60 { 30 } else { 235 }]))), None);
        assert_eq!(find(&photo(1800, 1200, [(200.0, 200.0), (1600.0, 200.0), (1600.0, 1000.0), (200.0, 1000.0)])), None);
    }
}
