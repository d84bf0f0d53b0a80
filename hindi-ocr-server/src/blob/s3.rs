//! Blobs in S3 or an S3-compatible server (MinIO, Ceph, moto, ...), through `aws-sdk-s3`.
//!
//! Settings that make S3-compatible servers work: a custom endpoint, path-style addressing, and checksums
//! only when an operation requires them (`request_checksum_calculation` / `response_checksum_validation` =
//! `WhenRequired`; the SDK's default CRC32 trailers on every upload are rejected by several servers).
//!
//! Uploads are streamed: up to [`PART_SIZE`] bytes are buffered; a small blob is one `PutObject`, a larger one
//! a multipart upload of `PART_SIZE` parts (aborted on any error or when the limit is passed, so nothing is
//! left behind). Memory per upload is bounded by `PART_SIZE` whatever the stream's size.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use super::{BlobKey, BlobStore, ByteStream, S3Settings, StorageError, StorageResult};

const BACKEND: &str = "s3";

/// How long one S3 call may take, all its attempts together, unless configured (`S3Settings::timeout`):
/// enough to store an 8 MiB part (a file of up to 25 MB is at most 4 of them) on a slow link; a server that
/// hangs costs a request this long, then a `503`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a small call (delete, bucket check, starting or aborting a multipart upload) may take.
pub const SMALL_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Opening a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The next chunk of an upload, with the running `size` checked against `limit`; `None` at the end.
async fn next_chunk(body: &mut ByteStream, size: &mut u64, limit: u64) -> StorageResult<Option<Bytes>> {
    match body.next().await {
        Some(chunk) => {
            let chunk = chunk.map_err(|e| StorageError::InvalidInput(format!("upload interrupted: {e}")))?;
            *size += chunk.len() as u64;
            if *size > limit {
                return Err(StorageError::TooLarge { limit });
            }
            Ok(Some(chunk))
        }
        None => Ok(None),
    }
}
/// Multipart part size (S3's minimum for all but the last part is 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

fn s3_err<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    op: &str,
    err: SdkError<E, R>,
) -> StorageError {
    let detail = match err.as_service_error() {
        Some(e) => format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("")),
        None => format!("{err:?}"),
    };
    StorageError::Backend { backend: BACKEND, message: format!("{op}: {detail}") }
}

/// True when the error is an HTTP 404 from the server (missing key or bucket).
fn is_not_found<E, R: HttpStatus>(err: &SdkError<E, R>) -> bool {
    err.raw_response().is_some_and(|r| r.status_code() == 404)
}

/// The HTTP status of a raw response (abstracts over the SDK's response type).
trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Time limits of S3 calls: `limit` for each call with all its attempts (the SDK's operation timeout; a hung
/// server would otherwise keep a request until the SDK's attempts ran out), `CONNECT_TIMEOUT` (or less) to
/// connect.
fn timeouts(limit: Duration) -> TimeoutConfig {
    TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT.min(limit)).operation_timeout(limit).build()
}

/// Blobs in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    prefix: String,
    /// Longest time of one call.
    timeout: Duration,
}

