//! One conformance suite for every `Store`: each case below runs against the embedded SQLite store and
//! against MongoDB (FerretDB under `make test`).
//!
//! MongoDB: the URL comes from `HINDI_OCR_TEST_MONGODB_URL` (written by `make services`); every test uses
//! its own fresh database and drops it at the end. Without the variable the MongoDB tests fail when
//! `HINDI_OCR_REQUIRE_SERVICES=1` (as `make test` sets) and otherwise return early with a note on stderr.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hindi_ocr_server::model::{
    Chat, Document, DocumentStatus, DocumentUpdate, Job, JobState, Message, Pagination, Role, User, new_id, now,
};
use hindi_ocr_server::store::embedded::EmbeddedStore;
use hindi_ocr_server::store::mongo::MongoStore;
use hindi_ocr_server::store::{StorageError, Store};

/// Three handles on the same data (separate connections / clients), for cross-connection concurrency.
type Stores = Vec<Arc<dyn Store>>;

fn secs(s: i64) -> chrono::Duration {
    chrono::Duration::seconds(s)
}

const LEASE: Duration = Duration::from_secs(30);

fn later(t: DateTime<Utc>, s: i64) -> DateTime<Utc> {
    t + secs(s)
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, StorageError>) -> bool {
    matches!(r, Err(StorageError::NotFound { .. }))
}

fn is_lease_lost<T: std::fmt::Debug>(r: Result<T, StorageError>) -> bool {
    matches!(r, Err(StorageError::LeaseLost { .. }))
}

async fn new_user(store: &dyn Store, email: &str) -> User {
    let user = User::new(email, "$argon2id$v=19$fake".into());
    store.create_user(&user).await.expect("create user");
    user
}

async fn new_document(store: &dyn Store, user: &User, chat: Option<&Chat>) -> Document {
    let id = new_id();
    let key = format!("documents/{}/{id}", user.id);
    let doc = Document::new(&id, &user.id, chat.map(|c| c.id.as_str()), "page.png", "image/png", 1234, &key);
    store.create_document(&doc).await.expect("create document");
    doc
}

// ---------------------------------------------------------------- cases

async fn ping_and_kind(stores: Stores) {
    let s = &stores[0];
    s.ping().await.expect("ping");
    assert!(["embedded", "mongodb"].contains(&s.kind()));
}

async fn users(stores: Stores) {
    let s = &*stores[0];
    let alice = new_user(s, "  Alice@Example.COM ").await;
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(s.get_user(&alice.id).await.expect("by id"), alice);
    assert_eq!(s.get_user_by_email("ALICE@example.com").await.expect("by email"), alice);

    let dup = User::new("alice@EXAMPLE.com", "other".into());
    let err = s.create_user(&dup).await.expect_err("duplicate email");
    assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
    // The first account is untouched.
    assert_eq!(s.get_user_by_email("alice@example.com").await.expect("still there").password_hash, alice.password_hash);

    assert!(is_not_found(s.get_user("no-such-id").await));
    assert!(is_not_found(s.get_user_by_email("bob@example.com").await));
}

async fn sessions(stores: Stores) {
    let s = &*stores[0];
    let soon = later(now(), 3600);
    assert!(!s.is_session_revoked("t1").await.expect("lookup"));
    s.revoke_session("t1", soon).await.expect("revoke");
    s.revoke_session("t1", soon).await.expect("revoking twice is fine");
    assert!(s.is_session_revoked("t1").await.expect("lookup"));
    assert!(stores[1].is_session_revoked("t1").await.expect("seen from another connection"));
    assert!(!s.is_session_revoked("t2").await.expect("others are not"));
    // An entry whose token has expired anyway may be forgotten; a live one never is.
    s.revoke_session("old", later(now(), -60)).await.expect("revoke expired");
    s.revoke_session("t3", soon).await.expect("revoke");
    assert!(s.is_session_revoked("t1").await.expect("lookup") && s.is_session_revoked("t3").await.expect("lookup"));
}

