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
    sauvola_stretched(gray, window, k, Contrast::FULL)
}

/// The grey range the page's content spans: its darkest and lightest 0.5 % left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    /// The darkest level counted (ink).
    pub lo: f64,
    /// `255 / (hi - lo)`, at most [`Contrast::MAX_GAIN`].
    pub gain: f64,
}

impl Contrast {
    /// No stretch.
    pub const FULL: Contrast = Contrast { lo: 0.0, gain: 1.0 };
    /// A faint scan's range is stretched at most 4 times: an empty page's sensor noise must stay paper.
    pub const MAX_GAIN: f64 = 4.0;

    /// Measure a page's range from its histogram.
    pub fn of(gray: &GrayImage) -> Contrast {
        let mut hist = [0u64; 256];
        for p in gray.pixels() {
            hist[p[0] as usize] += 1;
        }
        let n: u64 = hist.iter().sum();
        if n == 0 {
            return Contrast::FULL;
        }
        let cut = n / 200;
        let (lo, hi) = (f64::from(level_at_rank(&hist, cut)), f64::from(level_at_rank(&hist, n - 1 - cut)));
        let gain = (255.0 / (hi - lo).max(1.0)).clamp(1.0, Self::MAX_GAIN);
        Contrast { lo, gain }
    }
}

/// The grey level of the pixel at `rank` (from 0) when a histogram's pixels are sorted from dark to light:
/// `n / 2` is the median, `n / 200` the darkest 0.5 % left out. 255 when the histogram holds fewer pixels.
pub fn level_at_rank(hist: &[u64; 256], rank: u64) -> u8 {
    let mut seen = 0;
    for (level, &count) in hist.iter().enumerate() {
        seen += count;
        if seen > rank {
            return level as u8;
        }
    }
    255
}

/// Sauvola on the page as if its grey range `contrast` ([`Contrast::of`] the page) were stretched to 0..255:
/// faint print on grey paper (a light photocopy, a washed-out photo) has a local standard deviation far under
/// Sauvola's 128, and with the plain rule only its darkest strokes come out, so the letters fall apart. The
/// rule is stretched rather than the image, and the flat-paper test stays on the page's own levels.
pub fn sauvola_stretched(gray: &GrayImage, window: u32, k: f32, contrast: Contrast) -> GrayImage {
    let Contrast { lo, gain } = contrast;
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
            // Flat paper is judged on the page's own grey levels: stretched, a blank scan's sensor noise would
            // pass for contrast.
            if var.sqrt() < 6.0 {
                continue;
            }
            // The stretched image's statistics: (v - lo) * gain.
            let sd = var.sqrt() * gain;
            let t = (mean - lo) * gain * (1.0 + k as f64 * (sd / 128.0 - 1.0));
            if (row[x] as f64 - lo) * gain < t {
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

    /// Faint vertical strokes (grey 175) on grey paper (205), 3 px wide every 10 px.
    fn faint_strokes() -> GrayImage {
        GrayImage::from_fn(120, 40, |x, y| image::Luma([if (10..30).contains(&y) && x % 10 < 3 { 175 } else { 205 }]))
    }

    #[test]
    fn faint_print_is_found_when_the_rule_is_stretched() {
        let g = faint_strokes();
        let ink_in_strokes = |b: &GrayImage| (0..120).filter(|&x| x % 10 < 3 && b.get_pixel(x, 20)[0] == INK).count();
        // Plain Sauvola keeps under half of the stroke pixels (the letters would fall apart) ...
        assert!(ink_in_strokes(&sauvola(&g, 15, DEFAULT_K)) < 18);
        // ... stretched to the page's range, all of them, and no paper.
        let b = sauvola_stretched(&g, 15, DEFAULT_K, Contrast::of(&g));
        assert_eq!(ink_in_strokes(&b), 36);
        assert!((0..120).all(|x| b.get_pixel(x, 2)[0] == 0 && (x % 10 < 3 || b.get_pixel(x, 20)[0] == 0)));
        assert_eq!(Contrast::of(&g).lo, 175.0);
    }

    #[test]
    fn a_blank_noisy_scan_stays_paper_when_stretched() {
        // Sensor noise of a few grey levels around 250: the gain is capped and the flat test is on raw levels.
        let g = GrayImage::from_fn(100, 100, |x, y| image::Luma([246 + ((x * 7 + y * 13) % 9) as u8]));
        assert_eq!(Contrast::of(&g).gain, Contrast::MAX_GAIN);
        assert!(sauvola_stretched(&g, 15, DEFAULT_K, Contrast::of(&g)).pixels().all(|p| p[0] == 0));
    }
}
