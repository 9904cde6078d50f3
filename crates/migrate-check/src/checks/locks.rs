//! `locks` (hints): which pre-existing tables each up locked ACCESS
//! EXCLUSIVE (seen in `pg_locks` before commit) and which it rewrote (their
//! `relfilenode` changed) — what takes a production site down during a deploy.

use shipshape_core::{Diagnostic, Severity};

use super::Check;
use crate::driver::Applied;
use crate::session::Session;

/// Turn the observations of one up into findings.
pub fn record(session: &mut Session<'_>, index: usize, applied: &Applied) {
    if !session.is_selected(Check::Locks) {
        return;
    }
    let migration = session.migrations[index].clone();
    session.begin_step(Check::Locks, index);
    let strict = session.strict_locks;
    let rewrites = applied.rewrites.clone();
    for table in &applied.exclusive_locks {
        if rewrites.contains(table) {
            continue;
        }
        let text = format!(
            "up of {} takes an ACCESS EXCLUSIVE lock on {table}: reads and writes of it wait until the migration commits",
            migration.id
        );
        let severity = if strict {
            Severity::Error
        } else {
            Severity::Info
        };
        let diagnostic = Diagnostic::new(severity, Check::Locks.name(), text)
            .with_subject(table.clone())
            .with_file(migration.file.clone())
            .with_help(Check::Locks.help());
        session.finding(Check::Locks, Some(index), diagnostic);
    }
    for table in &rewrites {
        let text = format!(
            "up of {} rewrites {table} under an ACCESS EXCLUSIVE lock: the table is unavailable while it is copied",
            migration.id
        );
        let severity = if strict {
            Severity::Error
        } else {
            Severity::Warning
        };
        let diagnostic = Diagnostic::new(severity, Check::Locks.name(), text)
            .with_subject(table.clone())
            .with_file(migration.file.clone())
            .with_help(Check::Locks.help());
        session.finding(Check::Locks, Some(index), diagnostic);
    }
}
