//! Remote repositories: a prefix in an S3-compatible bucket.
//!
//! - [`location`]: where: `s3://bucket/prefix`;
//! - [`settings`]: endpoint, region, credentials (the AWS conventions);
//! - [`store`]: the synchronous client (list, head, small get/put, delete);
//! - [`upload`] / [`download`]: streaming with bounded memory;
//! - [`inventory`]: the backups under a prefix, with their manifests;
//! - [`fetch`]: a backup read back in full, checked and decrypted into a spool.

pub mod download;
pub mod error;
pub mod fetch;
pub mod inventory;
pub mod location;
pub mod settings;
pub mod store;
pub mod upload;

pub use error::RemoteError;
pub use location::RemoteUrl;
pub use settings::{S3Args, S3FileConfig, S3Settings};
pub use store::{ObjectInfo, Store};
