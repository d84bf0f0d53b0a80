//! [`TimeLimited`]: a [`Store`] whose every call fails after a time limit instead of waiting without end.
//!
//! The MongoDB driver bounds finding a server (`serverSelectionTimeoutMS`) and opening a connection
//! (`connectTimeoutMS`), but not an operation on a connection it already has: a database that accepts
//! connections and never answers (hung, stopped, a network path that drops packets) would keep a request
//! waiting until the client gives up, and a worker for ever. The Rust driver refuses `socketTimeoutMS` and has
//! no `timeoutMS`, so the limit is kept here, around each call: past it the call is dropped (the driver closes
//! that connection) and fails as [`StorageError::Backend`], which the API answers with `503` and workers treat
//! as storage not answering.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{DeletedChat, StorageError, StorageResult, Store};
use crate::model::{Chat, Document, DocumentUpdate, Job, JobCounts, Message, Pagination, User};

/// `inner`, with every call limited to `limit`.
pub struct TimeLimited {
    inner: Arc<dyn Store>,
    limit: Duration,
    backend: &'static str,
}

impl TimeLimited {
    /// Wraps `inner`; `backend` names it in errors (`"mongodb"`).
    pub fn new(inner: Arc<dyn Store>, limit: Duration, backend: &'static str) -> Self {
        TimeLimited { inner, limit, backend }
    }

    async fn run<T>(&self, call: impl Future<Output = StorageResult<T>>) -> StorageResult<T> {
        match tokio::time::timeout(self.limit, call).await {
            Ok(result) => result,
            Err(_) => Err(StorageError::Backend {
                backend: self.backend,
                message: format!("no answer within {} ms", self.limit.as_millis()),
            }),
        }
    }
}

