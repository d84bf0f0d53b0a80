//! The MongoDB store (production; also FerretDB, which speaks the MongoDB protocol).
//!
//! One collection per record type, `_id` = the record id, camelCase field names, times as BSON dates.
//! Indexes are created at start: unique `users.email`; `chats (userId, createdAt)`; `messages (chatId,
//! createdAt)`; `documents (userId, createdAt)` and `(chatId)`; `jobs (state, runAfter)` and `(documentId)`.
//!
//! No multi-document transactions (not every deployment has them). Every write is one single-document
//! atomic operation or an idempotent step:
//! - a job claim first wins a *claim token*: it inserts `{_id: "<jobId>:<n>"}` into `job_claims`, where `n`
//!   is one more than the job's `claimCount` as read. `_id` is unique in every MongoDB-compatible server, so
//!   only one worker gets claim `n` even on servers whose `findAndModify` reads and writes in two steps
//!   (FerretDB 1.x on SQLite). The winner then updates the job, conditional on `claimCount` still being
//!   `n - 1` and the job still claimable;
//! - lease-holder operations (renew, complete, fail, release) are conditional on `state: running` and
//!   `leaseOwner`;
//! - `attemptsLeft` (`maxAttempts - attempts`) is kept beside `attempts` so filters never compare two fields
//!   (`$expr` is not available everywhere);
//! - deleting a chat removes its documents, jobs and messages first and the chat last, so a retry finishes an
//!   interrupted delete.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document as BsonDoc, doc};
use mongodb::options::{ClientOptions, IndexOptions, ReturnDocument};
use mongodb::{Client, Collection, Database, IndexModel};

use super::{DeletedChat, StorageError, StorageResult, Store, add_duration};
use crate::model::{
    Chat, Document, DocumentStatus, DocumentUpdate, Job, JobCounts, JobState, Message, Pagination, Role, User,
    normalize_email,
};

const BACKEND: &str = "mongodb";
/// How long an operation waits for a reachable server before it fails (the driver's default is 30 s).
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening a connection may take (the driver's default is 10 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How many claimable jobs one claim call looks at before it gives up (others took them first).
const CLAIM_CANDIDATES: i64 = 8;

fn db_err(err: mongodb::error::Error) -> StorageError {
    StorageError::backend(BACKEND, err)
}

/// Duplicate key (code 11000) is a conflict; anything else a back-end error.
fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        ErrorKind::InsertMany(e) => e.write_errors.as_ref().is_some_and(|v| v.iter().any(|w| w.code == 11000)),
        _ => false,
    }
}

fn insert_err(what: &str, err: mongodb::error::Error) -> StorageError {
    if is_duplicate_key(&err) { StorageError::Conflict(format!("{what} already exists")) } else { db_err(err) }
}

fn date(t: DateTime<Utc>) -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(t.timestamp_millis()))
}

fn opt<T: Into<Bson>>(v: Option<T>) -> Bson {
    v.map_or(Bson::Null, Into::into)
}

fn int(v: u64) -> Bson {
    Bson::Int64(i64::try_from(v).unwrap_or(i64::MAX))
}

/// Reads fields of a stored record, saying which record kind is damaged when one is wrong.
struct Fields<'a> {
    doc: &'a BsonDoc,
    what: &'static str,
}

