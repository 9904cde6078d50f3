//! The sidecar manifest pg-backup writes next to each backup
//! (`<backup file>.json`) and pg-restore reads. The format is documented in
//! `docs/pg-backup.md`; `manifest_version` changes only with incompatible
//! changes, and readers ignore fields they do not know.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MANIFEST_VERSION: u32 = 1;

/// pg_dump's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpFormat {
    /// Plain SQL script (restored with psql).
    Plain,
    /// pg_dump's custom archive (`-Fc`, restored with pg_restore).
    Custom,
}

/// How the file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Zstd,
    /// Uncompressed (custom-format archives carry their own compression).
    None,
}

/// Rows in one table, counted in the dump's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub schema: String,
    pub table: String,
    pub rows: u64,
}

/// The outcome of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    Verified,
    Failed,
    Unverified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub status: VerifyStatus,
    /// `checksum` (full decompression pass + SHA-256) or `restore` (also
    /// restored into a throwaway database and row counts compared).
    pub method: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

/// Everything known about one backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    /// The backup file's name (no directory), so a renamed manifest is caught.
    pub file: String,
    pub database: String,
    pub server_version: String,
    pub pg_dump_version: String,
    pub format: DumpFormat,
    pub compression: Compression,
    pub compression_level: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_seconds: f64,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    /// Lower-case hex SHA-256 of the backup file as written.
    pub sha256: String,
    /// Row counts taken in the dump's snapshot (exact), if any.
    #[serde(default)]
    pub tables: Vec<TableRows>,
    /// The `pg_dumpall --globals-only` file saved beside it, if any.
    #[serde(default)]
    pub globals_file: Option<String>,
    pub verification: Verification,
    pub tool_version: String,
    /// Where the backup is stored in an object store (remote repositories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteObject>,
    /// How the stored bytes are encrypted; `sha256` and `compressed_bytes`
    /// are then of the encrypted object, these of the plain (compressed) dump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionInfo>,
}

/// A backup's object in an object store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteObject {
    /// The bucket and key, `s3://bucket/prefix/name`.
    pub url: String,
    /// The store's ETag after the multipart upload completed.
    pub e_tag: Option<String>,
    /// Size as the store reported it (HEAD) after the upload.
    pub size: u64,
    pub part_size: u64,
    pub parts: u64,
}

/// Client-side encryption of a stored backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionInfo {
    /// `age`.
    pub method: String,
    /// The recipients' public keys (or `passphrase (scrypt)`).
    pub recipients: Vec<String>,
    /// SHA-256 and size of the backup before encryption (what a local copy
    /// of the same dump holds).
    pub plain_sha256: String,
    pub plain_bytes: u64,
}

/// `backup.sql.gz` → `backup.sql.gz.json`.
pub fn manifest_path(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

impl Manifest {
    /// Read a backup's manifest; `Ok(None)` when it has none.
    pub fn read_for(backup: &Path) -> anyhow::Result<Option<Self>> {
        use anyhow::Context as _;
        let path = manifest_path(backup);
        if !path.exists() {
            return Ok(None);
        }
        let text = fs_err::read_to_string(&path)?;
        let manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid backup manifest", path.display()))?;
        Ok(Some(manifest))
    }
}