#[async_trait]
impl Store for TimeLimited {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    async fn ping(&self) -> StorageResult<()> {
        self.run(self.inner.ping()).await
    }
    async fn create_user(&self, user: &User) -> StorageResult<()> {
        self.run(self.inner.create_user(user)).await
    }
    async fn get_user(&self, id: &str) -> StorageResult<User> {
        self.run(self.inner.get_user(id)).await
    }
    async fn get_user_by_email(&self, email: &str) -> StorageResult<User> {
        self.run(self.inner.get_user_by_email(email)).await
    }
    async fn revoke_session(&self, token_id: &str, expires_at: DateTime<Utc>) -> StorageResult<()> {
        self.run(self.inner.revoke_session(token_id, expires_at)).await
    }
    async fn is_session_revoked(&self, token_id: &str) -> StorageResult<bool> {
        self.run(self.inner.is_session_revoked(token_id)).await
    }
    async fn create_chat(&self, chat: &Chat) -> StorageResult<()> {
        self.run(self.inner.create_chat(chat)).await
    }
    async fn list_chats(&self, user_id: &str, page: Pagination) -> StorageResult<Vec<Chat>> {
        self.run(self.inner.list_chats(user_id, page)).await
    }
    async fn get_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<Chat> {
        self.run(self.inner.get_chat(user_id, chat_id)).await
    }
    async fn rename_chat(&self, user_id: &str, chat_id: &str, title: &str) -> StorageResult<Chat> {
        self.run(self.inner.rename_chat(user_id, chat_id, title)).await
    }
    async fn delete_chat(&self, user_id: &str, chat_id: &str) -> StorageResult<DeletedChat> {
        self.run(self.inner.delete_chat(user_id, chat_id)).await
    }
    async fn add_message(&self, message: &Message) -> StorageResult<()> {
        self.run(self.inner.add_message(message)).await
    }
    async fn list_messages(&self, user_id: &str, chat_id: &str, page: Pagination) -> StorageResult<Vec<Message>> {
        self.run(self.inner.list_messages(user_id, chat_id, page)).await
    }
    async fn create_document(&self, document: &Document) -> StorageResult<()> {
        self.run(self.inner.create_document(document)).await
    }
    async fn get_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        self.run(self.inner.get_document(user_id, document_id)).await
    }
    async fn list_documents(
        &self,
        user_id: &str,
        chat_id: Option<&str>,
        page: Pagination,
    ) -> StorageResult<Vec<Document>> {
        self.run(self.inner.list_documents(user_id, chat_id, page)).await
    }
    async fn update_document(
        &self,
        user_id: &str,
        document_id: &str,
        update: &DocumentUpdate,
    ) -> StorageResult<Document> {
        self.run(self.inner.update_document(user_id, document_id, update)).await
    }
    async fn delete_document(&self, user_id: &str, document_id: &str) -> StorageResult<Document> {
        self.run(self.inner.delete_document(user_id, document_id)).await
    }
    async fn enqueue_job(&self, job: &Job) -> StorageResult<()> {
        self.run(self.inner.enqueue_job(job)).await
    }
    async fn get_job(&self, job_id: &str) -> StorageResult<Job> {
        self.run(self.inner.get_job(job_id)).await
    }
    async fn claim_job(&self, worker_id: &str, lease: Duration, now: DateTime<Utc>) -> StorageResult<Option<Job>> {
        self.run(self.inner.claim_job(worker_id, lease, now)).await
    }
    async fn renew_lease(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        self.run(self.inner.renew_lease(job_id, worker_id, lease, now)).await
    }
    async fn complete_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        self.run(self.inner.complete_job(job_id, worker_id, now)).await
    }
    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> StorageResult<Job> {
        self.run(self.inner.fail_job(job_id, worker_id, error, retry_after, now)).await
    }
    async fn release_job(&self, job_id: &str, worker_id: &str, now: DateTime<Utc>) -> StorageResult<Job> {
        self.run(self.inner.release_job(job_id, worker_id, now)).await
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
        self.run(self.inner.defer_job(job_id, worker_id, error, delay, waiting_since, now)).await
    }
    async fn fail_expired_jobs(&self, now: DateTime<Utc>) -> StorageResult<Vec<Job>> {
        self.run(self.inner.fail_expired_jobs(now)).await
    }
    async fn count_jobs(&self) -> StorageResult<JobCounts> {
        self.run(self.inner.count_jobs()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store none of whose calls ever ends: a database that accepts connections and never answers.
    struct Hung;

    #[async_trait]
    impl Store for Hung {
        fn kind(&self) -> &'static str {
            "mongodb"
        }
        async fn ping(&self) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn create_user(&self, _: &User) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn get_user(&self, _: &str) -> StorageResult<User> {
            std::future::pending().await
        }
        async fn get_user_by_email(&self, _: &str) -> StorageResult<User> {
            std::future::pending().await
        }
        async fn revoke_session(&self, _: &str, _: DateTime<Utc>) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn is_session_revoked(&self, _: &str) -> StorageResult<bool> {
            std::future::pending().await
        }
        async fn create_chat(&self, _: &Chat) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn list_chats(&self, _: &str, _: Pagination) -> StorageResult<Vec<Chat>> {
            std::future::pending().await
        }
        async fn get_chat(&self, _: &str, _: &str) -> StorageResult<Chat> {
            std::future::pending().await
        }
        async fn rename_chat(&self, _: &str, _: &str, _: &str) -> StorageResult<Chat> {
            std::future::pending().await
        }
        async fn delete_chat(&self, _: &str, _: &str) -> StorageResult<DeletedChat> {
            std::future::pending().await
        }
        async fn add_message(&self, _: &Message) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn list_messages(&self, _: &str, _: &str, _: Pagination) -> StorageResult<Vec<Message>> {
            std::future::pending().await
        }
        async fn create_document(&self, _: &Document) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn get_document(&self, _: &str, _: &str) -> StorageResult<Document> {
            std::future::pending().await
        }
        async fn list_documents(&self, _: &str, _: Option<&str>, _: Pagination) -> StorageResult<Vec<Document>> {
            std::future::pending().await
        }
        async fn update_document(&self, _: &str, _: &str, _: &DocumentUpdate) -> StorageResult<Document> {
            std::future::pending().await
        }
        async fn delete_document(&self, _: &str, _: &str) -> StorageResult<Document> {
            std::future::pending().await
        }
        async fn enqueue_job(&self, _: &Job) -> StorageResult<()> {
            std::future::pending().await
        }
        async fn get_job(&self, _: &str) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn claim_job(&self, _: &str, _: Duration, _: DateTime<Utc>) -> StorageResult<Option<Job>> {
            std::future::pending().await
        }
        async fn renew_lease(&self, _: &str, _: &str, _: Duration, _: DateTime<Utc>) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn complete_job(&self, _: &str, _: &str, _: DateTime<Utc>) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn fail_job(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: Option<Duration>,
            _: DateTime<Utc>,
        ) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn release_job(&self, _: &str, _: &str, _: DateTime<Utc>) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn defer_job(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: Duration,
            _: DateTime<Utc>,
            _: DateTime<Utc>,
        ) -> StorageResult<Job> {
            std::future::pending().await
        }
        async fn fail_expired_jobs(&self, _: DateTime<Utc>) -> StorageResult<Vec<Job>> {
            std::future::pending().await
        }
        async fn count_jobs(&self) -> StorageResult<JobCounts> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_call_that_never_ends_fails_as_an_outage_after_the_limit() {
        let store = TimeLimited::new(Arc::new(Hung), Duration::from_millis(100), "mongodb");
        let started = std::time::Instant::now();
        let err = store.get_user("u").await.expect_err("no answer");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(err.outage(), Some("the database is not answering"), "{err}");
        assert!(store.ping().await.is_err());
        assert_eq!(store.kind(), "mongodb");
        // Writes and job calls are bounded the same way.
        let doc = Document::new("d", "u", None, "a.png", "image/png", 1, "k");
        assert_eq!(store.create_document(&doc).await.expect_err("no answer").outage(), Some("the database is not answering"));
        assert!(store.claim_job("w", Duration::from_secs(1), Utc::now()).await.is_err());
    }
}
