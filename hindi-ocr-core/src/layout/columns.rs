//! Reading order across columns: a page whose text has a clear vertical gutter is split there, left column
//! first. Applied recursively, so three simple columns work too.

use super::components::Component;

/// Split `idx` (text components) into columns, left to right. `th` is the typical text height.
pub fn split_columns(comps: &[Component], idx: Vec<usize>, th: f32, depth: u32) -> Vec<Vec<usize>> {
    if idx.len() < 4 || depth == 0 {
        return vec![idx];
    }
    let x_min = idx.iter().map(|&i| comps[i].x0).min().unwrap_or(0);
    let x_max = idx.iter().map(|&i| comps[i].x1).max().unwrap_or(0);
    let width = (x_max - x_min) as usize;
    if width == 0 {
        return vec![idx];
    }
    let mut cover = vec![0u32; width];
    for &i in &idx {
        for v in &mut cover[(comps[i].x0 - x_min) as usize..(comps[i].x1 - x_min) as usize] {
            *v += 1;
        }
    }
    // The widest empty run in the middle 15%..85% of the text's width, at least 1.5 text heights wide
    // (word gaps are a fraction of that, and do not line up down a whole page).
    let min_gap = (1.5 * th).max(0.02 * width as f32) as usize;
    let (mut best, mut run_start) = (None::<(usize, usize)>, None::<usize>);
    for (x, &v) in cover.iter().enumerate().chain(std::iter::once((width, &1))) {
        match (v == 0, run_start) {
            (true, None) => run_start = Some(x),
            (false, Some(s)) => {
                let (len, mid) = (x - s, (s + x) / 2);
                let central = mid * 100 >= width * 15 && mid * 100 <= width * 85;
                if central && len >= min_gap && best.is_none_or(|(bs, be)| len > be - bs) {
                    best = Some((s, x));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let Some((s, e)) = best else { return vec![idx] };
    let cut = x_min + ((s + e) / 2) as u32;
    let (left, right): (Vec<usize>, Vec<usize>) = idx.into_iter().partition(|&i| comps[i].x1 <= cut);
    // Both sides must hold real text, not a lone page number in the margin, and more than one line each: a
    // gutter runs down several lines, while a wide word gap in a single line (a line image, a heading) is no
    // column break.
    let area = |v: &[usize]| v.iter().map(|&i| comps[i].area as u64).sum::<u64>();
    let extent = |v: &[usize]| {
        let top = v.iter().map(|&i| comps[i].y0).min().unwrap_or(0);
        v.iter().map(|&i| comps[i].y1).max().unwrap_or(0).saturating_sub(top) as f32
    };
    let (al, ar) = (area(&left), area(&right));
    let one_line = extent(&left) < 2.2 * th || extent(&right) < 2.2 * th;
    if one_line || al * 8 < al + ar || ar * 8 < al + ar {
        let mut all = left;
        all.extend(right);
        return vec![all];
    }
    let mut out = split_columns(comps, left, th, depth - 1);
    out.extend(split_columns(comps, right, th, depth - 1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::components::Kind;

    fn word(x0: u32, y0: u32, w: u32) -> Component {
        Component { x0, y0, x1: x0 + w, y1: y0 + 20, area: w * 7, peak_row: y0 + 3, peak_count: w, kind: Kind::Text }
    }

    fn lines_of_words(x_start: u32, lines: u32) -> Vec<Component> {
        (0..lines).flat_map(|l| (0..4).map(move |k| word(x_start + k * 70, 10 + l * 32, 60))).collect()
    }

    #[test]
    fn a_gutter_down_several_lines_splits_columns() {
        let mut comps = lines_of_words(0, 6);
        comps.extend(lines_of_words(400, 6));
        let cols = split_columns(&comps, (0..comps.len()).collect(), 20.0, 2);
        assert_eq!(cols.len(), 2);
        assert!(cols[0].iter().all(|&i| comps[i].x0 < 300) && cols[1].iter().all(|&i| comps[i].x0 >= 400));
    }

    #[test]
    fn a_wide_gap_in_one_line_is_not_a_gutter() {
        // One line with a gap of 6 text heights in the middle (a line image, a heading with a tab).
        let mut comps = lines_of_words(0, 1);
        comps.extend(lines_of_words(400, 1));
        assert_eq!(split_columns(&comps, (0..comps.len()).collect(), 20.0, 2).len(), 1);
    }
}
