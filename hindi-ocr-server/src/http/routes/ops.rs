//! Operations: `GET /health` (the process answers), `GET /ready` (model loaded, store and blob store
//! reachable), `GET /metrics` (Prometheus), and the JSON `404` for unknown API paths.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::http::dto::HealthView;

/// Liveness: the process is up.
#[utoipa::path(get, path = "/health", tag = "operations", security(()), responses((status = 200, body = HealthView)))]
pub async fn health() -> Json<HealthView> {
    Json(HealthView { status: "ok".into(), checks: None })
}

/// Readiness: model loaded, store and blob store answering.
#[utoipa::path(get, path = "/ready", tag = "operations", security(()),
    responses((status = 200, body = HealthView), (status = 503, description = "A check failed", body = HealthView)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = BTreeMap::new();
    checks.insert("model".to_owned(), format!("ok ({})", state.model_name));
    let (store, blobs) = tokio::join!(
        check("store", state.jobs.store.kind(), state.jobs.store.ping()),
        check("blobs", state.jobs.blobs.kind(), state.jobs.blobs.ping()),
    );
    let ok = store.1 == "ok" && blobs.1 == "ok";
    checks.extend([store, blobs]);
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = HealthView { status: if ok { "ok" } else { "unavailable" }.into(), checks: Some(checks) };
    (status, Json(body)).into_response()
}

/// How long a readiness check waits for a back end (a hung one must not hang the probe).
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// One readiness check as `("store (mongodb)", "ok" | "unavailable")`. `/ready` is public: the back end's error
/// (addresses, driver and type names) goes to the log only.
async fn check(
    name: &str,
    kind: &str,
    ping: impl std::future::Future<Output = crate::store::StorageResult<()>>,
) -> (String, String) {
    let verdict = match tokio::time::timeout(READY_CHECK_TIMEOUT, ping).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(check = name, backend = kind, error = %e, "readiness check failed");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!(check = name, backend = kind, "readiness check timed out");
            "unavailable"
        }
    };
    (format!("{name} ({kind})"), verdict.to_owned())
}

/// Prometheus metrics (text format).
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.jobs.store.count_jobs().await {
        Ok(counts) => state.metrics().set_job_counts(&counts),
        Err(e) => tracing::warn!(error = %e, "counting jobs for /metrics"),
    }
    state.metrics().set_decodes(state.decodes.limit(), state.decodes.in_flight());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics().render()).into_response()
}

/// Unknown `/api/...` path.
#[utoipa::path(get, path = "/api/{rest}", tag = "operations", params(("rest" = String, Path, description = "Any other API path")),
    responses((status = 404, body = ErrorBody)))]
pub async fn api_not_found() -> AppError {
    AppError::NotFound("route")
}
