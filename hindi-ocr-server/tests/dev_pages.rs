//! The whole-document path on the development pages (`../shared/eval/dev/pages`, read only, never trained
//! on): `hindi-ocr ocr --layout page --format tsv` with the bundled model. Every page must give exactly its
//! ground-truth lines, each truth line matched by one found line in order (none lost, none duplicated), and
//! the overall CER must stay within the 4% target.

mod e2e_support;

use std::process::Command;

use e2e_support::{binary, cer, dev_dir, line_rows, page_rows};

#[test]
fn dev_pages_keep_every_line_once_and_read_within_target() {
    let pages = page_rows();
    assert!(pages.len() >= 5, "expected the five dev pages, found {}", pages.len());
    let files: Vec<&str> = pages.iter().map(|(f, _, _)| f.as_str()).collect();
    let texts = read_tsv("page", &files);

    for ((file, want, condition), got) in pages.iter().zip(&texts) {
        let want_lines: Vec<&str> = want.lines().filter(|l| !l.trim().is_empty()).collect();
        let got_lines: Vec<&str> = got.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            got_lines.len(),
            want_lines.len(),
            "{file} ({condition}): {} lines found for {} in the truth:\n{got}",
            got_lines.len(),
            want_lines.len()
        );
        // Same count is not enough: a lost line plus a split one would also give it. Line i must read as
        // truth line i: within 25 % CER, or one edit for a line of a word or two (`है ।` for `है।` is a
        // misread space, not a lost or split line).
        for (i, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
            let c = cer(g, w);
            let one_edit = c * w.chars().count() as f64 <= 1.0 + 1e-9;
            assert!(c < 0.25 || one_edit, "{file} line {i}: CER {c:.3}\n got: {g}\nwant: {w}");
        }
    }
    let overall = overall_cer(&texts, pages.iter().map(|(_, want, _)| want.as_str()));
    eprintln!("dev pages CER {:.2}%", 100.0 * overall);
    assert!(overall <= 0.04, "dev pages CER {:.2}% is above the 4% target", 100.0 * overall);
}

/// CER over all texts together, as score.py counts it: each text's CER weighted by its reference length
/// (whitespace runs as one space, as cer() divides).
fn overall_cer<'a>(got: &[String], want: impl Iterator<Item = &'a str>) -> f64 {
    let (mut errors, mut chars) = (0.0, 0usize);
    for (g, w) in got.iter().zip(want) {
        let n = w.split_whitespace().collect::<Vec<_>>().join(" ").chars().count();
        errors += cer(g, w) * n as f64;
        chars += n;
    }
    errors / chars as f64
}

/// Runs `hindi-ocr ocr --format tsv` with `layout` on `files` (relative to the dev dir); the texts, one per
/// input in input order (checked), `\n` escapes turned into newlines.
fn read_tsv(layout: &str, files: &[&str]) -> Vec<String> {
    let out = Command::new(binary())
        .args(["ocr", "--layout", layout, "--format", "tsv"])
        .args(files.iter().map(|f| dev_dir().join(f)))
        .output()
        .expect("run hindi-ocr ocr");
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let rows: Vec<(&str, &str)> = stdout.lines().filter_map(|l| l.split_once('\t')).collect();
    assert_eq!(rows.len(), files.len(), "one row per input:\n{stdout}");
    rows.iter()
        .zip(files)
        .map(|((path, text), file)| {
            assert!(path.ends_with(file), "rows in input order: {path} for {file}");
            text.replace("\\n", "\n")
        })
        .collect()
}

#[test]
fn auto_layout_reads_every_dev_line_as_line_layout_does() {
    // `auto` (the default) must take each line image for a line, short ones too (line_0076 is 209x63: not
    // wide enough to be called a line by its shape, so it goes through page analysis, which must find one line).
    let rows = line_rows();
    let files: Vec<&str> = rows.iter().map(|(f, _, _)| f.as_str()).collect();
    let auto = read_tsv("auto", &files);
    let line = read_tsv("line", &files);
    for ((file, want, _), (a, l)) in rows.iter().zip(auto.iter().zip(&line)) {
        assert!(!a.contains('\n'), "{file}: auto split the line: {a:?}");
        assert!(cer(a, want) <= cer(l, want) + 0.05, "{file}: auto {a:?} vs line {l:?} (truth {want:?})");
    }
}

#[test]
fn page_layout_on_line_images_finds_one_line() {
    // Page analysis on an image that holds one line, clean or faint and blurred: no column split at a wide
    // word gap, words not taken for pictures because they fill most of the image's height, faint print
    // binarised whole (the stretched Sauvola rule).
    let rows = line_rows();
    let files: Vec<&str> = rows.iter().map(|(f, _, _)| f.as_str()).collect();
    let got = read_tsv("page", &files);
    for ((file, _, _), g) in rows.iter().zip(&got) {
        assert_eq!(g.lines().count(), 1, "{file}: {g:?}");
    }
    let overall = overall_cer(&got, rows.iter().map(|(_, want, _)| want.as_str()));
    assert!(overall <= 0.02, "dev lines read with --layout page: CER {:.2}%", 100.0 * overall);
}
