//! The off-site copy of `pg-backup create --to s3://…`: the upload runs
//! while pg_dump runs (the dump pipeline writes into it as it writes the
//! local file), and the steps after the dump make the object a backup:
//!
//! 1. [`Offsite::start`]: before pg_dump, the bucket is reachable and the
//!    key may write (a multipart upload is started), so a wrong key or a
//!    missing bucket fails before any work;
//! 2. the pipeline streams parts; any failure, pg_dump dying or Ctrl-C
//!    drops the [`Upload`], which aborts it: the store discards the parts
//!    and nothing appears under the backup's name;
//! 3. [`Offsite::publish`], only after the dump was checked (completion
//!    marker, row counts, the local copy's full verification): the upload
//!    is completed, the object HEAD-ed and its size compared with what was
//!    streamed, and only then the manifest object is written. A backup
//!    without its manifest is not a backup (`list` shows it as incomplete,
//!    `prune` removes it after a grace period), so the manifest is the
//!    commit point, as the rename is for a local backup.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, SubsecRound as _, Utc};
use shipshape_pg::manifest::{EncryptionInfo, Manifest, RemoteObject, Verification, VerifyStatus};
use shipshape_repo::crypt::Encryption;
use shipshape_repo::remote::Store;
use shipshape_repo::remote::upload::{self, Upload};

use crate::config::RemoteRepo;
use crate::destination::{RemoteUpload, RemoteWritten};
use crate::naming::{BackupName, Kind};

/// An open off-site repository for one backup run.
pub struct Offsite {
    pub store: Store,
    encryption: Option<Arc<Encryption>>,
}

/// The upload of one backup, not yet completed.
pub struct Pending {
    pub name: BackupName,
    pub upload: Upload,
}

impl Offsite {
    /// Open the repository and prove it is usable (a listing).
    pub fn open(repo: &RemoteRepo, encryption: Option<Arc<Encryption>>) -> anyhow::Result<Self> {
        let store = Store::open(&repo.url, &repo.s3)?;
        store.probe()?;
        Ok(Self { store, encryption })
    }

    /// A name for `time` not taken in the store (two runs in one second
    /// get different seconds), and the upload of it started.
    pub fn start(
        &self,
        prefix: &str,
        kind: Kind,
        time: DateTime<Utc>,
        size_estimate: u64,
    ) -> anyhow::Result<(RemoteUpload, Pending)> {
        // Names only: a listing, not every manifest.
        let taken: Vec<String> = self
            .store
            .list()?
            .into_iter()
            .filter_map(|o| BackupName::parse_for(&o.name, prefix))
            .map(|n| n.plain_file_name())
            .collect();
        let mut time = time.trunc_subsecs(0);
        let mut name = BackupName::new(prefix, time, kind).encrypted(self.encryption.is_some());
        while taken.contains(&name.plain_file_name()) {
            time += chrono::Duration::seconds(1);
            name = BackupName::new(prefix, time, kind).encrypted(self.encryption.is_some());
        }
        let file = name.file_name();
        let (writer, upload) = self
            .store
            .upload(&file, upload::part_size_for(size_estimate))?;
        let url = self.store.url().join(&file);
        let destination = RemoteUpload::new(writer, url, self.encryption.as_deref())?;
        Ok((destination, Pending { name, upload }))
    }

    /// Complete the upload, check it, write the manifest. `manifest` is the
    /// verified manifest of the plain dump; the returned one describes the
    /// stored object. On any failure the object is deleted again.
    pub fn publish(
        &self,
        pending: Pending,
        written: &RemoteWritten,
        manifest: &Manifest,
    ) -> anyhow::Result<Manifest> {
        let file = pending.name.file_name();
        let url = self.store.url().join(&file);
        let part_size = pending.upload.part_size() as u64;
        let completed = pending.upload.complete()?;
        let result =
            self.check_and_describe(&file, &url, written, manifest, part_size, completed.e_tag);
        if result.is_err() {
            let _ = self.store.delete(&file);
        }
        result
    }

    fn check_and_describe(
        &self,
        file: &str,
        url: &str,
        written: &RemoteWritten,
        manifest: &Manifest,
        part_size: u64,
        e_tag: Option<String>,
    ) -> anyhow::Result<Manifest> {
        let head = self
            .store
            .head(file)?
            .ok_or_else(|| anyhow!("{url} is missing right after its upload completed"))?;
        if head.size != written.bytes {
            return Err(anyhow!(
                "{url}: the store reports {} bytes, {} were uploaded; the object was deleted\n  \
                 hint: the store lost or truncated parts; check its health and run the backup again",
                head.size,
                written.bytes
            ));
        }
        let mut remote = manifest.clone();
        remote.file = file.to_owned();
        remote.sha256.clone_from(&written.sha256);
        remote.compressed_bytes = written.bytes;
        remote.globals_file = None;
        remote.remote = Some(RemoteObject {
            url: url.to_owned(),
            e_tag: head.e_tag.or(e_tag),
            size: head.size,
            part_size,
            parts: written.parts,
        });
        remote.encryption = self.encryption.as_ref().map(|enc| EncryptionInfo {
            method: "age".to_owned(),
            recipients: enc.labels(),
            plain_sha256: manifest.sha256.clone(),
            plain_bytes: manifest.compressed_bytes,
        });
        remote.verification = Verification {
            status: VerifyStatus::Verified,
            method: "upload".to_owned(),
            verified_at: Some(Utc::now().trunc_subsecs(3)),
            detail: Some(format!(
                "{}; uploaded in {} parts, SHA-256 computed while streaming, size confirmed by the store (HEAD)",
                manifest
                    .verification
                    .detail
                    .as_deref()
                    .unwrap_or("dump checked while streaming"),
                written.parts
            )),
        };
        let mut text = serde_json::to_string_pretty(&remote).context("serializing the manifest")?;
        text.push('\n');
        self.store
            .put_small(&format!("{file}.json"), text.into_bytes())?;
        Ok(remote)
    }
}
