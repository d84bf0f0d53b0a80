//! The embedded store: one SQLite file (default `data/hindi-ocr.db`), the zero-configuration default.
//!
//! Why SQLite (`rusqlite`, SQLite compiled in): WAL mode lets a `hindi-ocr worker` process share the file with
//! the server on the same machine (redb, the pure-Rust alternative, locks its file to one process), a single
//! conditional `UPDATE ... RETURNING` claims a job atomically across processes, and the file can be inspected
//! with the `sqlite3` tool.
//!
//! Calls run on tokio's blocking pool over one connection behind a mutex: SQLite has one writer at a time
//! anyway, and the busy timeout makes writers of other processes wait instead of failing. Multi-statement writes
//! run in `IMMEDIATE` transactions (write lock taken first), so a read-then-write never fails to upgrade its
//! lock because another process wrote in between.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{DeletedChat, StorageError, StorageResult, Store, add_duration};
use crate::model::{
    Chat, Document, DocumentStatus, DocumentUpdate, Job, JobCounts, JobState, Message, Pagination, Role, User,
    normalize_email,
};

const BACKEND: &str = "sqlite";

/// Tables and indexes; every statement is idempotent, run at each open.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chats_user_created ON chats (user_id, created_at);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    document_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_chat_created ON messages (chat_id, created_at);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    chat_id TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob_key TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    ocr_text TEXT,
    ocr_confidence REAL,
    ocr_result TEXT,
    processing_time_ms INTEGER,
    pages_done INTEGER NOT NULL,
    pages_total INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    pdf_password TEXT
);
CREATE INDEX IF NOT EXISTS documents_user_created ON documents (user_id, created_at);
CREATE INDEX IF NOT EXISTS documents_chat ON documents (chat_id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    run_after INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    waiting_since INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_state_run_after ON jobs (state, run_after);
CREATE INDEX IF NOT EXISTS jobs_document ON jobs (document_id);
CREATE TABLE IF NOT EXISTS revoked_sessions (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
";

fn sql_err(err: rusqlite::Error) -> StorageError {
    StorageError::backend(BACKEND, err)
}

/// A constraint violation (unique email, duplicate id) is a conflict; anything else a back-end error.
fn insert_err(what: &str, err: rusqlite::Error) -> StorageError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            StorageError::Conflict(format!("{what} already exists"))
        }
        _ => sql_err(err),
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time_at(row: &Row<'_>, col: &str) -> rusqlite::Result<DateTime<Utc>> {
    let ms: i64 = row.get(col)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| bad_column(col, format!("time {ms} out of range")))
}

fn opt_time_at(row: &Row<'_>, col: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = row.get(col)?;
    ms.map(|ms| DateTime::from_timestamp_millis(ms).ok_or_else(|| bad_column(col, format!("time {ms} out of range"))))
        .transpose()
}

fn bad_column(col: &str, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("column {col}: {message}").into(),
    )
}

fn user_from(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get("id")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        created_at: time_at(row, "created_at")?,
    })
}

