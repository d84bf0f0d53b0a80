//! `hindi-ocr ocr`: the library entry point with a fake recogniser (formats, bad files, exit codes), and the
//! real binary with the bundled model on rendered line images and a page built from them.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[path = "../../hindi-ocr-core/tests/common/pdf_bombs.rs"]
mod pdf_bombs;

use clap::Parser;
use hindi_ocr_core::{LineRecognizer, LineResult, Result as CoreResult};
use hindi_ocr_server::cli_ocr::{OcrArgs, run_with, tsv_escape};
use image::{GrayImage, Luma};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: OcrArgs,
}

fn args(list: &[&str]) -> OcrArgs {
    Cli::try_parse_from(std::iter::once("ocr").chain(list.iter().copied())).expect("flags parse").args
}

/// Reads every line as its pixel width, so tests can tell lines apart.
struct Widths;
impl LineRecognizer for Widths {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> CoreResult<Vec<LineResult>> {
        Ok(lines.iter().map(|l| LineResult { text: format!("w{}", l.width()), confidence: 0.5, ..Default::default() }).collect())
    }
}

/// A line-like image: one dark bar with word gaps.
fn line_image(width: u32) -> GrayImage {
    GrayImage::from_fn(width, 40, |x, y| Luma([if (10..30).contains(&y) && (x / 30) % 4 != 3 { 0 } else { 255 }]))
}

fn save(dir: &Path, name: &str, img: &GrayImage) -> PathBuf {
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}

fn run(a: &OcrArgs) -> (ExitCode, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(&Widths, a, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn tsv_rows_in_input_order_and_a_bad_file_does_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let a = save(dir.path(), "a.png", &line_image(400));
    let bad = dir.path().join("bad.png");
    std::fs::write(&bad, b"not an image").unwrap();
    let b = save(dir.path(), "b.png", &line_image(600));
    let missing = dir.path().join("missing.png");
    let list = [a.to_str().unwrap(), bad.to_str().unwrap(), b.to_str().unwrap(), missing.to_str().unwrap()];
    let (code, out, err) = run(&args(&[&["--layout", "line", "--format", "tsv"][..], &list[..]].concat()));
    assert_eq!(code, ExitCode::FAILURE);
    // One row per input, in order: a file that failed gets an empty text (its error is on stderr).
    let want = format!("{}\tw400\n{}\t\n{}\tw600\n{}\t\n", a.display(), bad.display(), b.display(), missing.display());
    assert_eq!(out, want);
    assert!(err.contains("bad.png") && err.contains("unsupported"), "{err}");
    assert!(err.contains("missing.png") && err.contains("2 of 4 files failed"), "{err}");
}

#[test]
fn tsv_escapes_newlines_of_multi_line_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut page = GrayImage::from_pixel(500, 200, Luma([255]));
    for (i, w) in [(0u32, 300u32), (1, 200)] {
        for x in 20..20 + w {
            for y in 40 + i * 80..43 + i * 80 {
                page.put_pixel(x, y, Luma([0]));
            }
            if x % 9 < 3 {
                for y in 40 + i * 80..70 + i * 80 {
                    page.put_pixel(x, y, Luma([0]));
                }
            }
        }
    }
    let p = save(dir.path(), "page.png", &page);
    let (code, out, _) = run(&args(&["--layout", "page", "--format", "tsv", p.to_str().unwrap()]));
    assert_eq!(code, ExitCode::SUCCESS);
    let row = out.strip_suffix('\n').unwrap();
    let (path, text) = row.split_once('\t').unwrap();
    assert_eq!(path, p.display().to_string());
    assert!(!text.contains('\n') && text.split("\\n").count() == 2, "two lines joined by an escaped newline: {text}");
    assert_eq!(tsv_escape("a\tb\\c\nd"), "a\\tb\\\\c\\nd");
}

