//! `hindi-ocr-server`: the axum service, OCR job workers, storage back-ends and the CLI.
//!
//! - [`run_serve`]: `hindi-ocr serve`, the HTTP service ([`http::app`]) with in-process workers;
//! - [`run_worker`]: `hindi-ocr worker`, OCR workers only, against the same store and blob store;
//! - [`http::app`] builds the router from an [`http::AppState`], so tests run the whole service in memory
//!   (with a fake recognizer: [`testing`]).

pub mod blob;
pub mod cli_ocr;
pub mod config;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod model;
pub mod store;
pub mod testing;
pub mod web;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use hindi_ocr_core::{Engine, EngineConfig, LineRecognizer, ModelSource, Params, RuntimeConfig};

use crate::blob::BlobLocation;
use crate::config::{BackendArgs, LogFormat, ServeArgs, WorkerArgs};
use crate::http::auth::{LoginLimiter, SessionKeys, random_token};
use crate::http::{AppState, HttpSettings};
use crate::jobs::batcher::BatchingRecognizer;
use crate::jobs::sealed::PasswordSealer;
use crate::jobs::worker::process_worker_name;
use crate::jobs::{JobContext, JobSettings, WorkerPool};
use crate::metrics::Metrics;

/// `hindi-ocr serve`.
pub fn run_serve(args: ServeArgs) -> ExitCode {
    init_logging(args.backend.log_format);
    run_async(serve(args))
}

/// `hindi-ocr worker`.
pub fn run_worker(args: WorkerArgs) -> ExitCode {
    init_logging(args.backend.log_format);
    run_async(worker(args))
}

