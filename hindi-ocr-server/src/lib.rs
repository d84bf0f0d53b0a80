//! `hindi-ocr-server`: the axum service, OCR job workers, storage back-ends and the CLI.
//!
//! CONTRACT STUB: module names are fixed; each part's work fills them in.

pub mod blob;
pub mod cli_ocr;
pub mod config;
pub mod model;
pub mod store;

/// `hindi-ocr serve`.
pub fn run_serve(_args: config::ServeArgs) -> std::process::ExitCode {
    eprintln!("serve: not built yet");
    std::process::ExitCode::FAILURE
}

/// `hindi-ocr worker`.
pub fn run_worker(_args: config::WorkerArgs) -> std::process::ExitCode {
    eprintln!("worker: not built yet");
    std::process::ExitCode::FAILURE
}
