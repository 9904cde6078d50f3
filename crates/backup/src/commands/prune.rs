//! Applying retention: delete the backups (and their manifests and globals
//! files) that no rule keeps. Only files whose names match this prefix's
//! exact pattern are ever considered; anything else in the directory is
//! never touched.

use std::path::Path;

use chrono::Utc;
use serde::Serialize;
use shipshape_core::{ExitCode, Printer, Report};

use crate::config::Shared;
use crate::dirlock::DirLock;
use crate::inventory;
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
    let candidates: Vec<Candidate> = entries
        .iter()
        .map(|e| Candidate {
            file: e.file.clone(),
            time: e.name.time,
            verified: e.verified(),
        })
        .collect();
    let mut verdicts = retention::decide(policy, &candidates, Utc::now());
    for v in &mut verdicts {
        if Some(v.file.as_str()) == protect && !v.keep {
            v.keep = true;
            v.reasons.push("just created".to_owned());
        }
    }
    let mut outcome = Outcome {
        dry_run,
        policy: *policy,
        kept: Vec::new(),
        deleted: Vec::new(),
        failed: Vec::new(),
    };
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

/// `pg-backup prune [--dry-run]`.
pub fn run(printer: &Printer, shared: &Shared, dry_run: bool) -> anyhow::Result<ExitCode> {
    let prefix = shared.prefix_or_database()?;
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
    let outcome = apply(printer, &shared.dir, &prefix, &shared.policy, dry_run, None)?;
    match printer.format() {
        shipshape_core::OutputFormat::Human => {
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
            if !printer.is_quiet() {
                text.push_str(&format!("{}\n", outcome.summary()));
            }
            printer.data(&text)?;
        }
        _ => {
            let mut report = Report::new("pg-backup", env!("CARGO_PKG_VERSION"));
            report.insert("prefix", &prefix);
            report.insert("retention", &outcome);
            report.failed = !outcome.failed.is_empty();
            printer.report(&report)?;
        }
    }
    Ok(if outcome.failed.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Runtime
    })
}
