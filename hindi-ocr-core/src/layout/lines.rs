//! Text lines and words from the components of one column.
//!
//! 1. Components with a headline (Devanagari words and letters: their busiest row is a long bar near the
//!    top) are clustered by the headline's row: one cluster per line. Headlines are the most reliable line
//!    marks in Devanagari, even when descending matras of one line nearly touch the rising matras of the next.
//! 2. Every other text component (anusvara and chandrabindu dots, detached matras, digits, punctuation) joins
//!    the line whose vertical zone holds its centre: from a little above the headline (upper matras) to a
//!    little below the body (lower matras).
//! 3. What is left (lines without any headline: Latin text, a row of digits) is clustered by vertical centre.
//! 4. Inside a line, components are merged into words where the horizontal gap is small.
//!
//! Rows are compared along the lines' own slope where the lines of a column still slope after the page's
//! deskew (a photo taken from below: [`Shear`]); on a deskewed scan they are the page's rows.

use super::components::Component;

/// One text line: its components and where its headline and letter bodies are.
#[derive(Debug, Clone)]
pub struct LineGroup {
    /// Component indices.
    pub comps: Vec<usize>,
    /// Headline row (or the top of the line when it has no headline), levelled ([`Shear::level`]).
    pub headline: f32,
    /// Typical bottom of the letter bodies (without descending matras), levelled.
    pub body_bottom: f32,
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// Cluster sorted `(key, index)` pairs: a new cluster starts where the key jumps by more than `tol`.
fn cluster(mut keyed: Vec<(f32, usize)>, tol: f32) -> Vec<Vec<(f32, usize)>> {
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<(f32, usize)>> = Vec::new();
    for item in keyed {
        match out.last_mut() {
            Some(cur) if item.0 - cur.last().map(|l| l.0).unwrap_or(item.0) <= tol => cur.push(item),
            _ => out.push(vec![item]),
        }
    }
    out
}

/// How lines still slope after the page's deskew, as a straight function of the row: a photo of a page taken
/// a little from below (a keystone) leaves the top lines sloping one way and the bottom ones the other, and a
/// line's far end then climbs into the line above's zone. Rows are compared after taking out the slope at
/// their height: `row - slope(row) * (x - centre)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shear {
    /// Slope at row 0 (px per px; positive: the line descends to the right).
    pub a: f32,
    /// Change of the slope per row.
    pub b: f32,
    /// The column's centre, where rows are not moved.
    pub xc: f32,
}

impl Shear {
    /// Row `y` at column `x` taken to the column's centre along the local slope.
    pub fn level(shear: Option<&Shear>, x: f32, y: f32) -> f32 {
        shear.map_or(y, |s| y - (s.a + s.b * y) * (x - s.xc))
    }

    /// Measure from neighbouring words on one headline (each pair gives the slope between their headline
    /// rows), fitted by least squares with outliers (pairs across two lines) dropped once. `None` when the
    /// slope would move no headline by a tenth of the text height (every deskewed scan keeps its exact rows),
    /// or when there are too few pairs to tell.
    pub fn measure(comps: &[Component], anchors: &[usize], th: f32) -> Option<Shear> {
        let mut sorted: Vec<usize> = anchors.to_vec();
        sorted.sort_by_key(|&i| comps[i].x0);
        let mut samples: Vec<(f32, f32)> = Vec::new(); // (row, slope)
        for (k, &i) in sorted.iter().enumerate() {
            let a = &comps[i];
            let next = sorted[k + 1..]
                .iter()
                .map(|&j| &comps[j])
                .take_while(|b| (b.x0 as f32) <= a.x1 as f32 + 1.5 * th)
                .filter(|b| b.x0 + 1 >= a.x1 && (b.peak_row as f32 - a.peak_row as f32).abs() <= 0.3 * th)
                .min_by_key(|b| b.x0);
            if let Some(b) = next {
                let dx = b.cx() - a.cx();
                if dx >= th {
                    samples.push(((a.peak_row + b.peak_row) as f32 / 2.0, (b.peak_row as f32 - a.peak_row as f32) / dx));
                }
            }
        }
        let (mut a, mut b) = fit_line(&samples, th)?;
        let residual = |&(y, s): &(f32, f32)| (s - a - b * y).abs();
        let spread = median(samples.iter().map(residual).collect());
        samples.retain(|p| residual(p) <= 3.0 * spread + 1e-3);
        (a, b) = fit_line(&samples, th)?;
        let x0 = sorted.iter().map(|&i| comps[i].x0).min()? as f32;
        let x1 = sorted.iter().map(|&i| comps[i].x1).max()? as f32;
        let shear = Shear { a, b, xc: (x0 + x1) / 2.0 };
        let moves = sorted.iter().any(|&i| {
            let c = &comps[i];
            (Shear::level(Some(&shear), c.cx(), c.peak_row as f32) - c.peak_row as f32).abs() > 0.1 * th
        });
        moves.then_some(shear)
    }
}

