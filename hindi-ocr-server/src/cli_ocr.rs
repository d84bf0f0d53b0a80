//! `hindi-ocr ocr`: files in, text out.
//!
//! All files share one loaded engine. A file that cannot be read or recognised is reported on stderr and the
//! rest are still processed; the exit code is 1 when any file failed (2 for bad flags or no model).
//! With `--format tsv` every input gives one `path<TAB>text` row (newlines, tabs and backslashes escaped as
//! `\n`, `\t`, `\\`); other formats write one output per input: to stdout, or with `--output` to that file
//! (one input) or into that directory as `<name>.<ext>` (several inputs).

mod output;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use hindi_ocr_core::pipeline::{DocumentOptions, Layout, Progress, read_document};
use hindi_ocr_core::{Engine, EngineConfig, LineRecognizer, ModelSource, Params, Password, RuntimeConfig, TextStyle};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use output::{CliFormat, render, tsv_escape, tsv_row};

/// Flags of `hindi-ocr ocr`.
#[derive(Debug, Clone, clap::Args)]
pub struct OcrArgs {
    /// How images are cut into lines: `line` (each image is one text line), `page` (find lines, columns and
    /// words), `auto` (wide strips holding one line are lines, the rest pages).
    #[arg(long, default_value = "auto", value_parser = parse_layout)]
    pub layout: Layout,
    /// Output format: text, json, hocr, alto, page (PAGE XML; one-page inputs), pdf (searchable PDF) or tsv
    /// (`path<TAB>text` per input).
    #[arg(long, default_value = "text", value_parser = parse_format)]
    pub format: CliFormat,
    /// Write output here instead of stdout: a file for one input (or for tsv), a directory for several.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Resolution PDF pages are rendered at (10-1200).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(10..=1200))]
    pub dpi: u32,
    /// Most pages a TIFF or PDF may have; a longer one is refused before any page is read.
    #[arg(long, default_value_t = hindi_ocr_core::image_input::Limits::default().max_pages,
          value_parser = crate::config::parse_page_limit)]
    pub max_pages: usize,
    /// Password of encrypted PDFs (used for every PDF that needs one; others ignore it). Prefer the
    /// environment variable or --password-file: a flag's value shows in the process list.
    #[arg(long, env = "HINDI_OCR_PDF_PASSWORD", hide_env_values = true, value_parser = parse_password)]
    pub password: Option<Password>,
    /// Read the PDF password from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "password")]
    pub password_file: Option<PathBuf>,
    /// Read pages as they lie: do not turn pages whose text is found sideways or upside down.
    #[arg(long)]
    pub no_rotate: bool,
    /// How the text is written: `as-printed` (the page's own spacing around । and ॥) or `attached-danda`
    /// (the modern Hindi convention: no space before a danda).
    #[arg(long, default_value = "as-printed", value_parser = parse_text_style)]
    pub text_style: TextStyle,
    /// Drop a line the model reads with a confidence below this (0-1) as not text; 0 keeps every reading.
    #[arg(long, default_value_t = hindi_ocr_core::pipeline::DEFAULT_MIN_CONFIDENCE, value_parser = parse_confidence)]
    pub min_confidence: f32,
    /// Threads ONNX Runtime uses (0: one per core; at most 256).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256))]
    pub threads: u16,
    /// Model directory (default: the bundled model, or `HINDI_OCR_MODEL`).
    #[arg(long, env = "HINDI_OCR_MODEL")]
    pub model: Option<PathBuf>,
    /// ONNX Runtime library (default: searched, see docs/CLI.md).
    #[arg(long, env = "ORT_DYLIB_PATH")]
    pub ort_dylib: Option<PathBuf>,
    /// Lines per recognition batch.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Do not draw a progress bar even when stderr is a terminal.
    #[arg(long)]
    pub quiet: bool,
    /// Input files: PNG, JPEG, TIFF (all pages), WebP, BMP, PDF (all pages).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_layout(s: &str) -> Result<Layout, String> {
    s.parse().map_err(|e: hindi_ocr_core::Error| e.to_string())
}

