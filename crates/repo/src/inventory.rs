//! The backups in a directory: every file whose name is a pg-backup name
//! (for one prefix, or for any), with its size and manifest.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use shipshape_pg::manifest::{Manifest, VerifyStatus, manifest_path};

use crate::naming::BackupName;

/// One backup file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: BackupName,
    pub file: String,
    pub path: PathBuf,
    pub size: u64,
    pub manifest: Option<Manifest>,
    /// Why the manifest could not be read, if it exists but is unreadable.
    pub manifest_error: Option<String>,
}

impl Entry {
    /// Verified according to its manifest.
    pub fn verified(&self) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|m| m.verification.status == VerifyStatus::Verified)
    }

    /// Files that belong to this backup and go with it: the manifest and the
    /// globals file, when present.
    pub fn companions(&self) -> Vec<PathBuf> {
        let mut files = vec![manifest_path(&self.path)];
        if let Some(parent) = self.path.parent() {
            files.push(parent.join(self.name.globals_file_name()));
        }
        files.into_iter().filter(|p| p.exists()).collect()
    }
}

/// Backups in `dir`, newest first. With `prefix`, only that prefix's.
pub fn scan(dir: &Path, prefix: Option<&str>) -> anyhow::Result<Vec<Entry>> {
    let reader = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read backup directory {}", dir.display()))?;
    let mut entries = Vec::new();
    for item in reader {
        let item =
            item.with_context(|| format!("cannot read backup directory {}", dir.display()))?;
        let Some(file) = item.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let parsed = match prefix {
            Some(prefix) => BackupName::parse_for(&file, prefix),
            None => BackupName::parse(&file),
        };
        let Some(name) = parsed else { continue };
        let Ok(meta) = item.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let path = item.path();
        let (manifest, manifest_error) = match Manifest::read_for(&path) {
            Ok(m) => (m, None),
            Err(err) => (None, Some(format!("{err:#}"))),
        };
        entries.push(Entry {
            name,
            file,
            path,
            size: meta.len(),
            manifest,
            manifest_error,
        });
    }
    entries.sort_by(|a, b| {
        b.name
            .time
            .cmp(&a.name.time)
            .then_with(|| b.file.cmp(&a.file))
    });
    Ok(entries)
}

/// Leftover `.<backup name>.partial` files of `prefix` (a run killed with
/// SIGKILL or a power cut). Only call while holding the directory lock.
pub fn stale_partials(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|item| {
            let file = item.file_name().to_str()?.to_owned();
            let inner = file.strip_prefix('.')?.strip_suffix(".partial")?;
            let inner = inner
                .strip_suffix(".globals.sql")
                .map_or_else(|| inner.to_owned(), |stem| format!("{stem}.sql.gz"));
            BackupName::parse_for(&inner, prefix).map(|_| item.path())
        })
        .collect()
}