impl S3BlobStore {
    /// Builds the client, then checks the bucket (creating it when `settings.create_bucket`).
    pub async fn connect(settings: S3Settings) -> StorageResult<Self> {
        let key_id = settings.access_key_id.clone().or_else(|| std::env::var("AWS_ACCESS_KEY_ID").ok());
        let secret = settings.secret_access_key.clone().or_else(|| std::env::var("AWS_SECRET_ACCESS_KEY").ok());
        let (Some(key_id), Some(secret)) = (key_id, secret) else {
            return Err(StorageError::Config(
                "S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ));
        };
        let session_token = std::env::var("AWS_SESSION_TOKEN").ok().filter(|t| !t.is_empty());
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(Credentials::new(key_id, secret, session_token, None, "hindi-ocr-settings"))
            .force_path_style(settings.force_path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(timeouts(settings.timeout))
            .http_client(http_client);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let store = S3BlobStore {
            client: Client::from_conf(config.build()),
            bucket: settings.bucket.clone(),
            prefix: settings.prefix.clone(),
            timeout: settings.timeout,
        };
        if settings.create_bucket {
            store.ensure_bucket().await?;
        }
        Ok(store)
    }

    async fn ensure_bucket(&self) -> StorageResult<()> {
        let head = self.client.head_bucket().bucket(&self.bucket).customize().config_override(self.small_call());
        match head.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => match self.client.create_bucket().bucket(&self.bucket).send().await {
                Ok(_) => Ok(()),
                // Another server created it at the same moment.
                Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => Ok(()),
                Err(e) => Err(s3_err("CreateBucket", e)),
            },
            Err(e) => Err(s3_err("HeadBucket", e)),
        }
    }

    /// The configuration of a small call: its shorter time limit.
    fn small_call(&self) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::config::Builder::default().timeout_config(timeouts(self.timeout.min(SMALL_CALL_TIMEOUT)))
    }

    fn object_key(&self, key: &BlobKey) -> String {
        if self.prefix.is_empty() { key.as_str().to_owned() } else { format!("{}/{}", self.prefix, key) }
    }

    /// Uploads the rest of the stream as a multipart upload whose first part is `first`; the caller aborts
    /// the upload when this fails.
    async fn multipart_rest(
        &self,
        object_key: &str,
        upload_id: &str,
        first: Bytes,
        mut body: ByteStream,
        mut size: u64,
        limit: u64,
    ) -> StorageResult<u64> {
        let mut parts = Vec::new();
        let mut pending = Some(first);
        let mut buffer = BytesMut::new();
        loop {
            if let Some(part) = pending.take() {
                let number = i32::try_from(parts.len() + 1)
                    .map_err(|_| StorageError::InvalidInput("too many upload parts".into()))?;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(object_key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(S3Body::from(part))
                    .send()
                    .await
                    .map_err(|e| s3_err("UploadPart", e))?;
                parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(str::to_owned)).build());
            }
            match next_chunk(&mut body, &mut size, limit).await? {
                Some(chunk) => {
                    buffer.extend_from_slice(&chunk);
                    if buffer.len() >= PART_SIZE {
                        pending = Some(buffer.split().freeze());
                    }
                }
                None => {
                    if buffer.is_empty() {
                        break;
                    }
                    pending = Some(buffer.split().freeze());
                }
            }
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(object_key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| s3_err("CompleteMultipartUpload", e))?;
        Ok(size)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn ping(&self) -> StorageResult<()> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .customize()
            .config_override(self.small_call())
            .send()
            .await
            .map_err(|e| s3_err("HeadBucket", e))?;
        Ok(())
    }

    async fn put(&self, key: &BlobKey, mut body: ByteStream, limit: u64) -> StorageResult<u64> {
        let object_key = self.object_key(key);
        // Fill the first part; a blob that fits is one PutObject.
        let mut buffer = BytesMut::new();
        let mut size: u64 = 0;
        let mut ended = false;
        while buffer.len() < PART_SIZE {
            match next_chunk(&mut body, &mut size, limit).await? {
                Some(chunk) => {
                    buffer.extend_from_slice(&chunk);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&object_key)
                .body(S3Body::from(buffer.freeze()))
                .send()
                .await
                .map_err(|e| s3_err("PutObject", e))?;
            return Ok(size);
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&object_key)
            .customize()
            .config_override(self.small_call())
            .send()
            .await
            .map_err(|e| s3_err("CreateMultipartUpload", e))?;
        let upload_id = created.upload_id().map(str::to_owned).ok_or_else(|| StorageError::Backend {
            backend: BACKEND,
            message: "CreateMultipartUpload: no upload id in the answer".into(),
        })?;
        let result = self.multipart_rest(&object_key, &upload_id, buffer.freeze(), body, size, limit).await;
        if result.is_err() {
            // Nothing may be left behind; if the abort fails too, the bucket's lifecycle rule cleans up.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&object_key)
                .upload_id(&upload_id)
                .customize()
                .config_override(self.small_call())
                .send()
                .await;
        }
        result
    }

    async fn get(&self, key: &BlobKey) -> StorageResult<Bytes> {
        // The operation timeout ends with the answer's headers; the body is read within the same limit.
        let whole = async {
            let out = match self.client.get_object().bucket(&self.bucket).key(self.object_key(key)).send().await {
                Ok(out) => out,
                Err(e) if is_not_found(&e) => return Err(StorageError::not_found("blob")),
                Err(e) => return Err(s3_err("GetObject", e)),
            };
            let data = out
                .body
                .collect()
                .await
                .map_err(|e| StorageError::Backend { backend: BACKEND, message: format!("GetObject body: {e}") })?;
            Ok(data.into_bytes())
        };
        match tokio::time::timeout(self.timeout, whole).await {
            Ok(result) => result,
            Err(_) => Err(StorageError::Backend {
                backend: BACKEND,
                message: format!("GetObject: no whole answer within {} ms", self.timeout.as_millis()),
            }),
        }
    }

    async fn delete(&self, key: &BlobKey) -> StorageResult<()> {
        let delete = self.client.delete_object().bucket(&self.bucket).key(self.object_key(key));
        match delete.customize().config_override(self.small_call()).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(s3_err("DeleteObject", e)),
        }
    }
}