impl Fields<'_> {
    fn corrupt(&self, field: &str, why: &str) -> StorageError {
        StorageError::Corrupt { what: self.what, message: format!("field {field}: {why}") }
    }

    fn opt_value(&self, field: &str) -> Option<&Bson> {
        self.doc.get(field).filter(|v| !matches!(v, Bson::Null | Bson::Undefined))
    }

    fn str(&self, field: &str) -> StorageResult<String> {
        self.opt_str(field)?.ok_or_else(|| self.corrupt(field, "missing"))
    }

    fn opt_str(&self, field: &str) -> StorageResult<Option<String>> {
        match self.opt_value(field) {
            None => Ok(None),
            Some(Bson::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.corrupt(field, "not a string")),
        }
    }

    fn opt_i64(&self, field: &str) -> StorageResult<Option<i64>> {
        match self.opt_value(field) {
            None => Ok(None),
            Some(Bson::Int32(v)) => Ok(Some(i64::from(*v))),
            Some(Bson::Int64(v)) => Ok(Some(*v)),
            // Some servers hand back whole numbers as doubles.
            Some(Bson::Double(v)) if v.fract() == 0.0 => Ok(Some(*v as i64)),
            Some(_) => Err(self.corrupt(field, "not an integer")),
        }
    }

    fn u64(&self, field: &str) -> StorageResult<u64> {
        let v = self.opt_i64(field)?.ok_or_else(|| self.corrupt(field, "missing"))?;
        u64::try_from(v).map_err(|_| self.corrupt(field, "negative"))
    }

    fn u32(&self, field: &str) -> StorageResult<u32> {
        let v = self.u64(field)?;
        u32::try_from(v).map_err(|_| self.corrupt(field, "too large"))
    }

    fn opt_f64(&self, field: &str) -> StorageResult<Option<f64>> {
        match self.opt_value(field) {
            None => Ok(None),
            Some(Bson::Double(v)) => Ok(Some(*v)),
            Some(Bson::Int32(v)) => Ok(Some(f64::from(*v))),
            Some(Bson::Int64(v)) => Ok(Some(*v as f64)),
            Some(_) => Err(self.corrupt(field, "not a number")),
        }
    }

    fn time(&self, field: &str) -> StorageResult<DateTime<Utc>> {
        self.opt_time(field)?.ok_or_else(|| self.corrupt(field, "missing"))
    }

    fn opt_time(&self, field: &str) -> StorageResult<Option<DateTime<Utc>>> {
        match self.opt_value(field) {
            None => Ok(None),
            Some(Bson::DateTime(d)) => DateTime::from_timestamp_millis(d.timestamp_millis())
                .map(Some)
                .ok_or_else(|| self.corrupt(field, "date out of range")),
            Some(_) => Err(self.corrupt(field, "not a date")),
        }
    }
}

fn user_doc(u: &User) -> BsonDoc {
    doc! { "_id": &u.id, "email": normalize_email(&u.email), "passwordHash": &u.password_hash,
           "createdAt": date(u.created_at) }
}

fn user_from(doc: &BsonDoc) -> StorageResult<User> {
    let f = Fields { doc, what: "user" };
    Ok(User {
        id: f.str("_id")?,
        email: f.str("email")?,
        password_hash: f.str("passwordHash")?,
        created_at: f.time("createdAt")?,
    })
}

fn chat_doc(c: &Chat) -> BsonDoc {
    doc! { "_id": &c.id, "userId": &c.user_id, "title": &c.title, "createdAt": date(c.created_at),
           "updatedAt": date(c.updated_at) }
}

fn chat_from(doc: &BsonDoc) -> StorageResult<Chat> {
    let f = Fields { doc, what: "chat" };
    Ok(Chat {
        id: f.str("_id")?,
        user_id: f.str("userId")?,
        title: f.str("title")?,
        created_at: f.time("createdAt")?,
        updated_at: f.time("updatedAt")?,
    })
}

fn message_doc(m: &Message) -> BsonDoc {
    doc! { "_id": &m.id, "chatId": &m.chat_id, "userId": &m.user_id, "role": m.role.as_str(), "text": &m.text,
           "documentId": opt(m.document_id.clone()), "createdAt": date(m.created_at) }
}

fn message_from(doc: &BsonDoc) -> StorageResult<Message> {
    let f = Fields { doc, what: "message" };
    let role = f.str("role")?;
    Ok(Message {
        id: f.str("_id")?,
        chat_id: f.str("chatId")?,
        user_id: f.str("userId")?,
        role: Role::parse(&role).ok_or_else(|| f.corrupt("role", "unknown role"))?,
        text: f.str("text")?,
        document_id: f.opt_str("documentId")?,
        created_at: f.time("createdAt")?,
    })
}

fn json_to_bson(value: &serde_json::Value) -> StorageResult<Bson> {
    mongodb::bson::to_bson(value).map_err(|e| StorageError::InvalidInput(format!("ocrResult: {e}")))
}

