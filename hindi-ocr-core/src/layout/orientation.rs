//! Pages turned by 90, 180 or 270 degrees (a scan fed sideways or upside down, a photo taken in landscape
//! without an EXIF tag), found from the Devanagari headline (shirorekha) and turned upright.
//!
//! In an upright word the busiest row of ink is the headline: it runs along the whole word, in the upper half
//! of the word's box. On a page turned by 180 degrees it lies in the lower half; turned by 90 or 270 it is a
//! column at the right or the left of the box. Every word-sized component votes for the side its headline is
//! on, weighted by the headline's length. The page is turned only when one side clearly wins: text without
//! headlines (Latin script, digits, a blank page) leaves it as it is.

use image::{GrayImage, imageops};

use super::components::Components;

/// A side must outvote every other side by this factor to turn the page.
const MIN_MARGIN: f32 = 5.0;
/// ... and be carried by at least this many components;
const MIN_VOTERS: usize = 4;
/// ... or, for a quarter turn with no vote against it at all, this many (a line photographed sideways has few
/// words). Not for 180 degrees: on an upright Latin page in a serif face, letters joined along the baseline
/// look like upside-down headlines, while upright text of either script gives no sideways votes.
const MIN_SIDEWAYS_VOTERS: usize = 2;
/// A headline covers at least this share of its word's length (its busiest row or column).
const HEADLINE_COVER: f32 = 0.8;

/// Which side of their words the headlines are on, summed over the page (pixels of headline).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Votes {
    /// Top: upright text.
    pub top: f32,
    /// Bottom: text upside down.
    pub bottom: f32,
    /// Right: text turned 90 degrees clockwise (reads top to bottom).
    pub right: f32,
    /// Left: text turned 90 degrees counter-clockwise (reads bottom to top).
    pub left: f32,
    /// How many components voted for each side: top, right, bottom, left.
    pub voters: [usize; 4],
}

impl Votes {
    /// The clockwise turn (0, 90, 180 or 270 degrees) that makes the text upright, when one side clearly wins.
    pub fn rotation(&self) -> u16 {
        // Headline on the right: the page was turned clockwise, so turn it back by 270 (= 90 counter-clockwise).
        let sides = [(self.top, 0u16), (self.right, 270), (self.bottom, 180), (self.left, 90)];
        let (best, &(score, rotation)) = sides
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .unwrap_or((0, &(0.0, 0)));
        let runner_up = sides.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, s)| s.0).fold(0.0, f32::max);
        let voters = self.voters[best];
        let unopposed_quarter = rotation != 180 && runner_up == 0.0 && voters >= MIN_SIDEWAYS_VOTERS;
        if rotation != 0 && score >= MIN_MARGIN * runner_up && (voters >= MIN_VOTERS || unopposed_quarter) {
            rotation
        } else {
            0
        }
    }

    /// Only upside-down votes, too few to turn the page ([`Votes::rotation`] is 0): a line photographed
    /// upside down often has fewer than four words with a whole headline. Upright Devanagari always gives
    /// some upright votes, but an upright Latin serif face can give a few upside-down ones, so the caller has
    /// to settle it another way (the model's confidence both ways, for a single line).
    pub fn maybe_upside_down(&self) -> bool {
        self.bottom > 0.0 && self.top == 0.0 && self.left == 0.0 && self.right == 0.0 && self.rotation() == 0
    }
}

/// A word's longer side is at least this many times its shorter one.
const MIN_WORD_ASPECT: f32 = 2.0;

