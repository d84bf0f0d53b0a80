//! Sauvola binarisation: a threshold per pixel from the mean and standard deviation of its neighbourhood, so
//! text survives uneven light (shadows, gradients) where one global threshold (Otsu) loses it.
//!
//! Memory is O(width): running column sums over the vertical window, then a prefix sum along each row; a
//! 300 dpi A4 page does not need a full-page integral image (which would take ~140 MB of `u64`s).

use image::GrayImage;

/// Ink pixels are 255, background 0 (the convention `imageproc`'s connected components expect).
pub const INK: u8 = 255;

/// The default Sauvola `k` (sensitivity to local contrast). 0.2-0.5 are common; 0.25 keeps thin strokes of
/// light print while leaving flat paper noise below the threshold.
pub const DEFAULT_K: f32 = 0.25;

/// A window of about 1/20 of the smaller page side (clamped to 15..=75 px, odd): a few text lines tall.
pub fn default_window(width: u32, height: u32) -> u32 {
    let w = (width.min(height) / 20).clamp(15, 75);
    w | 1
}

/// Binarise with Sauvola's rule `T = m * (1 + k * (s / 128 - 1))`; pixels darker than `T` are ink.
/// Pixels in a nearly flat neighbourhood (standard deviation under 6 grey levels) are background: that keeps
/// JPEG noise and paper texture out of the ink.
pub fn sauvola(gray: &GrayImage, window: u32, k: f32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let mut out = GrayImage::new(w, h);
    if w == 0 || h == 0 {
        return out;
    }
    let r = (window / 2).max(1) as i64;
    let (wu, hi) = (w as usize, h as i64);
    let src = gray.as_raw();
    let mut col_sum = vec![0u64; wu];
    let mut col_sq = vec![0u64; wu];
    let add_row = |y: i64, sign: i64, col_sum: &mut [u64], col_sq: &mut [u64]| {
        if y < 0 || y >= hi {
            return;
        }
        let row = &src[y as usize * wu..(y as usize + 1) * wu];
        for (x, &v) in row.iter().enumerate() {
            let v = v as u64;
            if sign > 0 {
                col_sum[x] += v;
                col_sq[x] += v * v;
            } else {
                col_sum[x] -= v;
                col_sq[x] -= v * v;
            }
        }
    };
    // Rows [0, r) start in the window; each step adds row y + r and drops row y - r - 1.
    for y in 0..r {
        add_row(y, 1, &mut col_sum, &mut col_sq);
    }
    let mut pre_sum = vec![0u64; wu + 1];
    let mut pre_sq = vec![0u64; wu + 1];
    let out_raw: &mut [u8] = &mut out;
    for y in 0..hi {
        add_row(y + r, 1, &mut col_sum, &mut col_sq);
        add_row(y - r - 1, -1, &mut col_sum, &mut col_sq);
        let rows = ((y + r).min(hi - 1) - (y - r).max(0) + 1) as u64;
        for x in 0..wu {
            pre_sum[x + 1] = pre_sum[x] + col_sum[x];
            pre_sq[x + 1] = pre_sq[x] + col_sq[x];
        }
        let row = &src[y as usize * wu..(y as usize + 1) * wu];
        let orow = &mut out_raw[y as usize * wu..(y as usize + 1) * wu];
        for x in 0..wu {
            let x0 = (x as i64 - r).max(0) as usize;
            let x1 = ((x as i64 + r) as usize).min(wu - 1) + 1;
            let n = (rows * (x1 - x0) as u64) as f64;
            let mean = (pre_sum[x1] - pre_sum[x0]) as f64 / n;
            let var = ((pre_sq[x1] - pre_sq[x0]) as f64 / n - mean * mean).max(0.0);
            let sd = var.sqrt();
            if sd < 6.0 {
                continue;
            }
            let t = mean * (1.0 + k as f64 * (sd / 128.0 - 1.0));
            if (row[x] as f64) < t {
                orow[x] = INK;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_text_on_a_light_gradient_is_found_and_paper_is_not() {
        // Paper brightens from 120 (left, shadowed) to 250 (right); a dark bar sits in both halves.
        let mut g = GrayImage::from_fn(200, 60, |x, _| image::Luma([(120 + x * 130 / 200) as u8]));
        for y in 25..35 {
            for x in (20..40).chain(160..180) {
                let bg = g.get_pixel(x, y)[0];
                g.put_pixel(x, y, image::Luma([bg / 3]));
            }
        }
        let b = sauvola(&g, 31, DEFAULT_K);
        assert_eq!(b.get_pixel(30, 30)[0], INK, "text in the shadow");
        assert_eq!(b.get_pixel(170, 30)[0], INK, "text in the light");
        let paper_ink = (0..200).filter(|&x| b.get_pixel(x, 5)[0] == INK).count();
        assert_eq!(paper_ink, 0, "a plain gradient is not ink");
    }

    #[test]
    fn all_white_and_tiny_images() {
        assert!(sauvola(&GrayImage::from_pixel(50, 50, image::Luma([255])), 15, DEFAULT_K).pixels().all(|p| p[0] == 0));
        assert_eq!(sauvola(&GrayImage::new(1, 1), 15, DEFAULT_K).dimensions(), (1, 1));
    }
}
