//! `hindi-ocr ocr`: files in, text out.

/// Flags of `hindi-ocr ocr`.
#[derive(Debug, Clone, clap::Args)]
pub struct OcrArgs {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

/// Run the command.
pub fn run(_args: OcrArgs) -> std::process::ExitCode {
    eprintln!("ocr: not built yet");
    std::process::ExitCode::FAILURE
}
