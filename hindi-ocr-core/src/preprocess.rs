//! Line image -> model input tensor, numerically identical to Hugging Face's `ViTImageProcessor`.
//!
//! Steps: optional clean-up ([`Cleanup`]: grayscale, median denoise, Otsu/Sauvola binarisation), conversion to
//! RGB, resize with Pillow's resampling algorithm ([`resize`], a port of Pillow's `Resample.c`, fixed-point and
//! all, because `image`'s resize rounds differently), rescale by `rescale_factor`, normalise `(x - mean) / std`,
//! and layout as `[batch, 3, height, width]` `f32`. Every number comes from `preprocessor_config.json`
//! ([`ImageProcessorConfig`]).

use image::{DynamicImage, GrayImage, RgbImage};
use ndarray::Array4;
use serde::{Deserialize, Serialize};

/// Pillow's resampling filters; the numbers are Pillow's (and so `preprocessor_config.json`'s `resample`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resample {
    /// `0`: nearest neighbour.
    Nearest,
    /// `1`: Lanczos (a = 3).
    Lanczos,
    /// `2`: bilinear (triangle filter), ViT's default.
    Bilinear,
    /// `3`: bicubic (a = -0.5).
    Bicubic,
    /// `4`: box.
    Box,
    /// `5`: Hamming.
    Hamming,
}

impl Resample {
    /// The filter for a Pillow resample code, `None` for an unknown code.
    pub fn from_pil(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Nearest,
            1 => Self::Lanczos,
            2 => Self::Bilinear,
            3 => Self::Bicubic,
            4 => Self::Box,
            5 => Self::Hamming,
            _ => return None,
        })
    }

    /// Filter support radius at scale 1 and the filter function (both as in Pillow).
    fn kernel(self) -> (f64, fn(f64) -> f64) {
        match self {
            Self::Box | Self::Nearest => (0.5, box_filter),
            Self::Bilinear => (1.0, bilinear_filter),
            Self::Hamming => (1.0, hamming_filter),
            Self::Bicubic => (2.0, bicubic_filter),
            Self::Lanczos => (3.0, lanczos_filter),
        }
    }
}

/// The parts of `preprocessor_config.json` that define the model input (HF `ViTImageProcessor` keys).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageProcessorConfig {
    /// `do_resize` (default true).
    pub do_resize: bool,
    /// `size.height` (default 224).
    pub height: u32,
    /// `size.width` (default 224).
    pub width: u32,
    /// `resample` (default 2, bilinear).
    pub resample: Resample,
    /// `do_rescale` (default true).
    pub do_rescale: bool,
    /// `rescale_factor` (default 1/255).
    pub rescale_factor: f64,
    /// `do_normalize` (default true).
    pub do_normalize: bool,
    /// `image_mean` (default 0.5 each).
    pub image_mean: [f32; 3],
    /// `image_std` (default 0.5 each).
    pub image_std: [f32; 3],
}

impl Default for ImageProcessorConfig {
    fn default() -> Self {
        Self {
            do_resize: true,
            height: 224,
            width: 224,
            resample: Resample::Bilinear,
            do_rescale: true,
            rescale_factor: 1.0 / 255.0,
            do_normalize: true,
            image_mean: [0.5; 3],
            image_std: [0.5; 3],
        }
    }
}

/// Binarisation method for [`Cleanup`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "method")]
pub enum Binarize {
    /// Keep grey levels (default: what the model was trained on).
    #[default]
    None,
    /// One global threshold chosen by Otsu's method.
    Otsu,
    /// Sauvola's local threshold `T = m * (1 + k * (s / 128 - 1))` over a `window`-pixel square; copes with uneven
    /// lighting.
    Sauvola {
        /// Window side in pixels (odd; even values are rounded up).
        window: u32,
        /// Sensitivity, typically 0.2-0.5.
        k: f32,
    },
}

/// Optional clean-up before the model's own preprocessing. The default does nothing, so the tensor equals
/// the Hugging Face processor's output for the same image.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Cleanup {
    /// Convert to grayscale first (Pillow's `L` weights 299/587/114), then back to RGB for the model.
    pub grayscale: bool,
    /// Median filter radius in pixels for salt-and-pepper noise; 0 = off. Implies grayscale.
    pub denoise_radius: u32,
    /// Binarisation. Anything but [`Binarize::None`] implies grayscale.
    pub binarize: Binarize,
}