async fn chats(stores: Stores) {
    let s = &*stores[0];
    let alice = new_user(s, "alice@example.com").await;
    let bob = new_user(s, "bob@example.com").await;
    let mut made = Vec::new();
    for i in 0..3 {
        let chat = Chat::new(&alice.id, &format!("chat {i}"));
        s.create_chat(&chat).await.expect("create chat");
        made.push(chat);
    }
    // Newest first; ids are time-ordered, so same-millisecond chats keep creation order.
    let list = s.list_chats(&alice.id, Pagination::default()).await.expect("list");
    let titles: Vec<_> = list.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["chat 2", "chat 1", "chat 0"]);
    let page = s.list_chats(&alice.id, Pagination::new(1, 1)).await.expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].title, "chat 1");
    assert!(s.list_chats(&alice.id, Pagination::new(3, 10)).await.expect("past the end").is_empty());
    assert!(s.list_chats(&bob.id, Pagination::default()).await.expect("bob's").is_empty());

    let chat = &made[0];
    assert_eq!(s.get_chat(&alice.id, &chat.id).await.expect("get"), *chat);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let renamed = s.rename_chat(&alice.id, &chat.id, "renamed").await.expect("rename");
    assert_eq!(renamed.title, "renamed");
    assert_eq!(renamed.created_at, chat.created_at);
    assert!(renamed.updated_at > chat.updated_at);
    assert_eq!(s.get_chat(&alice.id, &chat.id).await.expect("get again").title, "renamed");

    // Bob sees nothing of Alice's chat.
    assert!(is_not_found(s.get_chat(&bob.id, &chat.id).await));
    assert!(is_not_found(s.rename_chat(&bob.id, &chat.id, "mine").await));
    assert!(is_not_found(s.delete_chat(&bob.id, &chat.id).await));
    assert!(is_not_found(s.list_messages(&bob.id, &chat.id, Pagination::default()).await));
    let intruder = Message::new(&chat.id, &bob.id, Role::User, "hi", None);
    assert!(is_not_found(s.add_message(&intruder).await));
    assert_eq!(s.get_chat(&alice.id, &chat.id).await.expect("unchanged").title, "renamed");
    assert!(is_not_found(s.get_chat(&alice.id, "no-such-chat").await));
}

