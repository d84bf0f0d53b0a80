//! The HTTP API in memory: the real router, embedded store, local blobs and worker pool, with a fake
//! recognizer (`FixedRecognizer`) so each test runs in milliseconds. `tests/e2e_service.rs` runs the same
//! kind of checks against a real `hindi-ocr serve` process with the real model.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use hindi_ocr_core::{LineRecognizer, LineResult};
use hindi_ocr_server::http::{HttpSettings, app};
use hindi_ocr_server::jobs::WorkerPool;
use hindi_ocr_server::testing::{FixedRecognizer, page_png, test_state};
use image::GrayImage;
use serde_json::{Value, json};
use tower::ServiceExt;

const TEXT: &str = "नमस्ते दुनिया";

struct Api {
    app: Router,
    dir: tempfile::TempDir,
    pool: Option<WorkerPool>,
    state: hindi_ocr_server::http::AppState,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Api {
    async fn with(recognizer: Arc<dyn LineRecognizer>, workers: usize, settings: HttpSettings) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let (state, pool) = test_state(dir.path(), recognizer, workers, settings).await.unwrap();
        Api { app: app(state.clone()), dir, pool: Some(pool), state }
    }

    async fn new() -> Api {
        Self::with(Arc::new(FixedRecognizer::new(TEXT)), 2, HttpSettings::default()).await
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
        Reply { status, headers, body }
    }

    async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    async fn upload(&self, uri: &str, token: &str, file: &[u8], chat_id: Option<&str>) -> Reply {
        self.upload_with(uri, token, file, &chat_id.map(|c| ("chatId", c)).into_iter().collect::<Vec<_>>()).await
    }

