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

use super::components::Component;

/// One text line: its components and where its headline and letter bodies are.
#[derive(Debug, Clone)]
pub struct LineGroup {
    /// Component indices.
    pub comps: Vec<usize>,
    /// Headline row (or the top of the line when it has no headline).
    pub headline: f32,
    /// Typical bottom of the letter bodies (without descending matras).
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

/// Group the text components `idx` of one column into lines, top to bottom. `th`: typical text height.
pub fn group_lines(comps: &[Component], idx: &[usize], th: f32) -> Vec<LineGroup> {
    let (anchors, others): (Vec<usize>, Vec<usize>) = idx.iter().partition(|&&i| comps[i].has_headline(th));
    let mut lines: Vec<LineGroup> = cluster(anchors.iter().map(|&i| (comps[i].peak_row as f32, i)).collect(), 0.3 * th)
        .into_iter()
        .map(|members| {
            let headline = median(members.iter().map(|m| m.0).collect());
            let body_bottom = median(members.iter().map(|m| comps[m.1].y1 as f32).collect());
            LineGroup { comps: members.into_iter().map(|m| m.1).collect(), headline, body_bottom }
        })
        .collect();

    let mut leftovers = Vec::new();
    for i in others {
        let c = &comps[i];
        let cy = c.cy();
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
    for members in cluster(leftovers.iter().map(|&i| (comps[i].cy(), i)).collect(), 0.5 * th) {
        let height = members.iter().map(|m| comps[m.1].height()).max().unwrap_or(0) as f32;
        let ink: u32 = members.iter().map(|m| comps[m.1].area).sum();
        if height < 0.4 * th || (ink as f32) < 0.15 * th * th {
            continue;
        }
        let headline = members.iter().map(|m| comps[m.1].y0).min().unwrap_or(0) as f32;
        let body_bottom = members.iter().map(|m| comps[m.1].y1).max().unwrap_or(0) as f32;
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