fn document_doc(d: &Document) -> StorageResult<BsonDoc> {
    Ok(doc! {
        "_id": &d.id, "userId": &d.user_id, "chatId": opt(d.chat_id.clone()), "fileName": &d.file_name,
        "contentType": &d.content_type, "size": int(d.size), "blobKey": &d.blob_key, "status": d.status.as_str(),
        "error": opt(d.error.clone()), "ocrText": opt(d.ocr_text.clone()), "ocrConfidence": opt(d.ocr_confidence),
        "ocrResult": d.ocr_result.as_ref().map(json_to_bson).transpose()?.unwrap_or(Bson::Null),
        "processingTimeMs": d.processing_time_ms.map_or(Bson::Null, int), "pagesDone": i64::from(d.pages_done),
        "pagesTotal": i64::from(d.pages_total), "attempts": i64::from(d.attempts),
        "pdfPassword": opt(d.pdf_password.clone()), "createdAt": date(d.created_at), "updatedAt": date(d.updated_at),
    })
}

fn document_from(doc: &BsonDoc) -> StorageResult<Document> {
    let f = Fields { doc, what: "document" };
    let status = f.str("status")?;
    Ok(Document {
        id: f.str("_id")?,
        user_id: f.str("userId")?,
        chat_id: f.opt_str("chatId")?,
        file_name: f.str("fileName")?,
        content_type: f.str("contentType")?,
        size: f.u64("size")?,
        blob_key: f.str("blobKey")?,
        status: DocumentStatus::parse(&status).ok_or_else(|| f.corrupt("status", "unknown status"))?,
        error: f.opt_str("error")?,
        ocr_text: f.opt_str("ocrText")?,
        ocr_confidence: f.opt_f64("ocrConfidence")?,
        ocr_result: f.opt_value("ocrResult").map(|v| v.clone().into_relaxed_extjson()),
        processing_time_ms: f.opt_i64("processingTimeMs")?.map(|v| v.max(0) as u64),
        pages_done: f.u32("pagesDone")?,
        pages_total: f.u32("pagesTotal")?,
        attempts: f.u32("attempts")?,
        pdf_password: f.opt_str("pdfPassword")?,
        created_at: f.time("createdAt")?,
        updated_at: f.time("updatedAt")?,
    })
}

fn job_doc(j: &Job) -> BsonDoc {
    doc! {
        "_id": &j.id, "documentId": &j.document_id, "userId": &j.user_id, "state": j.state.as_str(),
        "attempts": i64::from(j.attempts), "maxAttempts": i64::from(j.max_attempts),
        "attemptsLeft": i64::from(j.max_attempts) - i64::from(j.attempts), "claimCount": 0_i64,
        "leaseOwner": opt(j.lease_owner.clone()), "leaseExpiresAt": j.lease_expires_at.map_or(Bson::Null, date),
        "runAfter": date(j.run_after), "lastError": opt(j.last_error.clone()),
        "createdAt": date(j.created_at), "updatedAt": date(j.updated_at),
        "waitingSince": j.waiting_since.map_or(Bson::Null, date),
    }
}

fn job_from(doc: &BsonDoc) -> StorageResult<Job> {
    let f = Fields { doc, what: "job" };
    let state = f.str("state")?;
    Ok(Job {
        id: f.str("_id")?,
        document_id: f.str("documentId")?,
        user_id: f.str("userId")?,
        state: JobState::parse(&state).ok_or_else(|| f.corrupt("state", "unknown state"))?,
        attempts: f.u32("attempts")?,
        max_attempts: f.u32("maxAttempts")?,
        lease_owner: f.opt_str("leaseOwner")?,
        lease_expires_at: f.opt_time("leaseExpiresAt")?,
        run_after: f.time("runAfter")?,
        last_error: f.opt_str("lastError")?,
        waiting_since: f.opt_time("waitingSince")?,
        created_at: f.time("createdAt")?,
        updated_at: f.time("updatedAt")?,
    })
}

