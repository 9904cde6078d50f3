//! `pg-restore rollback`: swap the database kept by the last restore back
//! under the target name. What it replaces is kept too, as
//! `<target>_rolled_back_<ts>`, so a rollback can itself be undone by hand.

use std::time::Duration;

use shipshape_core::{ExitCode, Report, UsageError};
use shipshape_pg::Db;

use super::{Context, check_target_name, kept_databases};
use crate::RollbackArgs;
use crate::dbops;
use crate::names::{self, PRE_RESTORE, ROLLED_BACK};
use shipshape_core::human::bytes as human_bytes;

pub fn run(ctx: &Context, args: &RollbackArgs) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let connection = ctx.connection()?;
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| connection.database.clone());
    check_target_name(&target)?;
    let mut admin = Db::connect(&connection.maintenance())?;
    let all = dbops::list_databases(&mut admin)?;
    let kept = kept_databases(&all, &target, &[PRE_RESTORE]);
    let Some((_, previous)) = kept.first().cloned() else {
        return Err(UsageError::new(format!(
            "there is no kept database for \"{target}\" (no \"{}…\"); nothing to roll back",
            names::prefix(&target, PRE_RESTORE)
        ))
        .into());
    };
    let lock = ctx.lock(&connection, &target)?;
    let current = dbops::info(&mut admin, &target)?;
    let ts = names::timestamp(chrono::Utc::now());
    let rolled = names::name(&target, ROLLED_BACK, &ts);
    let prev_info = dbops::info(&mut admin, &previous)?;
    let mut lines = vec![format!(
        "  restore:  \"{previous}\" ({}) becomes \"{target}\" again",
        human_bytes(prev_info.as_ref().map_or(0, |i| i.size_bytes))
    )];
    if current.is_some() {
        lines.push(format!("  current:  \"{target}\" is kept as \"{rolled}\""));
    }
    shipshape_core::prompt::confirm_name(
        printer,
        args.yes,
        &format!("roll back \"{target}\""),
        &target,
        &lines,
    )?;
    let terminated = match &current {
        Some(info) => crate::swap::swap(
            &mut admin,
            &target,
            &previous,
            &rolled,
            info.allow_connections,
            Duration::from_secs(ctx.settings.terminate_timeout_seconds),
        )
        .map(|s| {
            if let Some(w) = &s.warning {
                printer.warning(w);
            }
            s.terminated
        })?,
        None => {
            dbops::rename(&mut admin, &previous, &target)?;
            0
        }
    };
    drop(lock);
    let message = format!(
        "rolled back \"{target}\" to \"{previous}\"{} ({terminated} session(s) terminated)",
        if current.is_some() {
            format!("; the replaced database is kept as \"{rolled}\"")
        } else {
            String::new()
        }
    );
    if printer.format() == shipshape_core::OutputFormat::Human {
        printer.summary(&format!("{message}\n"))?;
    } else {
        let mut report = Report::with_rules(
            "pg-restore",
            env!("CARGO_PKG_VERSION"),
            &crate::rules::RULES,
        );
        report.insert("target", &target);
        report.insert("restored_from", &previous);
        report.insert("replaced_kept_as", current.as_ref().map(|_| &rolled));
        report.insert("terminated_sessions", terminated);
        printer.report(&report)?;
    }
    Ok(ExitCode::Ok)
}