fn chat_from(row: &Row<'_>) -> rusqlite::Result<Chat> {
    Ok(Chat {
        id: row.get("id")?,
        user_id: row.get("user_id")?,
        title: row.get("title")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

fn message_from(row: &Row<'_>) -> rusqlite::Result<Message> {
    let role: String = row.get("role")?;
    Ok(Message {
        id: row.get("id")?,
        chat_id: row.get("chat_id")?,
        user_id: row.get("user_id")?,
        role: Role::parse(&role).ok_or_else(|| bad_column("role", format!("unknown role {role:?}")))?,
        text: row.get("text")?,
        document_id: row.get("document_id")?,
        created_at: time_at(row, "created_at")?,
    })
}

fn document_from(row: &Row<'_>) -> rusqlite::Result<Document> {
    let status: String = row.get("status")?;
    let ocr_result: Option<String> = row.get("ocr_result")?;
    let ocr_result = ocr_result
        .map(|s| serde_json::from_str(&s).map_err(|e| bad_column("ocr_result", e.to_string())))
        .transpose()?;
    Ok(Document {
        id: row.get("id")?,
        user_id: row.get("user_id")?,
        chat_id: row.get("chat_id")?,
        file_name: row.get("file_name")?,
        content_type: row.get("content_type")?,
        size: row.get::<_, i64>("size")?.max(0) as u64,
        blob_key: row.get("blob_key")?,
        status: DocumentStatus::parse(&status)
            .ok_or_else(|| bad_column("status", format!("unknown status {status:?}")))?,
        error: row.get("error")?,
        ocr_text: row.get("ocr_text")?,
        ocr_confidence: row.get("ocr_confidence")?,
        ocr_result,
        processing_time_ms: row.get::<_, Option<i64>>("processing_time_ms")?.map(|v| v.max(0) as u64),
        pages_done: row.get("pages_done")?,
        pages_total: row.get("pages_total")?,
        attempts: row.get("attempts")?,
        pdf_password: row.get("pdf_password")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

fn job_from(row: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = row.get("state")?;
    Ok(Job {
        id: row.get("id")?,
        document_id: row.get("document_id")?,
        user_id: row.get("user_id")?,
        state: JobState::parse(&state).ok_or_else(|| bad_column("state", format!("unknown state {state:?}")))?,
        attempts: row.get("attempts")?,
        max_attempts: row.get("max_attempts")?,
        lease_owner: row.get("lease_owner")?,
        lease_expires_at: opt_time_at(row, "lease_expires_at")?,
        run_after: time_at(row, "run_after")?,
        last_error: row.get("last_error")?,
        waiting_since: opt_time_at(row, "waiting_since")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// Writes every column of `doc` (insert or replace by id).
fn write_document(conn: &Connection, doc: &Document, replace: bool) -> rusqlite::Result<usize> {
    let verb = if replace { "REPLACE" } else { "INSERT" };
    let ocr_result = doc.ocr_result.as_ref().map(|v| v.to_string());
    conn.execute(
        &format!(
            "{verb} INTO documents (id, user_id, chat_id, file_name, content_type, size, blob_key, status, error,
                ocr_text, ocr_confidence, ocr_result, processing_time_ms, pages_done, pages_total, attempts,
                created_at, updated_at, pdf_password)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
        ),
        params![
            doc.id,
            doc.user_id,
            doc.chat_id,
            doc.file_name,
            doc.content_type,
            i64::try_from(doc.size).unwrap_or(i64::MAX),
            doc.blob_key,
            doc.status.as_str(),
            doc.error,
            doc.ocr_text,
            doc.ocr_confidence,
            ocr_result,
            doc.processing_time_ms.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
            doc.pages_done,
            doc.pages_total,
            doc.attempts,
            millis(doc.created_at),
            millis(doc.updated_at),
            doc.pdf_password,
        ],
    )
}

/// A job statement matched no row: the job is missing (NotFound) or not running under this worker (LeaseLost).
fn lease_error(conn: &Connection, job_id: &str) -> StorageError {
    match conn.query_row("SELECT 1 FROM jobs WHERE id = ?1", [job_id], |_| Ok(())).optional() {
        Ok(Some(())) => StorageError::LeaseLost { job_id: job_id.to_owned() },
        Ok(None) => StorageError::not_found("job"),
        Err(e) => sql_err(e),
    }
}

fn chat_owned(conn: &Connection, user_id: &str, chat_id: &str) -> StorageResult<Chat> {
    conn.query_row("SELECT * FROM chats WHERE id = ?1 AND user_id = ?2", [chat_id, user_id], chat_from)
        .optional()
        .map_err(sql_err)?
        .ok_or(StorageError::not_found("chat"))
}

fn document_owned(conn: &Connection, user_id: &str, document_id: &str) -> StorageResult<Document> {
    conn.query_row("SELECT * FROM documents WHERE id = ?1 AND user_id = ?2", [document_id, user_id], document_from)
        .optional()
        .map_err(sql_err)?
        .ok_or(StorageError::not_found("document"))
}

/// The embedded SQLite store.
#[derive(Clone)]
pub struct EmbeddedStore {
    conn: Arc<Mutex<Connection>>,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the database file and its parent directory, in WAL mode, and creates the
    /// tables and indexes.
    pub async fn open(path: &Path) -> StorageResult<Self> {
        let path = path.to_path_buf();
        let conn = tokio::task::spawn_blocking(move || -> StorageResult<Connection> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StorageError::backend(BACKEND, format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let conn = Connection::open(&path)
                .map_err(|e| StorageError::backend(BACKEND, format!("cannot open {}: {e}", path.display())))?;
            Self::prepare(&conn).map_err(sql_err)?;
            Ok(conn)
        })
        .await
        .map_err(|e| StorageError::backend(BACKEND, e))??;
        Ok(EmbeddedStore { conn: Arc::new(Mutex::new(conn)) })
    }

    fn prepare(conn: &Connection) -> rusqlite::Result<()> {
        // Other processes (a `hindi-ocr worker`) may hold the write lock for a moment: wait, don't fail.
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        // Columns added after the first release: stores made before them get them here.
        let has = |table: &str, column: &str| -> rusqlite::Result<bool> {
            let mut st = conn.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?;
            st.exists([table, column])
        };
        if !has("documents", "pdf_password")? {
            conn.execute_batch("ALTER TABLE documents ADD COLUMN pdf_password TEXT")?;
        }
        if !has("jobs", "waiting_since")? {
            conn.execute_batch("ALTER TABLE jobs ADD COLUMN waiting_since INTEGER")?;
        }
        Ok(())
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with_conn<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (statements are atomic), so a
            // poisoned lock is still usable.
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::backend(BACKEND, format!("blocking task failed: {e}")))?
    }

    /// Runs one job statement that ends with `RETURNING *`; no row means NotFound or LeaseLost.
    async fn job_update(&self, job_id: &str, sql: &'static str, args: Vec<rusqlite::types::Value>) -> StorageResult<Job> {
        let job_id = job_id.to_owned();
        self.with_conn(move |conn| {
            let job = conn
                .query_row(sql, rusqlite::params_from_iter(args.iter()), job_from)
                .optional()
                .map_err(sql_err)?;
            job.ok_or_else(|| lease_error(conn, &job_id))
        })
        .await
    }
}

fn text(v: &str) -> rusqlite::types::Value {
    rusqlite::types::Value::Text(v.to_owned())
}

fn int(v: i64) -> rusqlite::types::Value {
    rusqlite::types::Value::Integer(v)
}

fn limit_offset(page: Pagination) -> (i64, i64) {
    (i64::from(page.limit), i64::try_from(page.offset).unwrap_or(i64::MAX))
}

#[async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn ping(&self) -> StorageResult<()> {
        self.with_conn(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(sql_err)).await
    }

    async fn revoke_session(&self, token_id: &str, expires_at: DateTime<Utc>) -> StorageResult<()> {
        let (id, expires) = (token_id.to_owned(), millis(expires_at));
        self.with_conn(move |conn| {
            // Entries whose token has expired anyway are forgotten on the way.
            conn.execute("DELETE FROM revoked_sessions WHERE expires_at < ?1", params![millis(Utc::now())]).map_err(sql_err)?;
            conn.execute("INSERT OR IGNORE INTO revoked_sessions (id, expires_at) VALUES (?1, ?2)", params![id, expires])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn is_session_revoked(&self, token_id: &str) -> StorageResult<bool> {
        let id = token_id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT 1 FROM revoked_sessions WHERE id = ?1", params![id], |_| Ok(()))
                .optional()
                .map(|r| r.is_some())
                .map_err(sql_err)
        })
        .await
    }

    async fn create_user(&self, user: &User) -> StorageResult<()> {
        let user = user.clone();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user.id, normalize_email(&user.email), user.password_hash, millis(user.created_at)],
            )
            .map_err(|e| insert_err("a user with this email", e))?;
            Ok(())
        })
        .await
    }

    async fn get_user(&self, id: &str) -> StorageResult<User> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT * FROM users WHERE id = ?1", [id], user_from)
                .optional()
                .map_err(sql_err)?
                .ok_or(StorageError::not_found("user"))
        })
        .await
    }

    async fn get_user_by_email(&self, email: &str) -> StorageResult<User> {
        let email = normalize_email(email);
        self.with_conn(move |conn| {
            conn.query_row("SELECT * FROM users WHERE email = ?1", [email], user_from)
                .optional()
                .map_err(sql_err)?
                .ok_or(StorageError::not_found("user"))
        })
        .await
    }

    async fn create_chat(&self, chat: &Chat) -> StorageResult<()> {
        let chat = chat.clone();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO chats (id, user_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![chat.id, chat.user_id, chat.title, millis(chat.created_at), millis(chat.updated_at)],
            )
            .map_err(|e| insert_err("chat", e))?;
            Ok(())
        })
        .await
    }

    async fn list_chats(&self, user_id: &str, page: Pagination) -> StorageResult<Vec<Chat>> {
        let user_id = user_id.to_owned();
        self.with_conn(move |conn| {
            let (limit, offset) = limit_offset(page);
            let mut stmt = conn
                .prepare(
                    "SELECT * FROM chats WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
                )
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![user_id, limit, offset], chat_from).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn get_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<Chat> {
        let (user_id, chat_id) = (user_id.to_owned(), chat_id.to_owned());
        self.with_conn(move |conn| chat_owned(conn, &user_id, &chat_id)).await
    }

    async fn rename_chat(&self, user_id: &str, chat_id: &str, title: &str) -> StorageResult<Chat> {
        let (user_id, chat_id, title) = (user_id.to_owned(), chat_id.to_owned(), title.to_owned());
        let now = millis(crate::model::now());
        self.with_conn(move |conn| {
            conn.query_row(
                "UPDATE chats SET title = ?1, updated_at = ?2 WHERE id = ?3 AND user_id = ?4 RETURNING *",
                params![title, now, chat_id, user_id],
                chat_from,
            )
            .optional()
            .map_err(sql_err)?
            .ok_or(StorageError::not_found("chat"))
        })
        .await
    }

    async fn delete_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<DeletedChat> {
        let (user_id, chat_id) = (user_id.to_owned(), chat_id.to_owned());
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            chat_owned(&tx, &user_id, &chat_id)?;
            let mut deleted = DeletedChat::default();
            {
                let mut stmt = tx
                    .prepare("SELECT id, blob_key FROM documents WHERE chat_id = ?1 AND user_id = ?2")
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map([&chat_id, &user_id], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
                    .map_err(sql_err)?;
                for row in rows {
                    let (id, key) = row.map_err(sql_err)?;
                    deleted.document_ids.push(id);
                    deleted.blob_keys.push(key);
                }
            }
            for id in &deleted.document_ids {
                tx.execute("DELETE FROM jobs WHERE document_id = ?1", [id]).map_err(sql_err)?;
            }
            tx.execute("DELETE FROM documents WHERE chat_id = ?1 AND user_id = ?2", [&chat_id, &user_id])
                .map_err(sql_err)?;
            tx.execute("DELETE FROM messages WHERE chat_id = ?1", [&chat_id]).map_err(sql_err)?;
            tx.execute("DELETE FROM chats WHERE id = ?1 AND user_id = ?2", [&chat_id, &user_id]).map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(deleted)
        })
        .await
    }

    async fn add_message(&self, message: &Message) -> StorageResult<()> {
        let m = message.clone();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            chat_owned(&tx, &m.user_id, &m.chat_id)?;
            tx.execute(
                "INSERT INTO messages (id, chat_id, user_id, role, text, document_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![m.id, m.chat_id, m.user_id, m.role.as_str(), m.text, m.document_id, millis(m.created_at)],
            )
            .map_err(|e| insert_err("message", e))?;
            tx.execute(
                "UPDATE chats SET updated_at = MAX(updated_at, ?1) WHERE id = ?2",
                params![millis(m.created_at), m.chat_id],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn list_messages(&self, user_id: &str, chat_id: &str, page: Pagination) -> StorageResult<Vec<Message>> {
        let (user_id, chat_id) = (user_id.to_owned(), chat_id.to_owned());
        self.with_conn(move |conn| {
            chat_owned(conn, &user_id, &chat_id)?;
            let (limit, offset) = limit_offset(page);
            let mut stmt = conn
                .prepare("SELECT * FROM messages WHERE chat_id = ?1 ORDER BY created_at, id LIMIT ?2 OFFSET ?3")
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![chat_id, limit, offset], message_from).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn create_document(&self, document: &Document) -> StorageResult<()> {
        let doc = document.clone();
        self.with_conn(move |conn| {
            if let Some(chat_id) = &doc.chat_id {
                chat_owned(conn, &doc.user_id, chat_id)?;
            }
            write_document(conn, &doc, false).map_err(|e| insert_err("document", e))?;
            Ok(())
        })
        .await
    }

    async fn get_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        let (user_id, document_id) = (user_id.to_owned(), document_id.to_owned());
        self.with_conn(move |conn| document_owned(conn, &user_id, &document_id)).await
    }

    async fn list_documents(
        &self,
        user_id: &str,
        chat_id: Option<&str>,
        page: Pagination,
    ) -> StorageResult<Vec<Document>> {
        let (user_id, chat_id) = (user_id.to_owned(), chat_id.map(str::to_owned));
        self.with_conn(move |conn| {
            let (limit, offset) = limit_offset(page);
            let mut stmt = conn
                .prepare(
                    "SELECT * FROM documents WHERE user_id = ?1 AND (?2 IS NULL OR chat_id = ?2)
                     ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
                )
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![user_id, chat_id, limit, offset], document_from).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn update_document(
        &self,
        user_id: &str,
        document_id: &str,
        update: &DocumentUpdate,
    ) -> StorageResult<Document> {
        let (user_id, document_id, update) = (user_id.to_owned(), document_id.to_owned(), update.clone());
        self.with_conn(move |conn| {
            // Read, apply, write back inside one write transaction: atomic against other writers.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            let mut doc = document_owned(&tx, &user_id, &document_id)?;
            update.apply_to(&mut doc, crate::model::now());
            write_document(&tx, &doc, true).map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(doc)
        })
        .await
    }

    async fn delete_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        let (user_id, document_id) = (user_id.to_owned(), document_id.to_owned());
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            let doc = document_owned(&tx, &user_id, &document_id)?;
            tx.execute("DELETE FROM jobs WHERE document_id = ?1", [&document_id]).map_err(sql_err)?;
            tx.execute("DELETE FROM documents WHERE id = ?1", [&document_id]).map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(doc)
        })
        .await
    }

    async fn enqueue_job(&self, job: &Job) -> StorageResult<()> {
        let j = job.clone();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO jobs (id, document_id, user_id, state, attempts, max_attempts, lease_owner,
                    lease_expires_at, run_after, last_error, created_at, updated_at, waiting_since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    j.id,
                    j.document_id,
                    j.user_id,
                    j.state.as_str(),
                    j.attempts,
                    j.max_attempts,
                    j.lease_owner,
                    j.lease_expires_at.map(millis),
                    millis(j.run_after),
                    j.last_error,
                    millis(j.created_at),
                    millis(j.updated_at),
                    j.waiting_since.map(millis),
                ],
            )
            .map_err(|e| insert_err("job", e))?;
            Ok(())
        })
        .await
    }

    async fn get_job(&self, job_id: &str) -> StorageResult<Job> {
        let job_id = job_id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT * FROM jobs WHERE id = ?1", [job_id], job_from)
                .optional()
                .map_err(sql_err)?
                .ok_or(StorageError::not_found("job"))
        })
        .await
    }

    async fn claim_job(&self, worker_id: &str, lease: Duration, now: DateTime<Utc>) -> StorageResult<Option<Job>> {
        let worker_id = worker_id.to_owned();
        let (now_ms, expires) = (millis(now), millis(add_duration(now, lease)));
        self.with_conn(move |conn| {
            // One statement: SQLite runs it under its write lock, so two claimers (threads or processes)
            // never get the same job.
            conn.query_row(
                "UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2,
                    attempts = attempts + 1, updated_at = ?3
                 WHERE id = (
                    SELECT id FROM jobs
                    WHERE (state = 'queued' AND run_after <= ?3)
                       OR (state = 'running' AND lease_expires_at <= ?3 AND attempts < max_attempts)
                    ORDER BY run_after, id LIMIT 1)
                 RETURNING *",
                params![worker_id, expires, now_ms],
                job_from,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn renew_lease(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        self.job_update(
            job_id,
            "UPDATE jobs SET lease_expires_at = ?1, updated_at = ?2
             WHERE id = ?3 AND state = 'running' AND lease_owner = ?4 RETURNING *",
            vec![int(millis(add_duration(now, lease))), int(millis(now)), text(job_id), text(worker_id)],
        )
        .await
    }

    async fn complete_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        self.job_update(
            job_id,
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?1
             WHERE id = ?2 AND state = 'running' AND lease_owner = ?3 RETURNING *",
            vec![int(millis(now)), text(job_id), text(worker_id)],
        )
        .await
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        let retry = i64::from(retry_after.is_some());
        let run_after = millis(add_duration(now, retry_after.unwrap_or_default()));
        self.job_update(
            job_id,
            "UPDATE jobs SET
                state = CASE WHEN ?1 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                run_after = CASE WHEN ?1 AND attempts < max_attempts THEN ?2 ELSE run_after END,
                lease_owner = NULL, lease_expires_at = NULL, last_error = ?3, updated_at = ?4
             WHERE id = ?5 AND state = 'running' AND lease_owner = ?6 RETURNING *",
            vec![int(retry), int(run_after), text(error), int(millis(now)), text(job_id), text(worker_id)],
        )
        .await
    }

    async fn release_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        self.job_update(
            job_id,
            "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_owner = NULL,
                lease_expires_at = NULL, run_after = ?1, updated_at = ?1
             WHERE id = ?2 AND state = 'running' AND lease_owner = ?3 RETURNING *",
            vec![int(millis(now)), text(job_id), text(worker_id)],
        )
        .await
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
        self.job_update(
            job_id,
            "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_owner = NULL,
                lease_expires_at = NULL, run_after = ?1, last_error = ?2, waiting_since = ?3, updated_at = ?4
             WHERE id = ?5 AND state = 'running' AND lease_owner = ?6 RETURNING *",
            vec![
                int(millis(add_duration(now, delay))),
                text(error),
                int(millis(waiting_since)),
                int(millis(now)),
                text(job_id),
                text(worker_id),
            ],
        )
        .await
    }

    async fn fail_expired_jobs(&self, now: DateTime<Utc>) -> StorageResult<Vec<Job>> {
        let now_ms = millis(now);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare(
                    "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL,
                        last_error = 'lease expired after the last attempt (the worker stopped or crashed)',
                        updated_at = ?1
                     WHERE state = 'running' AND lease_expires_at <= ?1 AND attempts >= max_attempts
                     RETURNING *",
                )
                .map_err(sql_err)?;
            let rows = stmt.query_map([now_ms], job_from).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn count_jobs(&self) -> StorageResult<JobCounts> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state").map_err(sql_err)?;
            let rows = stmt
                .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
                .map_err(sql_err)?;
            let mut counts = JobCounts::default();
            for row in rows {
                let (state, n) = row.map_err(sql_err)?;
                let state = JobState::parse(&state)
                    .ok_or_else(|| StorageError::Corrupt { what: "job", message: format!("state {state:?}") })?;
                counts.add(state, n.max(0) as u64);
            }
            Ok(counts)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_made_before_pdf_passwords_gets_the_column() {
        let conn = Connection::open_in_memory().unwrap();
        // The documents table as the first release made it (no pdf_password), with a row in it.
        let old = SCHEMA.replace(",\n    pdf_password TEXT\n", "\n");
        assert_ne!(old, SCHEMA);
        conn.execute_batch(&old).unwrap();
        let doc = Document::new("d1", "u1", None, "a.pdf", "application/pdf", 1, "k");
        conn.execute(
            "INSERT INTO documents (id, user_id, file_name, content_type, size, blob_key, status, pages_done,
                pages_total, attempts, created_at, updated_at) VALUES ('d1', 'u1', 'a.pdf', 'application/pdf', 1, 'k',
                'uploaded', 0, 0, 0, 0, 0)",
            [],
        )
        .unwrap();
        EmbeddedStore::prepare(&conn).unwrap();
        EmbeddedStore::prepare(&conn).unwrap(); // and again: nothing to add
        let read = document_owned(&conn, "u1", "d1").unwrap();
        assert_eq!((read.id.as_str(), read.pdf_password.as_deref()), (doc.id.as_str(), None));
        let sealed = Document { pdf_password: Some("v1.x".into()), ..doc };
        write_document(&conn, &sealed, true).unwrap();
        assert_eq!(document_owned(&conn, "u1", "d1").unwrap().pdf_password.as_deref(), Some("v1.x"));
    }

    #[test]
    fn a_store_made_before_storage_waits_gets_the_column() {
        let conn = Connection::open_in_memory().unwrap();
        // The jobs table without waiting_since, with a job in it.
        let old = SCHEMA.replace(",\n    waiting_since INTEGER\n", "\n");
        assert_ne!(old, SCHEMA);
        conn.execute_batch(&old).unwrap();
        conn.execute(
            "INSERT INTO jobs (id, document_id, user_id, state, attempts, max_attempts, run_after, created_at,
                updated_at) VALUES ('j1', 'd1', 'u1', 'queued', 0, 3, 0, 0, 0)",
            [],
        )
        .unwrap();
        EmbeddedStore::prepare(&conn).unwrap();
        EmbeddedStore::prepare(&conn).unwrap();
        let job = conn.query_row("SELECT * FROM jobs WHERE id = 'j1'", [], job_from).unwrap();
        assert_eq!((job.id.as_str(), job.waiting_since), ("j1", None));
    }
}
