//! `reset`: down to base must leave the schema the empty database had
//! (leftover extensions and types included); up to head again must give the
//! same schema as the first upgrade.

use std::time::Instant;

use shipshape_pg::schema_snapshot::Snapshot;

use super::{Check, Status};
use crate::driver::{ApplyError, Direction};
use crate::layout::TxMode;
use crate::session::Session;
use crate::wording::Context;

pub fn run(session: &mut Session<'_>, base: &Snapshot, head: &Snapshot) -> Result<(), ApplyError> {
    let started = Instant::now();
    // A migration declared irreversible skips the reset whatever its up
    // holds (as documented); a missing down only when its up does something.
    let blocking = session.migrations.iter().find_map(|m| {
        if session.irreversible.contains(&m.version) {
            Some(format!("{} is declared irreversible", m.id))
        } else if !m.has_down && !m.up_is_empty() {
            Some(format!("{} has no down", m.id))
        } else {
            None
        }
    });
    if let Some(why) = blocking {
        let result = session.result(Check::Reset);
        result.status = Status::Skipped;
        result.detail = format!("skipped: {why}");
        return Ok(());
    }
    session.result(Check::Reset).status = Status::Passed;
    for index in (0..session.migrations.len()).rev() {
        let before = snapshot_if_unwrapped(session, index, Direction::Down)?;
        match session.apply(index, Direction::Down, false) {
            Ok(_) => {}
            Err(ApplyError::Failed(failure)) => {
                session.report_failure(
                    Check::Reset,
                    index,
                    Direction::Down,
                    &failure,
                    before.as_ref(),
                )?;
                session.result(Check::Reset).add_time(started.elapsed());
                return Ok(());
            }
            Err(other) => return Err(other),
        }
    }
    let empty = session.snapshot()?;
    let down_ok = !session.report_changes(
        Check::Reset,
        None,
        base,
        &empty,
        Context::ResetDown,
        "down to base did not restore the empty schema: ",
        None,
    );
    if down_ok {
        for index in 0..session.migrations.len() {
            let before = snapshot_if_unwrapped(session, index, Direction::Up)?;
            match session.apply(index, Direction::Up, false) {
                Ok(_) => {}
                Err(ApplyError::Failed(failure)) => {
                    session.report_failure(
                        Check::Reset,
                        index,
                        Direction::Up,
                        &failure,
                        before.as_ref(),
                    )?;
                    session.result(Check::Reset).add_time(started.elapsed());
                    return Ok(());
                }
                Err(other) => return Err(other),
            }
        }
        let again = session.snapshot()?;
        session.report_changes(
            Check::Reset,
            None,
            head,
            &again,
            Context::ResetUp,
            "up to head after down to base: ",
            None,
        );
    }
    let total = session.migrations.len();
    let result = session.result(Check::Reset);
    result.add_time(started.elapsed());
    result.detail = format!("{total} downs, {total} ups");
    Ok(())
}

/// A snapshot before a step that could fail halfway and leave partial state
/// behind (SQL run outside our transaction, or a tool's own migration whose
/// transactions are not ours), so a failure can show what it left. Steps in
/// our own transaction roll back completely and need none: reset stays a
/// cheap walk with two snapshots.
fn snapshot_if_unwrapped(
    session: &mut Session<'_>,
    index: usize,
    direction: Direction,
) -> Result<Option<Snapshot>, ApplyError> {
    let migration = &session.migrations[index];
    let script = match direction {
        Direction::Up => migration.up.as_ref(),
        Direction::Down => migration.down.as_ref(),
    };
    let wrapped = script.is_some_and(|s| s.mode == TxMode::Wrapped);
    if wrapped {
        Ok(None)
    } else {
        Ok(Some(session.snapshot()?))
    }
}