/// The `$set`/`$unset` update of a [`DocumentUpdate`].
fn document_update_doc(update: &DocumentUpdate, now: DateTime<Utc>) -> StorageResult<BsonDoc> {
    let mut set = doc! { "updatedAt": date(now) };
    let mut unset = BsonDoc::new();
    let mut put = |field: &str, value: Option<Bson>| match value {
        Some(v) => {
            set.insert(field, v);
        }
        None => {
            unset.insert(field, "");
        }
    };
    if let Some(v) = update.status {
        put("status", Some(v.as_str().into()));
    }
    if let Some(v) = &update.error {
        put("error", v.clone().map(Bson::from));
    }
    if let Some(v) = &update.ocr_text {
        put("ocrText", v.clone().map(Bson::from));
    }
    if let Some(v) = update.ocr_confidence {
        put("ocrConfidence", v.map(Bson::from));
    }
    if let Some(v) = &update.ocr_result {
        put("ocrResult", v.as_ref().map(json_to_bson).transpose()?);
    }
    if let Some(v) = update.processing_time_ms {
        put("processingTimeMs", v.map(int));
    }
    if let Some(v) = update.pages_done {
        put("pagesDone", Some(i64::from(v).into()));
    }
    if let Some(v) = update.pages_total {
        put("pagesTotal", Some(i64::from(v).into()));
    }
    if let Some(v) = update.attempts {
        put("attempts", Some(i64::from(v).into()));
    }
    let mut out = doc! { "$set": set };
    if !unset.is_empty() {
        out.insert("$unset", unset);
    }
    Ok(out)
}

fn skip_limit(page: Pagination) -> (u64, i64) {
    (page.offset, i64::from(page.limit))
}

/// The MongoDB store.
#[derive(Clone)]
pub struct MongoStore {
    db: Database,
    users: Collection<BsonDoc>,
    chats: Collection<BsonDoc>,
    messages: Collection<BsonDoc>,
    documents: Collection<BsonDoc>,
    jobs: Collection<BsonDoc>,
    job_claims: Collection<BsonDoc>,
    revoked_sessions: Collection<BsonDoc>,
}

impl MongoStore {
    /// Connects to `url` (`mongodb://...`), uses the URL's database or `default_database`, and creates the
    /// indexes. Fails if the server does not answer.
    pub async fn connect(url: &str, default_database: &str) -> StorageResult<Self> {
        let mut options =
            ClientOptions::parse(url).await.map_err(|e| StorageError::Config(format!("database URL: {e}")))?;
        // The driver's defaults wait 30 s for a server that is down, and every request waits with it; fail
        // fast instead (a `503` the client can retry). A URL's own `serverSelectionTimeoutMS` /
        // `connectTimeoutMS` win.
        options.server_selection_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
        options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
        let client = Client::with_options(options).map_err(|e| StorageError::Config(format!("database URL: {e}")))?;
        let db = client.default_database().unwrap_or_else(|| client.database(default_database));
        let store = MongoStore {
            users: db.collection("users"),
            chats: db.collection("chats"),
            messages: db.collection("messages"),
            documents: db.collection("documents"),
            jobs: db.collection("jobs"),
            job_claims: db.collection("job_claims"),
            revoked_sessions: db.collection("revoked_sessions"),
            db,
        };
        store.create_indexes().await?;
        Ok(store)
    }

    /// The database (tests drop it).
    pub fn database(&self) -> &Database {
        &self.db
    }

