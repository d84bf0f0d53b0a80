//! Real print and the as-printed text rules.
//!
//! - The pipeline writes text as printed by default (a space before a danda kept, visarga never a colon,
//!   avagraha and the abbreviation sign kept) and attaches dandas only when asked: checked with a scripted
//!   recogniser, so the rules are tested apart from any model.
//! - The bundled model reads a handful of real scanned lines of `../shared/eval/real-dev` (evaluation data:
//!   read in place, never copied into the repository or trained on) within a CER bound. A missing set fails
//!   the test: it does not pass by skipping.

mod common;

use std::path::{Path, PathBuf};

use common::{Script, png, text_page};
use hindi_ocr_core::pipeline::{DocumentOptions, Layout, read_document};
use hindi_ocr_core::{Engine, Params, TextStyle};

fn read_line(rec: &Script, style: TextStyle) -> String {
    let img = text_page(600, 60, &["x"], 10.0, 10.0, 30.0, 40.0);
    let opts = DocumentOptions { layout: Layout::Line, text_style: style, ..Default::default() };
    read_document(rec, &png(&img), &opts, &mut |_| {}).expect("reads").text
}

#[test]
fn text_is_written_as_printed_by_default() {
    let read = "तुलसी पूजां च यथाविधि निर्वर्त्य । रामः सोऽहम् डॉ॰ ॥ १२ ॥";
    assert_eq!(read_line(&Script::new(&[read]), TextStyle::AsPrinted), read);
    assert_eq!(read_line(&Script::new(&[read]), TextStyle::default()), read);
    // A colon read right after a Devanagari letter is the visarga.
    assert_eq!(read_line(&Script::new(&["रामः हरे: 10:30"]), TextStyle::AsPrinted), "रामः हरेः 10:30");
}

#[test]
fn attached_dandas_only_when_asked() {
    let read = "तुलसी पूजां च निर्वर्त्य । रामः सोऽहम् ॥ १२ ॥";
    assert_eq!(read_line(&Script::new(&[read]), TextStyle::AttachedDanda), "तुलसी पूजां च निर्वर्त्य। रामः सोऽहम्॥ १२॥");
}

fn real_dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval/real-dev")
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + usize::from(ca != cb)));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Every fifth line of the modern booklet (`imagessan-tulasi`) and the letterpress samples: 18 real lines.
#[test]
fn bundled_model_reads_real_scanned_lines() {
    let dir = real_dev();
    let tsv = std::fs::read_to_string(dir.join("lines.tsv")).unwrap_or_else(|e| {
        panic!("{} is needed (the shared evaluation set beside the repository): {e}", dir.display())
    });
    let rows: Vec<(String, String, String)> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 4).then(|| (c[0].to_string(), c[1].to_string(), c[3].to_string()))
        })
        .collect();
    let picked: Vec<_> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| (r.2 == "imagessan-tulasi" && i % 5 == 0) || r.2.starts_with("ihdia"))
        .map(|(_, r)| r)
        .collect();
    assert!(picked.len() >= 15, "real-dev lines.tsv has too few lines: {}", picked.len());
    let engine = Engine::bundled().expect("bundled model").with_params(Params::greedy()).expect("greedy");
    let opts = DocumentOptions { layout: Layout::Line, ..Default::default() };
    let (mut errors, mut chars) = (0, 0);
    for (file, truth, _) in &picked {
        let bytes = std::fs::read(dir.join(file)).expect("real-dev image");
        let doc = read_document(&engine, &bytes, &opts, &mut |_| {}).expect("reads");
        let (t, h): (Vec<char>, Vec<char>) = (truth.chars().collect(), doc.text.chars().collect());
        errors += edit_distance(&t, &h);
        chars += t.len();
    }
    let cer = errors as f64 / chars as f64;
    eprintln!("real-dev: {} lines, CER {:.2} %", picked.len(), 100.0 * cer);
    // Measured 2026-12-04: 11.26 % with the real-print model (9.08 % with the one before it: these 18 lines
    // move either way by a few errors; the whole set fell from 11.52 to 10.46 %, benches/real_print.py).
    assert!(cer < 0.14, "CER on {} real lines {:.2} % (bound 14 %)", picked.len(), 100.0 * cer);
}
