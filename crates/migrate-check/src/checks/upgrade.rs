//! `upgrade`: from an empty database to head, migration by migration, each
//! one timed. The `stairway` check rides on the same pass (its first up of
//! each migration is this check's up), so every migration runs three times
//! in all rather than four.

use std::time::Instant;

use shipshape_pg::schema_snapshot::Snapshot;

use super::{Check, Status, stairway};
use crate::driver::{ApplyError, Direction};
use crate::session::Session;

/// How the pass ended.
pub enum PassEnd {
    /// Every up applied; the schema at head.
    Head(Snapshot),
    /// An up failed; later checks cannot run.
    Broken,
}

/// Apply every up in order. `stairway_from`: the index where the stairway
/// starts (when that check is selected).
pub fn pass(
    session: &mut Session<'_>,
    base: &Snapshot,
    stairway_from: Option<usize>,
) -> Result<PassEnd, ApplyError> {
    let mut before = base.clone();
    let observe = session.is_selected(Check::Locks);
    for index in 0..session.migrations.len() {
        session.begin_step(Check::Upgrade, index);
        let started = Instant::now();
        let applied = match session.apply(index, Direction::Up, observe) {
            Ok(applied) => applied,
            Err(ApplyError::Failed(failure)) => {
                session.end_step(Check::Upgrade, started, None);
                session.report_failure(
                    Check::Upgrade,
                    index,
                    Direction::Up,
                    &failure,
                    Some(&before),
                )?;
                skip_rest(session, index);
                return Ok(PassEnd::Broken);
            }
            Err(other) => return Err(other),
        };
        session.end_step(Check::Upgrade, started, applied.note.clone());
        super::locks::record(session, index, &applied);
        let after = session.snapshot()?;
        if let Some(from) = stairway_from
            && index >= from
        {
            stairway::step(session, index, &before, &after)?;
        }
        before = after;
    }
    Ok(PassEnd::Head(before))
}

fn skip_rest(session: &mut Session<'_>, failed: usize) {
    let total = session.migrations.len();
    let result = session.result(Check::Upgrade);
    result.detail = format!("stopped at migration {} of {total}", failed + 1);
    for check in [Check::Stairway, Check::Reset, Check::Drift, Check::Locks] {
        let result = session.result(check);
        if result.status != Status::Failed {
            result.status = Status::Skipped;
            result.detail = "skipped: the upgrade failed".to_owned();
        }
    }
}

/// The `command` layout knows no files: find the history by running "up
/// one" until "current version" stops changing, then start again from an
/// empty database. Returns false when an up failed (already reported).
pub fn discover(session: &mut Session<'_>, dir: &str) -> Result<bool, ApplyError> {
    const LIMIT: usize = 100_000;
    let mut current = session.driver.current(&session.env)?;
    let mut found: Vec<crate::layout::Migration> = Vec::new();
    session.discovering = true;
    let outcome = discover_steps(session, dir, &mut current, &mut found, LIMIT);
    session.discovering = false;
    if !outcome? {
        return Ok(false);
    }
    session.migrations = found;
    session.rebuild(None)?;
    Ok(true)
}

/// Run "up one" until the tool's current version stops changing; each up
/// that moves it must move the throwaway database's version table too.
fn discover_steps(
    session: &mut Session<'_>,
    dir: &str,
    current: &mut String,
    found: &mut Vec<crate::layout::Migration>,
    limit: usize,
) -> Result<bool, ApplyError> {
    while found.len() < limit {
        let versions_before = session.versions()?;
        let placeholder = crate::layout::Migration {
            version: format!(
                "after {}",
                if current.is_empty() { "base" } else { &current }
            ),
            id: format!(
                "migration after {}",
                if current.is_empty() { "base" } else { &current }
            ),
            file: dir.to_owned(),
            up: None,
            down: None,
            parents: Vec::new(),
            has_down: true,
        };
        session.migrations.push(placeholder);
        let index = session.migrations.len() - 1;
        let outcome = session.apply(index, Direction::Up, false);
        let placeholder = session.migrations.pop();
        match outcome {
            Ok(_) => {}
            Err(ApplyError::Failed(failure)) => {
                session.migrations = std::mem::take(found);
                let at = session.migrations.len();
                session.migrations.push(crate::layout::Migration {
                    version: format!("#{}", at + 1),
                    id: format!(
                        "migration #{} (after {})",
                        at + 1,
                        if current.is_empty() { "base" } else { &current }
                    ),
                    file: dir.to_owned(),
                    up: None,
                    down: None,
                    parents: Vec::new(),
                    has_down: true,
                });
                session.begin_step(Check::Upgrade, at);
                session.report_failure(Check::Upgrade, at, Direction::Up, &failure, None)?;
                skip_rest(session, at);
                return Ok(false);
            }
            Err(other) => return Err(other),
        }
        let next = session.driver.current(&session.env)?;
        let moved_here = session.versions()?.rows != versions_before.rows;
        // At head an up changes nothing; but a first up that changes
        // nothing here either found no migrations or changed another
        // database, and only the second would report success quietly.
        let at_head = next == *current && (moved_here || !found.is_empty());
        if at_head {
            break;
        }
        if !moved_here && let Some(placeholder) = placeholder {
            return Err(crate::guard::moved_elsewhere(
                &session.env,
                &session.driver,
                &placeholder,
                Direction::Up,
            ));
        }
        found.push(crate::layout::Migration {
            version: next.clone(),
            id: next.clone(),
            file: dir.to_owned(),
            up: None,
            down: None,
            parents: Vec::new(),
            has_down: true,
        });
        *current = next;
    }
    Ok(true)
}
