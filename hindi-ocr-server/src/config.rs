//! Command-line flags and environment variables of `serve` and `worker`.
//!
//! Every flag has an environment variable (`HINDI_OCR_*`); `docs/CONFIGURATION.md` lists them all. With no
//! configuration at all the service runs on the embedded store, keeps blobs and its JWT secret under `./data`,
//! loads the bundled model and listens on `127.0.0.1:3000`.

use std::path::PathBuf;
use std::time::Duration;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Where data lives and how OCR jobs run: shared by `serve` and `worker`, so both see the same store.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArgs {
    /// Directory for the embedded store, local blobs and the generated JWT secret.
    #[arg(long, env = "HINDI_OCR_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database: a `mongodb://` or `mongodb+srv://` URL selects MongoDB; a file path (or `sqlite://PATH`)
    /// selects the embedded single-file store. Default: `<data-dir>/hindi-ocr.sqlite3`.
    #[arg(long, env = "HINDI_OCR_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Longest time one MongoDB operation may take, in seconds; past it the request fails with `503` (a job
    /// waits for storage). The driver bounds only finding a server (5 s here; `serverSelectionTimeoutMS` in the
    /// URL wins) and connecting (3 s; `connectTimeoutMS`), not an answer on an open connection, and refuses
    /// `socketTimeoutMS`: this is that bound.
    #[arg(long, env = "HINDI_OCR_DATABASE_TIMEOUT_SECS", default_value_t = 10)]
    pub database_timeout_secs: u64,

    /// MongoDB database name (when the URL names none).
    #[arg(long, env = "HINDI_OCR_DATABASE_NAME", default_value = "hindi_ocr")]
    pub database_name: String,

    /// Blob store: `s3://BUCKET[/PREFIX]` selects S3; a directory path (or `file://DIR`) a local directory.
    /// Default: `<data-dir>/blobs`.
    #[arg(long, env = "HINDI_OCR_BLOB_URL")]
    pub blob_url: Option<String>,

    /// S3 endpoint URL for S3-compatible servers (MinIO, moto, Ceph ...). Credentials come from the usual
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` variables or the AWS config chain.
    #[arg(long, env = "HINDI_OCR_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region.
    #[arg(long, env = "HINDI_OCR_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Use path-style S3 URLs (`endpoint/bucket/key`); most S3-compatible servers need this.
    #[arg(long, env = "HINDI_OCR_S3_PATH_STYLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub s3_path_style: bool,

    /// Longest time one S3 call may take, all its retries together, in seconds (a file of up to 25 MB is
    /// stored in calls of at most 8 MiB each); small calls (delete, bucket check, starting or aborting an
    /// upload) get at most 10 s of it. Past it the request fails with `503` (a job waits for storage).
    #[arg(long, env = "HINDI_OCR_S3_TIMEOUT_SECS", default_value_t = 30)]
    pub s3_timeout_secs: u64,

    /// Create the S3 bucket at start if it does not exist (single-node setups and tests).
    #[arg(long, env = "HINDI_OCR_S3_CREATE_BUCKET", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub s3_create_bucket: bool,

    /// Model directory (DESIGN.md format). Default: the bundled model.
    #[arg(long = "model", env = "HINDI_OCR_MODEL")]
    pub model: Option<PathBuf>,

    /// Path to `libonnxruntime.so` (otherwise `ORT_DYLIB_PATH`, `$VIRTUAL_ENV`, beside the executable, the
    /// `.venv` of the source tree it was built from, system paths; never a directory above the working one).
    #[arg(long, env = "HINDI_OCR_ORT_DYLIB")]
    pub ort_dylib: Option<PathBuf>,

    /// OCR jobs run at once in this process. Default: the number of CPU cores. `serve --workers 0` runs no
    /// in-process workers (jobs then need `hindi-ocr worker` processes).
    #[arg(long, env = "HINDI_OCR_WORKERS")]
    pub workers: Option<usize>,

    /// Most line images recognised in one model batch (lines of concurrent jobs are batched together).
    #[arg(long, env = "HINDI_OCR_BATCH_SIZE", default_value_t = 16)]
    pub batch_size: usize,

    /// How long a batch waits for lines from other jobs before it runs, in milliseconds.
    #[arg(long, env = "HINDI_OCR_BATCH_WAIT_MS", default_value_t = 4)]
    pub batch_wait_ms: u64,

    /// Seconds a worker's claim on a job lasts; renewed while the job runs, so a dead worker's job is taken
    /// up again this long after it died.
    #[arg(long, env = "HINDI_OCR_LEASE_SECS", default_value_t = 60)]
    pub lease_secs: u64,

    /// Most pages a TIFF or PDF may have: a longer one is refused at upload (`400`, nothing stored) and by a
    /// job. At least 1.
    #[arg(long, env = "HINDI_OCR_MAX_PAGES", default_value_t = hindi_ocr_core::image_input::Limits::default().max_pages,
          value_parser = parse_page_limit)]
    pub max_pages: usize,

    /// OCR attempts per document before it is marked failed.
    #[arg(long, env = "HINDI_OCR_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: u32,

    /// How long an OCR job waits for its storage (database or file storage) when it does not answer, in
    /// seconds from the job's first such failure: meanwhile it is tried again, each try further apart (2 s,
    /// 4 s, 8 s ... at most 5 minutes), and such tries do not count toward `--max-attempts`. Past it they
    /// count (0: they always count).
    #[arg(long, env = "HINDI_OCR_STORAGE_WAIT_SECS", default_value_t = 3600)]
    pub storage_wait_secs: u64,

    /// How often an idle worker looks for queued jobs, in milliseconds (new jobs from this process wake it
    /// at once).
    #[arg(long, env = "HINDI_OCR_POLL_MS", default_value_t = 500)]
    pub poll_ms: u64,

    /// On shutdown (SIGTERM, Ctrl-C), seconds running jobs get to finish before they are released back to
    /// the queue.
    #[arg(long, env = "HINDI_OCR_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Secret that signs session tokens (HS256) and seals the passwords of password-protected PDFs, at
    /// least 32 bytes. Default: generated once and kept in `<data-dir>/jwt-secret`. Set the same value on
    /// every server and worker of a deployment.
    #[arg(long, env = "HINDI_OCR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Log format.
    #[arg(long, env = "HINDI_OCR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// A page limit: a whole number of at least 1.
pub fn parse_page_limit(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number of pages, at least 1 (got {s:?})")),
    }
}

impl BackendArgs {
    /// The lease duration.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }

    /// The MongoDB operation time limit.
    pub fn database_timeout(&self) -> Duration {
        Duration::from_secs(self.database_timeout_secs.max(1))
    }

    /// The limits every file is held to (the core's defaults, with the page limit from `--max-pages`).
    pub fn limits(&self) -> hindi_ocr_core::image_input::Limits {
        hindi_ocr_core::image_input::Limits { max_pages: self.max_pages, ..Default::default() }
    }

    /// In-process worker count: the flag, or the machine's cores.
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }
}

/// Flags of `hindi-ocr serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (`HOST:PORT`; port 0 picks a free port, printed at start).
    #[arg(long, env = "HINDI_OCR_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,

    /// Store, blob store, model and worker settings.
    #[command(flatten)]
    pub backend: BackendArgs,

    /// Session lifetime in hours.
    #[arg(long, env = "HINDI_OCR_SESSION_HOURS", default_value_t = 24)]
    pub session_hours: u64,

    /// Mark cookies `Secure` (send them over HTTPS only). Turn on behind TLS.
    #[arg(long, env = "HINDI_OCR_COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub cookie_secure: bool,

    /// Origins allowed by CORS, comma-separated (e.g. `https://app.example.com`); `*` allows any origin
    /// without credentials. Default: none (same-origin only).
    #[arg(long, env = "HINDI_OCR_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest accepted upload in bytes (larger: `413`).
    #[arg(long, env = "HINDI_OCR_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// Time limit for one request in seconds (event streams excepted).
    #[arg(long, env = "HINDI_OCR_REQUEST_TIMEOUT_SECS", default_value_t = 120)]
    pub request_timeout_secs: u64,

    /// Upper bound of `?wait=` on `POST /api/documents/ocr`, in seconds.
    #[arg(long, env = "HINDI_OCR_MAX_WAIT_SECS", default_value_t = 60)]
    pub max_wait_secs: u64,

    /// Uploads checked (decoded) and `POST /api/ocr/extract` requests read at once in this process; past it a
    /// request waits up to 2 s for a turn, then gets `503` with `Retry-After`. 0: the number of CPU cores.
    #[arg(long, env = "HINDI_OCR_MAX_DECODES", default_value_t = 0)]
    pub max_decodes: usize,

    /// Failed logins per account within 15 minutes before further attempts get `429`.
    #[arg(long, env = "HINDI_OCR_LOGIN_LIMIT_ACCOUNT", default_value_t = 10)]
    pub login_limit_account: u32,

    /// Login attempts per client IP within 15 minutes before further attempts get `429`.
    #[arg(long, env = "HINDI_OCR_LOGIN_LIMIT_IP", default_value_t = 50)]
    pub login_limit_ip: u32,

    /// Take the client IP (for login rate limits) from `X-Forwarded-For`: the entry written by the trusted
    /// proxy, counted from the right (`--trusted-proxies`), never the client's own entries to its left. Only
    /// behind a proxy that appends to the header.
    #[arg(long, env = "HINDI_OCR_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_for: bool,

    /// With `--trust-forwarded-for`: how many proxies in front of the service append to `X-Forwarded-For`
    /// (a CDN and a load balancer: 2). The client is that many entries from the right.
    #[arg(long, env = "HINDI_OCR_TRUSTED_PROXIES", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub trusted_proxies: u16,
}

/// Flags of `hindi-ocr worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Store, blob store, model and worker settings (must name the same store and blob store as the servers).
    #[command(flatten)]
    pub backend: BackendArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn page_limit_and_trusted_proxies() {
        let c = Cli::try_parse_from(["serve", "--max-pages", "7", "--trust-forwarded-for", "--trusted-proxies", "2"])
            .unwrap();
        assert_eq!(c.serve.backend.limits().max_pages, 7);
        assert!(c.serve.trust_forwarded_for);
        assert_eq!(c.serve.trusted_proxies, 2);
        let d = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(d.serve.backend.limits(), hindi_ocr_core::image_input::Limits::default());
        assert_eq!(d.serve.trusted_proxies, 1);
        for bad in
            [["serve", "--max-pages", "0"], ["serve", "--max-pages", "many"], ["serve", "--trusted-proxies", "0"]]
        {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
