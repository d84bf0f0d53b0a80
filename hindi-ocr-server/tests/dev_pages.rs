//! The whole-document path on the development pages (`../shared/eval/dev/pages`, read only, never trained
//! on): `hindi-ocr ocr --layout page --format tsv` with the bundled model. Every page must give exactly its
//! ground-truth lines, each truth line matched by one found line in order (none lost, none duplicated), and
//! the overall CER must stay within the 4% target.

mod e2e_support;

use std::process::Command;

use e2e_support::{binary, cer, dev_dir, page_rows};

#[test]
fn dev_pages_keep_every_line_once_and_read_within_target() {
    let pages = page_rows();
    assert!(pages.len() >= 5, "expected the five dev pages, found {}", pages.len());
    let paths: Vec<_> = pages.iter().map(|(f, _, _)| dev_dir().join(f)).collect();
    let out = Command::new(binary())
        .args(["ocr", "--layout", "page", "--format", "tsv"])
        .args(&paths)
        .output()
        .expect("run hindi-ocr ocr");
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let rows: Vec<(&str, String)> = stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, t)| (p, t.replace("\\n", "\n")))
        .collect();
    assert_eq!(rows.len(), pages.len(), "one TSV row per page:\n{stdout}");

    let (mut errors, mut chars) = (0.0, 0usize);
    for ((file, want, condition), (path, got)) in pages.iter().zip(&rows) {
        assert!(path.ends_with(file.as_str()), "rows in input order: {path} for {file}");
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
        // truth line i.
        for (i, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
            let c = cer(g, w);
            assert!(c < 0.25, "{file} line {i}: CER {c:.3}\n got: {g}\nwant: {w}");
        }
        // cer() divides by the reference with whitespace runs as one space: weight pages the same way.
        let n = want.split_whitespace().collect::<Vec<_>>().join(" ").chars().count();
        errors += cer(got, want) * n as f64;
        chars += n;
    }
    let overall = errors / chars as f64;
    eprintln!("dev pages CER {:.2}% over {chars} characters", 100.0 * overall);
    assert!(overall <= 0.04, "dev pages CER {:.2}% is above the 4% target", 100.0 * overall);
}
