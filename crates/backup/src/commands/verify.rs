//! `pg-backup verify [FILE|--all] [--verify-restore]`: read backups back in
//! full and compare them with their manifests; with `--verify-restore`, also
//! restore the newest intact one into a throwaway database and compare row
//! counts (the weekly proof that the backups restore, not just that their
//! bytes are unchanged). Any problem is an error finding (exit 1). The
//! manifest's `verification` is updated with the result when the directory
//! is writable.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chrono::{SubsecRound as _, Utc};
use shipshape_core::{Diagnostic, ExitCode, Printer, Report, UsageError, interrupt};
use shipshape_pg::manifest::{Manifest, Verification, VerifyStatus, manifest_path};

use crate::config::Shared;
use crate::naming::Kind;
use crate::{file_check, fsx, human, inventory};

pub fn run(
    printer: &Printer,
    shared: &Shared,
    file: Option<&Path>,
    all: bool,
    verify_restore: bool,
) -> anyhow::Result<ExitCode> {
    let targets: Vec<PathBuf> = match (file, all) {
        (Some(_), true) => {
            return Err(UsageError::new("give either FILE or --all, not both").into());
        }
        (Some(file), false) => {
            let in_dir = shared.dir.join(file);
            if file.exists() {
                vec![file.to_owned()]
            } else if file.components().count() == 1 && in_dir.exists() {
                vec![in_dir]
            } else {
                return Err(anyhow!("{} does not exist", file.display()));
            }
        }
        (None, all) => {
            if !shared.dir.is_dir() {
                return Err(anyhow!(
                    "backup directory {} does not exist",
                    shared.dir.display()
                ));
            }
            let entries = inventory::scan(&shared.dir, shared.prefix.as_deref())?;
            if entries.is_empty() {
                return Err(anyhow!("no backups in {}", shared.dir.display()));
            }
            let take = if all { entries.len() } else { 1 };
            entries.into_iter().take(take).map(|e| e.path).collect()
        }
    };
    let mut report = Report::new("pg-backup", env!("CARGO_PKG_VERSION"));
    let mut results = Vec::new();
    // Only one restore per run: the newest intact backup (targets are
    // newest first), or FILE. Restoring every file of --all would turn a
    // weekly check into hours of work for no extra confidence.
    let mut restore_pending = verify_restore;
    for path in &targets {
        interrupt::check()?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let display = path.display().to_string();
        let Some(kind) = Kind::from_file_name(&file) else {
            return Err(UsageError::new(format!(
                "{display} is not a backup file (expected .sql.gz, .sql.zst or .dump)"
            ))
            .into());
        };
        printer.detail(&format!("verifying {display}"));
        let (manifest, manifest_problem) = match Manifest::read_for(path) {
            Ok(m) => (m, None),
            Err(err) => (None, Some(format!("{err:#}"))),
        };
        let (scan, problems) = file_check::check(path, &file, kind, manifest.as_ref());
        if let Some(problem) = &manifest_problem {
            report.push(
                Diagnostic::error("manifest-invalid", problem.clone())
                    .with_subject(&file)
                    .with_file(&display)
                    .with_help("the manifest beside the backup is damaged; the file itself was still checked"),
            );
        } else if manifest.is_none() {
            report.push(
                Diagnostic::warning(
                    "manifest-missing",
                    format!(
                        "{file} has no manifest ({file}.json): its checksum cannot be compared"
                    ),
                )
                .with_subject(&file)
                .with_file(&display),
            );
        }
        for problem in &problems {
            report.push(
                Diagnostic::error(problem.code, problem.message.clone())
                    .with_subject(&file)
                    .with_file(&display)
                    .with_help(
                        "do not restore from this file; use an older backup and check the disk",
                    ),
            );
        }
        if problems.is_empty()
            && let Some(scan) = &scan
        {
            report.push(
                Diagnostic::info(
                    "verified",
                    format!(
                        "{file}: intact ({} read back, {} of dump data{})",
                        human::bytes(scan.compressed_bytes),
                        human::bytes(scan.uncompressed_bytes),
                        if manifest.is_some() {
                            ", SHA-256 matches the manifest"
                        } else {
                            ""
                        }
                    ),
                )
                .with_subject(&file)
                .with_file(&display),
            );
        }
        let mut problems = problems;
        let mut method = "checksum";
        if restore_pending
            && problems.is_empty()
            && let Some(m) = &manifest
        {
            restore_pending = false;
            printer.status(&format!(
                "restoring {file} into a throwaway database to verify it"
            ));
            let restore_problems = restore_newest(shared, path, m)?;
            if restore_problems.is_empty() {
                method = "restore";
                report.push(
                    Diagnostic::info(
                        "restored",
                        format!(
                            "{file}: restored into a throwaway database; {} table row counts match the manifest",
                            m.tables.len()
                        ),
                    )
                    .with_subject(&file)
                    .with_file(&display),
                );
            }
            for message in restore_problems {
                report.push(
                    Diagnostic::error("restore-mismatch", message.clone())
                        .with_subject(&file)
                        .with_file(&display)
                        .with_help(
                            "the file is intact but does not restore to what was dumped; \
                             do not rely on it: take a new backup and check the dump's source",
                        ),
                );
                problems.push(file_check::Problem {
                    code: "restore-mismatch",
                    message,
                });
            }
        }
        if let Some(mut m) = manifest {
            m.verification = Verification {
                status: if problems.is_empty() {
                    VerifyStatus::Verified
                } else {
                    VerifyStatus::Failed
                },
                method: method.to_owned(),
                verified_at: Some(Utc::now().trunc_subsecs(3)),
                detail: Some(if problems.is_empty() && method == "restore" {
                    format!(
                        "pg-backup verify: full decompression pass, SHA-256 matched; restored into a throwaway database and {} table row counts matched",
                        m.tables.len()
                    )
                } else if problems.is_empty() {
                    "pg-backup verify: full decompression pass, SHA-256 and sizes matched"
                        .to_owned()
                } else {
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            };
            let text = serde_json::to_string_pretty(&m).unwrap_or_default() + "\n";
            if let Err(err) = fsx::write_atomic(&manifest_path(path), text.as_bytes()) {
                printer.detail(&format!("manifest not updated: {err:#}"));
            }
        }
        results.push(serde_json::json!({
            "file": display,
            "ok": problems.is_empty() && manifest_problem.is_none(),
            "sha256": scan.as_ref().map(|s| s.sha256.clone()),
            "compressed_bytes": scan.as_ref().map(|s| s.compressed_bytes),
            "uncompressed_bytes": scan.as_ref().map(|s| s.uncompressed_bytes),
            "problems": problems.iter().map(|p| serde_json::json!({"code": p.code, "message": p.message})).collect::<Vec<_>>(),
        }));
    }
    if restore_pending {
        report.push(Diagnostic::error(
            "nothing-to-restore",
            "--verify-restore: no intact backup with a manifest was found to restore",
        ));
    }
    report.insert("verified", &results);
    printer.report(&report)?;
    Ok(report.exit_code())
}

/// `--verify-restore` for one backup: the same restore and row-count
/// comparison `pg-backup create --verify-restore` runs before the rename.
fn restore_newest(
    shared: &Shared,
    path: &Path,
    manifest: &Manifest,
) -> anyhow::Result<Vec<String>> {
    let settings = shared.settings()?;
    let server_major = {
        let mut db = shipshape_pg::Db::connect(&settings)?;
        let major = db.server_major()?;
        db.close();
        major
    };
    crate::restore_check::verify_restore(
        &settings,
        server_major,
        path,
        manifest,
        shared.connection.pg_bin_dir.as_deref(),
    )
}
