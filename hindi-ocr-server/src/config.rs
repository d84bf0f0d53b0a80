//! Command-line flags and environment variables of `serve` and `worker`.

/// Flags of `hindi-ocr serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HINDI_OCR_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
}

/// Flags of `hindi-ocr worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {}
