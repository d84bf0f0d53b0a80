//! The HTTP layer: [`AppState`], the router ([`app`]), middleware (request ids, logs, metrics, CORS, body
//! and time limits), and the routes in [`routes`].

pub mod auth;
pub mod busy;
pub mod dto;
pub mod openapi;
pub mod routes;
pub mod upload;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::jobs::JobContext;
use crate::metrics::Metrics;
use auth::{LoginLimiter, SessionKeys};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest upload in bytes.
    pub max_upload_bytes: u64,
    /// Default `?wait=` of `POST /api/documents/ocr`.
    pub default_wait: Duration,
    /// Upper bound of `?wait=`.
    pub max_wait: Duration,
    /// Time limit per request (event streams excepted).
    pub request_timeout: Duration,
    /// CORS origins (empty: no CORS headers; `*`: any origin, no credentials).
    pub cors_origins: Vec<String>,
    /// Take the client IP from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Proxies in front of the service that each append to `X-Forwarded-For`: the client is the entry this
    /// far from the right (at least 1).
    pub trusted_proxies: usize,
    /// How often waiting requests and event streams re-read a document from the store.
    pub poll: Duration,
    /// Upload checks and synchronous OCR at once in this process (0: the machine's cores; see [`busy`]).
    pub max_decodes: usize,
    /// How long a request waits for a decode slot before it gets `503`.
    pub decode_wait: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_upload_bytes: 25 * 1024 * 1024,
            default_wait: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
            cors_origins: Vec::new(),
            trust_forwarded_for: false,
            trusted_proxies: 1,
            poll: Duration::from_millis(500),
            max_decodes: 0,
            decode_wait: Duration::from_secs(2),
        }
    }
}

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Store, blob store, recognizer, job queue, events, metrics.
    pub jobs: Arc<JobContext>,
    /// Session token keys.
    pub sessions: Arc<SessionKeys>,
    /// Login rate limits.
    pub limiter: Arc<LoginLimiter>,
    /// HTTP settings.
    pub settings: Arc<HttpSettings>,
    /// Which model is loaded (for `/ready`).
    pub model_name: Arc<str>,
    /// The bound on upload checks and synchronous OCR (from `settings`).
    pub decodes: Arc<busy::DecodeSlots>,
}

impl AppState {
    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.jobs.metrics
    }
}

/// JSON body extractor whose rejections are [`AppError`]s (so a bad body is a JSON `400`, like every error).
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// Body limit for JSON routes.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The whole service: API routes, operations routes, the web page, and the middleware around them.
pub fn app(state: AppState) -> Router {
    let settings = Arc::clone(&state.settings);
    // Multipart framing adds a little to the file itself; the exact file limit is enforced while reading.
    let upload_limit = DefaultBodyLimit::max(usize::try_from(settings.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024));

    let uploads = Router::new()
        .route("/api/documents", post(routes::documents::upload).get(routes::documents::list))
        .route("/api/documents/ocr", post(routes::documents::upload_and_wait))
        .route("/api/ocr/extract", post(routes::ocr::extract))
        .layer(upload_limit);

    let api = Router::new()
        .route("/api/auth/signup", post(routes::auth::signup))
        .route("/api/auth/login", post(routes::auth::login))
        .route("/api/auth/logout", post(routes::auth::logout))
        .route("/api/auth/me", get(routes::auth::me))
        .route("/api/chats", get(routes::chats::list).post(routes::chats::create))
        .route("/api/chats/{id}", get(routes::chats::get).patch(routes::chats::rename).delete(routes::chats::delete))
        .route("/api/chats/{id}/messages", get(routes::chats::messages).post(routes::chats::add_message))
        .route("/api/documents/{id}", get(routes::documents::get).delete(routes::documents::delete))
        .route("/api/documents/{id}/file", get(routes::documents::file))
        .route("/api/documents/{id}/ocr", post(routes::documents::rerun).get(routes::documents::result))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/health", get(routes::ops::health))
        .route("/ready", get(routes::ops::ready))
        .route("/metrics", get(routes::ops::metrics))
        .route("/api/{*rest}", any(routes::ops::api_not_found))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(uploads)
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, settings.request_timeout));

    // Event streams live as long as the document is in progress: no request timeout.
    let streams = Router::new().route("/api/documents/{id}/events", get(routes::documents::events));

    let request_id = HeaderName::from_static("x-request-id");
    api.merge(streams)
        .merge(crate::web::web_routes())
        .layer(middleware::from_fn(api_errors_and_headers))
        .layer(middleware::from_fn_with_state(state.clone(), track_request))
        .with_state(state)
        .layer(cors_layer(&settings.cors_origins))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(drop_bad_request_id))
}