/// Least-squares `s = a + b * y` through (y, s) samples; `None` with fewer than 8. Samples from fewer than
/// about four lines (rows spanning under 4 text heights) cannot tell how the slope changes: `b` is then 0.
fn fit_line(samples: &[(f32, f32)], th: f32) -> Option<(f32, f32)> {
    if samples.len() < 8 {
        return None;
    }
    let (lo, hi) = samples.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    if hi - lo < 4.0 * th {
        return Some((samples.iter().map(|p| p.1).sum::<f32>() / samples.len() as f32, 0.0));
    }
    let n = samples.len() as f64;
    let (my, ms) = samples.iter().fold((0.0, 0.0), |(y, s), p| (y + p.0 as f64 / n, s + p.1 as f64 / n));
    let (syy, sys) = samples
        .iter()
        .fold((0.0, 0.0), |(yy, ys), p| (yy + (p.0 as f64 - my).powi(2), ys + (p.0 as f64 - my) * (p.1 as f64 - ms)));
    let b = if syy > 0.0 { sys / syy } else { 0.0 };
    Some(((ms - b * my) as f32, b as f32))
}

/// Ink width of a line's components: how much of a line its headline clusters really are.
fn ink_width(comps: &[Component], line: &LineGroup) -> u32 {
    line.comps.iter().map(|&i| comps[i].width()).sum()
}

