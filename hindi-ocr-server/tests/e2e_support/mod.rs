//! Shared by the end-to-end tests: start and stop real `hindi-ocr serve` / `hindi-ocr worker` processes
//! (real model, real stores) on free ports, talk to them over HTTP, score OCR text.
//!
//! Back ends: the embedded default, and MongoDB (FerretDB) + S3 (moto) when `HINDI_OCR_TEST_MONGODB_URL` and
//! `HINDI_OCR_TEST_S3_ENDPOINT` are set (`make services` starts both and `make test` sets them). Without them
//! the FerretDB + moto variants fail when `HINDI_OCR_REQUIRE_SERVICES=1` (as `make test` sets), and otherwise
//! return early with a note on stderr.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The `hindi-ocr` binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_hindi-ocr")
}

/// The development set (`../shared/eval/dev`), next to the repository.
pub fn dev_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval/dev")
}

/// The dev pages' ground truth, `(file, text, condition)` per row of pages.tsv (`file` as
/// `pages/page_001.png`, `\n` escapes turned into newlines).
pub fn page_rows() -> Vec<(String, String, String)> {
    truth_rows("pages.tsv")
}

/// The dev lines' ground truth, `(file, text, condition)` per row of lines.tsv (`file` as
/// `lines/line_0001.png`).
pub fn line_rows() -> Vec<(String, String, String)> {
    truth_rows("lines.tsv")
}

fn truth_rows(name: &str) -> Vec<(String, String, String)> {
    let tsv = std::fs::read_to_string(dev_dir().join(name)).unwrap_or_else(|e| panic!("read ../shared/eval/dev/{name}: {e}"));
    tsv.lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let (file, text) = (cols.next()?, cols.next()?);
            let condition = cols.nth(1).unwrap_or("");
            Some((file.to_owned(), text.replace("\\n", "\n"), condition.to_owned()))
        })
        .collect()
}

/// The ground truth of a dev page (`pages/page_001.png`).
pub fn page_truth(file: &str) -> String {
    page_rows()
        .into_iter()
        .find(|(f, _, _)| f == file)
        .map(|(_, text, _)| text)
        .unwrap_or_else(|| panic!("{file} not in pages.tsv"))
}

/// Character error rate: edit distance over characters (whitespace runs count as one space) divided by the
/// reference length.
pub fn cer(hypothesis: &str, reference: &str) -> f64 {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect::<Vec<char>>();
    let (h, r) = (norm(hypothesis), norm(reference));
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rc) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hc) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(rc != hc)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}

/// Where the service keeps its data.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Embedded store and local blobs in the data directory.
    Embedded,
    /// MongoDB (FerretDB) database `db` and S3 (moto) bucket `bucket`.
    MongoS3 {
        /// MongoDB URL.
        url: String,
        /// Database name (fresh per test).
        db: String,
        /// S3 endpoint.
        endpoint: String,
        /// Bucket (fresh per test).
        bucket: String,
    },
}

impl Backend {
    /// MongoDB + S3 from the environment, each test in its own database and bucket; `None` (with a note)
    /// when not configured and not required.
    pub fn mongo_s3(test: &str) -> Option<Backend> {
        let url = std::env::var("HINDI_OCR_TEST_MONGODB_URL").ok();
        let endpoint = std::env::var("HINDI_OCR_TEST_S3_ENDPOINT").ok();
        match (url, endpoint) {
            (Some(url), Some(endpoint)) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                Some(Backend::MongoS3 { url, db: format!("e2e_{id}"), endpoint, bucket: format!("e2e-{id}") })
            }
            _ => {
                assert!(
                    std::env::var("HINDI_OCR_REQUIRE_SERVICES").as_deref() != Ok("1"),
                    "{test}: HINDI_OCR_TEST_MONGODB_URL / HINDI_OCR_TEST_S3_ENDPOINT not set but \
                     HINDI_OCR_REQUIRE_SERVICES=1: run `make services`"
                );
                eprintln!("note: {test}: FerretDB + moto variant not run (run `make services`; `make test` does)");
                None
            }
        }
    }

    fn apply(&self, cmd: &mut Command) {
        if let Backend::MongoS3 { url, db, endpoint, bucket } = self {
            cmd.args(["--database-url", url, "--database-name", db, "--blob-url", &format!("s3://{bucket}")])
                .args(["--s3-endpoint", endpoint, "--s3-create-bucket"])
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test");
        }
    }
}

/// A running `hindi-ocr` process; killed when dropped.
pub struct Proc {
    child: Child,
    /// `http://127.0.0.1:PORT` for servers.
    pub url: String,
    stderr_log: PathBuf,
}

