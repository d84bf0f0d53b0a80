//! The web page at `/`: static assets (`hindi-ocr-server/web/`) embedded in the binary, so `hindi-ocr serve`
//! needs no separate web server and nothing is fetched from a CDN.
//!
//! The page is plain HTML, CSS and ES modules, with no build step: `cargo build` embeds the files as they are.
//! Assets are served under `/assets/{build}/...`, where `{build}` is a hash of every embedded file, so they
//! can be cached for a year (`immutable`) and a new binary still gets fresh copies: `index.html`, which names
//! the build, is revalidated on every load (`no-cache` + `ETag`).
//!
//! Every response carries a strict Content-Security-Policy: scripts, styles, fonts, images and connections
//! from this origin only, no inline scripts or styles, no framing.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

/// The Content-Security-Policy of the page and its assets.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Placeholder in `index.html` replaced by the build id.
const BUILD_PLACEHOLDER: &str = "__BUILD__";

/// One embedded file: its path under `web/`, its bytes and its media type.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
            content_type: $content_type,
        }
    };
}

/// Every file of `web/` (a test checks that none is missing).
static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("css/app.css", "text/css; charset=utf-8"),
    asset!("js/app.js", "text/javascript; charset=utf-8"),
    asset!("js/api.js", "text/javascript; charset=utf-8"),
    asset!("js/auth.js", "text/javascript; charset=utf-8"),
    asset!("js/chats.js", "text/javascript; charset=utf-8"),
    asset!("js/documents.js", "text/javascript; charset=utf-8"),
    asset!("js/i18n.js", "text/javascript; charset=utf-8"),
    asset!("js/perspective.js", "text/javascript; charset=utf-8"),
    asset!("js/result.js", "text/javascript; charset=utf-8"),
    asset!("js/ui.js", "text/javascript; charset=utf-8"),
    asset!("fonts/NotoSansDevanagari-Regular.ttf", "font/ttf"),
    asset!("fonts/OFL.txt", "text/plain; charset=utf-8"),
];

/// A short hash of every embedded file: changes whenever any asset changes.
pub fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        // FNV-1a, 64 bits: no dependency, stable across runs and platforms, plenty for cache busting.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for asset in ASSETS {
            for &b in asset.path.as_bytes().iter().chain([0u8].iter()).chain(asset.bytes) {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    })
}

/// `index.html` with the build id filled in.
fn index_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        let raw = find("index.html").map(|a| String::from_utf8_lossy(a.bytes).into_owned()).unwrap_or_default();
        raw.replace(BUILD_PLACEHOLDER, build_id())
    })
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The page's routes: `GET /` and `GET /assets/{build}/{*path}` (HEAD too). Merge into the service router.
pub fn web_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{build}/{*path}", get(asset))
}

/// Headers every page response carries.
fn secure(builder: axum::http::response::Builder) -> axum::http::response::Builder {
    builder
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "same-origin")
        .header("cross-origin-opener-policy", "same-origin")
        .header("permissions-policy", "camera=(), microphone=(), geolocation=()")
}

fn etag() -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", build_id())).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// Whether the request's `If-None-Match` already names the current build.
fn not_modified(headers: &HeaderMap) -> bool {
    let want = etag();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == want.to_str().unwrap_or(""))
}

fn respond(status: StatusCode, builder: axum::http::response::Builder, body: Body) -> Response {
    // The headers above are all valid constants; building can only fail on a bad header value.
    builder.status(status).body(body).unwrap_or_else(|_| Response::new(Body::empty()))
}

async fn index(headers: HeaderMap) -> Response {
    let builder = secure(Response::builder())
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::ETAG, etag());
    if not_modified(&headers) {
        return respond(StatusCode::NOT_MODIFIED, builder, Body::empty());
    }
    let builder = builder.header(header::CONTENT_TYPE, "text/html; charset=utf-8");
    respond(StatusCode::OK, builder, Body::from(index_html()))
}

