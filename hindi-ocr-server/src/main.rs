//! The `hindi-ocr` binary: `ocr` (files in, text out), `serve` (the HTTP service), `worker` (OCR jobs only).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hindi-ocr", version, about = "Hindi (Devanagari) OCR: command line, service and worker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read text from image and PDF files.
    Ocr(hindi_ocr_server::cli_ocr::OcrArgs),
    /// Start the HTTP service (API, web page, in-process workers).
    Serve(hindi_ocr_server::config::ServeArgs),
    /// Run OCR job workers only, against the same store as the servers.
    Worker(hindi_ocr_server::config::WorkerArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Ocr(args) => hindi_ocr_server::cli_ocr::run(args),
        Command::Serve(args) => hindi_ocr_server::run_serve(args),
        Command::Worker(args) => hindi_ocr_server::run_worker(args),
    }
}
