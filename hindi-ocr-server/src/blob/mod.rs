//! The `BlobStore`: uploaded files, by server-made keys, with two implementations: [`local::LocalBlobStore`]
//! (a directory, the default) and [`s3::S3BlobStore`] (S3 or an S3-compatible server). Both pass the same
//! conformance suite (`tests/blob_conformance.rs`).

pub mod local;
pub mod s3;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

pub use crate::store::{StorageError, StorageResult};

/// The bytes of an upload as they arrive. Map the source's error to `std::io::Error` (an upload error is then
/// reported as [`StorageError::InvalidInput`], the request's fault).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Makes a [`ByteStream`] of bytes already in memory.
pub fn byte_stream_from(bytes: impl Into<Bytes>) -> ByteStream {
    let bytes: Bytes = bytes.into();
    Box::pin(futures::stream::once(async move { Ok(bytes) }))
}

/// A blob key: made by the server from ids it generated, never from user input. It is `/`-separated
/// segments of `[A-Za-z0-9._-]`, none empty or starting with `.` (so it is also a safe relative path, and
/// never names the local store's `.tmp` directory).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 512;

    /// The key of a document's file: `documents/{userId}/{documentId}`.
    pub fn for_document(user_id: &str, document_id: &str) -> StorageResult<Self> {
        Self::parse(&format!("documents/{user_id}/{document_id}"))
    }

    /// Checks a key (e.g. one read back from a document record).
    pub fn parse(key: &str) -> StorageResult<Self> {
        let bad = |why: &str| Err(StorageError::InvalidInput(format!("blob key {key:?}: {why}")));
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return bad("empty or too long");
        }
        for segment in key.split('/') {
            if segment.is_empty() || segment.starts_with('.') {
                return bad("empty segment, or one starting with '.'");
            }
            if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
                return bad("only A-Z a-z 0-9 . _ - and / are allowed");
            }
        }
        Ok(BlobKey(key.to_owned()))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Uploaded files. Object-safe: use it as `Arc<dyn BlobStore>`.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Which back end this is: `"local"` or `"s3"`.
    fn kind(&self) -> &'static str;

    /// Succeeds when the back end answers and is usable (for `/ready`).
    async fn ping(&self) -> StorageResult<()>;

    /// Stores the stream under `key` (replacing any blob there) and returns its size. Beyond `limit` bytes it
    /// stops reading, stores nothing and returns [`StorageError::TooLarge`]; an error from the stream stores
    /// nothing either. Readers never see a partly written blob.
    async fn put(&self, key: &BlobKey, body: ByteStream, limit: u64) -> StorageResult<u64>;

    /// The whole blob ([`StorageError::NotFound`] if there is none).
    async fn get(&self, key: &BlobKey) -> StorageResult<Bytes>;

    /// Deletes the blob; deleting a missing blob succeeds (deletes are retried after crashes).
    async fn delete(&self, key: &BlobKey) -> StorageResult<()>;
}

/// Settings of the S3 back end (see [`s3::S3BlobStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The bucket.
    pub bucket: String,
    /// Prepended to every key (from `s3://bucket/prefix`), without a trailing `/`; may be empty.
    pub prefix: String,
    /// Endpoint URL of an S3-compatible server (e.g. `http://127.0.0.1:5000`); `None` for AWS.
    pub endpoint: Option<String>,
    /// Region; `us-east-1` when not given.
    pub region: String,
    /// Access key id; with `secret_access_key`, static credentials. When absent the environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) is read.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. Default true
    /// when an endpoint is set.
    pub force_path_style: bool,
    /// Create the bucket at start if it does not exist (handy for tests and single-node setups).
    pub create_bucket: bool,
    /// Longest time one S3 call may take, its retries included (small calls get at most
    /// [`s3::SMALL_CALL_TIMEOUT`] of it); a download's body is read within it too.
    pub timeout: Duration,
}

impl S3Settings {
    /// Settings for `s3://bucket[/prefix]` with defaults for the rest.
    pub fn from_url(url: &str) -> StorageResult<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| StorageError::Config(format!("blob URL {url:?}: expected s3://bucket[/prefix]")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/');
        if bucket.is_empty() {
            return Err(StorageError::Config(format!("blob URL {url:?}: no bucket")));
        }
        if !prefix.is_empty() {
            BlobKey::parse(prefix).map_err(|e| StorageError::Config(format!("blob URL {url:?}: prefix: {e}")))?;
        }
        Ok(S3Settings {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            endpoint: None,
            region: "us-east-1".to_owned(),
            access_key_id: None,
            secret_access_key: None,
            force_path_style: false,
            create_bucket: false,
            timeout: s3::DEFAULT_TIMEOUT,
        })
    }
}

/// Which blob store a blob URL selects (see [`open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// `s3://bucket[/prefix]`.
    S3(S3Settings),
    /// `file:DIR`, `file://DIR` or a plain path: a local directory.
    Local(PathBuf),
}

/// The local blob directory inside the data directory.
pub const LOCAL_DIR_NAME: &str = "blobs";

impl BlobLocation {
    /// Reads a blob URL; `None` means the local directory `data_dir/blobs`.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> StorageResult<Self> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(BlobLocation::Local(data_dir.join(LOCAL_DIR_NAME)));
        };
        if url.starts_with("s3://") {
            return Ok(BlobLocation::S3(S3Settings::from_url(url)?));
        }
        let path = url.strip_prefix("file://").or_else(|| url.strip_prefix("file:")).unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StorageError::Config(format!(
                "blob URL {url:?}: expected s3://bucket[/prefix], file:DIR or a directory path"
            )));
        }
        Ok(BlobLocation::Local(path.into()))
    }
}

/// Opens the blob store of a location (creating the directory, or checking the bucket).
pub async fn open(location: BlobLocation) -> StorageResult<Arc<dyn BlobStore>> {
    match location {
        BlobLocation::S3(settings) => Ok(Arc::new(s3::S3BlobStore::connect(settings).await?)),
        BlobLocation::Local(dir) => Ok(Arc::new(local::LocalBlobStore::open(&dir).await?)),
    }
}