impl Proc {
    /// Starts `hindi-ocr serve` on a free port with the data directory and back end, plus `extra` flags;
    /// returns once it listens.
    pub fn serve(data_dir: &Path, backend: &Backend, extra: &[&str]) -> Proc {
        let mut cmd = Command::new(binary());
        cmd.arg("serve").args(["--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).args(extra);
        backend.apply(&mut cmd);
        Self::spawn(cmd, data_dir, "serve", "listening on ")
    }

    /// Starts `hindi-ocr worker` on the same data directory and back end.
    pub fn worker(data_dir: &Path, backend: &Backend, extra: &[&str]) -> Proc {
        let mut cmd = Command::new(binary());
        cmd.arg("worker").arg("--data-dir").arg(data_dir).args(extra);
        backend.apply(&mut cmd);
        Self::spawn(cmd, data_dir, "worker", "worker running")
    }

    fn spawn(mut cmd: Command, data_dir: &Path, role: &str, ready_line: &str) -> Proc {
        let stderr_log = data_dir.join(format!("{role}-{}.log", uuid::Uuid::new_v4().simple()));
        let log = std::fs::File::create(&stderr_log).expect("create log file");
        cmd.env("RUST_LOG", "info").stdout(Stdio::piped()).stderr(log);
        let mut child = cmd.spawn().expect("start hindi-ocr");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains(ready_line) => {
                    let url = line.split_whitespace().last().unwrap_or("").to_owned();
                    return Proc { child, url, stderr_log };
                }
                Ok(_) => {}
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
                        panic!("hindi-ocr {role} exited ({status}) before it was ready:\n{log}");
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
                        panic!("hindi-ocr {role} not ready after 180 s:\n{log}");
                    }
                }
            }
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "hindi-ocr exited with {status} after SIGTERM:\n{}", self.log());
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("hindi-ocr did not stop within 60 s of SIGTERM");
    }

    /// SIGKILL: the process dies at once, mid-job if it had one.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the process logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A small HTTP client for one server.
pub struct Client {
    http: reqwest::Client,
    /// Base URL.
    pub url: String,
}

/// Status and JSON (or `Null`) of an answer.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body as JSON (`Null` if it is not JSON).
    pub json: Value,
    /// Raw body.
    pub bytes: Vec<u8>,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Client {
    /// A client of the server at `url`.
    pub fn new(url: &str) -> Client {
        Client { http: reqwest::Client::new(), url: url.to_owned() }
    }

    /// Any request; `token` as bearer.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::answer(req.send().await.expect("request")).await
    }

    /// Multipart upload of `bytes` as field `file`.
    pub async fn upload(&self, path: &str, token: Option<&str>, bytes: Vec<u8>, name: &str, chat_id: Option<&str>) -> Answer {
        let mut form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        if let Some(c) = chat_id {
            form = form.text("chatId", c.to_owned());
        }
        let mut req = self.http.post(format!("{}{path}", self.url)).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::answer(req.send().await.expect("upload")).await
    }

    /// A POST of `bytes` as the whole body with `content_type` (not a form).
    pub async fn post_raw(&self, path: &str, token: Option<&str>, bytes: Vec<u8>, content_type: &str) -> Answer {
        let mut req = self.http.post(format!("{}{path}", self.url)).header("content-type", content_type).body(bytes);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::answer(req.send().await.expect("post")).await
    }

    async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, json, bytes, headers }
    }

    /// Signs up and returns the token.
    pub async fn signup(&self, email: &str, password: &str) -> String {
        let a = self.call("POST", "/api/auth/signup", None, Some(json!({"email": email, "password": password}))).await;
        assert_eq!(a.status, 201, "signup {email}: {}", a.json);
        a.json["token"].as_str().expect("token").to_owned()
    }

    /// Logs in and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let a = self.call("POST", "/api/auth/login", None, Some(json!({"email": email, "password": password}))).await;
        assert_eq!(a.status, 200, "login {email}: {}", a.json);
        a.json["token"].as_str().expect("token").to_owned()
    }

    /// Polls the document until `completed` or `failed` (at most `secs`).
    pub async fn wait_final(&self, token: &str, id: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let d = self.call("GET", &format!("/api/documents/{id}"), Some(token), None).await.json;
            if d["status"] == "completed" || d["status"] == "failed" {
                return d;
            }
            assert!(Instant::now() < deadline, "document {id} not finished after {secs} s: {d}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Reads the event stream of a document until it ends; returns the `data` of each `status` event.
    pub async fn events(&self, token: &str, id: &str, secs: u64) -> Vec<Value> {
        use futures_util::StreamExt;
        let res = self
            .http
            .get(format!("{}/api/documents/{id}/events", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("events");
        assert_eq!(res.status().as_u16(), 200);
        let mut stream = res.bytes_stream();
        let mut buf = String::new();
        let read = async {
            while let Some(chunk) = stream.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk.expect("event chunk")));
            }
        };
        tokio::time::timeout(Duration::from_secs(secs), read).await.expect("event stream did not end");
        buf.lines().filter_map(|l| l.strip_prefix("data: ")).filter_map(|d| serde_json::from_str(d).ok()).collect()
    }
}

/// Reads a dev page.
pub fn dev_page(name: &str) -> Vec<u8> {
    std::fs::read(dev_dir().join("pages").join(name)).unwrap_or_else(|e| panic!("read dev page {name}: {e}"))
}