async fn messages(stores: Stores) {
    let s = &*stores[0];
    let alice = new_user(s, "alice@example.com").await;
    let chat = Chat::new(&alice.id, "c");
    s.create_chat(&chat).await.expect("chat");
    tokio::time::sleep(Duration::from_millis(5)).await;
    for i in 0..6 {
        let role = if i % 2 == 0 { Role::User } else { Role::System };
        let doc_id = (i == 5).then_some("doc-1");
        s.add_message(&Message::new(&chat.id, &alice.id, role, &format!("m{i}"), doc_id)).await.expect("add");
    }
    let all = s.list_messages(&alice.id, &chat.id, Pagination::default()).await.expect("list");
    let texts: Vec<_> = all.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["m0", "m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(all[1].role, Role::System);
    assert_eq!(all[5].document_id.as_deref(), Some("doc-1"));
    assert_eq!(all[0].document_id, None);
    let page = s.list_messages(&alice.id, &chat.id, Pagination::new(2, 2)).await.expect("page");
    assert_eq!(page.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["m2", "m3"]);
    // A message bumps the chat's updatedAt.
    let after = s.get_chat(&alice.id, &chat.id).await.expect("chat");
    assert!(after.updated_at > chat.updated_at, "{after:?}");
    // Unknown chat.
    let stray = Message::new("no-such-chat", &alice.id, Role::User, "x", None);
    assert!(is_not_found(s.add_message(&stray).await));
}

async fn documents(stores: Stores) {
    let s = &*stores[0];
    let alice = new_user(s, "alice@example.com").await;
    let bob = new_user(s, "bob@example.com").await;
    let chat = Chat::new(&alice.id, "c");
    s.create_chat(&chat).await.expect("chat");
    let loose = new_document(s, &alice, None).await;
    let in_chat = new_document(s, &alice, Some(&chat)).await;

    let got = s.get_document(&alice.id, &in_chat.id).await.expect("get");
    assert_eq!(got, in_chat);
    assert_eq!(got.status, DocumentStatus::Uploaded);

    // A sealed PDF password is kept as it was written (and stays through status updates).
    let id = new_id();
    let mut sealed = Document::new(&id, &alice.id, None, "s.pdf", "application/pdf", 9, &format!("documents/{}/{id}", alice.id));
    sealed.pdf_password = Some("v1.c2VhbGVk".into());
    s.create_document(&sealed).await.expect("create sealed");
    assert_eq!(s.get_document(&alice.id, &id).await.expect("get sealed"), sealed);
    let queued = s.update_document(&alice.id, &id, &DocumentUpdate::status(DocumentStatus::Queued)).await.expect("queued");
    assert_eq!(queued.pdf_password, sealed.pdf_password);
    s.delete_document(&alice.id, &id).await.expect("delete sealed");

    let all = s.list_documents(&alice.id, None, Pagination::default()).await.expect("list");
    assert_eq!(all.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [in_chat.id.as_str(), loose.id.as_str()]);
    let of_chat = s.list_documents(&alice.id, Some(&chat.id), Pagination::default()).await.expect("of chat");
    assert_eq!(of_chat.len(), 1);
    assert_eq!(of_chat[0].id, in_chat.id);
    assert!(s.list_documents(&bob.id, None, Pagination::default()).await.expect("bob").is_empty());

    // A document cannot be put into another user's chat.
    let id = new_id();
    let sneaky = Document::new(&id, &bob.id, Some(&chat.id), "x.png", "image/png", 1, &format!("documents/{}/{id}", bob.id));
    assert!(is_not_found(s.create_document(&sneaky).await));

    // Status, progress, result, and clearing an optional field.
    let q = s.update_document(&alice.id, &in_chat.id, &DocumentUpdate::status(DocumentStatus::Queued)).await.expect("queued");
    assert_eq!(q.status, DocumentStatus::Queued);
    assert!(q.updated_at >= in_chat.updated_at);
    let failed = s.update_document(&alice.id, &in_chat.id, &DocumentUpdate::failed("bad luck")).await.expect("failed");
    assert_eq!(failed.error.as_deref(), Some("bad luck"));
    let progress = DocumentUpdate { attempts: Some(2), ..DocumentUpdate::progress(1, 3) };
    let p = s.update_document(&alice.id, &in_chat.id, &progress).await.expect("progress");
    assert_eq!((p.pages_done, p.pages_total, p.attempts), (1, 3, 2));
    assert_eq!(p.status, DocumentStatus::Failed, "fields not in the update are kept");
    let result = serde_json::json!({
        "pages": [{ "lines": [{ "text": "नमस्ते दुनिया", "confidence": 0.93, "bbox": { "x": 1, "y": 2, "w": 300, "h": 40 } }] }],
        "text": "नमस्ते दुनिया",
        "processingTimeMs": 1500
    });
    let done = s
        .update_document(&alice.id, &in_chat.id, &DocumentUpdate::completed("नमस्ते दुनिया".into(), 0.93, result.clone(), 1500))
        .await
        .expect("completed");
    assert_eq!(done.status, DocumentStatus::Completed);
    assert_eq!(done.error, None, "completed clears the error");
    let reread = s.get_document(&alice.id, &in_chat.id).await.expect("reread");
    assert_eq!(reread, done);
    assert_eq!(reread.ocr_text.as_deref(), Some("नमस्ते दुनिया"));
    assert_eq!(reread.ocr_confidence, Some(0.93));
    assert_eq!(reread.ocr_result, Some(result));
    assert_eq!(reread.processing_time_ms, Some(1500));
    assert_eq!(reread.pages_done, 1);

    // Another user's document: not found on every operation.
    assert!(is_not_found(s.get_document(&bob.id, &in_chat.id).await));
    assert!(is_not_found(s.update_document(&bob.id, &in_chat.id, &DocumentUpdate::failed("x")).await));
    assert!(is_not_found(s.delete_document(&bob.id, &in_chat.id).await));

    // Delete returns the record (for its blob key) and removes its jobs.
    let job = Job::new(&in_chat.id, &alice.id, 3);
    s.enqueue_job(&job).await.expect("job");
    let deleted = s.delete_document(&alice.id, &in_chat.id).await.expect("delete");
    assert_eq!(deleted.blob_key, in_chat.blob_key);
    assert!(is_not_found(s.get_document(&alice.id, &in_chat.id).await));
    assert!(is_not_found(s.get_job(&job.id).await));
    assert!(is_not_found(s.delete_document(&alice.id, &in_chat.id).await));
    assert_eq!(s.list_documents(&alice.id, None, Pagination::default()).await.expect("list").len(), 1);
}

async fn delete_chat_cascades(stores: Stores) {
    let s = &*stores[0];
    let alice = new_user(s, "alice@example.com").await;
    let chat = Chat::new(&alice.id, "doomed");
    let keep = Chat::new(&alice.id, "kept");
    s.create_chat(&chat).await.expect("chat");
    s.create_chat(&keep).await.expect("chat");
    let d1 = new_document(s, &alice, Some(&chat)).await;
    let d2 = new_document(s, &alice, Some(&chat)).await;
    let d_keep = new_document(s, &alice, Some(&keep)).await;
    let d_loose = new_document(s, &alice, None).await;
    let j1 = Job::new(&d1.id, &alice.id, 3);
    let j_keep = Job::new(&d_keep.id, &alice.id, 3);
    s.enqueue_job(&j1).await.expect("job");
    s.enqueue_job(&j_keep).await.expect("job");
    s.add_message(&Message::new(&chat.id, &alice.id, Role::User, "bye", None)).await.expect("msg");
    s.add_message(&Message::new(&keep.id, &alice.id, Role::User, "stay", None)).await.expect("msg");

    let deleted = s.delete_chat(&alice.id, &chat.id).await.expect("delete chat");
    let keys: HashSet<_> = deleted.blob_keys.iter().cloned().collect();
    assert_eq!(keys, HashSet::from([d1.blob_key.clone(), d2.blob_key.clone()]));
    let ids: HashSet<_> = deleted.document_ids.iter().cloned().collect();
    assert_eq!(ids, HashSet::from([d1.id.clone(), d2.id.clone()]));

    assert!(is_not_found(s.get_chat(&alice.id, &chat.id).await));
    assert!(is_not_found(s.get_document(&alice.id, &d1.id).await));
    assert!(is_not_found(s.get_document(&alice.id, &d2.id).await));
    assert!(is_not_found(s.get_job(&j1.id).await));
    assert!(is_not_found(s.list_messages(&alice.id, &chat.id, Pagination::default()).await));
    assert!(is_not_found(s.delete_chat(&alice.id, &chat.id).await), "second delete");
    // Everything else stays.
    s.get_document(&alice.id, &d_keep.id).await.expect("kept doc");
    s.get_document(&alice.id, &d_loose.id).await.expect("loose doc");
    s.get_job(&j_keep.id).await.expect("kept job");
    let kept_msgs = s.list_messages(&alice.id, &keep.id, Pagination::default()).await.expect("kept msgs");
    assert_eq!(kept_msgs.len(), 1);
    let remaining = s.list_chats(&alice.id, Pagination::default()).await.expect("chats");
    assert_eq!(remaining.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [keep.id.as_str()]);
}

async fn job_lifecycle(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-a", "user-a", 3);
    s.enqueue_job(&job).await.expect("enqueue");
    assert_eq!(s.get_job(&job.id).await.expect("get"), job);
    assert!(is_not_found(s.get_job("no-such-job").await));
    let counts = s.count_jobs().await.expect("counts");
    assert_eq!((counts.queued, counts.running, counts.done, counts.failed), (1, 0, 0, 0));

    let t0 = now();
    let claimed = s.claim_job("w1", LEASE, t0).await.expect("claim").expect("a job");
    assert_eq!(claimed.id, job.id);
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.lease_owner.as_deref(), Some("w1"));
    assert_eq!(claimed.lease_expires_at, Some(t0 + secs(30)));
    assert!(s.claim_job("w2", LEASE, t0).await.expect("claim").is_none(), "claimed once");
    assert_eq!(s.count_jobs().await.expect("counts").running, 1);

    assert!(is_lease_lost(s.renew_lease(&job.id, "w2", LEASE, t0).await));
    let renewed = s.renew_lease(&job.id, "w1", LEASE, later(t0, 20)).await.expect("renew");
    assert_eq!(renewed.lease_expires_at, Some(t0 + secs(50)));
    // The renewed lease holds past the first expiry.
    assert!(s.claim_job("w2", LEASE, later(t0, 40)).await.expect("claim").is_none());

    assert!(is_lease_lost(s.complete_job(&job.id, "w2", t0).await));
    let done = s.complete_job(&job.id, "w1", later(t0, 21)).await.expect("complete");
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.lease_owner, None);
    assert!(is_lease_lost(s.complete_job(&job.id, "w1", later(t0, 22)).await), "completing twice");
    assert!(is_lease_lost(s.fail_job(&job.id, "w1", "late", None, later(t0, 22)).await));
    assert!(is_not_found(s.complete_job("no-such-job", "w1", t0).await));
    assert!(s.claim_job("w2", LEASE, later(t0, 1000)).await.expect("claim").is_none(), "done jobs stay done");
    let counts = s.count_jobs().await.expect("counts");
    assert_eq!((counts.queued, counts.running, counts.done, counts.failed), (0, 0, 1, 0));
}

