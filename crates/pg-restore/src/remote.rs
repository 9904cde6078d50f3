//! Restoring from an off-site repository (`pg-restore s3://bucket/prefix/NAME`
//! or `--latest --from s3://bucket/prefix`): the object is downloaded once,
//! its stored SHA-256 and size checked against its manifest, decrypted with
//! `--identity` on the way, and spooled (the plain backup, with the plain
//! dump's manifest beside it) into a private temporary directory. The
//! restore then runs on the spooled file exactly as on a local one,
//! starting with its full verification; nothing reaches the server before
//! both checks passed. The spool needs the backup's size in TMPDIR and is
//! removed when the run ends (measured against a second download instead:
//! docs/benchmarks.md).

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use shipshape_core::{Diagnostic, Printer, Report, UsageError};
use shipshape_repo::crypt::{Decryption, EncryptionSources};
use shipshape_repo::remote::fetch::{self, Spool};
use shipshape_repo::remote::inventory::{self, RemoteEntry};
use shipshape_repo::remote::{RemoteUrl, Store};

use crate::commands::Context;

/// A backup chosen in a store.
pub struct Chosen {
    pub store: Store,
    pub entry: RemoteEntry,
}

impl Chosen {
    pub fn url(&self) -> String {
        self.store.url().join(&self.entry.file)
    }
}

/// The downloaded backup, ready for the local pipeline.
pub struct Spooled {
    pub path: PathBuf,
    /// Kept for the run: dropping it removes the spool.
    _spool: Spool,
}

/// Is `text` (a FILE argument) an object-store URL?
pub fn is_remote(file: &std::path::Path) -> bool {
    file.to_str().is_some_and(RemoteUrl::looks_remote)
}

/// `s3://bucket/prefix/NAME`: that backup (it must have its manifest).
pub fn named(ctx: &Context, text: &str) -> anyhow::Result<Chosen> {
    let (repo, name) = RemoteUrl::split_object(text).map_err(|e| UsageError::new(e.to_string()))?;
    let store = Store::open(&repo, &ctx.settings.s3)?;
    let entry = match inventory::find(&store, &name)? {
        Some(Ok(entry)) => entry,
        Some(Err(leftover)) => {
            return Err(anyhow!(
                "{text} is not a backup ({}): its upload was never verified",
                leftover.reason
            ));
        }
        None => {
            return Err(anyhow!(
                "{text} does not exist (pg-backup list --to {repo} shows what does)"
            ));
        }
    };
    Ok(Chosen { store, entry })
}

/// `--latest --from URL`: the newest verified backup of `target` there.
pub fn latest(ctx: &Context, repo: &RemoteUrl, target: &str) -> anyhow::Result<Chosen> {
    let store = Store::open(repo, &ctx.settings.s3)?;
    let found = inventory::scan(&store, None)?;
    let verified: Vec<RemoteEntry> = found
        .backups
        .into_iter()
        .filter(RemoteEntry::verified)
        .collect();
    let databases: std::collections::BTreeSet<&str> = verified
        .iter()
        .map(|e| e.manifest.database.as_str())
        .collect();
    let several = databases.len() > 1;
    // Newest first; with backups of several databases, only the target's.
    let entry = verified
        .iter()
        .find(|e| !several || e.manifest.database == target)
        .cloned()
        .ok_or_else(|| {
            if several {
                UsageError::new(format!(
                    "{repo} holds verified backups of several databases and none of \"{target}\"; name the backup URL to restore"
                ))
            } else {
                UsageError::new(format!("no verified backup (with a manifest that says verified) in {repo}"))
            }
        })?;
    Ok(Chosen { store, entry })
}

/// Download, check and decrypt into a spool; a report (exit 1, nothing
/// changed) when the object is damaged or cannot be decrypted.
pub fn download(
    ctx: &Context,
    chosen: &Chosen,
    printer: &Printer,
) -> anyhow::Result<Result<Spooled, Report>> {
    let decryption = Decryption::load(
        &ctx.settings.identities,
        &EncryptionSources::passphrase(ctx.settings.passphrase_file.clone()),
    )
    .map_err(|e| UsageError::new(e.to_string()))?;
    let url = chosen.url();
    let spool = Spool::new("pg-restore")?;
    printer.status(&format!("downloading {url} …"));
    let fetched = fetch::download(&chosen.store, &chosen.entry, &decryption, &spool)?;
    if !fetched.problems.is_empty() || fetched.plain.is_none() {
        let mut report = Report::with_rules(
            "pg-restore",
            env!("CARGO_PKG_VERSION"),
            &crate::rules::RULES,
        );
        for problem in &fetched.problems {
            report.push(
                Diagnostic::error(problem.code, problem.message.clone())
                    .with_subject(&chosen.entry.file)
                    .with_file(&url)
                    .with_help(problem.help),
            );
        }
        if fetched.problems.is_empty() {
            report.push(Diagnostic::error(
                "wrong-identity",
                format!("{url} is encrypted and no --identity was given"),
            ));
        }
        report.insert("file", &url);
        report.insert("changed", false);
        return Ok(Err(report));
    }
    let path = fetched
        .plain
        .clone()
        .ok_or_else(|| anyhow!("internal error: nothing spooled"))?;
    let text = serde_json::to_string_pretty(&fetched.plain_manifest)
        .context("serializing the manifest")?;
    let manifest = shipshape_pg::manifest::manifest_path(&path);
    std::fs::write(&manifest, text)
        .with_context(|| format!("cannot write {}", manifest.display()))?;
    printer.detail(&format!(
        "downloaded {url}: stored SHA-256 matches the manifest{}",
        if chosen.entry.manifest.encryption.is_some() {
            "; decrypted"
        } else {
            ""
        }
    ));
    Ok(Ok(Spooled {
        path,
        _spool: spool,
    }))
}
