//! The service while its storage back ends are down, and after they come back, with real `hindi-ocr`
//! processes on FerretDB + moto (`make services`).
//!
//! An outage is made without touching the shared services (other tests use them at the same time): the server
//! reaches them through a [`Gate`], a TCP relay owned by the test. Cutting the gate closes its port and every
//! connection through it, so the server meets exactly what a dead server gives (connection refused), while
//! the data behind it is kept (moto keeps its data in memory, so stopping moto itself would lose it). The
//! restart test runs a private FerretDB that it really kills and starts again.
//!
//! Like the other service tests these return early with a note without the services, and fail when
//! `HINDI_OCR_REQUIRE_SERVICES=1`.

mod e2e_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_support::{Answer, Backend, Client, Proc, dev_dir, dev_page};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::AbortHandle;

/// A TCP relay from a local port to a service that the test can cut (port closed, live connections dropped)
/// and restore (the same port again).
struct Gate {
    port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Gate {
    /// Opens a gate to `upstream` on a free port.
    async fn open(upstream: SocketAddr) -> Gate {
        let listener = listen(0).expect("gate listener");
        let port = listener.local_addr().expect("gate address").port();
        let gate = Gate { port, upstream, tasks: Arc::default() };
        gate.serve(listener);
        gate
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream, Arc::clone(&self.tasks));
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(relay.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// The service is gone: nothing listens on the port, open connections are dropped.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// The service is back on the same port.
    async fn restore(&self) {
        self.cut();
        let listener = self.rebind().await;
        self.serve(listener);
    }

    /// The service hangs: open connections are dropped, new ones are accepted and never answered (a server
    /// that is stopped, or a path that drops packets). `restore` ends it.
    async fn hang(&self) {
        self.cut();
        let listener = self.rebind().await;
        let accept = tokio::spawn(async move {
            // Held, unread, until the task is aborted (which drops them).
            let mut held = Vec::new();
            while let Ok((inbound, _)) = listener.accept().await {
                held.push(inbound);
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// The gate's port again, once the aborted listener is gone.
    async fn rebind(&self) -> TcpListener {
        // The aborted listener is dropped when its task is; wait until the port can be bound again.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match listen(self.port) {
                Ok(listener) => return listener,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("gate port {} could not be bound again: {e}", self.port),
            }
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A listener on 127.0.0.1:`port` with SO_REUSEADDR (so a cut gate gets its port back at once).
fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(64)
}

/// `127.0.0.1:PORT` of a `scheme://host:port/...` URL.
fn socket_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port.parse().unwrap_or_else(|e| panic!("{url}: not host:port ({e})"))
}

/// The shared services' URLs (None with a note when they are not configured and not required).
fn services(test: &str) -> Option<(String, String, String, String)> {
    match Backend::mongo_s3(test)? {
        Backend::MongoS3 { url, db, endpoint, bucket } => Some((url, db, endpoint, bucket)),
        Backend::Embedded => None,
    }
}

/// An error answer as a service outage should be: `503`, code `unavailable`, and none of the back end's own
/// words (addresses, driver and Rust type names).
fn assert_outage(a: &Answer, what: &str) {
    assert_eq!(a.status, 503, "{what}: {}", String::from_utf8_lossy(&a.bytes));
    assert_eq!(a.json["error"]["code"], "unavailable", "{what}: {}", a.json);
    assert_no_internals(&a.json.to_string(), what);
}

fn assert_no_internals(text: &str, what: &str) {
    for word in ["127.0.0.1", "Dispatch", "Connector", "hyper", "Topology", "Kind:", "Server selection", "os error", "Error("] {
        assert!(!text.contains(word), "{what}: the answer leaks internals ({word}): {text}");
    }
}

/// The keys in a moto bucket (moto answers unsigned requests).
async fn bucket_keys(endpoint: &str, bucket: &str) -> Vec<String> {
    let xml = reqwest::get(format!("{endpoint}/{bucket}?list-type=2")).await.expect("list bucket").text().await.expect("body");
    xml.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(str::to_owned).collect()
}

fn line_image() -> Vec<u8> {
    std::fs::read(dev_dir().join("lines/line_0001.png")).expect("read dev line")
}

fn id(a: &Answer) -> String {
    a.json["id"].as_str().or(a.json["documentId"].as_str()).unwrap_or_else(|| panic!("no id: {}", a.json)).to_owned()
}

/// S3 down: uploads, downloads, PDF export and deletes are refused with `503` and change nothing; a job whose
/// file cannot be read ends `failed` with a clean reason once it no longer waits for storage (here at once);
/// everything works again when S3 is back, without a restart, and the failed job is run again on request. The
/// server and the worker process each reach S3 through their own gate (a worker cut off from S3 while the server still stores files is the case of a job
/// whose file cannot be read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_outage_refuses_cleanly_and_recovers() {
    let Some((url, db, endpoint, bucket)) = services("s3_outage_refuses_cleanly_and_recovers") else { return };
    let (s3, s3_worker) = (Gate::open(socket_of(&endpoint)).await, Gate::open(socket_of(&endpoint)).await);
    let backend = Backend::MongoS3 { url, db, endpoint: format!("http://{}", s3.addr()), bucket: bucket.clone() };
    let mut worker_backend = backend.clone();
    if let Backend::MongoS3 { endpoint, .. } = &mut worker_backend {
        *endpoint = format!("http://{}", s3_worker.addr());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Jobs take their number of attempts from the process that queues them.
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0", "--max-attempts", "2"]);
    // `--storage-wait-secs 0`: attempts that find storage down count at once (the wait is tested below).
    let worker = Proc::worker(
        dir.path(),
        &worker_backend,
        &["--workers", "1", "--max-attempts", "2", "--storage-wait-secs", "0"],
    );
    let c = Client::new(&server.url);
    let token = c.signup("s3-outage@example.com", "correct horse battery").await;
    let t = Some(token.as_str());
    let chat = id(&c.call("POST", "/api/chats", t, Some(json!({"title": "outage"}))).await);

    // A: completed while S3 is up.
    let a = id(&c.upload("/api/documents", t, line_image(), "a.png", None).await);
    assert_eq!(c.wait_final(&token, &a, 300).await["status"], "completed");

    // B is stored, but the worker cannot read it: it retries, then fails the document with a reason a user
    // can read (and a way on: run OCR again).
    s3_worker.cut();
    let b = id(&c.upload("/api/documents", t, line_image(), "b.png", Some(&chat)).await);
    let d = c.wait_final(&token, &b, 60).await;
    assert_eq!(d["status"], "failed", "{d}");
    assert_eq!(d["attempts"], 2, "{d}");
    let error = d["error"].as_str().unwrap_or("");
    assert!(error.contains("file storage is not answering"), "{d}");
    assert_no_internals(error, "job error");
    let metrics = String::from_utf8(c.call("GET", "/metrics", None, None).await.bytes).expect("metrics");
    for line in ["hindi_ocr_jobs{state=\"failed\"} 1", "hindi_ocr_jobs{state=\"running\"} 0", "hindi_ocr_jobs{state=\"queued\"} 0"] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }

    s3.cut();
    let ready = c.call("GET", "/ready", None, None).await;
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["checks"]["blobs (s3)"], "unavailable", "{}", ready.json);
    assert_eq!(ready.json["checks"]["store (mongodb)"], "ok", "{}", ready.json);
    assert_no_internals(&ready.json.to_string(), "/ready");

    let up = c.upload("/api/documents", t, line_image(), "c.png", None).await;
    assert_outage(&up, "upload");
    assert!(up.json["error"]["message"].as_str().unwrap_or("").contains("file storage"), "{}", up.json);
    assert_outage(&c.upload("/api/documents/ocr?wait=1", t, line_image(), "c.png", None).await, "upload and wait");
    let list = c.call("GET", "/api/documents", t, None).await;
    assert_eq!(list.json["documents"].as_array().map(Vec::len), Some(2), "a failed upload left a record: {}", list.json);
    assert_outage(&c.call("GET", &format!("/api/documents/{a}/file"), t, None).await, "download");
    assert_outage(&c.call("GET", &format!("/api/documents/{a}/ocr?format=pdf"), t, None).await, "PDF export");
    assert_eq!(c.call("GET", &format!("/api/documents/{a}/ocr?format=text"), t, None).await.status, 200);
    // Deletes fail whole: the record stays with its file (not the record gone and the file kept for good).
    assert_outage(&c.call("DELETE", &format!("/api/documents/{a}"), t, None).await, "delete document");
    assert_eq!(c.call("GET", &format!("/api/documents/{a}"), t, None).await.status, 200);
    assert_outage(&c.call("DELETE", &format!("/api/chats/{chat}"), t, None).await, "delete chat");
    assert_eq!(c.call("GET", &format!("/api/chats/{chat}"), t, None).await.status, 200);
    assert_eq!(c.call("GET", &format!("/api/documents/{b}"), t, None).await.status, 200);

    s3.restore().await;
    s3_worker.restore().await;
    let ready = c.call("GET", "/ready", None, None).await;
    assert_eq!(ready.status, 200, "{}", ready.json);
    let file = c.call("GET", &format!("/api/documents/{a}/file"), t, None).await;
    assert_eq!((file.status, file.bytes.as_slice()), (200, line_image().as_slice()));
    // The failed job's retry path: run OCR again.
    assert_eq!(c.call("POST", &format!("/api/documents/{b}/ocr"), t, None).await.status, 202);
    assert_eq!(c.wait_final(&token, &b, 300).await["status"], "completed");
    assert_eq!(c.upload("/api/documents", t, line_image(), "c.png", None).await.status, 201);
    assert_eq!(c.call("GET", &format!("/api/documents/{a}/ocr?format=pdf"), t, None).await.status, 200);

    // Deletes now remove records and files.
    let key_of = |doc: &str| keys_with(doc.to_owned());
    let keys = bucket_keys(&endpoint, &bucket).await;
    assert!(key_of(&a)(&keys) && key_of(&b)(&keys), "{keys:?}");
    assert_eq!(c.call("DELETE", &format!("/api/documents/{a}"), t, None).await.status, 204);
    assert_eq!(c.call("DELETE", &format!("/api/chats/{chat}"), t, None).await.status, 204);
    let keys = bucket_keys(&endpoint, &bucket).await;
    assert!(!key_of(&a)(&keys) && !key_of(&b)(&keys), "deleted files left in the bucket: {keys:?}");
    assert_eq!(keys.len(), 1, "{keys:?}");

    let log = server.log();
    assert!(log.contains("storage back end failed") && log.contains("s3"), "the log names the failure:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    worker.stop();
    server.stop();
}

/// A worker cut off from S3 for longer than a job's counted retries last (2 s and 4 s): the document waits,
/// `queued` with an error that says what for, and never `failed`; once S3 is back it completes by itself
/// (no re-run), its attempts not used up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_waits_for_s3_and_completes_when_it_is_back() {
    let Some((url, db, endpoint, bucket)) = services("job_waits_for_s3_and_completes_when_it_is_back") else { return };
    let s3_worker = Gate::open(socket_of(&endpoint)).await;
    let backend = Backend::MongoS3 { url, db, endpoint, bucket };
    let mut worker_backend = backend.clone();
    if let Backend::MongoS3 { endpoint, .. } = &mut worker_backend {
        *endpoint = format!("http://{}", s3_worker.addr());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0", "--max-attempts", "2"]);
    let worker = Proc::worker(dir.path(), &worker_backend, &["--workers", "1", "--max-attempts", "2"]);
    let c = Client::new(&server.url);
    let token = c.signup("s3-wait@example.com", "correct horse battery").await;
    let t = Some(token.as_str());

    s3_worker.cut();
    let doc = id(&c.upload("/api/documents", t, line_image(), "w.png", None).await);
    // Without the wait, attempts 1 and 2 (2 s apart) fail the document within seconds.
    let until = Instant::now() + Duration::from_secs(10);
    let mut d = Value::Null;
    while Instant::now() < until {
        d = c.call("GET", &format!("/api/documents/{doc}"), t, None).await.json;
        assert!(d["status"] != "failed" && d["status"] != "completed", "{d}
{}", worker.log());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(d["status"] == "queued" || d["status"] == "processing", "{d}");
    let error = d["error"].as_str().unwrap_or("");
    assert!(error.starts_with("waiting for file storage: "), "{d}");
    assert_no_internals(error, "waiting error");
    let metrics = String::from_utf8(c.call("GET", "/metrics", None, None).await.bytes).expect("metrics");
    assert!(metrics.contains("hindi_ocr_jobs{state=\"failed\"} 0"), "{metrics}");

    s3_worker.restore().await;
    // The next try is at most 16 s after the outage began (tries 2, 4, 8 s apart).
    let d = c.wait_final(&token, &doc, 60).await;
    assert_eq!(d["status"], "completed", "{d}\n{}", worker.log());
    assert_eq!(d["attempts"], 1, "{d}");
    assert!(d["error"].is_null(), "{d}");
    let log = worker.log();
    assert!(log.contains("storage unreachable; job waits"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    worker.stop();
    server.stop();
}

fn keys_with(doc: String) -> impl Fn(&[String]) -> bool {
    move |keys| keys.iter().any(|k| k.ends_with(&doc))
}

/// The database down: every route that needs it answers `503` within seconds (not the driver's 30 s), `/health`
/// still `200`; an event stream opened before stays open; after the database is back everything works again
/// without a restart and nothing was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_503_fast_and_recovers() {
    let Some((url, db, endpoint, bucket)) = services("database_outage_answers_503_fast_and_recovers") else { return };
    let mongo = Gate::open(socket_of(&url)).await;
    let backend = Backend::MongoS3 { url: format!("mongodb://{}/", mongo.addr()), db, endpoint, bucket };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0"]);
    let c = Client::new(&server.url);
    let token = c.signup("db-outage@example.com", "correct horse battery").await;
    let t = Some(token.as_str());
    let chat = id(&c.call("POST", "/api/chats", t, Some(json!({"title": "outage"}))).await);
    let doc = id(&c.upload("/api/documents", t, line_image(), "d.png", Some(&chat)).await);

    // Follows the document through the outage until OCR ends.
    let events = {
        let c = Client::new(&server.url);
        let (token, doc) = (token.clone(), doc.clone());
        tokio::spawn(async move { c.events(&token, &doc, 300).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    mongo.cut();
    let started = Instant::now();
    let creds = json!({"email": "db-outage@example.com", "password": "correct horse battery"});
    let other = json!({"email": "new@example.com", "password": "correct horse battery"});
    let (one_path, events_path) = (format!("/api/documents/{doc}"), format!("/api/documents/{doc}/events"));
    let (login, signup, docs, chats, one, events_now, upload, ready, health) = tokio::join!(
        c.call("POST", "/api/auth/login", None, Some(creds.clone())),
        c.call("POST", "/api/auth/signup", None, Some(other.clone())),
        c.call("GET", "/api/documents", t, None),
        c.call("GET", "/api/chats", t, None),
        c.call("GET", &one_path, t, None),
        c.call("GET", &events_path, t, None),
        c.upload("/api/documents", t, line_image(), "e.png", None),
        c.call("GET", "/ready", None, None),
        c.call("GET", "/health", None, None),
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(12), "answers took {elapsed:?} with the database down");
    for (a, what) in [
        (&login, "login"),
        (&signup, "signup"),
        (&docs, "list documents"),
        (&chats, "list chats"),
        (&one, "get document"),
        (&events_now, "events"),
        (&upload, "upload"),
    ] {
        assert_outage(a, what);
    }
    assert!(login.json["error"]["message"].as_str().unwrap_or("").contains("database"), "{}", login.json);
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["checks"]["store (mongodb)"], "unavailable", "{}", ready.json);
    assert_no_internals(&ready.json.to_string(), "/ready");
    assert_eq!(health.status, 200);

    mongo.restore().await;
    // The driver finds the server again by itself (its monitor checks every few hundred ms after a failure).
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.call("GET", "/ready", None, None).await.status != 200 {
        assert!(Instant::now() < deadline, "not ready 30 s after the database came back:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(c.call("POST", "/api/auth/login", None, Some(creds)).await.status, 200);
    assert_eq!(c.call("POST", "/api/auth/signup", None, Some(other)).await.status, 201);
    let list = c.call("GET", "/api/documents", t, None).await;
    assert_eq!(list.json["documents"].as_array().map(Vec::len), Some(1), "{}", list.json);
    assert_eq!(c.upload("/api/documents", t, line_image(), "e.png", None).await.status, 201);

    // OCR runs now; the stream opened before the outage reports it to the end.
    let worker = Proc::worker(dir.path(), &backend, &["--workers", "1"]);
    assert_eq!(c.wait_final(&token, &doc, 300).await["status"], "completed");
    let seen = events.await.expect("events task");
    assert_eq!(seen.last().map(|e| e["status"].clone()), Some(json!("completed")), "{seen:?}");
    worker.stop();
    server.stop();
}

/// A private FerretDB (its own data directory and port), killed and started again.
struct PrivateFerret {
    child: Option<Child>,
    port: u16,
    data: PathBuf,
}

impl PrivateFerret {
    fn binary() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/ferretdb")
    }

    fn start(data: &Path) -> PrivateFerret {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let mut f = PrivateFerret { child: None, port, data: data.to_owned() };
        f.restart();
        f
    }

    fn restart(&mut self) {
        let (db, state) = (self.data.join("db"), self.data.join("state"));
        std::fs::create_dir_all(&db).expect("ferretdb data dir");
        std::fs::create_dir_all(&state).expect("ferretdb state dir");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.data.join("ferretdb.log")).expect("log");
        let child = Command::new(Self::binary())
            .arg("--handler=sqlite")
            .arg(format!("--sqlite-url=file:{}/", db.display()))
            .arg(format!("--listen-addr=127.0.0.1:{}", self.port))
            .arg(format!("--state-dir={}", state.display()))
            .args(["--debug-addr=-", "--telemetry=disable", "--log-level=warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start ferretdb");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "private FerretDB did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGSTOP: it keeps its port and connections (the kernel even accepts new ones) but answers nothing, as
    /// a hung server does.
    fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT: it answers again.
    fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        assert!(Command::new("kill").args([sig, &pid]).status().expect("kill").success(), "kill {sig} {pid}");
    }

    /// SIGKILL: gone at once, mid-request if it had one.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateFerret {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A three-page PDF of dev pages.
fn three_page_pdf() -> Vec<u8> {
    let pages: Vec<image::GrayImage> = ["page_001.png", "page_002.png", "page_003.png"]
        .iter()
        .map(|p| image::load_from_memory(&dev_page(p)).expect("decode dev page").to_luma8())
        .collect();
    hindi_ocr_core::export::images_to_pdf(&pages, 150).expect("make PDF")
}

/// The database (killed and started again) and S3 (cut and restored) go away while a multi-page PDF is being
/// read: when they are back the job completes once, its result is downloadable, and nothing is duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdf_job_survives_restart_of_both_stores() {
    let Some((_, db, endpoint, bucket)) = services("pdf_job_survives_restart_of_both_stores") else { return };
    if !PrivateFerret::binary().exists() {
        assert!(std::env::var("HINDI_OCR_REQUIRE_SERVICES").as_deref() != Ok("1"), "no .tools/bin/ferretdb: run `make services`");
        eprintln!("note: no .tools/bin/ferretdb; restart test not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ferret = PrivateFerret::start(&dir.path().join("ferretdb"));
    let s3 = Gate::open(socket_of(&endpoint)).await;
    let backend = Backend::MongoS3 {
        url: format!("mongodb://127.0.0.1:{}/", ferret.port),
        db,
        endpoint: format!("http://{}", s3.addr()),
        bucket,
    };
    let server = Proc::serve(dir.path(), &backend, &["--workers", "1", "--lease-secs", "10"]);
    let c = Client::new(&server.url);
    let token = c.signup("restart@example.com", "correct horse battery").await;
    let t = Some(token.as_str());
    let chat = id(&c.call("POST", "/api/chats", t, Some(json!({"title": "restart"}))).await);
    let doc = id(&c.upload("/api/documents", t, three_page_pdf(), "three.pdf", Some(&chat)).await);

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = c.call("GET", &format!("/api/documents/{doc}"), t, None).await.json;
        assert_ne!(d["status"], "completed", "the job finished before the outage; make the input longer");
        if d["status"] == "processing" {
            break;
        }
        assert!(Instant::now() < deadline, "the job never started: {d}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ferret.kill();
    s3.cut();
    let down = c.call("GET", &format!("/api/documents/{doc}"), t, None).await;
    assert_outage(&down, "get document while both are down");
    tokio::time::sleep(Duration::from_secs(3)).await;
    ferret.restart();
    s3.restore().await;

    let d = c.wait_final(&token, &doc, 300).await;
    assert_eq!(d["status"], "completed", "{d}\n{}", server.log());
    assert_eq!((d["pagesDone"].as_u64(), d["pagesTotal"].as_u64()), (Some(3), Some(3)), "{d}");
    assert!(d["attempts"].as_u64().is_some_and(|a| a <= 2), "{d}");
    let text = c.call("GET", &format!("/api/documents/{doc}/ocr?format=text"), t, None).await;
    assert_eq!(text.status, 200);
    assert!(String::from_utf8_lossy(&text.bytes).lines().count() > 10, "{}", String::from_utf8_lossy(&text.bytes));
    let pdf = c.call("GET", &format!("/api/documents/{doc}/ocr?format=pdf&download=1"), t, None).await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // Once: one OCR message in the chat, one job done, none left running or queued.
    let msgs = c.call("GET", &format!("/api/chats/{chat}/messages"), t, None).await.json;
    let system: Vec<&Value> = msgs["messages"].as_array().expect("messages").iter().filter(|m| m["role"] == "system").collect();
    assert_eq!(system.len(), 1, "{msgs}");
    let metrics = String::from_utf8(c.call("GET", "/metrics", None, None).await.bytes).expect("metrics");
    for line in ["hindi_ocr_jobs{state=\"done\"} 1", "hindi_ocr_jobs{state=\"running\"} 0", "hindi_ocr_jobs{state=\"queued\"} 0"] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    server.stop();
}

/// S3 accepts connections and never answers: requests that need it get `503` within the S3 time limit
/// (`--s3-timeout-secs`, 2 s here; without it an S3 call waited 120 s per attempt), and all works again when
/// it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_s3_answers_503_within_the_time_limit() {
    let Some((url, db, endpoint, bucket)) = services("hung_s3_answers_503_within_the_time_limit") else { return };
    let s3 = Gate::open(socket_of(&endpoint)).await;
    let backend = Backend::MongoS3 { url, db, endpoint: format!("http://{}", s3.addr()), bucket };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0", "--s3-timeout-secs", "2"]);
    let c = Client::new(&server.url);
    let token = c.signup("s3-hang@example.com", "correct horse battery").await;
    let t = Some(token.as_str());
    let a = id(&c.upload("/api/documents", t, line_image(), "a.png", None).await);

    s3.hang().await;
    let started = Instant::now();
    let (file_path, doc_path) = (format!("/api/documents/{a}/file"), format!("/api/documents/{a}"));
    let (upload, download, delete, ready) = tokio::join!(
        c.upload("/api/documents", t, line_image(), "b.png", None),
        c.call("GET", &file_path, t, None),
        c.call("DELETE", &doc_path, t, None),
        c.call("GET", "/ready", None, None),
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "answers took {elapsed:?} with S3 hung");
    assert_outage(&upload, "upload");
    assert_outage(&download, "download");
    assert_outage(&delete, "delete");
    assert_eq!(ready.json["checks"]["blobs (s3)"], "unavailable", "{}", ready.json);
    assert_eq!(c.call("GET", &doc_path, t, None).await.status, 200, "the delete changed nothing");

    s3.restore().await;
    let file = c.call("GET", &file_path, t, None).await;
    assert_eq!((file.status, file.bytes.as_slice()), (200, line_image().as_slice()));
    assert_eq!(c.upload("/api/documents", t, line_image(), "b.png", None).await.status, 201);
    assert_eq!(c.call("DELETE", &doc_path, t, None).await.status, 204);
    server.stop();
}

/// The database stops answering (a private FerretDB, SIGSTOP: connections stay open, nothing comes back):
/// requests get `503` within the database time limit (`--database-timeout-secs`, 2 s here; the driver itself
/// would wait for ever on an open connection), and all works again when it answers (SIGCONT).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_database_answers_503_within_the_time_limit() {
    let Some((_, db, endpoint, bucket)) = services("hung_database_answers_503_within_the_time_limit") else { return };
    if !PrivateFerret::binary().exists() {
        assert!(std::env::var("HINDI_OCR_REQUIRE_SERVICES").as_deref() != Ok("1"), "no .tools/bin/ferretdb: run `make services`");
        eprintln!("note: no .tools/bin/ferretdb; hung database test not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ferret = PrivateFerret::start(&dir.path().join("ferretdb"));
    let backend = Backend::MongoS3 { url: format!("mongodb://127.0.0.1:{}/", ferret.port), db, endpoint, bucket };
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0", "--database-timeout-secs", "2"]);
    let c = Client::new(&server.url);
    let token = c.signup("db-hang@example.com", "correct horse battery").await;
    let t = Some(token.as_str());
    let doc = id(&c.upload("/api/documents", t, line_image(), "d.png", None).await);

    ferret.pause();
    let started = Instant::now();
    let creds = json!({"email": "db-hang@example.com", "password": "correct horse battery"});
    let doc_path = format!("/api/documents/{doc}");
    let (login, docs, one, upload, health) = tokio::join!(
        c.call("POST", "/api/auth/login", None, Some(creds.clone())),
        c.call("GET", "/api/documents", t, None),
        c.call("GET", &doc_path, t, None),
        c.upload("/api/documents", t, line_image(), "e.png", None),
        c.call("GET", "/health", None, None),
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "answers took {elapsed:?} with the database hung");
    for (a, what) in [(&login, "login"), (&docs, "list documents"), (&one, "get document"), (&upload, "upload")] {
        assert_outage(a, what);
    }
    assert_eq!(health.status, 200);

    ferret.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.call("GET", "/ready", None, None).await.status != 200 {
        assert!(Instant::now() < deadline, "not ready 30 s after the database answered again:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(c.call("POST", "/api/auth/login", None, Some(creds)).await.status, 200);
    let list = c.call("GET", "/api/documents", t, None).await;
    assert_eq!(list.json["documents"].as_array().map(Vec::len), Some(1), "{}", list.json);
    server.stop();
}