/// Whether a word's busiest line of ink is a headline, and on which side: `Some((false, length))` near the
/// start of the across axis (top, left), `Some((true, length))` near its end, with the headline's length in
/// pixels. The word is `length` long and `across` wide, holds `area` ink pixels; `ink(along, across)` reads its
/// pixels. The busiest line is the first of the fullest (from the top, from the left).
///
/// A headline covers most of the word's length, stands out from the average line (a solid bar has none), is
/// the only line that long (a box has two), sits off the middle, and has the letters hanging from it on the
/// other side all along the word: in every quarter of the length there is ink a quarter of the width beyond
/// the headline's stroke. (A Latin `t` has a stem as long as the letter with a crossbar off its middle, but
/// nothing hangs from the stem halfway down.)
fn headline_side(length: u32, across: u32, area: u32, ink: impl Fn(u32, u32) -> bool) -> Option<(bool, u32)> {
    // Ink on each line across the word, and the busiest line.
    let counts: Vec<u32> = (0..across).map(|line| (0..length).filter(|&a| ink(a, line)).count() as u32).collect();
    let (mut at, mut peak) = (0u32, 0u32);
    for (line, &n) in counts.iter().enumerate() {
        if n > peak {
            (at, peak) = (line as u32, n);
        }
    }
    let mean = area as f32 / across as f32;
    if (peak as f32) < HEADLINE_COVER * length as f32 || (peak as f32) < 2.0 * mean {
        return None;
    }
    let frac = (at as f32 + 0.5) / across as f32;
    let far = if frac < 0.45 {
        false
    } else if frac > 0.55 {
        true
    } else {
        return None;
    };
    // The headline's own thickness: the lines next to it that are at least half as full.
    let (mut lo, mut hi) = (at, at);
    while lo > 0 && 2 * counts[lo as usize - 1] >= peak {
        lo -= 1;
    }
    while hi + 1 < across && 2 * counts[hi as usize + 1] >= peak {
        hi += 1;
    }
    // Only one such line: a box (a form's field, a glyph missing from the font) has two.
    let others = counts.iter().enumerate().filter(|&(l, _)| (l as u32) < lo || (l as u32) > hi);
    if others.map(|(_, &n)| n).max().unwrap_or(0) as f32 >= HEADLINE_COVER * length as f32 {
        return None;
    }
    // The body's lines across the word: a quarter of its width beyond the headline, on the side away from it.
    let gap = (across / 4).max(2);
    let body = if far { 0..lo.saturating_sub(gap) } else { (hi + 1 + gap).min(across)..across };
    let hangs = (0..4).all(|q| {
        let span = (q * length / 4)..((q + 1) * length / 4).max(q * length / 4 + 1);
        span.clone().any(|a| body.clone().any(|b| ink(a, b)))
    });
    hangs.then_some((far, peak))
}

/// One word's vote for the side `near` (headline near the top or left) or `far`; indices into
/// [`Votes::voters`].
fn vote(v: &mut Votes, far: bool, weight: f32, near: usize, far_side: usize) {
    let side = if far { far_side } else { near };
    match side {
        0 => v.top += weight,
        1 => v.right += weight,
        2 => v.bottom += weight,
        _ => v.left += weight,
    }
    v.voters[side] += 1;
}

/// Count the headline votes of a binary page (ink 255).
pub fn votes(binary: &GrayImage) -> Votes {
    let (w, h) = binary.dimensions();
    let found = Components::find(binary);
    let comps = &found.comps;
    let mut v = Votes::default();
    for (i, c) in comps.iter().enumerate() {
        let (cw, ch) = (c.width(), c.height());
        // Word-sized: not a speck, not a rule (long and thin), not a frame or picture (a third of the page
        // both ways; on an image of one line a word is nearly as high as the image).
        let too_long = cw.max(ch) > 10 * cw.min(ch);
        if c.area < 12 || cw < 6 || ch < 6 || too_long || (cw > w / 3 && ch > h / 3) {
            continue;
        }
        let (cwf, chf) = (cw as f32, ch as f32);
        let label = i as u32 + 1;
        // Only words: the headline runs along the longer side, at least twice the shorter (a single letter's
        // stem, on its right, would pass for a turned headline).
        if cwf >= MIN_WORD_ASPECT * chf {
            let ink = |along: u32, across: u32| found.labels.get_pixel(c.x0 + along, c.y0 + across)[0] == label;
            if let Some((far, peak)) = headline_side(cw, ch, c.area, ink) {
                vote(&mut v, far, peak as f32, 0, 2);
            }
        } else if chf >= MIN_WORD_ASPECT * cwf {
            let ink = |along: u32, across: u32| found.labels.get_pixel(c.x0 + across, c.y0 + along)[0] == label;
            if let Some((far, peak)) = headline_side(ch, cw, c.area, ink) {
                vote(&mut v, far, peak as f32, 3, 1);
            }
        }
    }
    v
}

