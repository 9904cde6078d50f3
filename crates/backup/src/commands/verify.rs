//! `pg-backup verify [FILE|--all|--latest] [--verify-restore]`: read backups
//! back in full and compare them with their manifests; with
//! `--verify-restore` (`--restore`), also restore the newest intact one into
//! a throwaway database and compare row counts (the restore drill: proof
//! that the backups restore, not just that their bytes are unchanged). Any
//! problem is an error finding (exit 1). The manifest's `verification` is
//! updated with the result when the repository is writable.
//!
//! Off-site backups (`--to`) are downloaded in full: the SHA-256 of the
//! stored bytes is recomputed, then (with `--identity` for encrypted ones)
//! the plain backup is spooled to a private temporary directory and checked
//! and restored exactly like a local file. The spool is removed at the end.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chrono::{SubsecRound as _, Utc};
use shipshape_core::{Diagnostic, ExitCode, Printer, Report, UsageError, interrupt};
use shipshape_pg::manifest::{Manifest, Verification, VerifyStatus, manifest_path};
use shipshape_repo::crypt::Decryption;
use shipshape_repo::remote::inventory::RemoteEntry;
use shipshape_repo::remote::{Store, inventory as remote_inventory};

use crate::config::{RemoteRepo, Shared};
use crate::naming::Kind;
use shipshape_repo::remote::fetch;

use crate::{file_check, fsx, human, inventory, metrics};

/// What `verify` was asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub file: Option<&'a Path>,
    pub all: bool,
    pub restore: bool,
    pub identities: &'a [PathBuf],
    pub metrics_file: Option<&'a Path>,
}

/// The state of one run: the report so far and whether the one restore
/// of the run is still to do. Only one restore per run: the newest intact
/// backup (targets are newest first), or FILE. Restoring every file of
/// --all would turn a weekly check into hours of work for no extra
/// confidence.
struct Run<'a> {
    printer: &'a Printer,
    shared: &'a Shared,
    report: Report,
    results: Vec<serde_json::Value>,
    restore_pending: bool,
    /// The restore drill's outcome, for the metrics file.
    restored: Option<bool>,
}

/// The method that verified a backup, or what is wrong with it.
type Outcome = Result<&'static str, String>;

/// A backup file on disk to check: a local backup, or an off-site one
/// downloaded (and decrypted) into the spool.
struct Target {
    path: PathBuf,
    /// The name in messages (the object's name for off-site backups).
    file: String,
    display: String,
    kind: Kind,
    /// The manifest describing `path` (for an encrypted object: the plain
    /// dump's checksum and size).
    manifest: Option<Manifest>,
    manifest_problem: Option<String>,
}

pub fn run(printer: &Printer, shared: &Shared, request: &Request<'_>) -> anyhow::Result<ExitCode> {
    if request.file.is_some() && request.all {
        return Err(UsageError::new("give either FILE or --all, not both").into());
    }
    let mut run = Run {
        printer,
        shared,
        report: Report::with_rules("pg-backup", env!("CARGO_PKG_VERSION"), &crate::rules::RULES),
        results: Vec::new(),
        restore_pending: request.restore,
        restored: None,
    };
    // Off-site first: with --to, the restore drill restores the newest
    // off-site backup, the copy that survives the server.
    if let Some(repo) = &shared.remote {
        verify_remote(&mut run, repo, request)?;
    }
    if shared.local && (shared.remote.is_none() || request.file.is_none()) {
        for path in local_targets(shared, request)? {
            interrupt::check()?;
            let target = local_target(&path)?;
            let outcome = run.check(&target)?;
            run.update_local_manifest(&target, outcome);
        }
    }
    if run.restore_pending {
        run.report.push(Diagnostic::error(
            "nothing-to-restore",
            "--verify-restore: no intact backup with a manifest was found to restore",
        ));
        run.restored = Some(false);
    }
    if let (Some(path), Some(ok)) = (request.metrics_file, run.restored) {
        let database = shared.settings().map(|s| s.database).unwrap_or_default();
        if let Err(err) = metrics::write_restore_test(path, &database, ok) {
            printer.warning(&format!("{err:#}"));
        }
    }
    let Run {
        mut report,
        results,
        ..
    } = run;
    report.insert("verified", &results);
    printer.report(&report)?;
    Ok(report.exit_code())
}

fn local_targets(shared: &Shared, request: &Request<'_>) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(file) = request.file {
        let in_dir = shared.dir.join(file);
        return if file.exists() {
            Ok(vec![file.to_owned()])
        } else if file.components().count() == 1 && in_dir.exists() {
            Ok(vec![in_dir])
        } else {
            Err(anyhow!("{} does not exist", file.display()))
        };
    }
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
    let take = if request.all { entries.len() } else { 1 };
    Ok(entries.into_iter().take(take).map(|e| e.path).collect())
}