    async fn create_indexes(&self) -> StorageResult<()> {
        let index = |keys: BsonDoc, name: &str, unique: bool| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).unique(unique.then_some(true)).build())
                .build()
        };
        self.users.create_index(index(doc! { "email": 1 }, "email_unique", true)).await.map_err(db_err)?;
        self.chats
            .create_index(index(doc! { "userId": 1, "createdAt": -1 }, "user_created", false))
            .await
            .map_err(db_err)?;
        self.messages
            .create_index(index(doc! { "chatId": 1, "createdAt": 1 }, "chat_created", false))
            .await
            .map_err(db_err)?;
        self.documents
            .create_index(index(doc! { "userId": 1, "createdAt": -1 }, "user_created", false))
            .await
            .map_err(db_err)?;
        self.documents.create_index(index(doc! { "chatId": 1 }, "chat", false)).await.map_err(db_err)?;
        self.jobs
            .create_index(index(doc! { "state": 1, "runAfter": 1 }, "state_run_after", false))
            .await
            .map_err(db_err)?;
        self.jobs.create_index(index(doc! { "documentId": 1 }, "document", false)).await.map_err(db_err)?;
        self.job_claims.create_index(index(doc! { "jobId": 1 }, "job", false)).await.map_err(db_err)?;
        Ok(())
    }

    async fn find_all<T>(
        &self,
        coll: &Collection<BsonDoc>,
        filter: BsonDoc,
        sort: BsonDoc,
        page: Option<Pagination>,
        read: fn(&BsonDoc) -> StorageResult<T>,
    ) -> StorageResult<Vec<T>> {
        let mut find = coll.find(filter).sort(sort);
        if let Some(page) = page {
            let (skip, limit) = skip_limit(page);
            find = find.skip(skip).limit(limit);
        }
        let docs: Vec<BsonDoc> = find.await.map_err(db_err)?.try_collect().await.map_err(db_err)?;
        docs.iter().map(read).collect()
    }

    async fn chat_owned(&self, user_id: &str, chat_id: &str) -> StorageResult<Chat> {
        let doc = self
            .chats
            .find_one(doc! { "_id": chat_id, "userId": user_id })
            .await
            .map_err(db_err)?
            .ok_or(StorageError::not_found("chat"))?;
        chat_from(&doc)
    }

    /// Runs a lease-holder update of a running job owned by `worker_id`; no match is NotFound or LeaseLost.
    async fn owned_job_update(
        &self,
        job_id: &str,
        worker_id: &str,
        extra_filter: BsonDoc,
        update: BsonDoc,
    ) -> StorageResult<Option<Job>> {
        let mut filter = doc! { "_id": job_id, "state": "running", "leaseOwner": worker_id };
        filter.extend(extra_filter);
        let doc = self
            .jobs
            .find_one_and_update(filter, update)
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_err)?;
        doc.as_ref().map(job_from).transpose()
    }

    async fn lease_error(&self, job_id: &str) -> StorageError {
        match self.jobs.find_one(doc! { "_id": job_id }).await {
            Ok(Some(_)) => StorageError::LeaseLost { job_id: job_id.to_owned() },
            Ok(None) => StorageError::not_found("job"),
            Err(e) => db_err(e),
        }
    }

    /// A job left `running` for good: drop its claim tokens (they only guard claims).
    async fn forget_claims(&self, job_id: &str) {
        // Best effort: a leftover token only costs space.
        let _ = self.job_claims.delete_many(doc! { "jobId": job_id }).await;
    }

    async fn delete_jobs_of(&self, document_ids: &[String]) -> StorageResult<()> {
        if document_ids.is_empty() {
            return Ok(());
        }
        let jobs: Vec<BsonDoc> = self
            .jobs
            .find(doc! { "documentId": { "$in": document_ids } })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(db_err)?
            .try_collect()
            .await
            .map_err(db_err)?;
        let job_ids: Vec<Bson> = jobs.into_iter().filter_map(|d| d.get("_id").cloned()).collect();
        if !job_ids.is_empty() {
            self.job_claims.delete_many(doc! { "jobId": { "$in": &job_ids } }).await.map_err(db_err)?;
        }
        self.jobs.delete_many(doc! { "documentId": { "$in": document_ids } }).await.map_err(db_err)?;
        Ok(())
    }
}

/// The filter of jobs claimable at `now`.
fn claimable(now: DateTime<Utc>) -> BsonDoc {
    doc! { "$or": [
        { "state": "queued", "runAfter": { "$lte": date(now) } },
        { "state": "running", "leaseExpiresAt": { "$lte": date(now) }, "attemptsLeft": { "$gt": 0 } },
    ] }
}