impl Cleanup {
    /// Whether any step is enabled.
    pub fn is_noop(&self) -> bool {
        !self.grayscale && self.denoise_radius == 0 && self.binarize == Binarize::None
    }

    /// Apply the enabled steps, returning an RGB image. Transparency is flattened onto white first
    /// ([`crate::image_input::flatten_alpha`]; Hugging Face's `convert("RGB")` would drop it, turning a
    /// transparent background black).
    pub fn apply(&self, image: &DynamicImage) -> RgbImage {
        let image = crate::image_input::opaque(image);
        if self.is_noop() {
            return image.to_rgb8();
        }
        let mut gray = to_gray_pil(&image.to_rgb8());
        if self.denoise_radius > 0 {
            gray = imageproc::filter::median_filter(&gray, self.denoise_radius, self.denoise_radius);
        }
        gray = match self.binarize {
            Binarize::None => gray,
            Binarize::Otsu => otsu(&gray),
            Binarize::Sauvola { window, k } => sauvola(&gray, window, k),
        };
        DynamicImage::ImageLuma8(gray).to_rgb8()
    }
}

/// Pillow's RGB -> L conversion (ITU-R 601-2 luma in 16-bit fixed point, rounded).
pub fn to_gray_pil(rgb: &RgbImage) -> GrayImage {
    GrayImage::from_fn(rgb.width(), rgb.height(), |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0;
        let l = u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000;
        image::Luma([(l >> 16) as u8])
    })
}

/// Global Otsu threshold: ink (at or below the level) becomes 0, paper 255.
pub fn otsu(gray: &GrayImage) -> GrayImage {
    let level = imageproc::contrast::otsu_level(gray);
    imageproc::contrast::threshold(gray, level, imageproc::contrast::ThresholdType::Binary)
}

/// Sauvola's local threshold with integral images (O(1) per pixel): ink 0, paper 255.
pub fn sauvola(gray: &GrayImage, window: u32, k: f32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let half = (window.max(1) / 2) as usize;
    // Integral images of values and squares, one extra row and column of zeros.
    let stride = wu + 1;
    let mut sum = vec![0u64; stride * (hu + 1)];
    let mut sq = vec![0u64; stride * (hu + 1)];
    for y in 0..hu {
        let (mut row_s, mut row_q) = (0u64, 0u64);
        for x in 0..wu {
            let v = u64::from(gray.as_raw()[y * wu + x]);
            row_s += v;
            row_q += v * v;
            sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + row_s;
            sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + row_q;
        }
    }
    let mut out = GrayImage::new(w, h);
    for y in 0..hu {
        let (y0, y1) = (y.saturating_sub(half), (y + half + 1).min(hu));
        for x in 0..wu {
            let (x0, x1) = (x.saturating_sub(half), (x + half + 1).min(wu));
            let n = ((y1 - y0) * (x1 - x0)) as f64;
            let rect = |t: &[u64]| t[y1 * stride + x1] + t[y0 * stride + x0] - t[y0 * stride + x1] - t[y1 * stride + x0];
            let mean = rect(&sum) as f64 / n;
            let var = (rect(&sq) as f64 / n - mean * mean).max(0.0);
            let t = mean * (1.0 + f64::from(k) * (var.sqrt() / 128.0 - 1.0));
            let v = f64::from(gray.as_raw()[y * wu + x]);
            out.as_mut()[y * wu + x] = if v <= t { 0 } else { 255 };
        }
    }
    out
}

// ---- Pillow's resampling (libImaging/Resample.c), ported for bit-exact results ----

fn box_filter(x: f64) -> f64 {
    if x > -0.5 && x <= 0.5 { 1.0 } else { 0.0 }
}

