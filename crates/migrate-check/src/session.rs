//! One run: the throwaway database, the connection to it, the driver, the
//! report and the per-check results. The checks (in `crate::checks`) add
//! their steps to it.

use std::collections::BTreeSet;
use std::time::Instant;

use shipshape_core::{Diagnostic, Severity};
use shipshape_pg::schema_snapshot::Snapshot;
use shipshape_pg::{ConnectionSettings, Db};

use crate::checks::{Check, CheckResult, Status, StepResult, millis};
use crate::driver::{Applied, ApplyError, ChildEnv, Direction, Driver, Failure};
use crate::findings::Findings;
use crate::guard::{self, VersionState};
use crate::layout::Migration;
use crate::throwaway::Throwaway;
use crate::wording::{self, Context};

/// Everything a run works with.
pub struct Session<'a> {
    pub migrations: Vec<Migration>,
    pub driver: Driver,
    pub env: ChildEnv,
    pub throwaway: Throwaway,
    pub db: Db,
    pub ignored: Vec<String>,
    pub selected: BTreeSet<Check>,
    pub irreversible: BTreeSet<String>,
    pub strict_locks: bool,
    /// The run's report and check results, which the checks add to.
    pub findings: &'a mut Findings,
    /// Cancels a running statement on Ctrl-C.
    pub canceller: Canceller,
    /// Objects the stairway already blamed on a migration; `reset` does not
    /// repeat them one by one.
    pub attributed: BTreeSet<String>,
    /// The line on a terminal saying which step runs (long histories take
    /// a while).
    pub progress: shipshape_core::Progress,
    /// `command` layout: the table its tool records versions in, if named.
    pub version_table: Option<String>,
    /// The `command` layout's discovery runs ups that may do nothing (at
    /// head); it checks the version table itself.
    pub discovering: bool,
}

