//! `stairway`: for every migration N in order — snapshot, up N, snapshot,
//! down N (must give the snapshot before up N), up N again (must give the
//! snapshot after the first up N). Checking only the end state after all
//! downs would hide real bugs: a later `DROP TABLE` masks an earlier down
//! that forgets an index.

use std::time::Instant;

use shipshape_pg::schema_snapshot::Snapshot;

use super::Check;
use crate::driver::{ApplyError, Direction};
use crate::session::Session;
use crate::wording::Context;

/// Verify migration `index`, which has just been applied (`before` → `after`).
/// Leaves the database at `after` (re-building it when a step failed).
pub fn step(
    session: &mut Session<'_>,
    index: usize,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), ApplyError> {
    let migration = session.migrations[index].clone();
    if !session.is_selected(Check::Stairway) {
        return Ok(());
    }
    session.begin_step(Check::Stairway, index);
    let started = Instant::now();
    let reversible = migration.has_down && !session.irreversible.contains(&migration.version);
    if !reversible {
        let why = if session.irreversible.contains(&migration.version) {
            "declared irreversible"
        } else {
            "no down"
        };
        if let Some(step) = session.result(Check::Stairway).steps.last_mut() {
            step.status = super::Status::Skipped;
        }
        session.end_step(Check::Stairway, started, Some(format!("skipped: {why}")));
        return Ok(());
    }
    let down_file = migration
        .down
        .as_ref()
        .map_or_else(|| migration.file.clone(), |d| d.file.clone());
    let clean = match session.apply(index, Direction::Down, false) {
        Err(ApplyError::Failed(failure)) => {
            session.report_failure(
                Check::Stairway,
                index,
                Direction::Down,
                &failure,
                Some(after),
            )?;
            false
        }
        Err(other) => return Err(other),
        Ok(_) => {
            let reversed = session.snapshot()?;
            let lead = format!("down of {} did not reverse: ", migration.id);
            let failed = session.report_changes(
                Check::Stairway,
                Some(index),
                before,
                &reversed,
                Context::Reverse,
                &lead,
                Some(down_file),
            );
            if failed {
                false
            } else {
                match session.apply(index, Direction::Up, false) {
                    Err(ApplyError::Failed(failure)) => {
                        let failure = crate::driver::Failure {
                            message: format!(
                                "applying it again after its down: {}",
                                failure.message
                            ),
                            ..failure
                        };
                        session.report_failure(
                            Check::Stairway,
                            index,
                            Direction::Up,
                            &failure,
                            Some(before),
                        )?;
                        false
                    }
                    Err(other) => return Err(other),
                    Ok(_) => {
                        let again = session.snapshot()?;
                        let lead = format!("up of {} applied again after its down: ", migration.id);
                        !session.report_changes(
                            Check::Stairway,
                            Some(index),
                            after,
                            &again,
                            Context::Reapply,
                            &lead,
                            Some(migration.file.clone()),
                        )
                    }
                }
            }
        }
    };
    session.end_step(Check::Stairway, started, None);
    if !clean {
        // The database is in a state no later step expects: start again
        // from empty and re-apply the ups up to this one.
        session.rebuild(Some(index))?;
    }
    Ok(())
}
