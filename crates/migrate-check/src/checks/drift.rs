//! `drift` (with `--compare-to URL`): the schema at head must equal that of
//! an existing database, read only there — to catch hand-made production
//! changes.

use std::time::Instant;

use anyhow::Context as _;
use shipshape_pg::ConnectionSettings;
use shipshape_pg::schema_snapshot::Snapshot;

use super::{Check, Status};
use crate::driver::ApplyError;
use crate::session::{Session, read_only};
use crate::wording::Context;

pub fn run(
    session: &mut Session<'_>,
    target: &ConnectionSettings,
    head: &Snapshot,
) -> Result<(), ApplyError> {
    let started = Instant::now();
    let mut db = read_only(target).with_context(|| {
        format!(
            "connecting to --compare-to database {} read-only",
            target.display_url()
        )
    })?;
    let theirs = crate::driver::capture(&mut db, &session.ignored)
        .with_context(|| format!("reading the schema of {}", target.database))?;
    db.close();
    session.result(Check::Drift).status = Status::Passed;
    let lead = format!("{}: ", target.database);
    session.report_changes(
        Check::Drift,
        None,
        head,
        &theirs,
        Context::Drift,
        &lead,
        None,
    );
    let result = session.result(Check::Drift);
    result.add_time(started.elapsed());
    result.detail = format!("compared with {}", target.display_url());
    Ok(())
}