async fn job_retries_then_fails(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-b", "user-b", 2);
    s.enqueue_job(&job).await.expect("enqueue");
    let t0 = now();
    s.claim_job("w1", LEASE, t0).await.expect("claim").expect("job");
    let retry = s.fail_job(&job.id, "w1", "transient", Some(Duration::from_secs(10)), t0).await.expect("fail");
    assert_eq!(retry.state, JobState::Queued);
    assert_eq!(retry.run_after, t0 + secs(10));
    assert_eq!(retry.last_error.as_deref(), Some("transient"));
    assert_eq!(retry.lease_owner, None);
    assert!(s.claim_job("w2", LEASE, later(t0, 5)).await.expect("claim").is_none(), "backoff respected");
    let second = s.claim_job("w2", LEASE, later(t0, 11)).await.expect("claim").expect("retried");
    assert_eq!(second.attempts, 2);
    // No attempts left: a retryable failure is final now.
    let last = s.fail_job(&job.id, "w2", "still broken", Some(Duration::from_secs(10)), later(t0, 12)).await.expect("fail");
    assert_eq!(last.state, JobState::Failed);
    assert_eq!(last.last_error.as_deref(), Some("still broken"));
    assert!(s.claim_job("w3", LEASE, later(t0, 1000)).await.expect("claim").is_none());

    // A non-retryable failure is final at once.
    let job2 = Job::new("doc-c", "user-b", 5);
    s.enqueue_job(&job2).await.expect("enqueue");
    let c = s.claim_job("w1", LEASE, later(t0, 20)).await.expect("claim").expect("job2");
    assert_eq!(c.id, job2.id);
    let f = s.fail_job(&job2.id, "w1", "corrupt image", None, later(t0, 21)).await.expect("fail");
    assert_eq!((f.state, f.attempts), (JobState::Failed, 1));
    let counts = s.count_jobs().await.expect("counts");
    assert_eq!(counts.failed, 2);
}

