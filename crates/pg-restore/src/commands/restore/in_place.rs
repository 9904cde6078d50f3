//! `--in-place`: the fallback when a second copy cannot be created (no
//! CREATEDB, no disk for two copies). A safety backup of the target is taken
//! first through pg-backup's code path (a verified pg_dump custom archive
//! with a manifest), then sessions are ended and the target is emptied — dropped
//! and recreated when the role may create databases, else cleared schema by
//! schema — and the backup is restored into it. On failure the exact command
//! that restores the safety backup is printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use shipshape_core::{Diagnostic, ExitCode, Report, ReportedFailure};
use shipshape_pg::lock::DatabaseLock;
use shipshape_pg::quote::quote_ident;
use shipshape_pg::{ConnectionSettings, Db};

use super::{Restore, Server, VerifiedFile};
use crate::commands::{Context, shell_quote};
use crate::dbops;
use crate::load;

/// The safety backup goes through pg-backup's own code: streamed to a
/// `.partial` name, checked for completeness, checksummed, verified and
/// renamed, with a manifest, so `pg-restore` (or `pg-backup verify`) can
/// check it before it is ever needed. A pg_dump custom archive, so the
/// recovery restore can use `--jobs`.
fn safety_backup(
    ctx: &Context,
    connection: &ConnectionSettings,
    target: &str,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let safe: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    shipshape_backup::backup_on_behalf(
        &ctx.printer,
        &connection.with_database(target),
        ctx.settings.pg_bin_dir.as_deref(),
        dir,
        &format!("{safe}_safety"),
        shipshape_backup::naming::Kind::Custom,
    )
    .with_context(|| format!("the safety backup of \"{target}\" failed, so nothing was changed"))
}

/// Empty a database without dropping it: every schema that is not a system
/// schema is dropped with its contents, and `public` recreated as a fresh
/// database has it.
fn clear_database(settings: &ConnectionSettings) -> anyhow::Result<()> {
    let mut db = Db::connect(settings)?;
    let schemas = db.query_text(
        "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
        &[],
    )?;
    for row in schemas {
        if let Some(name) = row.into_iter().next().flatten() {
            db.execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&name)))
                .with_context(|| format!("dropping schema {name} in \"{}\"", settings.database))?;
        }
    }
    let owner = if db.server_major()? >= 15 {
        "pg_database_owner"
    } else {
        "CURRENT_USER"
    };
    db.execute(&format!("CREATE SCHEMA public AUTHORIZATION {owner}"))?;
    db.close();
    Ok(())
}

/// Steps 5 to 8 of a restore for `--in-place`: after the confirmation, with
/// the lock held.
pub(super) fn run(
    restore: &Restore<'_>,
    file: &VerifiedFile,
    server: &mut Server,
    lock: DatabaseLock,
) -> anyhow::Result<ExitCode> {
    let safety = take_safety_backup(restore, server)?;
    shipshape_core::interrupt::check()?;
    let terminated = empty_target(restore, server)?;
    load_into_target(restore, file, server, safety.as_ref())?;
    drop(lock);
    report_success(restore, file, terminated, safety.as_ref())
}

/// The safety backup of an existing target, and the command that puts it
/// back.
struct SafetyBackup {
    path: PathBuf,
    recovery: String,
}

/// The safety backup into `--safety-dir`, when there is a target to lose.
fn take_safety_backup(
    restore: &Restore<'_>,
    server: &Server,
) -> anyhow::Result<Option<SafetyBackup>> {
    let (printer, target) = (restore.printer, restore.target.as_str());
    if server.facts.target.is_none() {
        return Ok(None);
    }
    let dir = restore
        .args
        .safety_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    printer.status(&format!("taking a safety backup of \"{target}\" …"));
    let path = safety_backup(restore.ctx, &restore.connection, target, &dir)?;
    printer.status(&format!("safety backup: {}", path.display()));
    let recovery = format!(
        "pg-restore --yes --in-place --target {} {}",
        shell_quote(target),
        shell_quote(&path.display().to_string())
    );
    Ok(Some(SafetyBackup { path, recovery }))
}