/// Turn an image clockwise by `rotation` degrees (0, 90, 180 or 270; anything else leaves it as it is).
pub fn turn(img: &GrayImage, rotation: u16) -> GrayImage {
    match rotation {
        90 => imageops::rotate90(img),
        180 => imageops::rotate180(img),
        270 => imageops::rotate270(img),
        _ => img.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    /// A binary page (ink 255) of `rows` lines of "words" drawn by `word(img, x, y)`, 150 px apart across and
    /// 60 px down.
    fn page_of(rows: u32, word: impl Fn(&mut GrayImage, i32, i32)) -> GrayImage {
        let mut img = GrayImage::new(800, 60 * rows + 40);
        for r in 0..rows {
            for k in 0..5 {
                word(&mut img, 20 + 150 * k, 20 + 60 * r as i32);
            }
        }
        img
    }

    /// A Devanagari word's skeleton: a headline 110 px long with letters hanging from it (stems every 20 px,
    /// a bowl between), and a matra above it.
    fn word(img: &mut GrayImage, x: i32, y: i32) {
        let ink = Luma([255]);
        draw_filled_rect_mut(img, Rect::at(x, y + 8).of_size(110, 4), ink);
        for k in 0..6 {
            draw_filled_rect_mut(img, Rect::at(x + 20 * k + 14, y + 8).of_size(3, 30), ink);
            draw_filled_rect_mut(img, Rect::at(x + 20 * k + 3, y + 22).of_size(10, 3), ink);
        }
        draw_filled_rect_mut(img, Rect::at(x + 30, y).of_size(3, 8), ink);
    }

    #[test]
    fn a_turned_page_is_turned_back() {
        let upright = page_of(6, word);
        assert_eq!(votes(&upright).rotation(), 0);
        for r in [90, 180, 270] {
            let turned = turn(&upright, r);
            let v = votes(&turned);
            assert_eq!(v.rotation(), (360 - r) % 360, "page turned by {r}: {v:?}");
            assert_eq!(turn(&turned, v.rotation()), upright, "turned back exactly");
        }
    }

    #[test]
    fn boxes_bars_and_latin_letters_turn_nothing() {
        // A form's fields: wide boxes, whose top and bottom edges are both full lines.
        let boxes = page_of(6, |img, x, y| {
            draw_filled_rect_mut(img, Rect::at(x, y).of_size(110, 3), Luma([255]));
            draw_filled_rect_mut(img, Rect::at(x, y + 37).of_size(110, 3), Luma([255]));
            draw_filled_rect_mut(img, Rect::at(x, y).of_size(3, 40), Luma([255]));
            draw_filled_rect_mut(img, Rect::at(x + 107, y).of_size(3, 40), Luma([255]));
        });
        // Solid bars, and `t`s: a stem with a crossbar off its middle, nothing hanging from the stem below it.
        let bars = page_of(6, |img, x, y| draw_filled_rect_mut(img, Rect::at(x, y).of_size(110, 12), Luma([255])));
        let tees = page_of(6, |img, x, y| {
            for k in 0..8 {
                draw_filled_rect_mut(img, Rect::at(x + 14 * k + 3, y).of_size(3, 26), Luma([255]));
                draw_filled_rect_mut(img, Rect::at(x + 14 * k, y + 9).of_size(9, 2), Luma([255]));
            }
        });
        for (name, page) in [("boxes", boxes), ("bars", bars), ("tees", tees)] {
            for r in [0, 90, 180, 270] {
                let v = votes(&turn(&page, r));
                assert_eq!(v.rotation(), 0, "{name} turned by {r}: {v:?}");
            }
        }
        assert_eq!(votes(&GrayImage::new(300, 200)).rotation(), 0, "blank");
    }

    #[test]
    fn a_side_must_win_clearly() {
        let v = Votes { top: 100.0, bottom: 900.0, voters: [2, 0, 9, 0], ..Votes::default() };
        assert_eq!(v.rotation(), 180);
        let v = Votes { top: 200.0, bottom: 900.0, voters: [2, 0, 9, 0], ..Votes::default() };
        assert_eq!(v.rotation(), 0, "4.5 to 1 is not enough");
        let v = Votes { top: 50.0, right: 300.0, voters: [1, 3, 0, 0], ..Votes::default() };
        assert_eq!(v.rotation(), 0, "three words are not enough");
        let v = Votes { top: 50.0, right: 400.0, voters: [1, 4, 0, 0], ..Votes::default() };
        assert_eq!(v.rotation(), 270);
        // Unopposed, two words turn a page a quarter (a line photographed sideways), but not upside down.
        let v = Votes { left: 200.0, voters: [0, 0, 0, 2], ..Votes::default() };
        assert_eq!(v.rotation(), 90);
        let v = Votes { left: 100.0, voters: [0, 0, 0, 1], ..Votes::default() };
        assert_eq!(v.rotation(), 0, "one word is not enough");
        let v = Votes { bottom: 300.0, voters: [0, 0, 3, 0], ..Votes::default() };
        assert_eq!(v.rotation(), 0, "upside down takes four");
        assert!(v.maybe_upside_down(), "but may be: for the caller to settle");
        let v = Votes { top: 20.0, bottom: 300.0, voters: [1, 0, 3, 0], ..Votes::default() };
        assert!(!v.maybe_upside_down(), "a word says upright");
        let v = Votes { bottom: 900.0, voters: [0, 0, 9, 0], ..Votes::default() };
        assert!(v.rotation() == 180 && !v.maybe_upside_down(), "settled already");
    }
}