fn run_async(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second call (tests) finds a subscriber already set; that is fine.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// What both `serve` and `worker` open: store, blob store, engine, job context.
async fn open_backend(args: &BackendArgs, secret: &[u8]) -> anyhow::Result<(Arc<JobContext>, String)> {
    let store = store::open(args.database_url.as_deref(), &args.data_dir, &args.database_name, args.database_timeout())
        .await
        .context("opening the store")?;
    let mut location = BlobLocation::parse(args.blob_url.as_deref(), &args.data_dir).context("blob URL")?;
    if let BlobLocation::S3(s3) = &mut location {
        s3.endpoint = args.s3_endpoint.clone();
        s3.region = args.s3_region.clone();
        s3.force_path_style = args.s3_path_style;
        s3.create_bucket = args.s3_create_bucket;
        s3.timeout = Duration::from_secs(args.s3_timeout_secs.max(1));
    }
    let blobs = blob::open(location).await.context("opening the blob store")?;
    tracing::info!(store = store.kind(), blobs = blobs.kind(), "storage ready");

    let (engine, model_name) = load_engine(args).await?;
    let metrics = Arc::new(Metrics::new().context("registering metrics")?);
    let batcher = BatchingRecognizer::start(
        engine,
        args.batch_size,
        Duration::from_millis(args.batch_wait_ms),
        Some(Arc::clone(&metrics)),
    )
    .context("starting the batch thread")?;
    let settings = JobSettings {
        lease: args.lease(),
        max_attempts: args.max_attempts.max(1),
        poll: Duration::from_millis(args.poll_ms.max(10)),
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        storage_wait: Duration::from_secs(args.storage_wait_secs),
        limits: args.limits(),
        ..JobSettings::default()
    };
    let ctx = JobContext {
        store,
        blobs,
        recognizer: Arc::new(batcher),
        events: Default::default(),
        work: Default::default(),
        metrics,
        settings,
        sealer: PasswordSealer::new(secret),
    };
    Ok((Arc::new(ctx), model_name))
}

/// Loads the model once for the whole process (off the async threads: it reads and compiles ONNX files).
async fn load_engine(args: &BackendArgs) -> anyhow::Result<(Arc<dyn LineRecognizer>, String)> {
    let (source, name) = match &args.model {
        Some(dir) => (ModelSource::Dir(dir.clone()), dir.display().to_string()),
        None => (ModelSource::Bundled, "bundled".to_owned()),
    };
    let config = EngineConfig {
        model: source,
        params: Params { batch_size: args.batch_size.max(1), ..Params::default() },
        runtime: RuntimeConfig { dylib_path: args.ort_dylib.clone(), ..RuntimeConfig::default() },
    };
    let started = std::time::Instant::now();
    let engine = tokio::task::spawn_blocking(move || Engine::from_config(config))
        .await
        .context("loading the model")?
        .context("loading the model")?;
    tracing::info!(model = %name, ms = started.elapsed().as_millis() as u64, "model loaded");
    Ok((Arc::new(engine), name))
}

/// The JWT secret: the flag, or the one kept in the data directory (made on first start).
fn jwt_secret(args: &BackendArgs) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &args.jwt_secret {
        if s.len() < 32 {
            bail!("--jwt-secret must be at least 32 bytes long");
        }
        return Ok(s.as_bytes().to_vec());
    }
    let path = args.data_dir.join("jwt-secret");
    load_or_create_secret(&path)
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut f) => {
            let secret = random_token();
            f.write_all(secret.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new JWT secret");
            Ok(secret.into_bytes())
        }
        // Made by an earlier start (or a concurrent one): use it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let s = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let s = s.trim();
            if s.len() < 32 {
                bail!("{} holds a secret shorter than 32 bytes", path.display());
            }
            Ok(s.as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// The data directory (made if missing) and the deployment's secret in it or from the flag.
fn data_dir_and_secret(args: &BackendArgs) -> anyhow::Result<Vec<u8>> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating the data directory {}", args.data_dir.display()))?;
    jwt_secret(args)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let secret = data_dir_and_secret(&args.backend)?;
    let (ctx, model_name) = open_backend(&args.backend, &secret).await?;
    let state = AppState {
        jobs: Arc::clone(&ctx),
        sessions: Arc::new(
            SessionKeys::new(&secret, Duration::from_secs(args.session_hours.max(1) * 3600), args.cookie_secure)
                .context("session keys")?,
        ),
        limiter: Arc::new(LoginLimiter::new(Duration::from_secs(15 * 60), args.login_limit_account, args.login_limit_ip)),
        settings: Arc::new(HttpSettings {
            max_upload_bytes: args.max_upload_bytes,
            max_wait: Duration::from_secs(args.max_wait_secs),
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            cors_origins: args.cors_origins.clone(),
            trust_forwarded_for: args.trust_forwarded_for,
            trusted_proxies: usize::from(args.trusted_proxies),
            max_decodes: args.max_decodes,
            ..HttpSettings::default()
        }),
        model_name: model_name.into(),
        decodes: Arc::new(http::busy::DecodeSlots::new(args.max_decodes, HttpSettings::default().decode_wait)),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let workers = args.backend.worker_count();
    let pool = WorkerPool::start(Arc::clone(&ctx), workers, &process_worker_name("serve"));
    tracing::info!(%addr, workers, "serving");
    // Tests and scripts read this line to find the port.
    println!("hindi-ocr listening on http://{addr}");

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, http::app(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    shutdown_signal().await;
    tracing::info!("shutting down: no new requests; running jobs finish or go back to the queue");
    let _ = stop_tx.send(());
    pool.shutdown().await;
    // Open event streams would keep the server waiting; give requests a moment, then go.
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(e).context("server"),
        Ok(Err(e)) => return Err(e).context("server task"),
        Err(_) => tracing::warn!("some connections were still open at exit"),
    }
    Ok(())
}

async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let secret = data_dir_and_secret(&args.backend)?;
    let (ctx, _model) = open_backend(&args.backend, &secret).await?;
    let workers = args.backend.worker_count().max(1);
    let pool = WorkerPool::start(ctx, workers, &process_worker_name("worker"));
    tracing::info!(workers, "worker running");
    println!("hindi-ocr worker running with {workers} workers");
    shutdown_signal().await;
    tracing::info!("shutting down: running jobs finish or go back to the queue");
    pool.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