#[test]
fn output_directory_gets_one_file_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = save(dir.path(), "one.png", &line_image(300));
    let b = save(dir.path(), "two.png", &line_image(500));
    let out_dir = dir.path().join("out");
    let (code, stdout, _) = run(&args(&[
        "--layout", "line", "--format", "json", "--output", out_dir.to_str().unwrap(), a.to_str().unwrap(), b.to_str().unwrap(),
    ]));
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(stdout.is_empty());
    let one: serde_json::Value = serde_json::from_slice(&std::fs::read(out_dir.join("one.json")).unwrap()).unwrap();
    assert_eq!(one["text"], "w300");
    assert!(out_dir.join("two.json").exists());

    // hOCR and ALTO files are named as the HTTP API names its downloads.
    for (format, ext, needle) in [("hocr", "hocr.html", "ocr_line"), ("alto", "alto.xml", "<alto"), ("page", "page.xml", "<PcGts")] {
        let (code, _, _) = run(&args(&[
            "--layout", "line", "--format", format, "--output", out_dir.to_str().unwrap(), a.to_str().unwrap(), b.to_str().unwrap(),
        ]));
        assert_eq!(code, ExitCode::SUCCESS);
        for stem in ["one", "two"] {
            let written = std::fs::read_to_string(out_dir.join(format!("{stem}.{ext}"))).unwrap();
            assert!(written.contains(needle), "{stem}.{ext}: {written}");
        }
    }
}

#[test]
fn outputs_never_overwrite_each_other_and_never_run_together() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    let a = save(dir.path(), "scan.png", &line_image(300));
    let b = save(&dir.path().join("b"), "scan.png", &line_image(400));
    let c = save(dir.path(), "scan.bmp", &line_image(500));
    let out_dir = dir.path().join("out");
    let list = [a.to_str().unwrap(), b.to_str().unwrap(), c.to_str().unwrap()];
    let (code, _, _) = run(&args(&[&["--layout", "line", "--output", out_dir.to_str().unwrap()][..], &list[..]].concat()));
    assert_eq!(code, ExitCode::SUCCESS);
    for (name, text) in [("scan.txt", "w300"), ("scan-2.txt", "w400"), ("scan-3.txt", "w500")] {
        assert_eq!(std::fs::read_to_string(out_dir.join(name)).unwrap().trim(), text, "{name}");
    }
    // One input with --output naming an existing directory: the file goes inside it; a missing parent is made.
    let (code, _, _) = run(&args(&["--layout", "line", "--output", out_dir.to_str().unwrap(), a.to_str().unwrap()]));
    assert_eq!(code, ExitCode::SUCCESS);
    let nested = dir.path().join("new/deeper/one.txt");
    let (code, _, _) = run(&args(&["--layout", "line", "--output", nested.to_str().unwrap(), b.to_str().unwrap()]));
    assert_eq!((code, std::fs::read_to_string(&nested).unwrap().trim()), (ExitCode::SUCCESS, "w400"));
    // Several JSON (hOCR, ALTO, PDF) documents on stdout would be one invalid file: refused before any work.
    for format in ["json", "hocr", "alto", "page", "pdf"] {
        let (code, out, err) = run(&args(&[&["--layout", "line", "--format", format][..], &list[..2]].concat()));
        assert_eq!((code, out.as_str()), (ExitCode::from(2), ""), "{format}");
        assert!(err.contains("--output"), "{err}");
    }
}

#[test]
fn page_xml_is_written_for_one_page_inputs_only() {
    let dir = tempfile::tempdir().unwrap();
    let a = save(dir.path(), "one & <two>.png", &line_image(300));
    let (code, out, _) = run(&args(&["--layout", "line", "--format", "page", a.to_str().unwrap()]));
    assert_eq!(code, ExitCode::SUCCESS);
    let name = a.display().to_string().replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    assert!(out.contains("<PcGts") && out.contains(&format!("imageFilename=\"{name}\"")) && out.contains("w300"), "{out}");
    // PAGE XML holds one page: a TIFF of three is refused with what to do instead, the other inputs still written.
    let tif = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/broken_page.tif");
    let out_dir = dir.path().join("out");
    let (code, _, err) = run(&args(&[
        "--layout", "line", "--format", "page", "--output", out_dir.to_str().unwrap(), tif.to_str().unwrap(), a.to_str().unwrap(),
    ]));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("--format page writes one page per file and this file has 3 pages"), "{err}");
    assert!(out_dir.join("one & <two>.page.xml").exists() && !out_dir.join("broken_page.page.xml").exists());
}

#[test]
fn bad_flags_are_rejected() {
    for bad in [&["--dpi", "0"][..], &["--dpi", "5000"], &["--threads", "1000"], &["--max-pages", "0"], &["--max-pages", "x"]] {
        assert!(Cli::try_parse_from([&["ocr"][..], bad, &["x.png"]].concat()).is_err(), "{bad:?}");
    }
    assert!(Cli::try_parse_from(["ocr", "--format", "docx", "x.png"]).is_err());
    assert!(Cli::try_parse_from(["ocr", "--layout", "column", "x.png"]).is_err());
    assert!(Cli::try_parse_from(["ocr"]).is_err(), "at least one file");
}

