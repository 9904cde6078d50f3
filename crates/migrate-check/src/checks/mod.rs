//! The checks, each a named step with pass/fail and timing. The logic of
//! each lives in its own file; `crate::session` runs them in order in one
//! throwaway database.

pub mod drift;
pub mod history;
pub mod locks;
pub mod prerequisites;
pub mod reset;
pub mod stairway;
pub mod upgrade;

use std::time::Duration;

use serde::Serialize;
use shipshape_core::Rule;

/// A check's stable name (also its diagnostic code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Prerequisites,
    History,
    Upgrade,
    Stairway,
    Reset,
    Drift,
    Locks,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Self::Prerequisites,
        Self::History,
        Self::Upgrade,
        Self::Stairway,
        Self::Reset,
        Self::Drift,
        Self::Locks,
    ];

    /// The check's rule: its id is the check's name and the code of its
    /// findings.
    pub fn rule(self) -> &'static Rule {
        match self {
            Self::Prerequisites => &PREREQUISITES,
            Self::History => &HISTORY,
            Self::Upgrade => &UPGRADE,
            Self::Stairway => &STAIRWAY,
            Self::Reset => &RESET,
            Self::Drift => &DRIFT,
            Self::Locks => &LOCKS,
        }
    }

    pub fn name(self) -> &'static str {
        self.rule().id
    }

    /// How to fix a finding (the rule's explanation).
    pub fn help(self) -> &'static str {
        self.rule().explanation
    }
}

shipshape_core::rules! {
    /// The checks as rules, in the order they run: `--select`, `--ignore`,
    /// `--explain`, `--list-checks` and SARIF read this list. Default
    /// severity is that of a failure; minor schema differences are
    /// warnings and the lock hints infos or warnings.
    pub static RULES {
        PREREQUISITES = ("prerequisites", Error,
            "the migrations parse, the server is reachable, the user may create databases, the migration tool runs",
            "fix the named file or setting, then run again");
        HISTORY = ("history", Error,
            "versions are unique and ordered, there is one head, every up that does something has a down",
            "give each migration a unique version and a down, or declare it in `irreversible`");
        UPGRADE = ("upgrade", Error,
            "every migration applies, in order, from an empty database to head",
            "fix the failing statement; the message names its file and line");
        STAIRWAY = ("stairway", Error,
            "for every migration: down restores the schema from before its up, and up again gives the same schema",
            "make the down undo exactly what the up did: drop what it created, restore what it dropped or changed");
        RESET = ("reset", Error,
            "down to base leaves the empty database's schema; up to head again gives the same schema",
            "a down left something behind or removed too much; the stairway findings usually name the migration");
        DRIFT = ("drift", Error,
            "the schema at head equals that of an existing database (--compare-to)",
            "someone changed the database by hand, or a migration was edited after it ran; write a migration for the difference");
        LOCKS = ("locks", Warning,
            "which tables each up locks ACCESS EXCLUSIVE or rewrites (hints for deploys)",
            "run such changes in a quiet window, or split them (add a column nullable, backfill, then add the constraint NOT VALID and validate)");
    }
}

/// How a check or step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

/// One migration within a check.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub migration: String,
    pub file: String,
    pub status: Status,
    pub duration_ms: u64,
    pub failures: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub name: &'static str,
    pub status: Status,
    pub duration_ms: u64,
    /// Why it was skipped, or a short summary.
    pub detail: String,
    /// Failures not tied to one migration.
    pub failures: Vec<String>,
    pub steps: Vec<StepResult>,
}

impl CheckResult {
    pub fn new(check: Check) -> Self {
        Self {
            name: check.name(),
            status: Status::Skipped,
            duration_ms: 0,
            detail: String::new(),
            failures: Vec::new(),
            steps: Vec::new(),
        }
    }

    pub fn add_time(&mut self, duration: Duration) {
        self.duration_ms += u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    }
}

pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