#[async_trait]
impl Store for MongoStore {
    fn kind(&self) -> &'static str {
        "mongodb"
    }

    async fn ping(&self) -> StorageResult<()> {
        self.db.run_command(doc! { "ping": 1 }).await.map_err(db_err)?;
        Ok(())
    }

    async fn revoke_session(&self, token_id: &str, expires_at: DateTime<Utc>) -> StorageResult<()> {
        // Entries whose token has expired anyway are forgotten on the way.
        self.revoked_sessions.delete_many(doc! { "expiresAt": { "$lt": date(Utc::now()) } }).await.map_err(db_err)?;
        match self.revoked_sessions.insert_one(doc! { "_id": token_id, "expiresAt": date(expires_at) }).await {
            Ok(_) => Ok(()),
            Err(e) => match insert_err("session", e) {
                StorageError::Conflict(_) => Ok(()), // revoked already
                other => Err(other),
            },
        }
    }

    async fn is_session_revoked(&self, token_id: &str) -> StorageResult<bool> {
        Ok(self.revoked_sessions.find_one(doc! { "_id": token_id }).await.map_err(db_err)?.is_some())
    }

    async fn create_user(&self, user: &User) -> StorageResult<()> {
        self.users.insert_one(user_doc(user)).await.map_err(|e| insert_err("a user with this email", e))?;
        Ok(())
    }

    async fn get_user(&self, id: &str) -> StorageResult<User> {
        let doc = self.users.find_one(doc! { "_id": id }).await.map_err(db_err)?;
        user_from(&doc.ok_or(StorageError::not_found("user"))?)
    }

    async fn get_user_by_email(&self, email: &str) -> StorageResult<User> {
        let doc = self.users.find_one(doc! { "email": normalize_email(email) }).await.map_err(db_err)?;
        user_from(&doc.ok_or(StorageError::not_found("user"))?)
    }

    async fn create_chat(&self, chat: &Chat) -> StorageResult<()> {
        self.chats.insert_one(chat_doc(chat)).await.map_err(|e| insert_err("chat", e))?;
        Ok(())
    }

    async fn list_chats(&self, user_id: &str, page: Pagination) -> StorageResult<Vec<Chat>> {
        self.find_all(&self.chats, doc! { "userId": user_id }, doc! { "createdAt": -1, "_id": -1 }, Some(page), chat_from)
            .await
    }

    async fn get_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<Chat> {
        self.chat_owned(user_id, chat_id).await
    }

    async fn rename_chat(&self, user_id: &str, chat_id: &str, title: &str) -> StorageResult<Chat> {
        let doc = self
            .chats
            .find_one_and_update(
                doc! { "_id": chat_id, "userId": user_id },
                doc! { "$set": { "title": title, "updatedAt": date(crate::model::now()) } },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_err)?;
        chat_from(&doc.ok_or(StorageError::not_found("chat"))?)
    }

    async fn delete_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<DeletedChat> {
        self.chat_owned(user_id, chat_id).await?;
        let docs: Vec<BsonDoc> = self
            .documents
            .find(doc! { "userId": user_id, "chatId": chat_id })
            .projection(doc! { "_id": 1, "blobKey": 1 })
            .await
            .map_err(db_err)?
            .try_collect()
            .await
            .map_err(db_err)?;
        let mut deleted = DeletedChat::default();
        for d in &docs {
            let f = Fields { doc: d, what: "document" };
            deleted.document_ids.push(f.str("_id")?);
            deleted.blob_keys.push(f.str("blobKey")?);
        }
        // Children first, chat last: if this stops half-way, the chat is still there and a retry finishes.
        self.delete_jobs_of(&deleted.document_ids).await?;
        self.documents
            .delete_many(doc! { "_id": { "$in": &deleted.document_ids }, "userId": user_id })
            .await
            .map_err(db_err)?;
        self.messages.delete_many(doc! { "chatId": chat_id }).await.map_err(db_err)?;
        self.chats.delete_one(doc! { "_id": chat_id, "userId": user_id }).await.map_err(db_err)?;
        Ok(deleted)
    }

    async fn add_message(&self, message: &Message) -> StorageResult<()> {
        self.chat_owned(&message.user_id, &message.chat_id).await?;
        self.messages.insert_one(message_doc(message)).await.map_err(|e| insert_err("message", e))?;
        self.chats
            .update_one(
                doc! { "_id": &message.chat_id, "updatedAt": { "$lt": date(message.created_at) } },
                doc! { "$set": { "updatedAt": date(message.created_at) } },
            )
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_messages(&self, user_id: &str, chat_id: &str, page: Pagination) -> StorageResult<Vec<Message>> {
        self.chat_owned(user_id, chat_id).await?;
        self.find_all(
            &self.messages,
            doc! { "chatId": chat_id },
            doc! { "createdAt": 1, "_id": 1 },
            Some(page),
            message_from,
        )
        .await
    }

    async fn create_document(&self, document: &Document) -> StorageResult<()> {
        if let Some(chat_id) = &document.chat_id {
            self.chat_owned(&document.user_id, chat_id).await?;
        }
        self.documents.insert_one(document_doc(document)?).await.map_err(|e| insert_err("document", e))?;
        Ok(())
    }

    async fn get_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        let doc = self.documents.find_one(doc! { "_id": document_id, "userId": user_id }).await.map_err(db_err)?;
        document_from(&doc.ok_or(StorageError::not_found("document"))?)
    }

    async fn list_documents(
        &self,
        user_id: &str,
        chat_id: Option<&str>,
        page: Pagination,
    ) -> StorageResult<Vec<Document>> {
        let mut filter = doc! { "userId": user_id };
        if let Some(chat_id) = chat_id {
            filter.insert("chatId", chat_id);
        }
        self.find_all(&self.documents, filter, doc! { "createdAt": -1, "_id": -1 }, Some(page), document_from).await
    }

    async fn update_document(
        &self,
        user_id: &str,
        document_id: &str,
        update: &DocumentUpdate,
    ) -> StorageResult<Document> {
        let doc = self
            .documents
            .find_one_and_update(
                doc! { "_id": document_id, "userId": user_id },
                document_update_doc(update, crate::model::now())?,
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_err)?;
        document_from(&doc.ok_or(StorageError::not_found("document"))?)
    }

    async fn delete_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        let document = self.get_document(user_id, document_id).await?;
        // Jobs first: a job without its document is harmless, a document without its job is never processed.
        self.delete_jobs_of(std::slice::from_ref(&document.id)).await?;
        self.documents.delete_one(doc! { "_id": document_id, "userId": user_id }).await.map_err(db_err)?;
        Ok(document)
    }

    async fn enqueue_job(&self, job: &Job) -> StorageResult<()> {
        self.jobs.insert_one(job_doc(job)).await.map_err(|e| insert_err("job", e))?;
        Ok(())
    }

    async fn get_job(&self, job_id: &str) -> StorageResult<Job> {
        let doc = self.jobs.find_one(doc! { "_id": job_id }).await.map_err(db_err)?;
        job_from(&doc.ok_or(StorageError::not_found("job"))?)
    }

    async fn claim_job(&self, worker_id: &str, lease: Duration, now: DateTime<Utc>) -> StorageResult<Option<Job>> {
        let candidates: Vec<BsonDoc> = self
            .jobs
            .find(claimable(now))
            .sort(doc! { "runAfter": 1, "_id": 1 })
            .limit(CLAIM_CANDIDATES)
            .projection(doc! { "_id": 1, "claimCount": 1 })
            .await
            .map_err(db_err)?
            .try_collect()
            .await
            .map_err(db_err)?;
        for candidate in candidates {
            let f = Fields { doc: &candidate, what: "job" };
            let job_id = f.str("_id")?;
            let seen = f.opt_i64("claimCount")?.unwrap_or(0);
            // Step 1: win claim number `seen + 1`; `_id` uniqueness lets exactly one worker through.
            let token = doc! { "_id": format!("{job_id}:{}", seen + 1), "jobId": &job_id, "worker": worker_id,
                               "at": date(now) };
            match self.job_claims.insert_one(token).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(db_err(e)),
            }
            // Step 2: take the job, if it did not change since it was read.
            let mut filter = claimable(now);
            filter.insert("_id", &job_id);
            filter.insert("claimCount", seen);
            let update = doc! {
                "$set": { "state": "running", "leaseOwner": worker_id, "leaseExpiresAt": date(add_duration(now, lease)),
                          "claimCount": seen + 1, "updatedAt": date(now) },
                "$inc": { "attempts": 1, "attemptsLeft": -1 },
            };
            let claimed = self
                .jobs
                .find_one_and_update(filter, update)
                .return_document(ReturnDocument::After)
                .await
                .map_err(db_err)?;
            if let Some(doc) = claimed {
                return job_from(&doc).map(Some);
            }
        }
        Ok(None)
    }

    async fn renew_lease(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        let update = doc! { "$set": { "leaseExpiresAt": date(add_duration(now, lease)), "updatedAt": date(now) } };
        match self.owned_job_update(job_id, worker_id, BsonDoc::new(), update).await? {
            Some(job) => Ok(job),
            None => Err(self.lease_error(job_id).await),
        }
    }

    async fn complete_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        let update = doc! { "$set": { "state": "done", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
                                      "updatedAt": date(now) } };
        match self.owned_job_update(job_id, worker_id, BsonDoc::new(), update).await? {
            Some(job) => {
                self.forget_claims(job_id).await;
                Ok(job)
            }
            None => Err(self.lease_error(job_id).await),
        }
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        if let Some(delay) = retry_after {
            // Attempts left: back to the queue after the delay.
            let update = doc! { "$set": { "state": "queued", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
                                          "runAfter": date(add_duration(now, delay)), "lastError": error,
                                          "updatedAt": date(now) } };
            if let Some(job) =
                self.owned_job_update(job_id, worker_id, doc! { "attemptsLeft": { "$gt": 0 } }, update).await?
            {
                return Ok(job);
            }
        }
        let update = doc! { "$set": { "state": "failed", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
                                      "lastError": error, "updatedAt": date(now) } };
        match self.owned_job_update(job_id, worker_id, BsonDoc::new(), update).await? {
            Some(job) => {
                self.forget_claims(job_id).await;
                Ok(job)
            }
            None => Err(self.lease_error(job_id).await),
        }
    }

    async fn release_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        let update = doc! {
            "$set": { "state": "queued", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
                      "runAfter": date(now), "updatedAt": date(now) },
            "$inc": { "attempts": -1, "attemptsLeft": 1 },
        };
        match self.owned_job_update(job_id, worker_id, doc! { "attempts": { "$gt": 0 } }, update).await? {
            Some(job) => Ok(job),
            None => Err(self.lease_error(job_id).await),
        }
    }

    async fn defer_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        delay: Duration,
        waiting_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        let update = doc! {
            "$set": { "state": "queued", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
                      "runAfter": date(add_duration(now, delay)), "lastError": error,
                      "waitingSince": date(waiting_since), "updatedAt": date(now) },
            "$inc": { "attempts": -1, "attemptsLeft": 1 },
        };
        match self.owned_job_update(job_id, worker_id, doc! { "attempts": { "$gt": 0 } }, update).await? {
            Some(job) => Ok(job),
            None => Err(self.lease_error(job_id).await),
        }
    }

    async fn fail_expired_jobs(&self, now: DateTime<Utc>) -> StorageResult<Vec<Job>> {
        let filter = doc! { "state": "running", "leaseExpiresAt": { "$lte": date(now) }, "attemptsLeft": { "$lte": 0 } };
        let update = doc! { "$set": {
            "state": "failed", "leaseOwner": Bson::Null, "leaseExpiresAt": Bson::Null,
            "lastError": "lease expired after the last attempt (the worker stopped or crashed)", "updatedAt": date(now),
        } };
        let mut failed = Vec::new();
        // One document at a time (single-document atomic updates), until none is left.
        while let Some(doc) = self
            .jobs
            .find_one_and_update(filter.clone(), update.clone())
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_err)?
        {
            let job = job_from(&doc)?;
            self.forget_claims(&job.id).await;
            failed.push(job);
        }
        Ok(failed)
    }

    async fn count_jobs(&self) -> StorageResult<JobCounts> {
        let mut counts = JobCounts::default();
        for state in JobState::ALL {
            let n = self.jobs.count_documents(doc! { "state": state.as_str() }).await.map_err(db_err)?;
            counts.add(state, n);
        }
        Ok(counts)
    }
}
