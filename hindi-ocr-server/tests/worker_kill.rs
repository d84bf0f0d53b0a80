//! A `hindi-ocr worker` process is killed with SIGKILL in the middle of a job. Its lease (2 s here) expires,
//! a new worker claims the job again, and the job completes: nothing lost (the text is there), nothing done
//! twice (one OCR message in the chat, one finished job, two attempts recorded).

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::{Backend, Client, Proc, dev_page};
use image::GenericImageView;
use serde_json::json;

/// A tall page (three dev pages stacked) so that the job surely runs for a while.
fn long_page() -> Vec<u8> {
    let pages: Vec<image::DynamicImage> = ["page_001.png", "page_005.png", "page_004.png"]
        .iter()
        .map(|p| image::load_from_memory(&dev_page(p)).expect("decode dev page"))
        .collect();
    let width = pages.iter().map(|p| p.width()).max().unwrap_or(1);
    let height = pages.iter().map(|p| p.height()).sum();
    let mut out = image::GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut y = 0;
    for p in &pages {
        image::imageops::overlay(&mut out, &p.to_luma8(), 0, i64::from(y));
        y += p.dimensions().1;
    }
    let mut png = Vec::new();
    out.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("encode");
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_job_completes_after_restart_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = Backend::Embedded;
    // The server runs no workers of its own: only the worker processes below do OCR.
    let server = Proc::serve(dir.path(), &backend, &["--workers", "0"]);
    let c = Client::new(&server.url);
    let token = c.signup("kill@example.com", "correct horse battery").await;
    let chat = c.call("POST", "/api/chats", Some(&token), Some(json!({"title": "kill"}))).await.json["id"].as_str().unwrap().to_owned();

    let worker = Proc::worker(dir.path(), &backend, &["--workers", "1", "--lease-secs", "2"]);
    let up = c.upload("/api/documents/ocr?wait=0", Some(&token), long_page(), "long.png", Some(&chat)).await;
    assert_eq!(up.status, 202, "{}", up.json);
    let id = up.json["documentId"].as_str().unwrap().to_owned();

    // Wait until the worker has claimed it, then kill the worker mid-job.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = c.call("GET", &format!("/api/documents/{id}"), Some(&token), None).await.json;
        assert_ne!(d["status"], "completed", "the job finished before the worker could be killed; make the input longer");
        if d["status"] == "processing" {
            break;
        }
        assert!(Instant::now() < deadline, "worker never started the job: {d}\n{}", worker.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.kill();

    // Nobody is working on it now: after the lease it stays `processing` with its lease expired.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let d = c.call("GET", &format!("/api/documents/{id}"), Some(&token), None).await.json;
    assert_eq!(d["status"], "processing", "{d}");
    assert_eq!(d["attempts"], 1);

    // A new worker takes it up again and finishes it.
    let worker = Proc::worker(dir.path(), &backend, &["--workers", "1", "--lease-secs", "2"]);
    let d = c.wait_final(&token, &id, 600).await;
    assert_eq!(d["status"], "completed", "{d}\n{}", worker.log());
    assert_eq!(d["attempts"], 2, "one killed attempt, one that finished");
    let text = d["ocrText"].as_str().unwrap_or("").to_owned();
    assert!(text.lines().count() > 10, "the whole document was read: {text}");

    // Exactly once: one OCR message in the chat, one job done, none running or queued.
    let msgs = c.call("GET", &format!("/api/chats/{chat}/messages"), Some(&token), None).await.json;
    let system: Vec<_> = msgs["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "system").collect();
    assert_eq!(system.len(), 1, "{msgs}");
    assert_eq!(system[0]["content"].as_str(), Some(text.as_str()));
    let metrics = String::from_utf8(c.call("GET", "/metrics", None, None).await.bytes).unwrap();
    for line in ["hindi_ocr_jobs{state=\"done\"} 1", "hindi_ocr_jobs{state=\"running\"} 0", "hindi_ocr_jobs{state=\"queued\"} 0"] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    worker.stop();
    server.stop();
}
