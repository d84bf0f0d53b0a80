//! Blobs as files under one directory (the default, `data/blobs`). A key maps to the relative path of the same
//! name ([`BlobKey`] only allows safe segments). Writes go to a temporary file in `.tmp/` of the same
//! directory, are flushed to disk, then renamed into place, so a reader sees the whole file or none.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::{BlobKey, BlobStore, ByteStream, StorageError, StorageResult};

const BACKEND: &str = "local-blobs";
/// Temporary files live here (inside the root, so the final rename never crosses file systems).
const TMP_DIR: &str = ".tmp";

fn io_err(context: &str, path: &Path, err: std::io::Error) -> StorageError {
    StorageError::Backend { backend: BACKEND, message: format!("{context} {}: {err}", path.display()) }
}

/// Blobs in a local directory.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) the directory `root`. Temporary files left by a crash are removed.
    pub async fn open(root: &Path) -> StorageResult<Self> {
        let tmp = root.join(TMP_DIR);
        tokio::fs::create_dir_all(&tmp).await.map_err(|e| io_err("cannot create", &tmp, e))?;
        // Leftovers of interrupted writes: never renamed, so never visible; safe to drop at start.
        if let Ok(mut entries) = tokio::fs::read_dir(&tmp).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        Ok(LocalBlobStore { root: root.to_path_buf() })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// Writes the stream to `tmp`, returning the size; the caller removes `tmp` on error.
    async fn write_tmp(tmp: &Path, mut body: ByteStream, limit: u64) -> StorageResult<u64> {
        let mut file = tokio::fs::File::create(tmp).await.map_err(|e| io_err("cannot create", tmp, e))?;
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| StorageError::InvalidInput(format!("upload interrupted: {e}")))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(StorageError::TooLarge { limit });
            }
            file.write_all(&chunk).await.map_err(|e| io_err("cannot write", tmp, e))?;
        }
        file.sync_all().await.map_err(|e| io_err("cannot sync", tmp, e))?;
        Ok(size)
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn ping(&self) -> StorageResult<()> {
        let meta = tokio::fs::metadata(&self.root).await.map_err(|e| io_err("cannot read", &self.root, e))?;
        if !meta.is_dir() {
            return Err(StorageError::Backend {
                backend: BACKEND,
                message: format!("{} is not a directory", self.root.display()),
            });
        }
        Ok(())
    }

    async fn put(&self, key: &BlobKey, body: ByteStream, limit: u64) -> StorageResult<u64> {
        let target = self.path_of(key);
        let tmp = self.root.join(TMP_DIR).join(uuid::Uuid::new_v4().to_string());
        let size = match Self::write_tmp(&tmp, body, limit).await {
            Ok(size) => size,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let result = async {
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| io_err("cannot create", parent, e))?;
            }
            tokio::fs::rename(&tmp, &target).await.map_err(|e| io_err("cannot rename into", &target, e))
        }
        .await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(size)
    }

    async fn get(&self, key: &BlobKey) -> StorageResult<Bytes> {
        let path = self.path_of(key);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::not_found("blob")),
            Err(e) => Err(io_err("cannot read", &path, e)),
        }
    }

    async fn delete(&self, key: &BlobKey) -> StorageResult<()> {
        let path = self.path_of(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("cannot delete", &path, e)),
        }
    }
}
