//! `pg-backup list`: the backups in the directory (and/or the off-site
//! repository, `--to`) with their time, size, age, verification and
//! checksum status. Reads names and manifests only (fast); `pg-backup
//! verify` reads the files themselves. Off-site objects of ours without a
//! manifest are listed as `incomplete`.

use chrono::Utc;
use serde::Serialize;
use shipshape_core::{ExitCode, Printer, Report};
use shipshape_pg::manifest::{Manifest, VerifyStatus};

use shipshape_repo::remote::inventory::{Leftover, RemoteEntry, RemoteInventory};
use shipshape_repo::remote::{Store, inventory as remote_inventory};

use crate::config::Shared;
use crate::human;
use crate::inventory::{self, Entry};
use crate::naming::BackupName;

#[derive(Debug, Serialize)]
struct Row<'a> {
    file: &'a str,
    prefix: &'a str,
    /// `local` or the off-site repository's URL.
    location: &'a str,
    /// From the name, UTC.
    time: String,
    size_bytes: u64,
    age_seconds: i64,
    /// `verified`, `failed`, `unverified`, `no-manifest` or (off-site) `incomplete`.
    verified: &'static str,
    verification_method: Option<&'a str>,
    /// `recorded` (manifest has a SHA-256 and the size matches), `size-mismatch`,
    /// `no-manifest` or `manifest-invalid`.
    checksum: &'static str,
    sha256: Option<&'a str>,
    manifest: Option<&'a Manifest>,
}

fn row<'a>(entry: &'a Entry, location: &'a str) -> Row<'a> {
    let missing = if entry.manifest_error.is_some() {
        "manifest-invalid"
    } else {
        "no-manifest"
    };
    backup_row(
        (&entry.file, &entry.name, entry.size),
        entry.manifest.as_ref(),
        missing,
        location,
    )
}

fn remote_row<'a>(entry: &'a RemoteEntry, location: &'a str) -> Row<'a> {
    backup_row(
        (&entry.file, &entry.name, entry.size),
        Some(&entry.manifest),
        "no-manifest",
        location,
    )
}

/// A backup's row, local or off-site: verification from its manifest, the
/// checksum `recorded` when the manifest's size is the file's (else
/// `size-mismatch`), or `missing` when there is no manifest.
fn backup_row<'a>(
    (file, name, size): (&'a str, &'a BackupName, u64),
    manifest: Option<&'a Manifest>,
    missing: &'static str,
    location: &'a str,
) -> Row<'a> {
    let (verified, checksum) = match manifest {
        Some(m) => (
            match m.verification.status {
                VerifyStatus::Verified => "verified",
                VerifyStatus::Failed => "failed",
                VerifyStatus::Unverified => "unverified",
            },
            if m.compressed_bytes == size {
                "recorded"
            } else {
                "size-mismatch"
            },
        ),
        None => ("no-manifest", missing),
    };
    Row {
        file,
        prefix: &name.prefix,
        location,
        time: name.time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        size_bytes: size,
        age_seconds: (Utc::now() - name.time).num_seconds(),
        verified,
        verification_method: manifest.map(|m| m.verification.method.as_str()),
        checksum,
        sha256: manifest.map(|m| m.sha256.as_str()),
        manifest,
    }
}

fn leftover_row<'a>(leftover: &'a Leftover, location: &'a str) -> Row<'a> {
    let name = BackupName::parse(leftover.file.trim_end_matches(".json"));
    Row {
        file: &leftover.file,
        prefix: "",
        location,
        time: name.as_ref().map_or_else(String::new, |n| {
            n.time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }),
        size_bytes: leftover.size,
        age_seconds: (Utc::now() - leftover.last_modified).num_seconds(),
        verified: "incomplete",
        verification_method: Some(leftover.reason.as_str()),
        checksum: "no-manifest",
        sha256: None,
        manifest: None,
    }
}

pub fn run(printer: &Printer, shared: &Shared) -> anyhow::Result<ExitCode> {
    let local = if shared.local {
        if !shared.dir.is_dir() {
            return Err(anyhow::anyhow!(
                "backup directory {} does not exist\n  hint: pass --dir (or set dir in shipshape.toml)",
                shared.dir.display()
            ));
        }
        inventory::scan(&shared.dir, shared.prefix.as_deref())?
    } else {
        Vec::new()
    };
    let (remote_url, remote): (String, RemoteInventory) = match &shared.remote {
        Some(repo) => {
            let store = Store::open(&repo.url, &repo.s3)?;
            (
                repo.url.to_string(),
                remote_inventory::scan(&store, shared.prefix.as_deref())?,
            )
        }
        None => (String::new(), RemoteInventory::default()),
    };
    let mut rows: Vec<Row<'_>> = local.iter().map(|e| row(e, "local")).collect();
    rows.extend(remote.backups.iter().map(|e| remote_row(e, &remote_url)));
    rows.extend(
        remote
            .incomplete
            .iter()
            .map(|l| leftover_row(l, &remote_url)),
    );
    let both = shared.local && shared.remote.is_some();
    match printer.format() {
        shipshape_core::OutputFormat::Human => {
            if rows.is_empty() {
                let place = if shared.local {
                    shared.dir.display().to_string()
                } else {
                    remote_url.clone()
                };
                printer.status(&format!("no backups in {place}"));
                return Ok(ExitCode::Ok);
            }
            let name_width = rows.iter().map(|r| r.file.len()).max().unwrap_or(4).max(4);
            let mut text = format!(
                "{:<name_width$}  {:<20}  {:>10}  {:>8}  {:<19}  {}\n",
                "NAME", "TIME (UTC)", "SIZE", "AGE", "VERIFIED", "CHECKSUM"
            );
            let mut shown = "";
            for r in &rows {
                if both && r.location != shown {
                    text.push_str(&format!("{}:\n", r.location));
                    shown = r.location;
                }
                let verified = match r.verification_method {
                    Some(method) if r.verified == "verified" => format!("verified ({method})"),
                    _ => r.verified.to_owned(),
                };
                text.push_str(&format!(
                    "{:<name_width$}  {:<20}  {:>10}  {:>8}  {:<19}  {}\n",
                    r.file,
                    r.time.replace('T', " ").trim_end_matches('Z'),
                    human::bytes(r.size_bytes),
                    human::age(r.age_seconds),
                    verified,
                    r.checksum
                ));
            }
            printer.data(&text)?;
        }
        _ => {
            let mut report =
                Report::with_rules("pg-backup", env!("CARGO_PKG_VERSION"), &crate::rules::RULES);
            if shared.local {
                report.insert("dir", shared.dir.display().to_string());
            }
            if shared.remote.is_some() {
                report.insert("to", &remote_url);
            }
            report.insert("backups", &rows);
            printer.report(&report)?;
        }
    }
    Ok(ExitCode::Ok)
}