async fn lease_expiry_reclaim(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-d", "user-d", 3);
    s.enqueue_job(&job).await.expect("enqueue");
    let t0 = now();
    s.claim_job("dead-worker", LEASE, t0).await.expect("claim").expect("job");
    assert!(s.claim_job("w2", LEASE, later(t0, 29)).await.expect("claim").is_none(), "lease still valid");
    let again = s.claim_job("w2", LEASE, later(t0, 30)).await.expect("claim").expect("expired lease reclaimed");
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempts, 2);
    assert_eq!(again.lease_owner.as_deref(), Some("w2"));
    // The first worker lost it: it can neither renew nor finish.
    assert!(is_lease_lost(s.renew_lease(&job.id, "dead-worker", LEASE, later(t0, 31)).await));
    assert!(is_lease_lost(s.complete_job(&job.id, "dead-worker", later(t0, 31)).await));
    assert!(is_lease_lost(s.release_job(&job.id, "dead-worker", later(t0, 31)).await));
    let done = s.complete_job(&job.id, "w2", later(t0, 32)).await.expect("complete");
    assert_eq!((done.state, done.attempts), (JobState::Done, 2));
}

async fn expired_without_attempts_fails(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-e", "user-e", 1);
    s.enqueue_job(&job).await.expect("enqueue");
    let t0 = now();
    s.claim_job("w1", LEASE, t0).await.expect("claim").expect("job");
    assert!(s.fail_expired_jobs(later(t0, 10)).await.expect("none yet").is_empty());
    assert!(s.claim_job("w2", LEASE, later(t0, 31)).await.expect("claim").is_none(), "no attempts left");
    let failed = s.fail_expired_jobs(later(t0, 31)).await.expect("fail expired");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, job.id);
    assert_eq!(failed[0].state, JobState::Failed);
    assert!(failed[0].last_error.as_deref().is_some_and(|e| e.contains("lease expired")));
    assert!(s.fail_expired_jobs(later(t0, 32)).await.expect("again").is_empty());
    assert_eq!(s.get_job(&job.id).await.expect("get").state, JobState::Failed);
}