/// Merge headline clusters that sit inside another line's letter bodies into that line. On degraded scans a
/// broken letter's lower half looks like a small word with its own "headline" a few pixels below the real
/// one; left alone it becomes a phantom line that also steals the lower matras of the line it belongs to.
/// Two real lines' headlines are at least a letter body apart, so anything closer belongs to the stronger
/// (the one with more ink width).
fn merge_fragments(lines: Vec<LineGroup>, comps: &[Component], th: f32) -> Vec<LineGroup> {
    let mut out: Vec<LineGroup> = Vec::with_capacity(lines.len());
    for line in lines {
        if let Some(prev) = out.last_mut() {
            let (strong, weak) =
                if ink_width(comps, prev) >= ink_width(comps, &line) { (&*prev, &line) } else { (&line, &*prev) };
            let body = (strong.body_bottom - strong.headline).max(0.3 * th);
            // The weak cluster's centre inside the strong line's zone (upper matras to lower matras): a
            // fragment such as a detached lower matra, which a real line cannot be.
            let centre = (weak.headline + weak.body_bottom) / 2.0;
            let in_zone = centre >= strong.headline - 0.45 * body && centre <= strong.body_bottom + 0.6 * body;
            if (weak.headline - strong.headline).abs() < 0.9 * body || in_zone {
                let (headline, body_bottom) = (strong.headline, strong.body_bottom);
                prev.comps.extend(line.comps);
                prev.headline = headline;
                prev.body_bottom = body_bottom;
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// Group the text components `idx` of one column into lines, top to bottom. `th`: typical text height.
pub fn group_lines(comps: &[Component], idx: &[usize], th: f32) -> Vec<LineGroup> {
    let (anchors, others): (Vec<usize>, Vec<usize>) = idx.iter().partition(|&&i| comps[i].has_headline(th));
    let shear = Shear::measure(comps, &anchors, th);
    let level = |c: &Component, y: f32| Shear::level(shear.as_ref(), c.cx(), y);
    let lines: Vec<LineGroup> =
        cluster(anchors.iter().map(|&i| (level(&comps[i], comps[i].peak_row as f32), i)).collect(), 0.3 * th)
        .into_iter()
        .map(|members| {
            let headline = median(members.iter().map(|m| m.0).collect());
            let body_bottom = median(members.iter().map(|m| level(&comps[m.1], comps[m.1].y1 as f32)).collect());
            LineGroup { comps: members.into_iter().map(|m| m.1).collect(), headline, body_bottom }
        })
        .collect();
    let mut lines = merge_fragments(lines, comps, th);

    let mut leftovers = Vec::new();
    for i in others {
        let c = &comps[i];
        let cy = level(c, c.cy());
        let mut best: Option<(usize, f32, f32)> = None;
        for (li, l) in lines.iter().enumerate() {
            let body = (l.body_bottom - l.headline).max(0.3 * th);
            let (top, bottom) = (l.headline - 0.45 * body, l.body_bottom + 0.5 * body);
            let d = if cy < top { top - cy } else if cy > bottom { cy - bottom } else { 0.0 };
            let centre = ((l.headline + l.body_bottom) / 2.0 - cy).abs();
            if best.is_none_or(|(_, bd, bc)| d < bd || (d == bd && centre < bc)) {
                best = Some((li, d, centre));
            }
        }
        match best {
            Some((li, d, _)) if d <= 0.25 * th => lines[li].comps.push(i),
            _ => leftovers.push(i),
        }
    }
    // Lines with no headline at all: cluster what is left by vertical centre. Lone specks of punctuation
    // far from any line form their own tiny lines only if they are big enough to matter.
    for members in cluster(leftovers.iter().map(|&i| (level(&comps[i], comps[i].cy()), i)).collect(), 0.5 * th) {
        let height = members.iter().map(|m| comps[m.1].height()).max().unwrap_or(0) as f32;
        let ink: u32 = members.iter().map(|m| comps[m.1].area).sum();
        if height < 0.4 * th || (ink as f32) < 0.15 * th * th {
            continue;
        }
        let headline = members.iter().map(|m| level(&comps[m.1], comps[m.1].y0 as f32)).fold(f32::MAX, f32::min);
        let body_bottom = members.iter().map(|m| level(&comps[m.1], comps[m.1].y1 as f32)).fold(f32::MIN, f32::max);
        lines.push(LineGroup { comps: members.into_iter().map(|m| m.1).collect(), headline, body_bottom });
    }
    lines.sort_by(|a, b| a.headline.total_cmp(&b.headline));
    lines
}

/// Split a line's components into words, left to right: a gap wider than about a third of the letter body
/// height separates words (letters inside a Devanagari word touch through the headline).
pub fn group_words(comps: &[Component], line: &LineGroup, th: f32) -> Vec<Vec<usize>> {
    let mut sorted = line.comps.clone();
    sorted.sort_by_key(|&i| comps[i].x0);
    let body = (line.body_bottom - line.headline).max(0.3 * th);
    let gap = (0.3 * body).max(2.0);
    let mut words: Vec<(u32, Vec<usize>)> = Vec::new();
    for i in sorted {
        let c = &comps[i];
        match words.last_mut() {
            Some((right, members)) if (c.x0 as f32) <= *right as f32 + gap => {
                *right = (*right).max(c.x1);
                members.push(i);
            }
            _ => words.push((c.x1, vec![i])),
        }
    }
    words.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::components::Kind;

    /// A word-like component: box, and its busiest row `peak` covering most of its width.
    fn word(x0: u32, y0: u32, x1: u32, y1: u32, peak: u32) -> Component {
        let w = x1 - x0;
        Component { x0, y0, x1, y1, area: w * (y1 - y0) / 3, peak_row: peak, peak_count: w, kind: Kind::Text }
    }

    /// Six lines of 25 words, 50 px apart, the top one descending to the right by 0.03 and each lower one
    /// 0.012 less (a page seen from the side): at the ends, neighbouring lines' headline rows come within a
    /// few pixels of each other.
    fn sloped_lines() -> Vec<Component> {
        let mut comps = Vec::new();
        for k in 0..6u32 {
            let slope = 0.03 - 0.012 * k as f32;
            for i in 0..25u32 {
                let x0 = i * 75;
                let peak = (100.0 + 50.0 * k as f32 + slope * (x0 as f32 + 30.0 - 937.5)).round() as u32;
                comps.push(word(x0, peak - 2, x0 + 60, peak + 24, peak));
            }
        }
        comps
    }

    #[test]
    fn lines_that_slope_differently_are_levelled_apart() {
        let (th, comps) = (30.0, sloped_lines());
        let idx: Vec<usize> = (0..comps.len()).collect();
        let anchors: Vec<usize> = idx.iter().copied().filter(|&i| comps[i].has_headline(th)).collect();
        assert_eq!(anchors.len(), comps.len());
        let shear = Shear::measure(&comps, &anchors, th).expect("the slope is measured");
        assert!((shear.b - -0.012 / 50.0).abs() < 0.00005, "{shear:?}");
        let lines = group_lines(&comps, &idx, th);
        assert_eq!(lines.len(), 6, "{:?}", lines.iter().map(|l| l.comps.len()).collect::<Vec<_>>());
        for (k, line) in lines.iter().enumerate() {
            let mut got = line.comps.clone();
            got.sort();
            assert_eq!(got, (k * 25..k * 25 + 25).collect::<Vec<_>>(), "line {k}");
        }
        // Without levelling, the ends of neighbouring lines run together.
        let rows: Vec<(f32, usize)> = anchors.iter().map(|&i| (comps[i].peak_row as f32, i)).collect();
        assert!(cluster(rows, 0.3 * th).len() < 6);
    }

    #[test]
    fn level_lines_keep_their_rows() {
        let th = 30.0;
        let comps: Vec<Component> =
            (0..4u32).flat_map(|k| (0..20u32).map(move |i| word(i * 75, 98 + 50 * k, i * 75 + 60, 124 + 50 * k, 100 + 50 * k))).collect();
        let anchors: Vec<usize> = (0..comps.len()).collect();
        assert_eq!(Shear::measure(&comps, &anchors, th), None);
    }

    #[test]
    fn broken_letter_fragments_stay_with_their_line() {
        let th = 16.0;
        let comps = vec![
            // Line 1: headline at row 100, bodies down to 116.
            word(10, 98, 60, 116, 100),
            word(70, 98, 130, 116, 100),
            word(140, 98, 200, 117, 101),
            // The lower half of a broken letter of line 1: its own "headline" at 112.
            word(210, 110, 222, 119, 112),
            // A detached lower matra under line 1, below its bodies.
            word(90, 117, 99, 125, 120),
            // Line 2, a real line one line pitch lower.
            word(10, 156, 80, 174, 158),
            word(90, 156, 150, 174, 158),
        ];
        let idx: Vec<usize> = (0..comps.len()).collect();
        let lines = group_lines(&comps, &idx, th);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let mut first = lines[0].comps.clone();
        first.sort_unstable();
        assert_eq!(first, vec![0, 1, 2, 3, 4]);
        assert_eq!(lines[0].headline, 100.0);
        let mut second = lines[1].comps.clone();
        second.sort_unstable();
        assert_eq!(second, vec![5, 6]);
    }

    #[test]
    fn a_short_last_line_is_not_merged() {
        let th = 16.0;
        let comps = vec![
            word(10, 98, 400, 116, 100),
            // "है।"-like short line one pitch below: weak, but its own line.
            word(10, 140, 40, 158, 142),
        ];
        let lines = group_lines(&comps, &[0, 1], th);
        assert_eq!(lines.len(), 2);
    }
}