impl Session<'_> {
    pub fn result(&mut self, check: Check) -> &mut CheckResult {
        self.findings.result(check)
    }

    pub fn is_selected(&self, check: Check) -> bool {
        self.selected.contains(&check)
    }

    /// Record a finding of `check` (about `migration` when given).
    pub fn finding(&mut self, check: Check, migration: Option<usize>, diagnostic: Diagnostic) {
        let is_error = diagnostic.severity == Severity::Error;
        let message = diagnostic.message.clone();
        self.findings.report.push(diagnostic);
        let result = self.result(check);
        if is_error {
            result.status = Status::Failed;
        }
        if let Some(index) = migration {
            let id = self
                .migrations
                .get(index)
                .map(|m| m.id.clone())
                .unwrap_or_default();
            let result = self.result(check);
            if let Some(step) = result.steps.iter_mut().rev().find(|s| s.migration == id)
                && is_error
            {
                step.status = Status::Failed;
                step.failures.push(message);
            }
        } else if is_error {
            self.result(check).failures.push(message);
        }
    }

    /// Begin a step of `check` for migration `index`.
    pub fn begin_step(&mut self, check: Check, index: usize) {
        let migration = &self.migrations[index];
        self.progress
            .step(check.name(), index as u64 + 1, &migration.id);
        let step = StepResult {
            migration: migration.id.clone(),
            file: migration.file.clone(),
            status: Status::Passed,
            duration_ms: 0,
            failures: Vec::new(),
            note: None,
        };
        let result = self.result(check);
        if result.status == Status::Skipped {
            result.status = Status::Passed;
        }
        result.steps.push(step);
    }

    /// Add time (and a note) to the last step of `check`.
    pub fn end_step(&mut self, check: Check, started: Instant, note: Option<String>) {
        let elapsed = started.elapsed();
        let result = self.result(check);
        result.add_time(elapsed);
        if let Some(step) = result.steps.last_mut() {
            step.duration_ms += millis(elapsed);
            if note.is_some() {
                step.note = note;
            }
        }
    }

    pub fn snapshot(&mut self) -> Result<Snapshot, ApplyError> {
        crate::driver::snapshot(&mut self.db, &self.ignored)
    }

    /// The version to go down to from migration `index` (Alembic).
    fn previous(&self, index: usize) -> Option<String> {
        let migration = &self.migrations[index];
        match migration.parents.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            _ => Some("-1".to_owned()),
        }
    }

    /// Apply migration `index` in `direction`. A migration tool's step must
    /// move the throwaway database's version table as asked; if it did not,
    /// the tool changed another database and the run stops here.
    pub fn apply(
        &mut self,
        index: usize,
        direction: Direction,
        observe: bool,
    ) -> Result<Applied, ApplyError> {
        shipshape_core::interrupt::check()?;
        let previous = self.previous(index);
        let migration = self.migrations[index].clone();
        let guarded = !matches!(self.driver, Driver::Sql) && !self.discovering;
        let before = if guarded {
            Some(self.versions()?)
        } else {
            None
        };
        let applied = self.driver.apply(
            &mut self.db,
            &self.env,
            &migration,
            previous.as_deref(),
            direction,
            observe,
        )?;
        if let Some(before) = before {
            let after = self.versions()?;
            if !after.moved_as_asked(
                &before,
                &self.driver,
                &migration,
                previous.as_deref(),
                direction,
            ) {
                return Err(guard::moved_elsewhere(
                    &self.env,
                    &self.driver,
                    &migration,
                    direction,
                ));
            }
        }
        Ok(applied)
    }

    /// The version bookkeeping of the throwaway database, over our own connection.
    pub fn versions(&mut self) -> Result<VersionState, ApplyError> {
        VersionState::read(&mut self.db, self.version_table.as_deref()).map_err(|e| {
            ApplyError::Runtime(
                anyhow::Error::new(e)
                    .context("reading the version table of the throwaway database"),
            )
        })
    }

    /// Start over: drop and re-create the throwaway database and apply ups
    /// `0..=upto` (after a step left it in an unknown state).
    pub fn rebuild(&mut self, upto: Option<usize>) -> Result<(), ApplyError> {
        self.throwaway.recreate().map_err(|e| {
            ApplyError::Runtime(anyhow::Error::new(e).context("re-creating the throwaway database"))
        })?;
        self.db =
            Db::connect(&self.throwaway.settings()).map_err(|e| ApplyError::Runtime(e.into()))?;
        if let Some(upto) = upto {
            for index in 0..=upto {
                self.apply(index, Direction::Up, false)?;
            }
        }
        Ok(())
    }

    /// Report a failed migration: the failure itself, and when it was not
    /// rolled back, what it left behind compared with `before`.
    pub fn report_failure(
        &mut self,
        check: Check,
        index: usize,
        direction: Direction,
        failure: &Failure,
        before: Option<&Snapshot>,
    ) -> Result<(), ApplyError> {
        let migration = &self.migrations[index];
        let place = failure
            .line
            .map_or_else(String::new, |l| format!(" at line {l}"));
        let tail = if failure.rolled_back {
            " (rolled back; nothing was left behind)"
        } else {
            ""
        };
        let message = format!(
            "{} of {} failed{place}: {}{tail}",
            direction.word(),
            migration.id,
            failure.message
        );
        let mut diagnostic = Diagnostic::error(check.name(), message)
            .with_subject(migration.id.clone())
            .with_help(check.help());
        diagnostic.file = Some(failure.file.clone());
        diagnostic.line = failure.line;
        self.finding(check, Some(index), diagnostic);
        if let (false, Some(before)) = (failure.rolled_back, before) {
            let now = self.snapshot()?;
            let changes = wording::collapse(now.diff(before));
            if changes.is_empty() {
                return Ok(());
            }
            for change in changes {
                let text = format!(
                    "partial state after the failed {} of {}: {}",
                    direction.word(),
                    self.migrations[index].id,
                    wording::sentence(&change, Context::Partial)
                );
                let diagnostic = Diagnostic::info(check.name(), text)
                    .with_subject(change.key())
                    .with_file(failure.file.clone());
                self.finding(check, Some(index), diagnostic);
            }
        }
        Ok(())
    }

    /// Report schema differences found by `check` at migration `index`.
    /// Returns true when any was an error.
    #[allow(clippy::too_many_arguments)]
    pub fn report_changes(
        &mut self,
        check: Check,
        index: Option<usize>,
        expected: &Snapshot,
        actual: &Snapshot,
        context: Context,
        lead: &str,
        file: Option<String>,
    ) -> bool {
        let mut failed = false;
        let mut repeated = Vec::new();
        for change in wording::collapse(actual.diff(expected)) {
            let minor = wording::is_minor(&change);
            if check == Check::Reset && self.attributed.contains(&change.key()) {
                repeated.push(change.key());
                continue;
            }
            if check == Check::Stairway && !minor {
                self.attributed.insert(change.key());
            }
            let text = format!("{lead}{}", wording::sentence(&change, context));
            let mut diagnostic = if minor {
                Diagnostic::warning(check.name(), text)
            } else {
                failed = true;
                Diagnostic::error(check.name(), text).with_help(check.help())
            };
            diagnostic = diagnostic.with_subject(change.key());
            diagnostic.file.clone_from(&file);
            self.finding(check, index, diagnostic);
        }
        if !repeated.is_empty() {
            failed = true;
            let shown: Vec<&str> = repeated.iter().take(5).map(String::as_str).collect();
            let more = if repeated.len() > 5 { ", …" } else { "" };
            let text = format!(
                "{lead}{} difference(s) the stairway already attributed to a migration ({}{more})",
                repeated.len(),
                shown.join(", ")
            );
            let diagnostic = Diagnostic::error(check.name(), text).with_help(check.help());
            self.finding(check, index, diagnostic);
        }
        failed
    }
}

/// Settings for a read-only connection to a database compared with head.
pub fn read_only(settings: &ConnectionSettings) -> Result<Db, shipshape_pg::PgError> {
    let mut db = Db::connect(settings)?;
    db.execute("SET default_transaction_read_only = on")?;
    Ok(db)
}

/// Cancels the statement running on the throwaway connection when Ctrl-C
/// arrives, so a long migration statement (an index build, a big UPDATE)
/// does not delay the cleanup until it finishes on its own.
pub struct Canceller {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pid: std::sync::Arc<std::sync::atomic::AtomicI32>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Canceller {
    pub fn start(settings: ConnectionSettings) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let pid = std::sync::Arc::new(AtomicI32::new(0));
        let (stop_flag, pid_cell) = (stop.clone(), pid.clone());
        let handle = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::SeqCst) {
                if shipshape_core::interrupt::requested() {
                    let target = pid_cell.load(Ordering::SeqCst);
                    if target != 0
                        && let Ok(mut db) = Db::connect(&settings)
                    {
                        let _ = db.query_text(
                            "SELECT pg_cancel_backend($1::int)::text",
                            &[&target.to_string()],
                        );
                        db.close();
                    }
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        Self {
            stop,
            pid,
            handle: Some(handle),
        }
    }

    /// Follow the current connection's backend.
    pub fn watch(&self, db: &mut Db) {
        if let Ok(Some(pid)) = db.query_value("SELECT pg_backend_pid()::text", &[])
            && let Ok(pid) = pid.parse()
        {
            self.pid.store(pid, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Drop for Canceller {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
