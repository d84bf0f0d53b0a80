//! Helpers shared by the document tests: fake recognisers and drawn pages.
#![allow(dead_code)]

use std::sync::Mutex;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use hindi_ocr_core::layout::binarize::{DEFAULT_K, INK, sauvola};
use hindi_ocr_core::{LineRecognizer, LineResult, Result};
use image::{GrayImage, Luma};

/// The Devanagari font bundled for searchable PDFs (drawn unshaped here: fine for page-analysis tests).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/Lohit-Devanagari.ttf");

/// Draw `text` at (x, y) (top-left of the em box), glyph by glyph without shaping.
pub fn draw_text(img: &mut GrayImage, text: &str, x: f32, y: f32, px: f32) -> f32 {
    let font = FontRef::try_from_slice(FONT).expect("bundled font parses");
    let scaled = font.as_scaled(PxScale::from(px));
    let mut pen = x;
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(PxScale::from(px), ab_glyph::point(pen, y + scaled.ascent()));
        if let Some(outlined) = font.outline_glyph(glyph) {
            let b = outlined.px_bounds();
            outlined.draw(|gx, gy, cov| {
                let (px_, py_) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                if px_ >= 0 && py_ >= 0 && (px_ as u32) < img.width() && (py_ as u32) < img.height() {
                    let old = img.get_pixel(px_ as u32, py_ as u32)[0] as f32;
                    let v = old * (1.0 - cov.min(1.0));
                    img.put_pixel(px_ as u32, py_ as u32, Luma([v as u8]));
                }
            });
        }
        pen += scaled.h_advance(id);
    }
    pen
}

/// A white page with `lines` drawn at `px` size, one per `pitch` pixels from `top`, starting at `left`.
pub fn text_page(w: u32, h: u32, lines: &[&str], left: f32, top: f32, px: f32, pitch: f32) -> GrayImage {
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    for (i, l) in lines.iter().enumerate() {
        draw_text(&mut img, l, left, top + i as f32 * pitch, px);
    }
    img
}

/// Draw a "word": a headline bar with vertical strokes under it, like a Devanagari word's skeleton.
pub fn draw_word(img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32) {
    for xx in x..x + w {
        for yy in y..y + 3 {
            img.put_pixel(xx, yy, Luma([0]));
        }
        if (xx - x) % 8 < 3 {
            for yy in y..y + h {
                img.put_pixel(xx, yy, Luma([0]));
            }
        }
    }
}

/// Number of words in a line image: runs of inked columns separated by at least `gap` blank columns.
pub fn count_words(img: &GrayImage, gap: u32) -> usize {
    let b = sauvola(img, 31, DEFAULT_K);
    let (w, h) = b.dimensions();
    let mut words = 0;
    let mut blank = gap;
    for x in 0..w {
        let ink = (0..h).any(|y| b.get_pixel(x, y)[0] == INK);
        if ink {
            if blank >= gap {
                words += 1;
            }
            blank = 0;
        } else {
            blank += 1;
        }
    }
    words
}

/// Reads a line as the number of words drawn in it (see [`count_words`]).
pub struct WordCounter;

impl LineRecognizer for WordCounter {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> Result<Vec<LineResult>> {
        Ok(lines
            .iter()
            .map(|l| LineResult { text: count_words(l, 10).to_string(), confidence: 0.9, ..Default::default() })
            .collect())
    }
}

/// Returns the given texts in turn, one per line image, and records the images' sizes.
pub struct Script {
    pub texts: Vec<String>,
    /// Confidence of each read, in order (0.8 past the end).
    pub confidences: Vec<f32>,
    pub next: Mutex<usize>,
    pub seen: Mutex<Vec<(u32, u32)>>,
}

impl Script {
    pub fn new(texts: &[&str]) -> Self {
        Self::with_confidences(texts, &[])
    }

    pub fn with_confidences(texts: &[&str], confidences: &[f32]) -> Self {
        Self {
            texts: texts.iter().map(|s| s.to_string()).collect(),
            confidences: confidences.to_vec(),
            next: Mutex::new(0),
            seen: Mutex::new(vec![]),
        }
    }
}

impl LineRecognizer for Script {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> Result<Vec<LineResult>> {
        let mut next = self.next.lock().unwrap();
        let mut seen = self.seen.lock().unwrap();
        Ok(lines
            .iter()
            .map(|l| {
                seen.push(l.dimensions());
                let text = self.texts.get(*next).cloned().unwrap_or_default();
                let confidence = self.confidences.get(*next).copied().unwrap_or(0.8);
                *next += 1;
                LineResult { text, confidence, ..Default::default() }
            })
            .collect())
    }
}

/// Encode a grey image as PNG bytes.
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png encodes");
    out.into_inner()
}
