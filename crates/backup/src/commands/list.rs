//! `pg-backup list`: the backups in the directory with their time, size,
//! age, verification and checksum status. Reads names and manifests only
//! (fast); `pg-backup verify` reads the files themselves.

use chrono::Utc;
use serde::Serialize;
use shipshape_core::{ExitCode, Printer, Report};
use shipshape_pg::manifest::VerifyStatus;

use crate::config::Shared;
use crate::human;
use crate::inventory::{self, Entry};

#[derive(Debug, Serialize)]
struct Row<'a> {
    file: &'a str,
    prefix: &'a str,
    /// From the name, UTC.
    time: String,
    size_bytes: u64,
    age_seconds: i64,
    /// `verified`, `failed`, `unverified` or `no-manifest`.
    verified: &'static str,
    verification_method: Option<&'a str>,
    /// `recorded` (manifest has a SHA-256 and the size matches), `size-mismatch`,
    /// `no-manifest` or `manifest-invalid`.
    checksum: &'static str,
    sha256: Option<&'a str>,
    manifest: Option<&'a shipshape_pg::manifest::Manifest>,
}

fn row(entry: &Entry) -> Row<'_> {
    let now = Utc::now();
    let (verified, checksum) = match (&entry.manifest, &entry.manifest_error) {
        (Some(m), _) => (
            match m.verification.status {
                VerifyStatus::Verified => "verified",
                VerifyStatus::Failed => "failed",
                VerifyStatus::Unverified => "unverified",
            },
            if m.compressed_bytes == entry.size {
                "recorded"
            } else {
                "size-mismatch"
            },
        ),
        (None, Some(_)) => ("no-manifest", "manifest-invalid"),
        (None, None) => ("no-manifest", "no-manifest"),
    };
    Row {
        file: &entry.file,
        prefix: &entry.name.prefix,
        time: entry.name.time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        size_bytes: entry.size,
        age_seconds: (now - entry.name.time).num_seconds(),
        verified,
        verification_method: entry
            .manifest
            .as_ref()
            .map(|m| m.verification.method.as_str()),
        checksum,
        sha256: entry.manifest.as_ref().map(|m| m.sha256.as_str()),
        manifest: entry.manifest.as_ref(),
    }
}

pub fn run(printer: &Printer, shared: &Shared) -> anyhow::Result<ExitCode> {
    let entries = if shared.dir.is_dir() {
        inventory::scan(&shared.dir, shared.prefix.as_deref())?
    } else {
        return Err(anyhow::anyhow!(
            "backup directory {} does not exist\n  hint: pass --dir (or set dir in shipshape.toml)",
            shared.dir.display()
        ));
    };
    let rows: Vec<Row<'_>> = entries.iter().map(row).collect();
    match printer.format() {
        shipshape_core::OutputFormat::Human => {
            if rows.is_empty() {
                printer.status(&format!("no backups in {}", shared.dir.display()));
                return Ok(ExitCode::Ok);
            }
            let name_width = rows.iter().map(|r| r.file.len()).max().unwrap_or(4).max(4);
            let mut text = format!(
                "{:<name_width$}  {:<20}  {:>10}  {:>8}  {:<19}  {}\n",
                "NAME", "TIME (UTC)", "SIZE", "AGE", "VERIFIED", "CHECKSUM"
            );
            for r in &rows {
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
            let mut report = Report::new("pg-backup", env!("CARGO_PKG_VERSION"));
            report.insert("dir", shared.dir.display().to_string());
            report.insert("backups", &rows);
            printer.report(&report)?;
        }
    }
    Ok(ExitCode::Ok)
}