fn parse_confidence(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(c) if (0.0..=1.0).contains(&c) => Ok(c),
        _ => Err(format!("must be a number from 0 to 1, got {s:?}")),
    }
}

fn parse_text_style(s: &str) -> Result<TextStyle, String> {
    s.parse().map_err(|e: hindi_ocr_core::Error| e.to_string())
}

fn parse_password(s: &str) -> Result<Password, String> {
    Ok(Password::new(s))
}

/// The password of `--password-file`: its first line without the line ending (other whitespace is kept: it
/// may be part of the password).
fn password_from_file(path: &Path) -> Result<Password, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read --password-file {}: {e}", path.display()))?;
    let line = text.split('\n').next().unwrap_or("");
    Ok(Password::new(line.strip_suffix('\r').unwrap_or(line)))
}

fn parse_format(s: &str) -> Result<CliFormat, String> {
    s.parse()
}

/// Run the command: load the engine, then [`run_with`].
pub fn run(args: OcrArgs) -> ExitCode {
    let config = EngineConfig {
        model: args.model.clone().map(ModelSource::Dir).unwrap_or(ModelSource::Bundled),
        params: Params { batch_size: args.batch_size.max(1), ..Params::default() },
        // A library named on purpose is the one to use: not finding it is an error, not a reason to search.
        runtime: RuntimeConfig {
            dylib_path: args.ort_dylib.clone(),
            intra_threads: usize::from(args.threads),
            explicit_only: args.ort_dylib.is_some(),
        },
    };
    let engine = match Engine::from_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("hindi-ocr: cannot load the model: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_with(&engine, &args, &mut out, &mut std::io::stderr())
}

/// Process every file with `rec`, writing results to `out` (or the `--output` path) and problems to `err`.
/// Returns success only when every file was read.
pub fn run_with(rec: &dyn LineRecognizer, args: &OcrArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let mut opts = DocumentOptions {
        layout: args.layout,
        dpi: args.dpi,
        text_style: args.text_style,
        min_confidence: args.min_confidence,
        ..DocumentOptions::default()
    };
    opts.analysis.detect_orientation = !args.no_rotate;
    opts.limits.max_pages = args.max_pages;
    opts.password = match &args.password_file {
        Some(path) => match password_from_file(path) {
            Ok(pw) => Some(pw),
            Err(e) => {
                let _ = writeln!(err, "hindi-ocr: {e}");
                return ExitCode::from(2);
            }
        },
        None => args.password.clone(),
    };
    let several = args.files.len() > 1;
    let one_document = !matches!(args.format, CliFormat::Tsv | CliFormat::Export(hindi_ocr_core::export::Format::Text));
    if several && one_document && args.output.is_none() {
        let _ = writeln!(
            err,
            "hindi-ocr: {} documents of several inputs would run together on stdout: give --output DIR (one file \
             each), or use --format text or tsv",
            args.format.name()
        );
        return ExitCode::from(2);
    }
    // Every output path, decided (and its directory made) before any work, so a bad one stops nothing half-way.
    let targets = match &args.output {
        Some(target) if args.format != CliFormat::Tsv => match output_paths(target, &args.files, args.format) {
            Ok(paths) => paths,
            Err(e) => {
                let _ = writeln!(err, "hindi-ocr: {e}");
                return ExitCode::from(2);
            }
        },
        _ => Vec::new(),
    };
    let mut tsv_file = match (&args.output, args.format) {
        (Some(path), CliFormat::Tsv) => match std::fs::File::create(path) {
            Ok(f) => Some(f),
            Err(e) => {
                let _ = writeln!(err, "hindi-ocr: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        _ => None,
    };

    let bar = progress_bar(args);
    let mut failed = 0usize;
    for (i, path) in args.files.iter().enumerate() {
        bar.set_message(path.display().to_string());
        let result = process_file(rec, path, &opts, args.format, &bar);
        let bytes = match result {
            Ok((bytes, broken_pages)) => {
                // The rest of the document is written; the file still counts as not read in full.
                if !broken_pages.is_empty() {
                    failed += 1;
                    bar.suspend(|| {
                        for (n, e) in &broken_pages {
                            let _ = writeln!(err, "hindi-ocr: {}: page {n} could not be read: {e}", path.display());
                        }
                    });
                }
                Some(bytes)
            }
            Err(e) => {
                failed += 1;
                bar.suspend(|| {
                    let _ = writeln!(err, "hindi-ocr: {}: {e}", path.display());
                });
                // TSV keeps one row per input, so rows line up with the inputs: an empty text for this one.
                (args.format == CliFormat::Tsv).then(|| tsv_row(&path.display().to_string(), ""))
            }
        };
        if let Some(bytes) = bytes {
            let (written, to) = match (targets.get(i), args.format) {
                (_, CliFormat::Tsv) => match tsv_file.as_mut() {
                    Some(f) => (f.write_all(&bytes), args.output.clone()),
                    None => (out.write_all(&bytes), None),
                },
                (Some(target), _) => (std::fs::write(target, &bytes), Some(target.clone())),
                (None, _) => (
                    out.write_all(&bytes)
                        .and_then(|_| if several && !bytes.ends_with(b"\n") { out.write_all(b"\n") } else { Ok(()) }),
                    None,
                ),
            };
            if let Err(e) = written {
                if to.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe {
                    // The reader went away (`| head`): nothing more can be delivered.
                    bar.finish_and_clear();
                    return ExitCode::FAILURE;
                }
                failed += 1;
                let place = to.map(|p| p.display().to_string()).unwrap_or_else(|| "standard output".into());
                bar.suspend(|| {
                    let _ = writeln!(err, "hindi-ocr: {}: cannot write {place}: {e}", path.display());
                });
            }
        }
        bar.set_position(i as u64 + 1);
    }
    bar.finish_and_clear();
    let _ = out.flush();
    if failed > 0 {
        let _ = writeln!(err, "hindi-ocr: {failed} of {} files failed", args.files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A bar of files done with pages of the current file, drawn only when stderr is a terminal.
fn progress_bar(args: &OcrArgs) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(args.files.len() as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} files, ETA {eta} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Read and render one file: its output, and the pages (1-based) that could not be read, with why.
fn process_file(
    rec: &dyn LineRecognizer,
    path: &Path,
    opts: &DocumentOptions,
    format: CliFormat,
    bar: &ProgressBar,
) -> Result<(Vec<u8>, Vec<(usize, String)>), hindi_ocr_core::Error> {
    let bytes = std::fs::read(path).map_err(|source| hindi_ocr_core::Error::Io { path: path.to_path_buf(), source })?;
    let file = path.display().to_string();
    let mut report = |p: Progress| {
        if p.pages_total > 1 {
            bar.set_message(format!("{file} page {}/{}", p.pages_done, p.pages_total));
        }
    };
    let doc = read_document(rec, &bytes, opts, &mut report)?;
    let broken = doc.pages.iter().enumerate().filter_map(|(i, p)| Some((i + 1, p.error.clone()?))).collect();
    Ok((render(&doc, format, &bytes, opts, &file)?, broken))
}

/// Where each input's output goes, with the directories made: for a single input, `target` itself (or
/// `target/<stem>.<ext>` when `target` is an existing directory); for several, `target/<stem>.<ext>`, where a
/// name that two inputs would share (`a/scan.png`, `b/scan.png`, `scan.tif`) gets `-2`, `-3`, ... after the
/// stem, so no output overwrites another.
fn output_paths(target: &Path, inputs: &[PathBuf], format: CliFormat) -> Result<Vec<PathBuf>, String> {
    let mkdir = |dir: &Path| {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create output directory {}: {e}", dir.display()))
    };
    let in_dir = inputs.len() > 1 || target.is_dir();
    if !in_dir {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            mkdir(parent)?;
        }
        return Ok(vec![target.to_path_buf()]);
    }
    mkdir(target)?;
    let mut used = std::collections::HashSet::new();
    Ok(inputs
        .iter()
        .map(|input| {
            let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
            let mut name = format!("{stem}.{}", format.extension());
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{n}.{}", format.extension());
                n += 1;
            }
            target.join(name)
        })
        .collect())
}
