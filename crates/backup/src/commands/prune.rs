//! Applying retention: delete the backups (and their manifests and globals
//! files) that no rule keeps. Only files whose names match this prefix's
//! exact pattern are ever considered; anything else in the directory is
//! never touched.

use std::path::Path;

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;
use shipshape_core::{ExitCode, Printer, Report};

use shipshape_repo::remote::{Store, inventory as remote_inventory};

use crate::config::Shared;
use crate::dirlock::DirLock;
use crate::inventory;
use crate::naming::BackupName;
use crate::retention::{self, Candidate, Policy, Verdict};

/// What retention did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub dry_run: bool,
    pub policy: Policy,
    pub kept: Vec<Verdict>,
    pub deleted: Vec<String>,
    /// Files that could not be deleted, with the reason.
    pub failed: Vec<String>,
}

impl Outcome {
    pub fn summary(&self) -> String {
        let verb = if self.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        let mut text = format!("kept {}, {verb} {}", self.kept.len(), self.deleted.len());
        if !self.deleted.is_empty() {
            text.push_str(": ");
            text.push_str(&self.deleted.join(", "));
        }
        if !self.failed.is_empty() {
            text.push_str(&format!("; could not delete {}", self.failed.len()));
        }
        text
    }
}

impl Outcome {
    fn new(dry_run: bool, policy: &Policy) -> Self {
        Self {
            dry_run,
            policy: *policy,
            kept: Vec::new(),
            deleted: Vec::new(),
            failed: Vec::new(),
        }
    }
}

/// The policy's verdicts, with `protect` (the backup this run just made)
/// always kept.
fn decide(
    policy: &Policy,
    candidates: impl Iterator<Item = Candidate>,
    protect: Option<&str>,
) -> Vec<Verdict> {
    let candidates: Vec<Candidate> = candidates.collect();
    let mut verdicts = retention::decide(policy, &candidates, Utc::now());
    for v in &mut verdicts {
        if Some(v.file.as_str()) == protect && !v.keep {
            v.keep = true;
            v.reasons.push("just created".to_owned());
        }
    }
    verdicts
}

/// Decide and (unless `dry_run`) delete. `protect` is never deleted (the
/// backup this run just made). The caller holds the directory lock.
pub fn apply(
    printer: &Printer,
    dir: &Path,
    prefix: &str,
    policy: &Policy,
    dry_run: bool,
    protect: Option<&str>,
) -> anyhow::Result<Outcome> {
    let entries = inventory::scan(dir, Some(prefix))?;
    let candidates = entries.iter().map(|e| Candidate {
        file: e.file.clone(),
        time: e.name.time,
        verified: e.verified(),
    });
    let verdicts = decide(policy, candidates, protect);
    let mut outcome = Outcome::new(dry_run, policy);
    for verdict in verdicts {
        if verdict.keep {
            outcome.kept.push(verdict);
            continue;
        }
        let Some(entry) = entries.iter().find(|e| e.file == verdict.file) else {
            continue;
        };
        if dry_run {
            outcome.deleted.push(verdict.file);
            continue;
        }
        // The backup first, then what describes it: a crash in between leaves
        // an orphan manifest, never a backup without its manifest.
        let companions = entry.companions();
        match std::fs::remove_file(&entry.path) {
            Ok(()) => {
                for path in companions {
                    if let Err(err) = std::fs::remove_file(&path) {
                        printer.warning(&format!("cannot remove {}: {err}", path.display()));
                    }
                }
                printer.detail(&format!("deleted {}", entry.file));
                outcome.deleted.push(verdict.file);
            }
            Err(err) => {
                printer.warning(&format!("cannot remove {}: {err}", entry.path.display()));
                outcome.failed.push(format!("{}: {err}", entry.file));
            }
        }
    }
    if !dry_run && !outcome.deleted.is_empty() {
        crate::fsx::sync_dir(dir)?;
    }
    Ok(outcome)
}

