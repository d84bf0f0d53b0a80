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
    // Both sides must hold real text, not a lone page number in the margin.
    let area = |v: &[usize]| v.iter().map(|&i| comps[i].area as u64).sum::<u64>();
    let (al, ar) = (area(&left), area(&right));
    if al * 8 < al + ar || ar * 8 < al + ar {
        let mut all = left;
        all.extend(right);
        return vec![all];
    }
    let mut out = split_columns(comps, left, th, depth - 1);
    out.extend(split_columns(comps, right, th, depth - 1));
    out
}