    async fn upload_with(&self, uri: &str, token: &str, file: &[u8], fields: &[(&str, &str)]) -> Reply {
        let (content_type, body) = multipart_with(file, fields);
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn signup(&self, email: &str) -> String {
        let r = self.call("POST", "/api/auth/signup", None, Some(json!({"email": email, "password": "secret-pass-1"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
        r.json()["token"].as_str().unwrap().to_owned()
    }

    async fn wait_final(&self, token: &str, id: &str) -> Value {
        for _ in 0..200 {
            let d = self.call("GET", &format!("/api/documents/{id}"), Some(token), None).await.json();
            if d["status"] == "completed" || d["status"] == "failed" {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("document {id} did not finish");
    }

    fn blob_count(&self) -> usize {
        fn walk(p: &std::path::Path) -> usize {
            std::fs::read_dir(p)
                .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
                .unwrap_or(0)
        }
        walk(&self.dir.path().join("blobs"))
    }

    async fn stop(mut self) {
        if let Some(p) = self.pool.take() {
            p.shutdown().await;
        }
    }
}

fn multipart(file: &[u8], chat_id: Option<&str>) -> (String, Vec<u8>) {
    multipart_with(file, &chat_id.map(|c| ("chatId", c)).into_iter().collect::<Vec<_>>())
}

/// A form with `fields` (name, value) before the file.
fn multipart_with(file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "XhindiOcrBoundaryX";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../scan 1.png\"\r\nContent-Type: image/png\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}


#[tokio::test]
async fn signup_login_me_logout() {
    let api = Api::new().await;
    let r = api.call("POST", "/api/auth/signup", None, Some(json!({"email": " Asha@Example.COM ", "password": "secret-pass-1"}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let body = r.json();
    assert_eq!(body["user"]["email"], "asha@example.com");
    assert!(body["user"].get("passwordHash").is_none());
    let cookies: Vec<_> = r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("hindi_ocr_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")));

    // Duplicate (after normalisation), bad email, short password.
    let dup = api.call("POST", "/api/auth/signup", None, Some(json!({"email": "asha@example.com", "password": "another-pass"}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = api.call("POST", "/api/auth/signup", None, Some(json!({"email": "nope", "password": "secret-pass-1"}))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let short = api.call("POST", "/api/auth/signup", None, Some(json!({"email": "b@example.com", "password": "short"}))).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let junk = api
        .send(Request::post("/api/auth/signup").header(header::CONTENT_TYPE, "application/json").body(Body::from("{oops")).unwrap())
        .await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert_eq!(junk.json()["error"]["code"], "bad_request");

    // Wrong password and unknown account look the same.
    let wrong = api.call("POST", "/api/auth/login", None, Some(json!({"email": "asha@example.com", "password": "wrong-pass"}))).await;
    let unknown = api.call("POST", "/api/auth/login", None, Some(json!({"email": "who@example.com", "password": "wrong-pass"}))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);

    let ok = api.call("POST", "/api/auth/login", None, Some(json!({"email": "ASHA@example.com", "password": "secret-pass-1"}))).await;
    assert_eq!(ok.status, StatusCode::OK);
    let token = ok.json()["token"].as_str().unwrap().to_owned();
    let me = api.call("GET", "/api/auth/me", Some(&token), None).await;
    assert_eq!(me.json()["user"]["email"], "asha@example.com");
    assert_eq!(api.call("GET", "/api/auth/me", None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.call("GET", "/api/auth/me", Some("forged.token.value"), None).await.status, StatusCode::UNAUTHORIZED);

    // Cookie session: reads work; writes need the CSRF header matching the CSRF cookie.
    let cookie_header: String = ok
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let csrf = cookie_header.split("; ").find_map(|c| c.strip_prefix("hindi_ocr_csrf=")).unwrap().to_owned();
    let me = api.send(Request::get("/api/auth/me").header(header::COOKIE, &cookie_header).body(Body::empty()).unwrap()).await;
    assert_eq!(me.status, StatusCode::OK);
    let no_csrf = api.send(Request::post("/api/chats").header(header::COOKIE, &cookie_header).body(Body::empty()).unwrap()).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let with_csrf = api
        .send(Request::post("/api/chats").header(header::COOKIE, &cookie_header).header("X-CSRF-Token", &csrf).body(Body::empty()).unwrap())
        .await;
    assert_eq!(with_csrf.status, StatusCode::CREATED);
    // A CSRF value planted in the cookie (a sibling subdomain can set cookies) does not match the session.
    let session_only = cookie_header.split("; ").find(|c| c.starts_with("hindi_ocr_session=")).unwrap();
    let planted = api
        .send(
            Request::post("/api/chats")
                .header(header::COOKIE, format!("{session_only}; hindi_ocr_csrf=abc"))
                .header("X-CSRF-Token", "abc")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(planted.status, StatusCode::FORBIDDEN);
    let cookie_token = session_only.strip_prefix("hindi_ocr_session=").unwrap().to_owned();
    let out = api
        .send(Request::post("/api/auth/logout").header(header::COOKIE, &cookie_header).header("X-CSRF-Token", &csrf).body(Body::empty()).unwrap())
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers.get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().starts_with("hindi_ocr_session=;")));
    // The session has ended: a copy of its cookie or of its token is refused; another session goes on.
    assert_eq!(cookie_token, token, "the login's token is both the cookie and the bearer token");
    let copy = api.send(Request::get("/api/auth/me").header(header::COOKIE, &cookie_header).body(Body::empty()).unwrap()).await;
    assert_eq!(copy.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.call("GET", "/api/auth/me", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    let again = api.call("POST", "/api/auth/login", None, Some(json!({"email": "asha@example.com", "password": "secret-pass-1"}))).await;
    let token = again.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(api.call("GET", "/api/auth/me", Some(&token), None).await.status, StatusCode::OK);
    // Logging out with the bearer token ends that one too, for every route.
    assert_eq!(api.call("POST", "/api/auth/logout", Some(&token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.call("GET", "/api/auth/me", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.call("GET", "/api/chats", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.call("POST", "/api/auth/logout", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    api.stop().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let api = Api::new().await;
    api.signup("rate@example.com").await;
    for _ in 0..5 {
        let r = api.call("POST", "/api/auth/login", None, Some(json!({"email": "rate@example.com", "password": "wrong-pass"}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = api.call("POST", "/api/auth/login", None, Some(json!({"email": "rate@example.com", "password": "secret-pass-1"}))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    api.stop().await;
}

#[tokio::test]
async fn chats_crud_and_messages() {
    let api = Api::new().await;
    let t = api.signup("chat@example.com").await;
    let a = api.call("POST", "/api/chats", Some(&t), Some(json!({"title": "First"}))).await.json();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let b = api.call("POST", "/api/chats", Some(&t), Some(json!({"title": "Second"}))).await.json();
    let list = api.call("GET", "/api/chats", Some(&t), None).await.json();
    let titles: Vec<_> = list["chats"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(titles, ["Second", "First"], "newest first");
    let page = api.call("GET", "/api/chats?limit=1&offset=1", Some(&t), None).await.json();
    assert_eq!(page["chats"][0]["title"], "First");

    let id = a["id"].as_str().unwrap();
    let renamed = api.call("PATCH", &format!("/api/chats/{id}"), Some(&t), Some(json!({"title": "Renamed"}))).await;
    assert_eq!(renamed.json()["title"], "Renamed");
    assert_eq!(api.call("PATCH", &format!("/api/chats/{id}"), Some(&t), Some(json!({"title": "  "}))).await.status, StatusCode::BAD_REQUEST);
    let m = api.call("POST", &format!("/api/chats/{id}/messages"), Some(&t), Some(json!({"content": "hello"}))).await;
    assert_eq!(m.status, StatusCode::CREATED);
    let msgs = api.call("GET", &format!("/api/chats/{id}/messages"), Some(&t), None).await.json();
    assert_eq!(msgs["messages"][0]["content"], "hello");
    assert_eq!(msgs["messages"][0]["role"], "user");

    // Delete removes the chat with its documents and their files.
    let up = api.upload("/api/documents", &t, &page_png(), Some(id)).await;
    assert_eq!(up.status, StatusCode::CREATED);
    let doc_id = up.json()["id"].as_str().unwrap().to_owned();
    api.wait_final(&t, &doc_id).await;
    assert_eq!(api.blob_count(), 1);
    assert_eq!(api.call("DELETE", &format!("/api/chats/{id}"), Some(&t), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.call("GET", &format!("/api/chats/{id}"), Some(&t), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.call("GET", &format!("/api/documents/{doc_id}"), Some(&t), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.blob_count(), 0);
    assert_eq!(api.call("GET", &format!("/api/chats/{}", b["id"].as_str().unwrap()), Some(&t), None).await.status, StatusCode::OK);
    api.stop().await;
}

#[tokio::test]
async fn upload_runs_ocr_and_posts_the_text_to_the_chat() {
    let api = Api::new().await;
    let t = api.signup("doc@example.com").await;
    let chat = api.call("POST", "/api/chats", Some(&t), Some(json!({"title": "Scans"}))).await.json();
    let chat_id = chat["id"].as_str().unwrap();
    let png = page_png();
    let up = api.upload("/api/documents", &t, &png, Some(chat_id)).await;
    assert_eq!(up.status, StatusCode::CREATED);
    let doc = up.json();
    assert_eq!(doc["status"], "queued");
    assert_eq!(doc["fileName"], "scan 1.png", "path parts of the client's name are dropped");
    assert_eq!(doc["contentType"], "image/png");
    let id = doc["documentId"].as_str().unwrap().to_owned();
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["ocrText"].as_str().unwrap().contains(TEXT));
    assert!(done["ocrConfidence"].as_f64().unwrap() > 0.5);
    assert_eq!(done["attempts"], 1);

    let msgs = api.call("GET", &format!("/api/chats/{chat_id}/messages"), Some(&t), None).await.json();
    let system: Vec<_> = msgs["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "system").collect();
    assert_eq!(system.len(), 1);
    assert_eq!(system[0]["documentId"], id.as_str());
    assert!(system[0]["content"].as_str().unwrap().contains(TEXT));

    let file = api.call("GET", &format!("/api/documents/{id}/file"), Some(&t), None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, png);
    assert_eq!(file.headers[header::CONTENT_TYPE], "image/png");

    let text = api.call("GET", &format!("/api/documents/{id}/ocr?format=text"), Some(&t), None).await;
    assert!(String::from_utf8(text.body).unwrap().contains(TEXT));
    let json = api.call("GET", &format!("/api/documents/{id}/ocr?format=json&download=1"), Some(&t), None).await;
    assert!(json.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert!(!json.json()["pages"].as_array().unwrap().is_empty());
    assert_eq!(api.call("GET", &format!("/api/documents/{id}/ocr?format=doc"), Some(&t), None).await.status, StatusCode::BAD_REQUEST);

    let list = api.call("GET", &format!("/api/documents?chatId={chat_id}"), Some(&t), None).await.json();
    assert_eq!(list["documents"].as_array().unwrap().len(), 1);

    // Run again, then delete.
    let again = api.call("POST", &format!("/api/documents/{id}/ocr"), Some(&t), None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(api.call("DELETE", &format!("/api/documents/{id}"), Some(&t), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.blob_count(), 0);
    api.stop().await;
}

#[tokio::test]
async fn bad_uploads_are_refused_and_store_nothing() {
    let settings = HttpSettings { max_upload_bytes: 20_000, ..HttpSettings::default() };
    let api = Api::with(Arc::new(FixedRecognizer::new(TEXT)), 1, settings).await;
    let t = api.signup("bad@example.com").await;
    let png = page_png();
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("empty", Vec::new(), StatusCode::BAD_REQUEST),
        ("text", b"just some text, not an image".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("truncated png", png[..png.len() / 2].to_vec(), StatusCode::BAD_REQUEST),
        ("corrupt png", { let mut p = png.clone(); for b in &mut p[40..] { *b = 0x5a; } p }, StatusCode::BAD_REQUEST),
        ("oversized", { let mut p = png.clone(); p.resize(30_000, 0); p }, StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for route in ["/api/documents", "/api/documents/ocr", "/api/ocr/extract"] {
        for (name, bytes, want) in &cases {
            let r = api.upload(route, &t, bytes, None).await;
            assert_eq!(r.status, *want, "{route} {name}: {}", String::from_utf8_lossy(&r.body));
            assert!(r.json()["error"]["message"].as_str().is_some());
        }
    }
    // A file larger than the limit that is not even multipart-framed correctly still gets 413, not 500.
    let big = vec![b'x'; 200_000];
    let r = api
        .send(
            Request::post("/api/documents")
                .header(header::AUTHORIZATION, format!("Bearer {t}"))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=zzz")
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    assert!(r.status == StatusCode::PAYLOAD_TOO_LARGE || r.status == StatusCode::BAD_REQUEST, "{}", r.status);
    let list = api.call("GET", "/api/documents", Some(&t), None).await.json();
    assert!(list["documents"].as_array().unwrap().is_empty());
    assert_eq!(api.blob_count(), 0);
    // Missing file field.
    let (ct, body) = (String::from("multipart/form-data; boundary=b"), b"--b\r\nContent-Disposition: form-data; name=\"chatId\"\r\n\r\nx\r\n--b--\r\n".to_vec());
    let r = api
        .send(Request::post("/api/documents").header(header::AUTHORIZATION, format!("Bearer {t}")).header(header::CONTENT_TYPE, ct).body(Body::from(body)).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    api.stop().await;
}

#[path = "../../hindi-ocr-core/tests/common/pdf_bombs.rs"]
mod pdf_bombs;

#[tokio::test]
async fn pdf_bombs_long_documents_and_cut_files_are_refused_on_every_upload_route_and_store_nothing() {
    let api = Api::new().await;
    let t = api.signup("bombs@example.com").await;
    let mut tiff = std::io::Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::new(&mut tiff).unwrap();
    for _ in 0..1000 {
        enc.write_image::<tiff::encoder::colortype::Gray8>(1, 1, &[255]).unwrap();
    }
    let busy = GrayImage::from_fn(400, 300, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
    let mut jpeg = Vec::new();
    busy.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // The issue's two bombs: an image declared 32768x32768 (1 GiB), a content stream of 1 GiB of spaces.
        ("image bomb", pdf_bombs::declared_image_bomb(), "too large to read: the image in object 5 is declared 32768x32768"),
        ("content bomb", pdf_bombs::content_bomb(), "PDF too large to read: the stream of object 4 inflates"),
        ("inline image bomb", pdf_bombs::inline_image_bomb(), "PDF too large to read: an inline image"),
        ("1000 pages", tiff.into_inner(), "document has too many pages: 1000, the limit is 500"),
        ("cut jpeg", jpeg[..jpeg.len() * 2 / 3].to_vec(), "the JPEG is truncated"),
    ];
    for route in ["/api/documents", "/api/documents/ocr", "/api/ocr/extract"] {
        for (name, bytes, message) in &cases {
            let r = api.upload(route, &t, bytes, None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route} {name}: {}", String::from_utf8_lossy(&r.body));
            let body = r.json();
            assert_eq!(body["error"]["code"], "bad_request");
            assert!(body["error"]["message"].as_str().unwrap().contains(message), "{route} {name}: {body}");
        }
    }
    let list = api.call("GET", "/api/documents", Some(&t), None).await.json();
    assert!(list["documents"].as_array().unwrap().is_empty(), "{list}");
    assert_eq!(api.blob_count(), 0);
    api.stop().await;
}

#[tokio::test]
async fn bidirectional_controls_are_kept_out_of_file_names_titles_and_messages() {
    let api = Api::new().await;
    let t = api.signup("bidi@example.com").await;
    // `invoice<RLO>gnp.exe` shows as `invoiceexe.png`.
    let boundary = "XhindiOcrBoundaryX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"invoice\u{202E}gnp.exe\u{2066}\u{200F}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&page_png());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post("/api/documents")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let r = api.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    let doc = r.json();
    assert_eq!(doc["fileName"], "invoicegnp.exe", "{doc}");

    let chat = api.call("POST", "/api/chats", Some(&t), Some(json!({"title": "notes\u{202E}txt.exe"}))).await.json();
    assert_eq!(chat["title"], "notestxt.exe");
    let id = chat["id"].as_str().unwrap();
    let renamed =
        api.call("PATCH", &format!("/api/chats/{id}"), Some(&t), Some(json!({"title": "\u{202B}नया\u{202C}"}))).await;
    assert_eq!(renamed.json()["title"], "नया");
    let content = json!({"content": "a\u{2067}b\u{2069}\nc\u{061C}"});
    let m = api.call("POST", &format!("/api/chats/{id}/messages"), Some(&t), Some(content)).await;
    assert_eq!(m.status, StatusCode::CREATED);
    assert_eq!(m.json()["content"], "ab\nc");
    api.stop().await;
}

#[tokio::test]
async fn upload_and_wait_answers_200_or_202() {
    let api = Api::new().await;
    let t = api.signup("wait@example.com").await;
    let r = api.upload("/api/documents/ocr?wait=10", &t, &page_png(), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert!(body["text"].as_str().unwrap().contains(TEXT));
    assert!(body["confidence"].as_f64().unwrap() > 0.0);
    assert!(body["processingTime"].is_u64());
    assert!(body["documentId"].is_string());
    api.stop().await;

    // No workers: the job stays queued, so the answer is 202 at once.
    let api = Api::with(Arc::new(FixedRecognizer::new(TEXT)), 0, HttpSettings::default()).await;
    let t = api.signup("wait2@example.com").await;
    let r = api.upload("/api/documents/ocr?wait=0", &t, &page_png(), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.json()["status"], "queued");
    for bad in ["-1", "abc", "inf"] {
        let r = api.upload(&format!("/api/documents/ocr?wait={bad}"), &t, &page_png(), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "wait={bad}");
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("wait"), "wait={bad}: {}", r.json());
    }
    // Only the wait=0 upload was stored.
    assert_eq!(api.call("GET", "/api/documents", Some(&t), None).await.json()["documents"].as_array().map(Vec::len), Some(1));
    api.stop().await;
}

#[tokio::test]
async fn events_stream_status_changes_until_completed() {
    let slow = FixedRecognizer { delay: Duration::from_millis(300), ..FixedRecognizer::new(TEXT) };
    let api = Api::with(Arc::new(slow), 1, HttpSettings::default()).await;
    let t = api.signup("sse@example.com").await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    let r = api.call("GET", &format!("/api/documents/{id}/events"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let text = String::from_utf8(r.body).unwrap();
    let statuses: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap()["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.last().map(String::as_str), Some("completed"), "{text}");
    assert!(statuses.iter().any(|s| s == "processing" || s == "queued"), "{statuses:?}");
    api.stop().await;
}

#[tokio::test]
async fn other_users_get_404_and_anonymous_401_everywhere() {
    let api = Api::new().await;
    let owner = api.signup("owner@example.com").await;
    let other = api.signup("other@example.com").await;
    let chat = api.call("POST", "/api/chats", Some(&owner), Some(json!({"title": "Mine"}))).await.json()["id"].as_str().unwrap().to_owned();
    let doc = api.upload("/api/documents", &owner, &page_png(), Some(&chat)).await.json()["id"].as_str().unwrap().to_owned();
    api.wait_final(&owner, &doc).await;

    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/chats/{chat}"), None),
        ("PATCH", format!("/api/chats/{chat}"), Some(json!({"title": "x"}))),
        ("GET", format!("/api/chats/{chat}/messages"), None),
        ("POST", format!("/api/chats/{chat}/messages"), Some(json!({"content": "x"}))),
        ("GET", format!("/api/documents?chatId={chat}"), None),
        ("GET", format!("/api/documents/{doc}"), None),
        ("GET", format!("/api/documents/{doc}/file"), None),
        ("GET", format!("/api/documents/{doc}/ocr?format=text"), None),
        ("POST", format!("/api/documents/{doc}/ocr"), None),
        ("GET", format!("/api/documents/{doc}/events"), None),
        ("DELETE", format!("/api/documents/{doc}"), None),
        ("DELETE", format!("/api/chats/{chat}"), None),
    ];
    for (method, uri, body) in &routes {
        let r = api.call(method, uri, Some(&other), body.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri} as another user");
        let r = api.call(method, uri, None, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri} anonymous");
    }
    // Uploading into someone else's chat.
    assert_eq!(api.upload("/api/documents", &other, &page_png(), Some(&chat)).await.status, StatusCode::NOT_FOUND);
    for (method, uri) in [("GET", "/api/chats"), ("POST", "/api/chats"), ("GET", "/api/documents"), ("GET", "/api/auth/me"), ("POST", "/api/auth/logout")] {
        assert_eq!(api.call(method, uri, None, None).await.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    for uri in ["/api/documents", "/api/documents/ocr", "/api/ocr/extract"] {
        let (ct, body) = multipart(&page_png(), None);
        let r = api.send(Request::post(uri).header(header::CONTENT_TYPE, ct).body(Body::from(body)).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // The owner still has everything.
    assert_eq!(api.call("GET", &format!("/api/documents/{doc}"), Some(&owner), None).await.status, StatusCode::OK);
    assert_eq!(api.call("GET", &format!("/api/chats/{chat}"), Some(&owner), None).await.status, StatusCode::OK);
    api.stop().await;
}

#[tokio::test]
async fn stateless_extract_keeps_the_python_contract() {
    let api = Api::new().await;
    let t = api.signup("extract@example.com").await;
    let r = api.upload("/api/ocr/extract", &t, &page_png(), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert!(body["text"].as_str().unwrap().contains(TEXT));
    assert!(body["confidence"].is_number());
    assert!(body["processing_time"].as_f64().unwrap() >= 0.0);
    let list = api.call("GET", "/api/documents", Some(&t), None).await.json();
    assert!(list["documents"].as_array().unwrap().is_empty(), "extract stores nothing");
    assert_eq!(api.blob_count(), 0);
    api.stop().await;
}

fn encrypted_fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/encrypted").join(name)).unwrap()
}

#[tokio::test]
async fn password_protected_pdfs_need_their_password_which_is_kept_sealed() {
    const PW: &str = "पासवर्ड 123";
    let api = Api::new().await;
    let t = api.signup("pdfpw@example.com").await;
    let pdf = encrypted_fixture("aes256.pdf");
    let code = |r: &Reply| r.json()["error"]["code"].as_str().unwrap_or_default().to_owned();
    // Without it, or with a wrong one: 400 with a code a client can act on, and nothing stored.
    for (fields, want) in [(vec![], "pdf_password_required"), (vec![("password", "secret")], "pdf_password_wrong")] {
        for uri in ["/api/documents", "/api/documents/ocr", "/api/ocr/extract"] {
            let r = api.upload_with(uri, &t, &pdf, &fields).await;
            assert_eq!((r.status, code(&r)), (StatusCode::BAD_REQUEST, want.to_owned()), "{uri} {fields:?}");
        }
    }
    assert_eq!(api.blob_count(), 0);
    let long = "x".repeat(1025);
    assert_eq!(api.upload_with("/api/documents", &t, &pdf, &[("password", &long)]).await.status, StatusCode::BAD_REQUEST);

    // With it: read by a worker, exported as a searchable PDF, read again on a re-run.
    let up = api.upload_with("/api/documents", &t, &pdf, &[("password", PW)]).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&up.body));
    let id = up.json()["documentId"].as_str().unwrap().to_owned();
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["ocrText"].as_str().unwrap().contains(TEXT));
    assert!(!done.to_string().to_lowercase().contains("password"), "never sent back: {done}");
    let searchable = api.call("GET", &format!("/api/documents/{id}/ocr?format=pdf"), Some(&t), None).await;
    assert_eq!(searchable.status, StatusCode::OK);
    assert!(searchable.body.starts_with(b"%PDF-"));
    assert_eq!(api.call("POST", &format!("/api/documents/{id}/ocr"), Some(&t), None).await.status, StatusCode::ACCEPTED);
    assert_eq!(api.wait_final(&t, &id).await["status"], "completed");
    // Stored sealed: not in the database files as typed.
    let me = api.call("GET", "/api/auth/me", Some(&t), None).await.json()["user"].clone();
    let stored = api.state.jobs.store.get_document(me["id"].as_str().unwrap(), &id).await.unwrap();
    let sealed = stored.pdf_password.expect("kept for re-runs and exports");
    assert_eq!(api.state.jobs.sealer.open(&id, &sealed).unwrap().as_str(), PW);
    for entry in std::fs::read_dir(api.dir.path()).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("hindi-ocr.sqlite3") {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!bytes.windows(PW.len()).any(|w| w == PW.as_bytes()), "{:?} holds the password", entry.path());
        }
    }

    // The one-call routes take it too.
    let r = api.upload_with("/api/ocr/extract", &t, &encrypted_fixture("rc4.pdf"), &[("password", "secret")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["text"].as_str().unwrap().contains(TEXT));
    let r = api.upload_with("/api/documents/ocr?wait=10", &t, &encrypted_fixture("rc4.pdf"), &[("password", "secret")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));

    // A password a file does not need is not kept.
    for file in [encrypted_fixture("owner_only.pdf"), page_png()] {
        let up = api.upload_with("/api/documents", &t, &file, &[("password", PW)]).await;
        assert_eq!(up.status, StatusCode::CREATED);
        let id = up.json()["documentId"].as_str().unwrap().to_owned();
        let stored = api.state.jobs.store.get_document(me["id"].as_str().unwrap(), &id).await.unwrap();
        assert_eq!(stored.pdf_password, None);
    }
    api.stop().await;
}

#[tokio::test]
async fn a_broken_page_leaves_the_rest_of_the_document_read() {
    let api = Api::new().await;
    let t = api.signup("broken@example.com").await;
    let tif = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/broken_page.tif")).unwrap();
    let up = api.upload("/api/documents", &t, &tif, None).await;
    assert_eq!(up.status, StatusCode::CREATED, "page 1 decodes, so the upload is taken");
    let id = up.json()["documentId"].as_str().unwrap().to_owned();
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["ocrText"], format!("{TEXT}\n\n\n\n{TEXT}"));
    let note = done["error"].as_str().expect("says which page was not read");
    assert!(note.starts_with("1 of 3 pages could not be read (page 2); page 2: "), "{note}");
    let result = api.call("GET", &format!("/api/documents/{id}/ocr?format=json"), Some(&t), None).await.json();
    let errors: Vec<bool> = result["pages"].as_array().unwrap().iter().map(|p| p.get("error").is_some()).collect();
    assert_eq!(errors, [false, true, false]);
    let pdf = api.call("GET", &format!("/api/documents/{id}/ocr?format=pdf"), Some(&t), None).await;
    assert_eq!(pdf.status, StatusCode::OK, "the searchable PDF has a blank page in its place");
    // A damaged first page does not refuse the upload either: pages 2 and 3 decode.
    let first = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/broken_first_page.tif")).unwrap();
    let up = api.upload("/api/documents", &t, &first, None).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&up.body));
    let done = api.wait_final(&t, up.json()["documentId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["error"].as_str().unwrap().starts_with("1 of 3 pages could not be read (page 1)"), "{done}");
    api.stop().await;
}

#[tokio::test]
async fn page_xml_is_served_one_page_at_a_time() {
    let api = Api::new().await;
    let t = api.signup("pagexml@example.com").await;
    let get = |id: &str, query: &str| {
        let (api, t, uri) = (&api, &t, format!("/api/documents/{id}/ocr?{query}"));
        async move { api.call("GET", &uri, Some(t), None).await }
    };
    let disposition = |r: &Reply| r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    // One page: no choice needed.
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["documentId"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_final(&t, &id).await["status"], "completed");
    let r = get(&id, "format=page").await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/xml; charset=utf-8");
    assert!(disposition(&r).contains("filename=\"scan 1.page.xml\""), "{}", disposition(&r));
    let xml = String::from_utf8(r.body).unwrap();
    assert!(xml.contains("<PcGts") && xml.contains("imageFilename=\"scan 1.png\"") && xml.contains(TEXT), "{xml}");
    assert_eq!(get(&id, "format=page&page=2").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&id, "format=alto&page=1").await.status, StatusCode::BAD_REQUEST, "page is for format=page");
    // Three pages (the second broken): the page is chosen, and named in the download.
    let tif = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hindi-ocr-core/tests/fixtures/broken_page.tif")).unwrap();
    let id = api.upload("/api/documents", &t, &tif, None).await.json()["documentId"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_final(&t, &id).await["status"], "completed");
    let r = get(&id, "format=page").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]["message"].as_str().unwrap_or_default().contains("has 3"), "{}", String::from_utf8_lossy(&r.body));
    let r = get(&id, "format=page&page=3").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(disposition(&r).contains("filename=\"scan 1-p3.page.xml\""), "{}", disposition(&r));
    assert!(String::from_utf8(r.body).unwrap().contains(TEXT));
    let broken = String::from_utf8(get(&id, "format=page&page=2").await.body).unwrap();
    assert!(broken.contains("could not be read") && !broken.contains("<TextLine"), "{broken}");
    assert_eq!(get(&id, "format=page&page=0").await.status, StatusCode::BAD_REQUEST);
    api.stop().await;
}

/// Fails the calls whose index (from 0) is in `fail`, reads like `FixedRecognizer` otherwise.
struct Flaky {
    fail: std::ops::Range<usize>,
    calls: AtomicUsize,
}

impl Flaky {
    fn new(fail: std::ops::Range<usize>) -> Arc<Self> {
        Arc::new(Flaky { fail, calls: AtomicUsize::new(0) })
    }
}

impl LineRecognizer for Flaky {
    fn recognize_gray_lines(&self, lines: &[GrayImage]) -> hindi_ocr_core::Result<Vec<LineResult>> {
        if self.fail.contains(&self.calls.fetch_add(1, Ordering::SeqCst)) {
            return Err(hindi_ocr_core::Error::Io { path: "model".into(), source: std::io::Error::other("simulated runtime failure") });
        }
        FixedRecognizer::new(TEXT).recognize_gray_lines(lines)
    }
}

#[tokio::test]
async fn failed_attempts_are_retried_then_marked_failed() {
    let api = Api::with(Flaky::new(0..1), 1, HttpSettings::default()).await;
    let t = api.signup("retry@example.com").await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 2);
    api.stop().await;

    let api = Api::with(Flaky::new(0..usize::MAX), 1, HttpSettings::default()).await;
    let t = api.signup("fail@example.com").await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    let done = api.wait_final(&t, &id).await;
    assert_eq!(done["status"], "failed");
    assert!(done["error"].as_str().unwrap().contains("simulated runtime failure"), "{done}");
    assert_eq!(done["attempts"], 3);
    let r = api.upload("/api/documents/ocr?wait=10", &t, &page_png(), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["status"], "failed");
    api.stop().await;
}

#[tokio::test]
async fn a_failed_rerun_keeps_the_last_result() {
    let api = Api::with(Flaky::new(1..usize::MAX), 1, HttpSettings::default()).await;
    let t = api.signup("rerun@example.com").await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_final(&t, &id).await["status"], "completed");
    assert_eq!(api.call("POST", &format!("/api/documents/{id}/ocr"), Some(&t), None).await.status, StatusCode::ACCEPTED);
    assert_eq!(api.wait_final(&t, &id).await["status"], "failed");
    for format in ["text", "json", "hocr", "alto", "page", "pdf"] {
        let r = api.call("GET", &format!("/api/documents/{id}/ocr?format={format}"), Some(&t), None).await;
        assert_eq!(r.status, StatusCode::OK, "{format}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.headers["x-ocr-status"], "failed");
    }
    let text = api.call("GET", &format!("/api/documents/{id}/ocr"), Some(&t), None).await;
    assert!(String::from_utf8(text.body).unwrap().contains(TEXT));
    let hocr = api.call("GET", &format!("/api/documents/{id}/ocr?format=hocr"), Some(&t), None).await;
    assert!(hocr.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"), "hOCR runs no script");
    // A document that never completed has no result to give.
    let never = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_final(&t, &never).await["status"], "failed");
    assert_eq!(api.call("GET", &format!("/api/documents/{never}/ocr"), Some(&t), None).await.status, StatusCode::CONFLICT);
    api.stop().await;
}

#[tokio::test]
async fn http_layer_errors_are_json_and_odd_values_are_handled() {
    let api = Api::new().await;
    let t = api.signup("edge@example.com").await;
    let error_code = |r: &Reply| r.json()["error"]["code"].as_str().unwrap_or_default().to_owned();

    // A wait past what a duration holds is the server's limit, not a crash.
    let r = api.upload("/api/documents/ocr?wait=1e20", &t, &page_png(), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));

    // Bodies over the 1 MiB JSON limit: 413 with the JSON error body, on every JSON route.
    let big = json!({"title": "x".repeat(2 << 20), "email": "a@b.c", "password": "y".repeat(2 << 20), "content": "z"});
    for uri in ["/api/chats", "/api/auth/signup"] {
        let r = api.call("POST", uri, Some(&t), Some(big.clone())).await;
        assert_eq!((r.status, error_code(&r).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{uri}");
    }
    // Bad query strings and methods a route does not have: JSON too, the Allow header kept.
    let chat = api.call("POST", "/api/chats", Some(&t), Some(json!({"title": "a\u{0}b\n<i>c</i>"}))).await.json();
    assert_eq!(chat["title"], "a b <i>c</i>", "control characters are not kept in a title");
    let chat_id = chat["id"].as_str().unwrap();
    for uri in ["/api/documents?limit=abc", "/api/chats?offset=-1"] {
        let r = api.call("GET", uri, Some(&t), None).await;
        assert_eq!((r.status, error_code(&r).as_str()), (StatusCode::BAD_REQUEST, "bad_request"), "{uri}");
    }
    let r = api.call("PUT", &format!("/api/chats/{chat_id}"), Some(&t), None).await;
    assert_eq!((r.status, error_code(&r).as_str()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    assert!(r.headers.contains_key(header::ALLOW));

    // API answers are not cached and not sniffed.
    let me = api.call("GET", "/api/auth/me", Some(&t), None).await;
    assert_eq!(me.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(me.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    // A client's request id is echoed only when it is a short token.
    for (sent, echoed) in [("req-42.a:b", true), ("<script>alert(1)</script>", false), (&*"x".repeat(300), false)] {
        let req = Request::get("/health").header("x-request-id", sent).body(Body::empty()).unwrap();
        let got = api.send(req).await.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(got == sent, echoed, "{sent:?} -> {got:?}");
        assert!(!got.is_empty() && got.len() <= 128);
    }

    // Two `file` parts: refused, nothing stored.
    let before = api.blob_count();
    let (ct, mut body) = multipart(&page_png(), None);
    let (_, second) = multipart(&page_png(), None);
    body.truncate(body.len() - "--XhindiOcrBoundaryX--\r\n".len());
    body.extend_from_slice(&second);
    let req = Request::post("/api/documents").header(header::AUTHORIZATION, format!("Bearer {t}")).header(header::CONTENT_TYPE, ct).body(Body::from(body)).unwrap();
    let r = api.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(api.blob_count(), before);

    // A PDF whose second page would render past the size limits: refused as a whole, nothing stored.
    let small = GrayImage::from_pixel(100, 100, image::Luma([255]));
    let huge = GrayImage::from_pixel(1000, 10, image::Luma([255])); // 7200 pt wide at 10 dpi: 30000 px at 300
    let pdf = hindi_ocr_core::export::images_to_pdf(&[small, huge], 10).unwrap();
    for route in ["/api/documents", "/api/documents/ocr"] {
        let r = api.upload(route, &t, &pdf, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route}: {}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(api.blob_count(), before);

    // `download`: yes or no, anything else is a mistake.
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    api.wait_final(&t, &id).await;
    for (value, kind) in [("1", Some("attachment")), ("", Some("attachment")), ("0", Some("inline")), ("false", Some("inline")), ("abc", None)] {
        let r = api.call("GET", &format!("/api/documents/{id}/ocr?download={value}"), Some(&t), None).await;
        match kind {
            Some(k) => assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with(k), "download={value}"),
            None => assert_eq!(r.status, StatusCode::BAD_REQUEST, "download={value}"),
        }
    }

    // Passwords of spaces are refused; a look-alike (fullwidth) email is the same account.
    let r = api.call("POST", "/api/auth/signup", None, Some(json!({"email": "sp@example.com", "password": "          "}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.call("POST", "/api/auth/signup", None, Some(json!({"email": "\u{ff45}dge@example.com", "password": "secret-pass-1"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&r.body));
    api.stop().await;
}

#[tokio::test]
async fn shutdown_releases_a_job_that_does_not_finish_in_the_grace_period() {
    let slow = FixedRecognizer { delay: Duration::from_secs(6), ..FixedRecognizer::new(TEXT) };
    let mut api = Api::with(Arc::new(slow), 1, HttpSettings::default()).await;
    let t = api.signup("stop@example.com").await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        if api.call("GET", &format!("/api/documents/{id}"), Some(&t), None).await.json()["status"] == "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    api.pool.take().unwrap().shutdown().await; // grace is 2 s in test_state
    let doc = api.call("GET", &format!("/api/documents/{id}"), Some(&t), None).await.json();
    assert_eq!(doc["status"], "queued", "{doc}");
    let counts = api.state.jobs.store.count_jobs().await.unwrap();
    assert_eq!((counts.queued, counts.running), (1, 0));
}

#[tokio::test]
async fn operations_routes() {
    let api = Api::new().await;
    assert_eq!(api.call("GET", "/health", None, None).await.status, StatusCode::OK);
    let ready = api.call("GET", "/ready", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ok");
    let t = api.signup("ops@example.com").await;
    api.call("GET", "/api/chats", Some(&t), None).await;
    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["id"].as_str().unwrap().to_owned();
    api.wait_final(&t, &id).await;
    // The worker marks the document completed, then its job done: the job may trail the document a moment.
    let mut m = String::new();
    for _ in 0..100 {
        m = String::from_utf8(api.call("GET", "/metrics", None, None).await.body).unwrap();
        if m.contains(r#"hindi_ocr_jobs{state="done"} 1"#) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(m.contains(r#"hindi_ocr_http_requests_total{method="GET",route="/api/chats",status="200"} 1"#), "{m}");
    assert!(m.contains("hindi_ocr_http_request_duration_seconds_bucket"));
    assert!(m.contains(r#"hindi_ocr_jobs{state="done"} 1"#), "{m}");
    assert!(m.contains("hindi_ocr_queue_depth 0"));
    assert!(m.contains("hindi_ocr_lines_recognized_total"));
    let r = api.call("GET", "/api/nothing-here", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    assert!(r.headers.get("x-request-id").is_some(), "every response has a request id");
    api.stop().await;
}

#[tokio::test]
async fn openapi_describes_every_route_and_matches_docs() {
    let api = Api::new().await;
    let spec = api.call("GET", "/api/openapi.json", None, None).await.json();
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/api/auth/signup", "/api/auth/login", "/api/auth/logout", "/api/auth/me", "/api/chats", "/api/chats/{id}",
        "/api/chats/{id}/messages", "/api/documents", "/api/documents/{id}", "/api/documents/{id}/file",
        "/api/documents/ocr", "/api/documents/{id}/ocr", "/api/documents/{id}/events", "/api/ocr/extract", "/health",
        "/ready", "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI description");
    }
    // docs/openapi.json is this description; HINDI_OCR_WRITE_OPENAPI=1 regenerates it (and a missing file
    // is written the first time).
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&spec).unwrap() + "\n";
    if std::env::var_os("HINDI_OCR_WRITE_OPENAPI").is_some() || !file.exists() {
        std::fs::write(&file, &pretty).unwrap();
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(on_disk == pretty, "docs/openapi.json is stale: run HINDI_OCR_WRITE_OPENAPI=1 cargo test -p hindi-ocr-server --test api_service openapi");
    api.stop().await;
}

#[tokio::test]
async fn text_is_served_as_printed_and_attached_on_request() {
    let printed = "राम गया । सोऽहम् ॥ १ ॥";
    let api = Api::with(Arc::new(FixedRecognizer::new(printed)), 1, HttpSettings::default()).await;
    let t = api.signup("style@example.com").await;
    let r = api.upload("/api/ocr/extract", &t, &page_png(), None).await.json();
    assert!(r["text"].as_str().unwrap().contains(printed), "{r}");
    let r = api.upload("/api/ocr/extract?textStyle=attached-danda", &t, &page_png(), None).await.json();
    assert!(r["text"].as_str().unwrap().contains("राम गया। सोऽहम्॥ १॥"), "{r}");
    let bad = api.upload("/api/ocr/extract?textStyle=modern", &t, &page_png(), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let id = api.upload("/api/documents", &t, &page_png(), None).await.json()["documentId"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_final(&t, &id).await["status"], "completed");
    let get = |q: &'static str| {
        let (api, t, id) = (&api, &t, &id);
        async move { api.call("GET", &format!("/api/documents/{id}/ocr?{q}"), Some(t), None).await }
    };
    assert!(String::from_utf8(get("format=text").await.body).unwrap().contains(printed));
    let attached = get("format=json&textStyle=attached-danda").await.json();
    let line = &attached["pages"][0]["lines"][0];
    assert_eq!(line["text"], "राम गया। सोऽहम्॥ १॥");
    let words: Vec<&str> = line["words"].as_array().unwrap().iter().map(|w| w["text"].as_str().unwrap()).collect();
    assert_eq!(words, ["राम", "गया।", "सोऽहम्॥", "१॥"]);
    assert_eq!(get("format=text&textStyle=x").await.status, StatusCode::BAD_REQUEST);
    api.stop().await;
}

#[tokio::test]
async fn decodes_in_flight_are_bounded_and_the_rest_get_503_with_retry_after() {
    // One slot, a recogniser that takes 1.5 s a batch, and a wait for a slot of 100 ms.
    let slow = FixedRecognizer { delay: Duration::from_millis(1500), ..FixedRecognizer::new(TEXT) };
    let settings = HttpSettings { max_decodes: 1, decode_wait: Duration::from_millis(100), ..HttpSettings::default() };
    let api = Arc::new(Api::with(Arc::new(slow), 0, settings).await);
    let t = api.signup("busy@example.com").await;
    let first = tokio::spawn({
        let (api, t) = (Arc::clone(&api), t.clone());
        async move { api.upload("/api/ocr/extract", &t, &page_png(), None).await }
    });
    // The first holds the slot while it reads the text.
    let mut m = String::new();
    for _ in 0..200 {
        m = String::from_utf8(api.call("GET", "/metrics", None, None).await.body).unwrap();
        if m.contains("hindi_ocr_decodes_in_flight 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(m.contains("hindi_ocr_decode_slots 1"), "{m}");
    assert!(m.contains("hindi_ocr_decodes_in_flight 1"), "{m}");
    // A second extract, and an upload whose check needs a slot too, are turned away.
    for uri in ["/api/ocr/extract", "/api/documents", "/api/documents/ocr?wait=0"] {
        let r = api.upload(uri, &t, &page_png(), None).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["error"]["code"], "busy");
        let retry: u64 = r.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
        assert!(retry >= 1);
    }
    assert_eq!(api.blob_count(), 0, "a refused upload stores nothing");
    let r = first.await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    // The slot is free again: uploads are checked and queued (no workers here: they stay queued).
    assert_eq!(api.upload("/api/documents", &t, &page_png(), None).await.status, StatusCode::CREATED);
    let m = String::from_utf8(api.call("GET", "/metrics", None, None).await.body).unwrap();
    assert!(m.contains("hindi_ocr_decodes_in_flight 0"), "{m}");
    if let Ok(api) = Arc::try_unwrap(api) {
        api.stop().await;
    }
}

#[tokio::test]
async fn pages_out_of_range_are_refused_not_clamped() {
    let api = Api::new().await;
    let t = api.signup("pages@example.com").await;
    for q in ["limit=0", "limit=501", "offset=9223372036854775808", "limit=-1"] {
        for route in ["/api/chats", "/api/documents"] {
            let r = api.call("GET", &format!("{route}?{q}"), Some(&t), None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route}?{q}");
            assert_eq!(r.json()["error"]["code"], "bad_request");
        }
    }
    let r = api.call("GET", "/api/chats?offset=9223372036854775807&limit=500", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["limit"], 500);
    // A null body is no body: the default title.
    let r = api.call("POST", "/api/chats", Some(&t), Some(Value::Null)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["title"], "New chat");
    api.stop().await;
}