async fn asset(Path((build, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(found) = find(&path).filter(|a| a.path != "index.html") else {
        let builder = secure(Response::builder()).header(header::CONTENT_TYPE, "text/plain; charset=utf-8");
        return respond(StatusCode::NOT_FOUND, builder, Body::from("not found"));
    };
    // A page from another build (an old tab during a deploy) still gets a file, but must not cache it
    // under the wrong build's name.
    let current = build == build_id();
    let cache = if current { "public, max-age=31536000, immutable" } else { "no-cache" };
    let builder = secure(Response::builder()).header(header::CACHE_CONTROL, cache).header(header::ETAG, etag());
    if not_modified(&headers) {
        return respond(StatusCode::NOT_MODIFIED, builder, Body::empty());
    }
    let builder = builder.header(header::CONTENT_TYPE, found.content_type);
    respond(StatusCode::OK, builder, Body::from(found.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(uri: &str, if_none_match: Option<&str>) -> Response {
        let mut req = Request::get(uri);
        if let Some(tag) = if_none_match {
            req = req.header(header::IF_NONE_MATCH, tag);
        }
        let router: Router = web_routes();
        router.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    fn header_of<'a>(r: &'a Response, name: header::HeaderName) -> &'a str {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[tokio::test]
    async fn index_names_the_current_build_and_revalidates() {
        let r = get("/", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header_of(&r, header::CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header_of(&r, header::CONTENT_SECURITY_POLICY), CONTENT_SECURITY_POLICY);
        assert_eq!(header_of(&r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        let body = String::from_utf8(to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
        assert!(body.contains(&format!("/assets/{}/js/app.js", build_id())));
        assert!(!body.contains(BUILD_PLACEHOLDER));

        let tag = format!("\"{}\"", build_id());
        assert_eq!(get("/", Some(&tag)).await.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(get("/", Some("\"stale\"")).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn assets_have_their_types_and_long_caching() {
        for (path, ty) in [
            ("js/app.js", "text/javascript; charset=utf-8"),
            ("css/app.css", "text/css; charset=utf-8"),
            ("fonts/NotoSansDevanagari-Regular.ttf", "font/ttf"),
            ("icon.svg", "image/svg+xml"),
        ] {
            let r = get(&format!("/assets/{}/{path}", build_id()), None).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header_of(&r, header::CONTENT_TYPE), ty, "{path}");
            assert_eq!(header_of(&r, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
            let len = to_bytes(r.into_body(), usize::MAX).await.unwrap().len();
            assert_eq!(len, find(path).unwrap().bytes.len());
        }
    }

    #[tokio::test]
    async fn other_builds_are_not_cached_and_unknown_paths_are_404() {
        let r = get("/assets/0000/js/app.js", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache");
        for bad in ["js/missing.js", "../Cargo.toml", "index.html", "js/../../src/web.rs"] {
            let r = get(&format!("/assets/{}/{bad}", build_id()), None).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    }

    /// Every file under `web/` must be embedded, or the page would 404 on it in production.
    #[test]
    fn every_web_file_is_embedded() {
        fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut files = Vec::new();
        walk(&base, &base, &mut files);
        for f in &files {
            assert!(find(f).is_some(), "web/{f} is not in ASSETS");
        }
        assert_eq!(files.len(), ASSETS.len());
    }

    /// The CSP forbids inline code, so the markup must not contain any: it would silently not run.
    #[test]
    fn markup_has_no_inline_script_style_or_handlers() {
        let html = index_html();
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains(" src="), "inline script: {tag}");
        }
        assert!(!html.contains(" style="), "inline style attribute");
        assert!(!html.contains("<style"), "inline style element");
        let lower = html.to_ascii_lowercase();
        for handler in [" onclick=", " onload=", " onerror=", " onsubmit=", " onchange=", " oninput="] {
            assert!(!lower.contains(handler), "inline handler {handler}");
        }
        assert!(!lower.contains("javascript:"));
    }

    /// Every module import and every `/assets/` URL in the page resolves to an embedded file.
    #[test]
    fn every_reference_resolves() {
        let prefix = format!("/assets/{}/", build_id());
        for (i, _) in index_html().match_indices(&prefix) {
            let rest = &index_html()[i + prefix.len()..];
            let path = &rest[..rest.find('"').unwrap()];
            assert!(find(path).is_some(), "index.html names missing asset {path}");
        }
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            for (i, _) in text.match_indices("from './") {
                let rest = &text[i + "from './".len()..];
                let name = &rest[..rest.find('\'').unwrap()];
                assert!(find(&format!("js/{name}")).is_some(), "{} imports missing {name}", asset.path);
            }
        }
        let css = std::str::from_utf8(find("css/app.css").unwrap().bytes).unwrap();
        for (i, _) in css.match_indices("url('../") {
            let rest = &css[i + "url('../".len()..];
            let path = &rest[..rest.find('\'').unwrap()];
            assert!(find(path).is_some(), "app.css names missing {path}");
        }
    }
}
