//! `reset`: down to base must leave the schema the empty database had
//! (leftover extensions and types included); up to head again must give the
//! same schema as the first upgrade.

use std::time::Instant;

use shipshape_pg::schema_snapshot::Snapshot;

use super::{Check, Status};
use crate::driver::{ApplyError, Direction};
use crate::session::Session;
use crate::wording::Context;

pub fn run(session: &mut Session, base: &Snapshot, head: &Snapshot) -> Result<(), ApplyError> {
    let started = Instant::now();
    let blocking: Vec<String> = session
        .migrations
        .iter()
        .filter(|m| !m.has_down || session.irreversible.contains(&m.version))
        .filter(|m| !m.up_is_empty())
        .map(|m| m.id.clone())
        .collect();
    if let Some(first) = blocking.first() {
        let result = session.result(Check::Reset);
        result.status = Status::Skipped;
        result.detail = format!("skipped: {first} has no down");
        return Ok(());
    }
    session.result(Check::Reset).status = Status::Passed;
    for index in (0..session.migrations.len()).rev() {
        match session.apply(index, Direction::Down, false) {
            Ok(_) => {}
            Err(ApplyError::Failed(failure)) => {
                session.report_failure(Check::Reset, index, Direction::Down, &failure, None)?;
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
            match session.apply(index, Direction::Up, false) {
                Ok(_) => {}
                Err(ApplyError::Failed(failure)) => {
                    session.report_failure(Check::Reset, index, Direction::Up, &failure, None)?;
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