async fn release_gives_job_back(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-f", "user-f", 1);
    s.enqueue_job(&job).await.expect("enqueue");
    let t0 = now();
    s.claim_job("w1", LEASE, t0).await.expect("claim").expect("job");
    assert!(is_lease_lost(s.release_job(&job.id, "w2", t0).await));
    let released = s.release_job(&job.id, "w1", later(t0, 1)).await.expect("release");
    assert_eq!((released.state, released.attempts), (JobState::Queued, 0));
    assert_eq!(released.lease_owner, None);
    // Claimable at once, and the released attempt was not counted (maxAttempts is 1).
    let again = s.claim_job("w2", LEASE, later(t0, 1)).await.expect("claim").expect("claimable");
    assert_eq!((again.attempts, again.lease_owner.as_deref()), (1, Some("w2")));
}

async fn defer_waits_uncounted(stores: Stores) {
    let s = &*stores[0];
    let job = Job::new("doc-w", "user-w", 1);
    s.enqueue_job(&job).await.expect("enqueue");
    let t0 = now();
    let claimed = s.claim_job("w1", LEASE, t0).await.expect("claim").expect("job");
    assert_eq!((claimed.attempts, claimed.waiting_since), (1, None));
    assert!(is_lease_lost(s.defer_job(&job.id, "w2", "down", Duration::from_secs(4), t0, t0).await));
    let deferred =
        s.defer_job(&job.id, "w1", "waiting for file storage", Duration::from_secs(4), t0, t0).await.expect("defer");
    assert_eq!((deferred.state, deferred.attempts, deferred.lease_owner.as_deref()), (JobState::Queued, 0, None));
    assert_eq!(deferred.last_error.as_deref(), Some("waiting for file storage"));
    assert_eq!(deferred.waiting_since.map(|t| t.timestamp_millis()), Some(t0.timestamp_millis()));
    // Not before the delay; then claimable with its attempt given back (maxAttempts is 1), still waiting since t0.
    assert!(s.claim_job("w2", LEASE, later(t0, 3)).await.expect("claim").is_none());
    let again = s.claim_job("w2", LEASE, later(t0, 4)).await.expect("claim").expect("claimable");
    assert_eq!((again.attempts, again.lease_owner.as_deref()), (1, Some("w2")));
    assert_eq!(again.waiting_since.map(|t| t.timestamp_millis()), Some(t0.timestamp_millis()));
    // A later failure counts as usual.
    let failed = s.fail_job(&job.id, "w2", "bad", Some(Duration::from_secs(1)), later(t0, 5)).await.expect("fail");
    assert_eq!(failed.state, JobState::Failed);
}

async fn concurrent_claims(stores: Stores) {
    const JOBS: usize = 24;
    const WORKERS: usize = 6;
    let mut ids = HashSet::new();
    for i in 0..JOBS {
        let job = Job::new(&format!("doc-{i}"), "user-g", 3);
        stores[0].enqueue_job(&job).await.expect("enqueue");
        ids.insert(job.id);
    }
    let t0 = later(now(), 1);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        // Workers spread over separate connections/clients to the same data.
        let store = Arc::clone(&stores[w % stores.len()]);
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut mine = Vec::new();
            while let Some(job) = store.claim_job(&worker, LEASE, t0).await.expect("claim") {
                assert_eq!(job.lease_owner.as_deref(), Some(worker.as_str()));
                store.complete_job(&job.id, &worker, t0).await.expect("complete own job");
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.expect("worker task"));
    }
    let unique: HashSet<_> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), JOBS, "each job claimed exactly once: {claimed:?}");
    assert_eq!(unique, ids);
    let counts = stores[0].count_jobs().await.expect("counts");
    assert_eq!((counts.queued, counts.running, counts.done), (0, 0, JOBS as u64));
}