/// Under `/api/`: an error answered by the HTTP layer itself (axum's rejection of a bad query string or an
/// over-long body, a method the route does not have, a request timeout: plain text or empty) gets the JSON
/// body every other error has, its status and headers (`Allow`) kept. Every answer says `nosniff`, and API
/// answers are not cached (they carry tokens and private data) unless the route says otherwise.
async fn api_errors_and_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if api && (status.is_client_error() || status.is_server_error()) && !is_json {
        let (parts, body) = response.into_parts();
        let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        response = AppError::from_http(status, &text).into_response();
        for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
            if let Some(v) = parts.headers.get(&name) {
                response.headers_mut().insert(name, v.clone());
            }
        }
    }
    let headers = response.headers_mut();
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    if api {
        headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// A client's `X-Request-Id` is echoed in the answer and written to the logs: one that is not a short token
/// (at most 128 letters, digits, `-`, `_`, `.`, `:`) is replaced by a fresh UUID.
async fn drop_bad_request_id(mut req: Request, next: Next) -> Response {
    let ok = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c))
    };
    if req.headers().get("x-request-id").is_some_and(|v| !ok(v)) {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// Counts and times each request by its route pattern (never the raw path: ids would explode the labels).
async fn track_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics().observe_request(method.as_str(), &route, response.status().as_u16(), started.elapsed());
    response
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let methods = [Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::OPTIONS];
    let headers = [header::CONTENT_TYPE, header::AUTHORIZATION, HeaderName::from_static(auth::CSRF_HEADER)];
    if origins.iter().any(|o| o == "*") {
        return CorsLayer::new().allow_origin(AllowOrigin::any()).allow_methods(methods).allow_headers(headers);
    }
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    if list.is_empty() {
        // Same-origin only: no CORS headers at all.
        return CorsLayer::new();
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods(methods)
        .allow_headers(headers)
        .allow_credentials(true)
}

/// Whether `c` is a bidirectional formatting character: the embeddings and overrides (U+202A-U+202E), the
/// isolates (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). They are not control characters to
/// `char::is_control`, yet they reorder how the text around them is shown, so they are kept out of stored
/// file names, chat titles and messages as control characters are.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The client's IP (for login rate limits): from `X-Forwarded-For` when trusted ([`forwarded_client`]), else
/// the socket peer; `None` when neither is known (in-memory tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let connect = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        let settings = &state.settings;
        let proxies = if settings.trust_forwarded_for { settings.trusted_proxies.max(1) } else { 0 };
        Ok(ClientIp(client_ip(&parts.headers, connect, proxies)))
    }
}

fn client_ip(
    headers: &axum::http::HeaderMap,
    connect: Option<&ConnectInfo<SocketAddr>>,
    proxies: usize,
) -> Option<IpAddr> {
    if proxies > 0
        && let Some(ip) = forwarded_client(headers, proxies)
    {
        return Some(ip);
    }
    connect.map(|c| c.0.ip())
}

/// The client's address in `X-Forwarded-For` behind `proxies` trusted proxies: each proxy appends the address
/// it was connected from, so the client is the `proxies`-th entry from the right (the left-most when there are
/// fewer). Entries further left were written by the client itself and prove nothing. Several header lines
/// are one list, in order. `None` when the header is missing or that entry is not an address.
pub fn forwarded_client(headers: &axum::http::HeaderMap, proxies: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let entry = *entries.get(entries.len().saturating_sub(proxies.max(1)))?;
    // An address, or one with a port (`1.2.3.4:5678`, `[::1]:5678`).
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn xff(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_client_is_the_entry_the_trusted_proxy_wrote() {
        // The client sent `X-Forwarded-For: 6.6.6.6`; the proxy appended the address it saw.
        let h = xff(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(forwarded_client(&h, 1), ip("203.0.113.7"));
        // Two proxies (a CDN, then ours): the second from the right.
        let h = xff(&["6.6.6.6, 203.0.113.7, 198.51.100.2"]);
        assert_eq!(forwarded_client(&h, 2), ip("203.0.113.7"));
        assert_eq!(forwarded_client(&h, 1), ip("198.51.100.2"));
        // Fewer entries than proxies: the left-most, which a proxy wrote.
        assert_eq!(forwarded_client(&xff(&["203.0.113.7"]), 2), ip("203.0.113.7"));
        // Several header lines are one list; ports and IPv6 are understood.
        assert_eq!(forwarded_client(&xff(&["6.6.6.6", "203.0.113.7:4711"]), 1), ip("203.0.113.7"));
        assert_eq!(forwarded_client(&xff(&["6.6.6.6, 2001:db8::1"]), 1), ip("2001:db8::1"));
        assert_eq!(forwarded_client(&xff(&["[2001:db8::2]:443"]), 1), ip("2001:db8::2"));
        // Nothing usable: no header, or not an address where the client should be.
        assert_eq!(forwarded_client(&HeaderMap::new(), 1), None);
        assert_eq!(forwarded_client(&xff(&["203.0.113.7, unknown"]), 1), None);
    }

    #[test]
    fn a_client_cannot_choose_its_own_address() {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 5], 40000)));
        // However many entries the client adds to the left, the rate limit sees the same address.
        for sent in ["", "1.1.1.1, ", "1.1.1.1, 2.2.2.2, 3.3.3.3, "] {
            let h = xff(&[format!("{sent}203.0.113.7").as_str()]);
            assert_eq!(client_ip(&h, Some(&peer), 1), ip("203.0.113.7"), "{sent:?}");
        }
        // Not trusted: the socket peer, whatever the header says.
        assert_eq!(client_ip(&xff(&["1.1.1.1"]), Some(&peer), 0), ip("10.0.0.5"));
        // Trusted but unusable: the socket peer.
        assert_eq!(client_ip(&xff(&["junk"]), Some(&peer), 1), ip("10.0.0.5"));
    }
}