fn local_target(path: &Path) -> anyhow::Result<Target> {
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
    let (manifest, manifest_problem) = match Manifest::read_for(path) {
        Ok(m) => (m, None),
        Err(err) => (None, Some(format!("{err:#}"))),
    };
    Ok(Target {
        path: path.to_owned(),
        file,
        display,
        kind,
        manifest,
        manifest_problem,
    })
}

/// The off-site backups to check, downloaded one at a time.
fn verify_remote(
    run: &mut Run<'_>,
    repo: &RemoteRepo,
    request: &Request<'_>,
) -> anyhow::Result<()> {
    let store = Store::open(&repo.url, &repo.s3)?;
    let entries: Vec<RemoteEntry> = match request.file {
        // One named backup: its HEAD and manifest, not the whole prefix.
        Some(file) => {
            let name = file.to_string_lossy();
            match remote_inventory::find(&store, &name)? {
                Some(Ok(entry)) => vec![entry],
                Some(Err(leftover)) => {
                    return Err(anyhow!(
                        "{} is not a backup: {}",
                        store.url().join(&name),
                        leftover.reason
                    ));
                }
                None => return Err(anyhow!("{} has no backup named {name}", repo.url)),
            }
        }
        None => {
            let found = remote_inventory::scan(&store, run.shared.prefix.as_deref())?;
            if found.backups.is_empty() {
                return Err(anyhow!("no backups in {}", repo.url));
            }
            let take = if request.all { found.backups.len() } else { 1 };
            found.backups.into_iter().take(take).collect()
        }
    };
    let decryption = Decryption::load(
        request.identities,
        &crate::config::passphrase_sources(run.shared),
    )
    .map_err(|e| UsageError::new(e.to_string()))?;
    let spool = fetch::Spool::new("pg-backup")?;
    for entry in &entries {
        interrupt::check()?;
        run.printer
            .status(&format!("downloading {}", store.url().join(&entry.file)));
        let fetched = fetch::download(&store, entry, &decryption, &spool)?;
        let ok = run.remote_findings(&store, entry, &fetched);
        let ok = match (&fetched.plain, ok) {
            (Some(plain), true) => run.check(&Target {
                path: plain.clone(),
                // The decrypted file: the plain manifest's name.
                file: fetched.plain_manifest.file.clone(),
                display: store.url().join(&entry.file),
                kind: entry.name.kind,
                manifest: Some(fetched.plain_manifest.clone()),
                manifest_problem: None,
            })?,
            (None, true) => Ok("stored-checksum"),
            (_, false) => Err(fetched
                .problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; ")),
        };
        update_remote_manifest(run.printer, &store, entry, ok);
        fetched.remove();
    }
    Ok(())
}

impl Run<'_> {
    /// Findings about the stored object itself; `true` when it is intact.
    fn remote_findings(
        &mut self,
        store: &Store,
        entry: &RemoteEntry,
        fetched: &fetch::Fetched,
    ) -> bool {
        let display = store.url().join(&entry.file);
        let mut ok = true;
        for problem in &fetched.problems {
            ok = false;
            self.report.push(
                Diagnostic::error(problem.code, problem.message.clone())
                    .with_subject(&entry.file)
                    .with_file(&display)
                    .with_help(problem.help),
            );
        }
        if ok && fetched.plain.is_none() {
            self.report.push(
                Diagnostic::warning(
                    "not-decrypted",
                    format!(
                        "{}: the stored object is intact ({} read back, SHA-256 matches the manifest), \
                         but it is encrypted and no --identity was given, so its contents were not checked",
                        entry.file,
                        human::bytes(fetched.stored_bytes)
                    ),
                )
                .with_subject(&entry.file)
                .with_file(&display)
                .with_help("run the restore drill where the identity is kept: pg-backup verify --restore --latest --to URL --identity FILE"),
            );
        }
        self.results.push(serde_json::json!({
            "file": display,
            "stored_sha256": fetched.stored_sha256,
            "stored_bytes": fetched.stored_bytes,
            "decrypted": fetched.plain.is_some() && entry.manifest.encryption.is_some(),
            "problems": fetched.problems.iter().map(|p| serde_json::json!({"code": p.code, "message": p.message})).collect::<Vec<_>>(),
        }));
        ok
    }

    /// Check one file (and restore it if the drill is pending); the method
    /// that verified it, or `None` when it failed.
    fn check(&mut self, target: &Target) -> anyhow::Result<Outcome> {
        let Target {
            file,
            display,
            manifest,
            ..
        } = target;
        self.printer.detail(&format!("verifying {display}"));
        let (scan, problems) =
            file_check::check(&target.path, file, target.kind, manifest.as_ref());
        self.push_manifest_findings(target);
        for problem in &problems {
            self.report.push(
                Diagnostic::error(problem.code, problem.message.clone())
                    .with_subject(file)
                    .with_file(display)
                    .with_help(
                        "do not restore from this file; use an older backup and check the disk",
                    ),
            );
        }
        if problems.is_empty()
            && let Some(scan) = &scan
        {
            self.report.push(
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
                .with_subject(file)
                .with_file(display),
            );
        }
        let mut problems = problems;
        let mut method = "checksum";
        if self.restore_pending
            && problems.is_empty()
            && let Some(m) = manifest
        {
            let restore_problems = self.restore(target, m)?;
            if restore_problems.is_empty() {
                method = "restore";
            }
            problems.extend(restore_problems);
        }
        self.results.push(serde_json::json!({
            "file": display,
            "ok": problems.is_empty() && target.manifest_problem.is_none(),
            "sha256": scan.as_ref().map(|s| s.sha256.clone()),
            "compressed_bytes": scan.as_ref().map(|s| s.compressed_bytes),
            "uncompressed_bytes": scan.as_ref().map(|s| s.uncompressed_bytes),
            "problems": problems.iter().map(|p| serde_json::json!({"code": p.code, "message": p.message})).collect::<Vec<_>>(),
        }));
        Ok(if problems.is_empty() {
            Ok(method)
        } else {
            Err(problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "))
        })
    }

    fn push_manifest_findings(&mut self, target: &Target) {
        let Target { file, display, .. } = target;
        if let Some(problem) = &target.manifest_problem {
            self.report.push(
                Diagnostic::error("manifest-invalid", problem.clone())
                    .with_subject(file)
                    .with_file(display)
                    .with_help("the manifest beside the backup is damaged; the file itself was still checked"),
            );
        } else if target.manifest.is_none() {
            self.report.push(
                Diagnostic::warning(
                    "manifest-missing",
                    format!(
                        "{file} has no manifest ({file}.json): its checksum cannot be compared"
                    ),
                )
                .with_subject(file)
                .with_file(display),
            );
        }
    }

    /// The restore drill on one intact backup.
    fn restore(
        &mut self,
        target: &Target,
        m: &Manifest,
    ) -> anyhow::Result<Vec<file_check::Problem>> {
        let Target { file, display, .. } = target;
        self.restore_pending = false;
        self.printer.status(&format!(
            "restoring {file} into a throwaway database to verify it"
        ));
        let messages = restore_newest(self.shared, &target.path, m)?;
        self.restored = Some(messages.is_empty());
        if messages.is_empty() {
            self.report.push(
                Diagnostic::info(
                    "restored",
                    format!(
                        "{file}: restored into a throwaway database; {} table row counts match the manifest",
                        m.tables.len()
                    ),
                )
                .with_subject(file)
                .with_file(display),
            );
        }
        Ok(messages
            .into_iter()
            .map(|message| {
                self.report.push(
                    Diagnostic::error("restore-mismatch", message.clone())
                        .with_subject(file)
                        .with_file(display)
                        .with_help(
                            "the file is intact but does not restore to what was dumped; \
                             do not rely on it: take a new backup and check the dump's source",
                        ),
                );
                file_check::Problem {
                    code: "restore-mismatch",
                    message,
                }
            })
            .collect())
    }

    fn update_local_manifest(&self, target: &Target, outcome: Outcome) {
        let Some(m) = &target.manifest else { return };
        let m = with_verification(m.clone(), outcome, "pg-backup verify");
        let text = serde_json::to_string_pretty(&m).unwrap_or_default() + "\n";
        if let Err(err) = fsx::write_atomic(&manifest_path(&target.path), text.as_bytes()) {
            self.printer
                .detail(&format!("manifest not updated: {err:#}"));
        }
    }
}

/// The manifest with this verification's outcome.
fn with_verification(mut m: Manifest, outcome: Outcome, by: &str) -> Manifest {
    m.verification = Verification {
        status: if outcome.is_ok() {
            VerifyStatus::Verified
        } else {
            VerifyStatus::Failed
        },
        method: (*outcome.as_ref().unwrap_or(&"checksum")).to_owned(),
        verified_at: Some(Utc::now().trunc_subsecs(3)),
        detail: Some(match outcome {
            Ok("restore") => format!(
                "{by}: full decompression pass, SHA-256 matched; restored into a throwaway database and {} table row counts matched",
                m.tables.len()
            ),
            Ok("stored-checksum") => format!(
                "{by}: SHA-256 and size of the stored (encrypted) object matched; contents not checked (no identity)"
            ),
            Ok(_) => format!("{by}: full decompression pass, SHA-256 and sizes matched"),
            Err(problems) => problems,
        }),
    };
    m
}

fn update_remote_manifest(printer: &Printer, store: &Store, entry: &RemoteEntry, outcome: Outcome) {
    let m = with_verification(
        entry.manifest.clone(),
        outcome,
        "pg-backup verify (downloaded in full)",
    );
    let text = serde_json::to_string_pretty(&m).unwrap_or_default() + "\n";
    if let Err(err) = store.put_small(&format!("{}.json", entry.file), text.into_bytes()) {
        printer.detail(&format!("manifest not updated: {err}"));
    }
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