fn bilinear_filter(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

fn hamming_filter(x: f64) -> f64 {
    let x = x.abs();
    if x == 0.0 {
        1.0
    } else if x >= 1.0 {
        0.0
    } else {
        let x = x * std::f64::consts::PI;
        // Pillow writes the constants as floats (0.54f, 0.46f).
        x.sin() / x * (f64::from(0.54f32) + f64::from(0.46f32) * x.cos())
    }
}

fn bicubic_filter(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

fn sinc_filter(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

fn lanczos_filter(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) { sinc_filter(x) * sinc_filter(x / 3.0) } else { 0.0 }
}

/// Fixed-point precision of Pillow's 8-bit resampling.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Per output pixel: first input index, number of taps, and `ksize` fixed-point coefficients.
struct Coeffs {
    ksize: usize,
    bounds: Vec<(usize, usize)>,
    k: Vec<i32>,
}

/// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the whole input range.
fn precompute_coeffs(in_size: usize, out_size: usize, filter: Resample) -> Coeffs {
    let (support0, f) = filter.kernel();
    // Pillow computes `in1 - in0` in float; exact for sizes below 2^24.
    let scale = (in_size as f32) as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = support0 * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut bounds = Vec::with_capacity(out_size);
    let mut k = vec![0i32; out_size * ksize];
    let mut w = vec![0f64; ksize];
    for xx in 0..out_size {
        let center = (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) cast truncates toward zero; `as i64` does the same.
        let xmin = ((center - support + 0.5) as i64).max(0);
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) - xmin;
        let (xmin, xmax) = (xmin as usize, xmax.max(0) as usize);
        let mut ww = 0.0;
        for (x, wx) in w.iter_mut().enumerate().take(xmax) {
            *wx = f((x as f64 + xmin as f64 - center + 0.5) * ss);
            ww += *wx;
        }
        for x in 0..xmax {
            let v = if ww != 0.0 { w[x] / ww } else { w[x] };
            let fixed = v * f64::from(1u32 << PRECISION_BITS);
            k[xx * ksize + x] = if v < 0.0 { (-0.5 + fixed) as i32 } else { (0.5 + fixed) as i32 };
        }
        bounds.push((xmin, xmax));
    }
    Coeffs { ksize, bounds, k }
}

#[inline]
fn clip8(v: i64) -> u8 {
    if v >= (1i64 << PRECISION_BITS << 8) {
        255
    } else if v <= 0 {
        0
    } else {
        (v >> PRECISION_BITS) as u8
    }
}

/// Resize interleaved 8-bit pixels (`channels` per pixel) exactly as Pillow's `Image.resize(size, resample)`
/// does (no `box`, no `reducing_gap`): two separable passes, each rounded to 8 bits. Pillow 13 runs the
/// vertical pass first when it shrinks the height while the width grows (the smaller intermediate), else the
/// horizontal pass first over only the rows the vertical pass will read; the order changes the rounding, so it
/// is followed here (checked against Pillow 13 for every combination of up- and downscaling).
pub fn resize(src: &[u8], width: u32, height: u32, channels: usize, out_w: u32, out_h: u32, filter: Resample) -> Vec<u8> {
    let (w, h, ow, oh) = (width as usize, height as usize, out_w as usize, out_h as usize);
    if (w, h) == (ow, oh) {
        return src.to_vec();
    }
    if filter == Resample::Nearest {
        return resize_nearest(src, w, h, channels, ow, oh);
    }
    let (need_h, need_v) = (ow != w, oh != h);
    if !need_v {
        let horiz = precompute_coeffs(w, ow, filter);
        return horizontal_pass(src, w, 0, h, channels, &horiz);
    }
    let vert = precompute_coeffs(h, oh, filter);
    if !need_h {
        return vertical_pass(src, w, channels, &vert, 0);
    }
    let horiz = precompute_coeffs(w, ow, filter);
    if ow > w && oh < h {
        let tmp = vertical_pass(src, w, channels, &vert, 0);
        horizontal_pass(&tmp, w, 0, oh, channels, &horiz)
    } else {
        // Only the source rows the vertical pass reads.
        let first_row = vert.bounds[0].0;
        let (last_start, last_n) = vert.bounds[oh - 1];
        let tmp = horizontal_pass(src, w, first_row, last_start + last_n - first_row, channels, &horiz);
        vertical_pass(&tmp, ow, channels, &vert, first_row)
    }
}

/// Pillow's `ImagingResampleHorizontal_8bpc` over `rows` rows starting at source row `first_row`.
fn horizontal_pass(src: &[u8], w: usize, first_row: usize, rows: usize, channels: usize, c: &Coeffs) -> Vec<u8> {
    let ow = c.bounds.len();
    let mut out = vec![0u8; ow * rows * channels];
    for y in 0..rows {
        let in_row = &src[(y + first_row) * w * channels..(y + first_row + 1) * w * channels];
        let out_row = &mut out[y * ow * channels..(y + 1) * ow * channels];
        for (xx, &(xmin, n)) in c.bounds.iter().enumerate() {
            let k = &c.k[xx * c.ksize..xx * c.ksize + n];
            for ch in 0..channels {
                let mut ss: i64 = 1 << (PRECISION_BITS - 1);
                for (x, kx) in k.iter().enumerate() {
                    ss += i64::from(in_row[(x + xmin) * channels + ch]) * i64::from(*kx);
                }
                out_row[xx * channels + ch] = clip8(ss);
            }
        }
    }
    out
}

/// Pillow's `ImagingResampleVertical_8bpc`; `row_offset` is the source row stored first in `src`.
fn vertical_pass(src: &[u8], w: usize, channels: usize, c: &Coeffs, row_offset: usize) -> Vec<u8> {
    let oh = c.bounds.len();
    let row_len = w * channels;
    let mut out = vec![0u8; row_len * oh];
    for (yy, &(ymin, n)) in c.bounds.iter().enumerate() {
        let ymin = ymin - row_offset;
        let k = &c.k[yy * c.ksize..yy * c.ksize + n];
        let out_row = &mut out[yy * row_len..(yy + 1) * row_len];
        for (i, o) in out_row.iter_mut().enumerate() {
            let mut ss: i64 = 1 << (PRECISION_BITS - 1);
            for (y, ky) in k.iter().enumerate() {
                ss += i64::from(src[(y + ymin) * row_len + i]) * i64::from(*ky);
            }
            *o = clip8(ss);
        }
    }
    out
}

/// Pillow's NEAREST path (`ImagingScaleAffine`): source = floor((x + 0.5) * scale).
fn resize_nearest(src: &[u8], w: usize, h: usize, channels: usize, ow: usize, oh: usize) -> Vec<u8> {
    let (sx, sy) = (w as f64 / ow as f64, h as f64 / oh as f64);
    let xs: Vec<usize> = (0..ow).map(|x| (((x as f64 + 0.5) * sx) as usize).min(w - 1)).collect();
    let mut out = Vec::with_capacity(ow * oh * channels);
    for y in 0..oh {
        let iy = (((y as f64 + 0.5) * sy) as usize).min(h - 1);
        for &ix in &xs {
            let p = (iy * w + ix) * channels;
            out.extend_from_slice(&src[p..p + channels]);
        }
    }
    out
}

/// Resize an RGB image to the model size as `ViTImageProcessor` does (no-op when `do_resize` is false).
pub fn resize_for_model(rgb: &RgbImage, cfg: &ImageProcessorConfig) -> RgbImage {
    if !cfg.do_resize {
        return rgb.clone();
    }
    let data = resize(rgb.as_raw(), rgb.width(), rgb.height(), 3, cfg.width, cfg.height, cfg.resample);
    RgbImage::from_raw(cfg.width, cfg.height, data).expect("resize returns width*height*3 bytes")
}

/// Write one resized RGB image into `out` (`[3, h, w]`) with rescale and normalisation in the same float
/// precision as `ViTImageProcessor` (rescale in f64 then cast to f32; normalise in f32).
pub fn write_normalized(rgb: &RgbImage, cfg: &ImageProcessorConfig, mut out: ndarray::ArrayViewMut3<f32>) {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let raw = rgb.as_raw();
    for c in 0..3 {
        let (mean, std) = (cfg.image_mean[c], cfg.image_std[c]);
        for y in 0..h {
            for x in 0..w {
                let v = raw[(y * w + x) * 3 + c];
                let mut f = if cfg.do_rescale { (f64::from(v) * cfg.rescale_factor) as f32 } else { f32::from(v) };
                if cfg.do_normalize {
                    f = (f - mean) / std;
                }
                out[[c, y, x]] = f;
            }
        }
    }
}

/// The model input for a batch of images: `[n, 3, height, width]`. All images must come out the same size
/// (true whenever `do_resize` is on).
pub fn pixel_values(images: &[RgbImage], cfg: &ImageProcessorConfig) -> Option<Array4<f32>> {
    let resized: Vec<RgbImage> = images.iter().map(|i| resize_for_model(i, cfg)).collect();
    let (w, h) = resized.first().map(|r| (r.width() as usize, r.height() as usize)).unwrap_or((0, 0));
    if resized.iter().any(|r| (r.width() as usize, r.height() as usize) != (w, h)) {
        return None;
    }
    let mut arr = Array4::<f32>::zeros((resized.len(), 3, h, w));
    for (i, r) in resized.iter().enumerate() {
        write_normalized(r, cfg, arr.index_axis_mut(ndarray::Axis(0), i));
    }
    Some(arr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_size_is_a_copy() {
        let src: Vec<u8> = (0..12).collect();
        assert_eq!(resize(&src, 2, 2, 3, 2, 2, Resample::Bilinear), src);
    }

    #[test]
    fn constant_image_stays_constant_for_every_filter() {
        let src = vec![137u8; 37 * 11];
        for f in [Resample::Bilinear, Resample::Bicubic, Resample::Lanczos, Resample::Box, Resample::Hamming, Resample::Nearest] {
            let out = resize(&src, 37, 11, 1, 16, 24, f);
            assert_eq!(out.len(), 16 * 24);
            assert!(out.iter().all(|&v| v == 137), "{f:?}");
        }
    }

    #[test]
    fn bilinear_downscale_by_two_averages_with_triangle_weights() {
        let src = [0u8, 80, 160, 240];
        let out = resize(&src, 4, 1, 1, 2, 1, Resample::Bilinear);
        // Pillow: center 1.0, support 2 -> taps 0..3 (clipped at the edge), weights f((x - 1 + 0.5) / 2) =
        // 0.75, 0.75, 0.25 before normalising.
        let expect0 = ((0.0 * 0.75 + 80.0 * 0.75 + 160.0 * 0.25) / 1.75_f64).round() as u8;
        assert_eq!(out[0], expect0);
    }

    #[test]
    fn resize_matches_pillow_13_bit_for_bit() {
        // Expected bytes from Pillow 13: Image.fromarray(a).resize((w, h), filter) on this 7x5 image.
        let src: Vec<u8> = (0..5u32).flat_map(|y| (0..7u32).map(move |x| ((x * 37 + y * 53 + x * y * 11) % 256) as u8)).collect();
        let cases: [(u32, u32, Resample, &[u8]); 5] = [
            (11, 3, Resample::Bilinear, &[23, 42, 68, 95, 121, 148, 175, 171, 128, 144, 163, 106, 133, 165, 166, 137, 84, 122, 144, 145, 146, 147, 189, 157, 116, 95, 114, 162, 117, 113, 161, 150, 135]),
            (3, 9, Resample::Bilinear, &[32, 111, 190, 53, 135, 160, 87, 174, 109, 122, 146, 123, 157, 102, 153, 161, 116, 164, 159, 128, 166, 133, 125, 135, 117, 124, 117]),
            (4, 2, Resample::Bicubic, &[70, 129, 152, 141, 159, 122, 124, 152]),
            (10, 4, Resample::Bicubic, &[5, 25, 55, 82, 118, 153, 175, 154, 168, 192, 69, 95, 143, 191, 147, 145, 179, 87, 92, 139, 136, 186, 200, 119, 73, 84, 145, 214, 181, 117, 213, 136, 69, 91, 168, 150, 58, 119, 152, 157]),
            (5, 5, Resample::Lanczos, &[7, 59, 111, 163, 215, 63, 124, 220, 155, 51, 116, 209, 63, 101, 194, 198, 124, 86, 234, 125, 154, 77, 167, 48, 172]),
        ];
        for (w, h, f, want) in cases {
            assert_eq!(resize(&src, 7, 5, 1, w, h, f), want, "{w}x{h} {f:?}");
        }
    }

    #[test]
    fn normalisation_matches_vit_formula() {
        let cfg = ImageProcessorConfig { height: 1, width: 1, ..Default::default() };
        let img = RgbImage::from_pixel(1, 1, image::Rgb([0, 255, 128]));
        let px = pixel_values(&[img], &cfg).unwrap();
        assert_eq!(px[[0, 0, 0, 0]], -1.0);
        assert_eq!(px[[0, 1, 0, 0]], 1.0);
        assert!((px[[0, 2, 0, 0]] - (128.0 / 255.0 - 0.5) / 0.5).abs() < 1e-6);
    }

    #[test]
    fn pil_gray_weights() {
        let img = RgbImage::from_pixel(1, 1, image::Rgb([255, 0, 0]));
        assert_eq!(to_gray_pil(&img).get_pixel(0, 0).0[0], 76); // Pillow: Image.new('RGB',(1,1),(255,0,0)).convert('L') -> 76
    }

    #[test]
    fn otsu_and_sauvola_separate_ink_from_paper() {
        let mut g = GrayImage::from_pixel(40, 20, image::Luma([220]));
        for x in 10..30 {
            for y in 8..12 {
                g.put_pixel(x, y, image::Luma([30]));
            }
        }
        for b in [otsu(&g), sauvola(&g, 15, 0.3)] {
            assert_eq!(b.get_pixel(15, 10).0[0], 0);
            assert_eq!(b.get_pixel(2, 2).0[0], 255);
        }
    }
}