/// How long an object of ours without a manifest may stay, counted from the
/// time in its name (when its backup started, as retention counts): a
/// backup of a large database completes its upload some time before its
/// manifest is written, and another run's `prune` must not take it for a
/// leftover.
pub const INCOMPLETE_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// [`apply`] for an off-site repository: the same decisions on the same
/// names; leftovers (objects of ours without a manifest, older than
/// [`INCOMPLETE_GRACE`]) are removed too. Objects whose names are not this
/// prefix's backup names (or their `.json`) are never touched.
pub fn apply_remote(
    printer: &Printer,
    store: &Store,
    prefix: &str,
    policy: &Policy,
    dry_run: bool,
    protect: Option<&str>,
) -> anyhow::Result<Outcome> {
    let found = remote_inventory::scan(store, Some(prefix))?;
    let candidates = found.backups.iter().map(|e| Candidate {
        file: e.file.clone(),
        time: e.name.time,
        verified: e.verified(),
    });
    let verdicts = decide(policy, candidates, protect);
    let mut outcome = Outcome::new(dry_run, policy);
    let mut doomed: Vec<(String, Vec<String>)> = Vec::new();
    for verdict in verdicts {
        if verdict.keep {
            outcome.kept.push(verdict);
        } else {
            let manifest = format!("{}.json", verdict.file);
            doomed.push((verdict.file, vec![manifest]));
        }
    }
    let cutoff = Utc::now() - INCOMPLETE_GRACE;
    let started =
        |file: &str| BackupName::parse(file.strip_suffix(".json").unwrap_or(file)).map(|n| n.time);
    for leftover in found
        .incomplete
        .iter()
        .filter(|l| started(&l.file).is_some_and(|t| t < cutoff))
    {
        let companion = leftover
            .file
            .strip_suffix(".json")
            .map_or_else(|| vec![format!("{}.json", leftover.file)], |_| Vec::new());
        doomed.push((leftover.file.clone(), companion));
    }
    for (file, companions) in doomed {
        if dry_run {
            outcome.deleted.push(file);
            continue;
        }
        // The backup first: a failure in between leaves a manifest without
        // its backup, which the next prune removes; never the reverse.
        match store.delete(&file) {
            Ok(()) => {
                for companion in companions {
                    if let Err(err) = store.delete(&companion) {
                        printer.warning(&format!("cannot remove {companion}: {err}"));
                    }
                }
                printer.detail(&format!("deleted {}", store.url().join(&file)));
                outcome.deleted.push(file);
            }
            Err(err) => {
                printer.warning(&format!("{err}"));
                outcome.failed.push(format!("{file}: {err}"));
            }
        }
    }
    Ok(outcome)
}

/// `pg-backup prune [--dry-run]`: the local directory, the off-site
/// repository (`--to`), or both, each with its own retention.
pub fn run(printer: &Printer, shared: &Shared, dry_run: bool) -> anyhow::Result<ExitCode> {
    let prefix = shared.prefix_or_database()?;
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    if shared.local {
        outcomes.push((
            shared.dir.display().to_string(),
            prune_local(printer, shared, &prefix, dry_run)?,
        ));
    }
    if let Some(repo) = &shared.remote {
        let store = Store::open(&repo.url, &repo.s3)?;
        let outcome = apply_remote(printer, &store, &prefix, &shared.policy, dry_run, None)
            .with_context(|| format!("cannot prune {}", repo.url))?;
        outcomes.push((repo.url.to_string(), outcome));
    }
    match printer.format() {
        shipshape_core::OutputFormat::Human => {
            let mut text = String::new();
            for (location, outcome) in &outcomes {
                if outcomes.len() > 1 {
                    text.push_str(&format!("{location}:\n"));
                }
                text.push_str(&human_outcome(outcome, dry_run, printer.is_quiet()));
            }
            printer.data(&text)?;
        }
        _ => {
            let mut report =
                Report::with_rules("pg-backup", env!("CARGO_PKG_VERSION"), &crate::rules::RULES);
            report.insert("prefix", &prefix);
            for (location, outcome) in &outcomes {
                let key = if location.starts_with("s3://") {
                    "offsite_retention"
                } else {
                    "retention"
                };
                report.insert(key, outcome);
            }
            report.failed = outcomes.iter().any(|(_, o)| !o.failed.is_empty());
            printer.report(&report)?;
        }
    }
    Ok(if outcomes.iter().all(|(_, o)| o.failed.is_empty()) {
        ExitCode::Ok
    } else {
        ExitCode::Runtime
    })
}

fn prune_local(
    printer: &Printer,
    shared: &Shared,
    prefix: &str,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    if !shared.dir.is_dir() {
        return Err(anyhow::anyhow!(
            "backup directory {} does not exist",
            shared.dir.display()
        ));
    }
    let _lock = if dry_run {
        None
    } else {
        Some(DirLock::acquire(
            &shared.dir,
            "pruning",
            shared.wait,
            |holder| {
                printer.status(&format!("waiting for another pg-backup: {holder}"));
            },
        )?)
    };
    apply(printer, &shared.dir, prefix, &shared.policy, dry_run, None)
}

fn human_outcome(outcome: &Outcome, dry_run: bool, quiet: bool) -> String {
    let mut text = String::new();
    for v in &outcome.kept {
        text.push_str(&format!(
            "{:<12} {}  ({})\n",
            "keep",
            v.file,
            v.reasons.join(", ")
        ));
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    for file in &outcome.deleted {
        text.push_str(&format!("{verb:<12} {file}\n"));
    }
    for failure in &outcome.failed {
        text.push_str(&format!("{:<12} {failure}\n", "FAILED"));
    }
    if !quiet {
        text.push_str(&format!("{}\n", outcome.summary()));
    }
    text
}
