//! The backups in a remote repository: every object directly under the
//! prefix whose name is a pg-backup name (for one prefix, or any), with its
//! manifest object (`<name>.json`). The manifest is written last, so an
//! object without one is not a backup: an upload that completed but was
//! not verified, or a run killed in between. [`RemoteInventory::incomplete`]
//! lists those; anything else under the prefix is not ours and is never
//! listed, let alone touched.

use chrono::{DateTime, Utc};
use shipshape_pg::manifest::{Manifest, VerifyStatus};

use super::error::RemoteError;
use super::store::{ObjectInfo, Store};
use crate::naming::BackupName;

/// One backup object with its manifest.
#[derive(Debug, Clone)]
pub struct RemoteEntry {
    pub name: BackupName,
    /// The object's name below the prefix (`app_…sql.gz.age`).
    pub file: String,
    pub size: u64,
    pub e_tag: Option<String>,
    pub last_modified: DateTime<Utc>,
    pub manifest: Manifest,
}

impl RemoteEntry {
    pub fn verified(&self) -> bool {
        self.manifest.verification.status == VerifyStatus::Verified
    }
}

/// An object of ours that is not (yet) a backup.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub file: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    /// Why it is not a backup.
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct RemoteInventory {
    /// Newest first.
    pub backups: Vec<RemoteEntry>,
    /// Backup objects without a readable manifest, and manifests without
    /// their backup.
    pub incomplete: Vec<Leftover>,
}

/// Everything under the store's prefix that belongs to `prefix` (or to any
/// pg-backup prefix).
pub fn scan(store: &Store, prefix: Option<&str>) -> Result<RemoteInventory, RemoteError> {
    let objects = store.list()?;
    let ours = |file: &str| match prefix {
        Some(p) => BackupName::parse_for(file, p),
        None => BackupName::parse(file),
    };
    let mut inventory = RemoteInventory::default();
    for object in &objects {
        if let Some(name) = ours(&object.name) {
            classify(store, object, name, &objects, &mut inventory)?;
        } else if let Some(backup) = object.name.strip_suffix(".json") {
            // A manifest whose backup is gone (a delete interrupted between
            // the two requests): ours only if the backup name is.
            if ours(backup).is_some() && !objects.iter().any(|o| o.name == backup) {
                inventory.incomplete.push(Leftover {
                    file: object.name.clone(),
                    size: object.size,
                    last_modified: object.last_modified,
                    reason: "manifest without its backup".to_owned(),
                });
            }
        }
    }
    inventory.backups.sort_by(|a, b| {
        b.name
            .time
            .cmp(&a.name.time)
            .then_with(|| b.file.cmp(&a.file))
    });
    Ok(inventory)
}

fn classify(
    store: &Store,
    object: &ObjectInfo,
    name: BackupName,
    objects: &[ObjectInfo],
    inventory: &mut RemoteInventory,
) -> Result<(), RemoteError> {
    let manifest_name = format!("{}.json", object.name);
    let leftover = |reason: String| Leftover {
        file: object.name.clone(),
        size: object.size,
        last_modified: object.last_modified,
        reason,
    };
    if !objects.iter().any(|o| o.name == manifest_name) {
        inventory.incomplete.push(leftover(
            "no manifest: the upload was never verified".to_owned(),
        ));
        return Ok(());
    }
    let bytes = store.get_small(&manifest_name)?.unwrap_or_default();
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(manifest) if manifest.file == object.name => {
            inventory.backups.push(RemoteEntry {
                name,
                file: object.name.clone(),
                size: object.size,
                e_tag: object.e_tag.clone(),
                last_modified: object.last_modified,
                manifest,
            });
        }
        Ok(manifest) => inventory.incomplete.push(leftover(format!(
            "its manifest describes {}",
            manifest.file
        ))),
        Err(err) => inventory
            .incomplete
            .push(leftover(format!("unreadable manifest: {err}"))),
    }
    Ok(())
}
