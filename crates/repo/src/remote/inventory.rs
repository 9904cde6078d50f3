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
    let has_manifest = objects
        .iter()
        .any(|o| o.name == format!("{}.json", object.name));
    match with_manifest(store, object, name, has_manifest)? {
        Ok(entry) => inventory.backups.push(entry),
        Err(leftover) => inventory.incomplete.push(leftover),
    }
    Ok(())
}

/// The backup `object` is, with its manifest, or why it is not one.
fn with_manifest(
    store: &Store,
    object: &ObjectInfo,
    name: BackupName,
    has_manifest: bool,
) -> Result<Result<RemoteEntry, Leftover>, RemoteError> {
    let leftover = |reason: String| Leftover {
        file: object.name.clone(),
        size: object.size,
        last_modified: object.last_modified,
        reason,
    };
    let bytes = if has_manifest {
        store.get_small(&format!("{}.json", object.name))?
    } else {
        None
    };
    let Some(bytes) = bytes else {
        return Ok(Err(leftover(
            "no manifest: the upload was never verified".to_owned(),
        )));
    };
    Ok(match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(manifest) if manifest.file == object.name => Ok(RemoteEntry {
            name,
            file: object.name.clone(),
            size: object.size,
            e_tag: object.e_tag.clone(),
            last_modified: object.last_modified,
            manifest,
        }),
        Ok(manifest) => Err(leftover(format!(
            "its manifest describes {}",
            manifest.file
        ))),
        Err(err) => Err(leftover(format!("unreadable manifest: {err}"))),
    })
}

/// One backup by its object name, without listing the prefix: a HEAD and
/// its manifest. `Ok(None)` when no object of that name exists.
pub fn find(
    store: &Store,
    file: &str,
) -> Result<Option<Result<RemoteEntry, Leftover>>, RemoteError> {
    let Some(name) = BackupName::parse(file) else {
        return Ok(None);
    };
    let Some(object) = store.head(file)? else {
        return Ok(None);
    };
    with_manifest(store, &object, name, true).map(Some)
}
