//! A bucket prefix as a synchronous API for the tools, over Apache Arrow's
//! `object_store` client (SigV4 signing, multipart uploads, retries with
//! exponential backoff). The tools are synchronous programs; the client is
//! async, so each [`Store`] owns a small tokio runtime and blocks on it.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ObjectStore as _, ObjectStoreExt as _, RetryConfig};
use tokio::runtime::Runtime;

use super::error::{RemoteError, classify};
use super::location::RemoteUrl;
use super::settings::S3Settings;

/// One object, as listed or HEAD-ed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The name below the repository prefix.
    pub name: String,
    pub size: u64,
    pub e_tag: Option<String>,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// A repository prefix in a bucket.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) rt: Arc<Runtime>,
    pub(crate) s3: Arc<AmazonS3>,
    url: RemoteUrl,
    endpoint: String,
}

/// How often a request is retried: a storage node restarting or a load
/// balancer dropping a connection is survived; an endpoint that is gone
/// fails the run in seconds rather than minutes.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: 5,
        retry_timeout: Duration::from_secs(60),
    }
}

impl Store {
    /// A client for `url`; no request is made yet.
    pub fn open(url: &RemoteUrl, settings: &S3Settings) -> Result<Self, RemoteError> {
        // from_env: web-identity and container credential variables; the
        // explicit settings below override what it read.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&url.bucket)
            .with_region(&settings.region)
            .with_virtual_hosted_style_request(settings.virtual_hosted)
            .with_retry(retry_config());
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
            if let Some(token) = &settings.session_token {
                builder = builder.with_token(token.expose());
            }
        }
        let s3 = builder.build().map_err(|source| RemoteError::Config {
            url: url.to_string(),
            reason: source.to_string(),
        })?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("shipshape-s3")
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Config {
                url: url.to_string(),
                reason: format!("cannot start the I/O runtime: {e}"),
            })?;
        Ok(Self {
            rt: Arc::new(rt),
            s3: Arc::new(s3),
            url: url.clone(),
            endpoint: settings.endpoint_label(),
        })
    }

    pub fn url(&self) -> &RemoteUrl {
        &self.url
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn path(&self, name: &str) -> ObjectPath {
        ObjectPath::from(self.url.key(name))
    }

    pub(crate) fn fail(&self, action: &str, name: &str, err: object_store::Error) -> RemoteError {
        classify(
            action,
            &self.url.join(name),
            &self.url.bucket,
            &self.endpoint,
            err,
        )
    }

    /// The objects directly under the prefix (not in "subdirectories").
    pub fn list(&self) -> Result<Vec<ObjectInfo>, RemoteError> {
        let prefix =
            (!self.url.prefix.is_empty()).then(|| ObjectPath::from(self.url.prefix.as_str()));
        let listed = self
            .rt
            .block_on(self.s3.list_with_delimiter(prefix.as_ref()))
            .map_err(|e| self.fail("list", "", e))?;
        let mut out: Vec<ObjectInfo> = listed
            .objects
            .into_iter()
            .filter_map(|meta| {
                let name = meta.location.filename()?.to_owned();
                Some(ObjectInfo {
                    name,
                    size: meta.size,
                    e_tag: meta.e_tag,
                    last_modified: meta.last_modified,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// HEAD: `None` when there is no such object.
    pub fn head(&self, name: &str) -> Result<Option<ObjectInfo>, RemoteError> {
        match self.rt.block_on(self.s3.head(&self.path(name))) {
            Ok(meta) => Ok(Some(ObjectInfo {
                name: name.to_owned(),
                size: meta.size,
                e_tag: meta.e_tag,
                last_modified: meta.last_modified,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("read", name, e)),
        }
    }

    /// A small object (a manifest) in full; `None` when missing.
    pub fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, RemoteError> {
        let path = self.path(name);
        let result = self.rt.block_on(async {
            let got = self.s3.get(&path).await?;
            got.bytes().await
        });
        match result {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("read", name, e)),
        }
    }

    /// Write a small object in one request (a manifest).
    pub fn put_small(&self, name: &str, bytes: Vec<u8>) -> Result<(), RemoteError> {
        self.rt
            .block_on(self.s3.put(&self.path(name), bytes.into()))
            .map(|_| ())
            .map_err(|e| self.fail("write", name, e))
    }

    /// Delete one object (deleting a missing object is not an error in S3).
    pub fn delete(&self, name: &str) -> Result<(), RemoteError> {
        self.rt
            .block_on(self.s3.delete(&self.path(name)))
            .map_err(|e| self.fail("delete", name, e))
    }

    /// A cheap request that proves the bucket exists and the credentials
    /// work, before anything expensive starts.
    pub fn probe(&self) -> Result<(), RemoteError> {
        self.list().map(|_| ())
    }
}