#[test]
fn decompression_bombs_long_documents_and_cut_files_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // The two bombs of the issue: an image declared 32768x32768 (1 GiB), a content stream of 1 GiB of spaces.
    let image = write("image-bomb.pdf", &pdf_bombs::declared_image_bomb());
    let content = write("content-bomb.pdf", &pdf_bombs::content_bomb());
    let ok = save(dir.path(), "ok.png", &line_image(400));
    let (code, out, err) =
        run(&args(&["--layout", "line", "--format", "tsv", image.to_str().unwrap(), content.to_str().unwrap(), ok.to_str().unwrap()]));
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(out, format!("{}\t\n{}\t\n{}\tw400\n", image.display(), content.display(), ok.display()));
    assert!(err.contains("image-bomb.pdf: PDF too large to read: the image in object 5 is declared 32768x32768 pixels"), "{err}");
    assert!(err.contains("content-bomb.pdf: PDF too large to read: the stream of object 4 inflates to more than"), "{err}");

    // A TIFF of 1000 1x1 pages: over the default page limit, read when the limit allows it.
    let mut tiff = std::io::Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::new(&mut tiff).unwrap();
    for _ in 0..1000 {
        enc.write_image::<tiff::encoder::colortype::Gray8>(1, 1, &[255]).unwrap();
    }
    let tiff = write("long.tif", tiff.get_ref());
    let (code, _, err) = run(&args(&["--format", "tsv", tiff.to_str().unwrap()]));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("long.tif: document has too many pages: 1000, the limit is 500"), "{err}");
    let (code, _, err) = run(&args(&["--max-pages", "1000", "--format", "tsv", tiff.to_str().unwrap()]));
    assert_eq!(code, ExitCode::SUCCESS, "{err}");

    // A JPEG cut short is refused, not read in part.
    let busy = GrayImage::from_fn(400, 300, |x, y| Luma([((x * 7 + y * 13) % 256) as u8]));
    let mut jpeg = Vec::new();
    busy.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    let cut = write("cut.jpg", &jpeg[..jpeg.len() * 2 / 3]);
    let (code, _, err) = run(&args(&["--format", "tsv", cut.to_str().unwrap()]));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("cut.jpg: could not decode image: the JPEG is truncated"), "{err}");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hindi-ocr"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/lines")
}