async fn data_survives_reopen(stores: Stores) {
    // `stores[1]` and `[2]` are separate connections: what one writes, the others read.
    let alice = new_user(&*stores[0], "alice@example.com").await;
    let chat = Chat::new(&alice.id, "shared");
    stores[0].create_chat(&chat).await.expect("chat");
    assert_eq!(stores[1].get_user_by_email("alice@example.com").await.expect("user"), alice);
    assert_eq!(stores[2].get_chat(&alice.id, &chat.id).await.expect("chat"), chat);
}

// ---------------------------------------------------------------- back ends

fn services_required() -> bool {
    std::env::var("HINDI_OCR_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

async fn embedded_stores(dir: &tempfile::TempDir) -> Stores {
    let path = dir.path().join("test.db");
    let mut stores: Stores = Vec::new();
    for _ in 0..3 {
        stores.push(Arc::new(EmbeddedStore::open(&path).await.expect("open embedded store")));
    }
    stores
}

/// Three clients on a fresh database, or `None` (with a note) when no MongoDB is configured.
async fn mongo_stores(test: &str) -> Option<(Stores, MongoStore)> {
    let Ok(url) = std::env::var("HINDI_OCR_TEST_MONGODB_URL") else {
        assert!(
            !services_required(),
            "HINDI_OCR_TEST_MONGODB_URL is not set but HINDI_OCR_REQUIRE_SERVICES=1: run `make services` \
             (FerretDB) or point it at a MongoDB"
        );
        eprintln!("note: {test}: MongoDB part not run (HINDI_OCR_TEST_MONGODB_URL unset; `make test` sets it)");
        return None;
    };
    let db = format!("hindi_ocr_test_{}", new_id().replace('-', ""));
    let mut stores: Stores = Vec::new();
    let mut first = None;
    for _ in 0..3 {
        let store = MongoStore::connect(&url, &db)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to MongoDB at {url}: {e}"));
        first.get_or_insert_with(|| store.clone());
        stores.push(Arc::new(store));
    }
    Some((stores, first.expect("three clients")))
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let dir = tempfile::tempdir().expect("tempdir");
                    super::$case(super::embedded_stores(&dir).await).await;
                }
            )*
        }
        mod mongo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some((stores, admin)) = super::mongo_stores(stringify!($case)).await else { return };
                    super::$case(stores).await;
                    // Only reached when the case passed; a failed run leaves its database for inspection.
                    admin.database().drop().await.expect("drop test database");
                }
            )*
        }
    };
}

conformance!(
    ping_and_kind,
    users,
    sessions,
    chats,
    messages,
    documents,
    delete_chat_cascades,
    job_lifecycle,
    job_retries_then_fails,
    lease_expiry_reclaim,
    expired_without_attempts_fails,
    release_gives_job_back,
    defer_waits_uncounted,
    concurrent_claims,
    data_survives_reopen,
);

#[test]
fn store_location_parsing() {
    use hindi_ocr_server::store::StoreLocation;
    use std::path::Path;
    let data = Path::new("/data");
    assert_eq!(
        StoreLocation::parse(None, data, "db").expect("default"),
        StoreLocation::Embedded("/data/hindi-ocr.db".into())
    );
    assert_eq!(
        StoreLocation::parse(Some("mongodb://h:27017/x"), data, "db").expect("mongo"),
        StoreLocation::Mongo { url: "mongodb://h:27017/x".into(), default_database: "db".into() }
    );
    assert_eq!(
        StoreLocation::parse(Some("sqlite:///var/lib/o.db"), data, "db").expect("sqlite"),
        StoreLocation::Embedded("/var/lib/o.db".into())
    );
    assert_eq!(StoreLocation::parse(Some("rel.db"), data, "db").expect("path"), StoreLocation::Embedded("rel.db".into()));
    assert!(matches!(StoreLocation::parse(Some("postgres://x"), data, "db"), Err(StorageError::Config(_))));
}