/// Sessions ended and the target emptied: dropped and recreated like it
/// was when the role may create databases, else cleared schema by schema
/// (a missing target is created). Returns how many sessions were ended.
fn empty_target(restore: &Restore<'_>, server: &mut Server) -> anyhow::Result<u64> {
    let (target, admin, facts) = (restore.target.as_str(), &mut server.admin, &server.facts);
    let can_create = facts.superuser
        || admin
            .query_value(
                "SELECT rolcreatedb::text FROM pg_roles WHERE rolname = current_user",
                &[],
            )?
            .as_deref()
            == Some("true");
    let Some(info) = &facts.target else {
        dbops::create_like(admin, target, None)?;
        return Ok(0);
    };
    dbops::allow_connections(admin, target, false)?;
    let terminated = dbops::terminate_sessions(
        admin,
        target,
        Duration::from_secs(restore.ctx.settings.terminate_timeout_seconds),
    )?;
    if can_create {
        dbops::drop_database(admin, target)?;
        dbops::create_like(admin, target, Some(info))?;
        if !info.allow_connections {
            dbops::allow_connections(admin, target, false)?;
        }
    } else {
        dbops::allow_connections(admin, target, true)?;
        clear_database(&restore.connection.with_database(target))?;
    }
    Ok(terminated)
}

/// The load into the emptied target, then `ANALYZE`; a failure names the
/// command that puts the safety backup back.
fn load_into_target(
    restore: &Restore<'_>,
    file: &VerifiedFile,
    server: &Server,
    safety: Option<&SafetyBackup>,
) -> anyhow::Result<()> {
    let (printer, target) = (restore.printer, restore.target.as_str());
    printer.status(&format!("restoring into \"{target}\" (in place) …"));
    // Kept simple on this fallback path: analyze after the load. The live
    // target itself: a failure or Ctrl-C before the reset would leave its
    // tables without autovacuum, so no hold.
    let job = restore.load_job(file, server, target, false, false);
    let loaded = match load::load(&job, printer) {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(f)) => {
            let message = match f.line {
                Some(line) => format!(
                    "{} (line {line}){}",
                    f.message,
                    f.statement
                        .map(|s| format!("\nfailing statement:\n    {}", s.replace('\n', "\n    ")))
                        .unwrap_or_default()
                ),
                None => f.message,
            };
            return Err(load_failed(restore, file, &message, safety));
        }
        Err(err) => return Err(load_failed(restore, file, &format!("{err:#}"), safety)),
    };
    let mut restored = Db::connect(&restore.connection.with_database(target))?;
    crate::parallel::analyze(&job, &mut restored, &loaded.analyzed)?;
    loaded.autovacuum.resume(&mut restored)?;
    restored.close();
    Ok(())
}

/// The error of a failed in-place load: the target is incomplete now, so
/// it says how to put the safety backup back.
fn load_failed(
    restore: &Restore<'_>,
    file: &VerifiedFile,
    message: &str,
    safety: Option<&SafetyBackup>,
) -> anyhow::Error {
    let target = &restore.target;
    let d = Diagnostic::error(
        "restore-failed",
        format!(
            "the in-place restore of {} into \"{target}\" failed: {message}",
            file.verified.path.display()
        ),
    )
    .with_help(match safety {
        Some(s) => format!(
            "\"{target}\" is now incomplete or holds an unverified file; put the safety backup back with:\n  {}",
            s.recovery
        ),
        None => format!("\"{target}\" did not exist before; drop the incomplete database or fix the cause and run again"),
    });
    let mut report = Report::with_rules(
        "pg-restore",
        env!("CARGO_PKG_VERSION"),
        &crate::rules::RULES,
    );
    report.push(d);
    report.insert("target", target);
    report.insert(
        "safety_backup",
        safety.map(|s| s.path.display().to_string()),
    );
    report.insert("recovery_command", safety.map(|s| &s.recovery));
    ReportedFailure::runtime(report).into()
}

/// What was restored, how long it took, where the safety backup is.
fn report_success(
    restore: &Restore<'_>,
    file: &VerifiedFile,
    terminated: u64,
    safety: Option<&SafetyBackup>,
) -> anyhow::Result<ExitCode> {
    let (printer, target) = (restore.printer, &restore.target);
    let summary = format!(
        "restored {} into \"{target}\" in place in {} ({terminated} session(s) terminated){}",
        file.verified.path.display(),
        shipshape_core::human::duration(restore.started.elapsed()),
        safety
            .map(|s| format!("; safety backup: {}", s.path.display()))
            .unwrap_or_default()
    );
    if printer.format() == shipshape_core::OutputFormat::Human {
        printer.summary(&format!("{summary}\n"))?;
    } else {
        let mut report = Report::with_rules(
            "pg-restore",
            env!("CARGO_PKG_VERSION"),
            &crate::rules::RULES,
        );
        report.insert("target", target);
        report.insert(
            "safety_backup",
            safety.map(|s| s.path.display().to_string()),
        );
        report.insert("terminated_sessions", terminated);
        printer.report(&report)?;
    }
    Ok(ExitCode::Ok)
}