fn expected() -> Vec<(String, String)> {
    std::fs::read_to_string(fixtures().join("expected.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split('\t');
            (f.next().unwrap().to_string(), f.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn missing_model_is_a_clear_error_with_exit_code_2() {
    let out = bin().args(["ocr", "--model", "/nonexistent/model", "x.png"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot load the model"));
}

#[test]
fn bundled_model_reads_line_images_as_tsv() {
    let want = expected();
    let files: Vec<PathBuf> = want.iter().map(|(f, _)| fixtures().join(f)).collect();
    let out = bin().args(["ocr", "--layout", "line", "--format", "tsv"]).args(&files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), want.len());
    for ((row, (_, text)), file) in rows.iter().zip(&want).zip(&files) {
        assert_eq!(*row, format!("{}\t{}", file.display(), text));
    }
}

/// The fixture lines stacked into one page, with margins.
fn stacked_page() -> GrayImage {
    let lines: Vec<GrayImage> = expected().iter().map(|(f, _)| image::open(fixtures().join(f)).unwrap().to_luma8()).collect();
    let width = lines.iter().map(|l| l.width()).max().unwrap() + 120;
    let height: u32 = lines.iter().map(|l| l.height() + 10).sum::<u32>() + 120;
    let mut page = GrayImage::from_pixel(width, height, Luma([255]));
    let mut y = 60;
    for l in &lines {
        image::imageops::overlay(&mut page, l, 60, y as i64);
        y += l.height() + 10;
    }
    page
}

#[test]
fn bundled_model_reads_a_page_and_writes_a_searchable_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let page = save(dir.path(), "page.png", &stacked_page());
    let out = bin().args(["ocr", "--layout", "page", "--format", "text"]).arg(&page).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = text.lines().collect();
    let want: Vec<String> = expected().into_iter().map(|(_, t)| t).collect();
    assert_eq!(got.len(), want.len(), "one output line per printed line: {text}");
    let (mut dist, mut total) = (0usize, 0usize);
    for (g, w) in got.iter().zip(&want) {
        dist += levenshtein(g, w);
        total += w.chars().count();
    }
    assert!(dist * 100 <= total * 3, "page CER {dist}/{total} above 3%: {text}");

    let pdf = dir.path().join("page.pdf");
    let out = bin().args(["ocr", "--layout", "page", "--format", "pdf", "--output"]).arg(&pdf).arg(&page).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let extracted = Command::new("pdftotext").arg(&pdf).arg("-").output().unwrap();
    let extracted: String = String::from_utf8(extracted.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(extracted, got.join(" ").split_whitespace().collect::<Vec<_>>().join(" "));
}

#[test]
fn a_page_upside_down_is_turned_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let upright = save(dir.path(), "upright.png", &stacked_page());
    let turned = save(dir.path(), "turned.png", &image::imageops::rotate180(&stacked_page()));
    let json = |extra: &[&str], file: &Path| {
        let out = bin().args(["ocr", "--layout", "page", "--format", "json"]).args(extra).arg(file).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let want = json(&[], &upright);
    let got = json(&[], &turned);
    assert_eq!(got["pages"][0]["rotation"], 180);
    assert_eq!(want["pages"][0]["rotation"], 0);
    assert_eq!(got["text"], want["text"]);
    let as_is = json(&["--no-rotate"], &turned);
    assert_eq!(as_is["pages"][0]["rotation"], 0);
    assert_ne!(as_is["text"], want["text"]);
}

fn levenshtein(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[test]
fn password_protected_pdfs_read_with_their_password() {
    let enc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/encrypted");
    let (aes, rc4) = (enc.join("aes256.pdf"), enc.join("rc4.pdf"));
    let want: Vec<String> = expected().into_iter().take(2).map(|(_, t)| t).collect();
    let ocr = |extra: &[&str], env: Option<&str>, files: &[&PathBuf]| {
        let mut cmd = bin();
        cmd.args(["ocr", "--quiet", "--layout", "page", "--format", "tsv"]).args(extra).args(files);
        cmd.env_remove("HINDI_OCR_PDF_PASSWORD");
        if let Some(pw) = env {
            cmd.env("HINDI_OCR_PDF_PASSWORD", pw);
        }
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let row = |file: &PathBuf| format!("{}\t{}\n", file.display(), want.join("\\n"));

    // No password: the file fails with a message that says what to do; the row is empty.
    let (code, out, err) = ocr(&[], None, &[&aes]);
    assert_eq!(code, Some(1));
    assert_eq!(out, format!("{}\t\n", aes.display()));
    assert!(err.contains("password-protected") && err.contains("aes256.pdf"), "{err}");
    // A wrong one is called wrong.
    let (code, _, err) = ocr(&["--password", "nope"], None, &[&aes]);
    assert_eq!(code, Some(1));
    assert!(err.contains("password given does not open"), "{err}");
    // From the environment (UTF-8, with a space), for one file, while the RC4 file with another password fails.
    let (code, out, err) = ocr(&[], Some("पासवर्ड 123"), &[&aes, &rc4]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, format!("{}{}\t\n", row(&aes), rc4.display()));
    // From a file: its first line, without the line ending.
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("pw.txt");
    std::fs::write(&pw_file, "secret\r\nnot this line\n").unwrap();
    let (code, out, err) = ocr(&["--password-file", pw_file.to_str().unwrap()], None, &[&rc4]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, row(&rc4));
    // A password file that cannot be read stops before any work.
    let (code, out, err) = ocr(&["--password-file", "/nonexistent/pw"], None, &[&rc4]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("cannot read --password-file"), "{err}");
}

#[test]
fn a_broken_page_is_reported_and_the_other_pages_written() {
    // Three pages, a word each; page 2's pixel data lies past the end of the file.
    let tif = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/broken_page.tif");
    let dir = tempfile::tempdir().unwrap();
    let json_out = dir.path().join("out.json");
    let (code, out, err) = run(&args(&["--layout", "page", tif.to_str().unwrap()]));
    assert_eq!(code, ExitCode::FAILURE, "not read in full");
    assert_eq!(out, "w128\n\n\n\nw128\n", "pages 1 and 3 (a 120 px word and its margin), page 2 empty in its place");
    assert!(err.contains("broken_page.tif: page 2 could not be read"), "{err}");
    let (code, _, _) = run(&args(&["--layout", "page", "--format", "json", "-o", json_out.to_str().unwrap(), tif.to_str().unwrap()]));
    assert_eq!(code, ExitCode::FAILURE);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    let errors: Vec<bool> = doc["pages"].as_array().unwrap().iter().map(|p| p.get("error").is_some()).collect();
    assert_eq!(errors, [false, true, false]);
}
