//! `pg-restore FILE`: verify, check, lock, confirm, load beside, check,
//! swap, report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipshape_core::{Diagnostic, ExitCode, Printer, Report, ReportedFailure, UsageError};
use shipshape_pg::lock::DatabaseLock;
use shipshape_pg::quote::quote_ident;
use shipshape_pg::{ConnectionSettings, Db};

use super::{Context, check_target_name, shell_quote};
use crate::RestoreArgs;
use crate::dbops;
use crate::filter::FilterOptions;
use crate::load::{self, LoadJob};
use crate::names::{self, PRE_RESTORE, RESTORING};
use crate::parallel::LoadedRows;
use crate::server::{self, Intent};
use crate::verify::{self, Outcome, Verified};
use shipshape_core::human::bytes as human_bytes;

const TOOL: &str = "pg-restore";

fn report() -> Report {
    Report::new(TOOL, env!("CARGO_PKG_VERSION"))
}

/// Drops the half-restored database unless disarmed: on errors, failed
/// checks and Ctrl-C alike, the target is left exactly as it was.
struct Restoring {
    settings: ConnectionSettings,
    name: Option<String>,
    printer: Printer,
}

impl Restoring {
    fn disarm(&mut self) {
        self.name = None;
    }
}

impl Drop for Restoring {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let dropped = Db::connect(&self.settings.maintenance())
                .map_err(anyhow::Error::from)
                .and_then(|mut db| dbops::drop_database(&mut db, &name));
            match dropped {
                Ok(()) => self
                    .printer
                    .status(&format!("dropped the partial database \"{name}\"")),
                Err(err) => self.printer.error(&format!(
                    "could not drop the partial database \"{name}\": {err:#}; drop it with: DROP DATABASE {} WITH (FORCE);",
                    quote_ident(&name)
                )),
            }
        }
    }
}

/// The newest backup in `dir` whose manifest says it was verified, read
/// with pg-backup's own name parser and inventory (so `--latest` considers
/// exactly the files pg-backup writes). When the directory holds backups of
/// several databases (pg-backup prefixes), only those of `target` are
/// candidates: restoring another database's backup over the target must
/// never happen by picking "the newest file".
fn latest_in(dir: &Path, target: &str, printer: &Printer) -> anyhow::Result<PathBuf> {
    let mut candidates = Vec::new();
    for entry in shipshape_repo::inventory::scan(dir, None)? {
        match (&entry.manifest, &entry.manifest_error) {
            (Some(m), _) if entry.verified() => candidates.push((m.database.clone(), entry)),
            (Some(_), _) => printer.detail(&format!(
                "skipping {}: its manifest does not say verified",
                entry.file
            )),
            (None, Some(err)) => printer.detail(&format!("skipping {}: {err}", entry.file)),
            (None, None) => printer.detail(&format!("skipping {}: no manifest", entry.file)),
        }
    }
    let databases: std::collections::BTreeSet<String> =
        candidates.iter().map(|(db, _)| db.clone()).collect();
    if databases.len() > 1 {
        candidates.retain(|(db, _)| db == target);
        if candidates.is_empty() {
            let list: Vec<String> = databases.iter().map(|d| format!("\"{d}\"")).collect();
            return Err(UsageError::new(format!(
                "{} holds verified backups of several databases ({}) and none of \"{target}\"; name the FILE to restore",
                dir.display(),
                list.join(", ")
            ))
            .into());
        }
    }
    // The inventory is newest first (by the name's timestamp, not mtime).
    candidates
        .into_iter()
        .next()
        .map(|(_, entry)| entry.path)
        .ok_or_else(|| {
            UsageError::new(format!(
                "no verified backup (a pg-backup file with a manifest that says verified) in {}",
                dir.display()
            ))
            .into()
        })
}

fn age(modified: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let Some(at) = modified else {
        return "unknown age".into();
    };
    let secs = (chrono::Utc::now() - at).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs} seconds old"),
        120..=7199 => format!("{} minutes old", secs / 60),
        7200..=172_799 => format!("{} hours old", secs / 3600),
        _ => format!("{} days old", secs / 86400),
    }
}

pub fn run(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let started = Instant::now();
    let file = match (&args.file, args.latest) {
        (Some(_), true) => {
            return Err(UsageError::new("give either FILE or --latest, not both").into());
        }
        (Some(file), false) => file.clone(),
        (None, true) => {
            let dir = ctx.settings.dir.clone().ok_or_else(|| {
                UsageError::new(
                    "--latest needs --dir DIR (or dir in the [pg-restore] table of shipshape.toml)",
                )
            })?;
            let connection = ctx.connection()?;
            let target = args
                .target
                .clone()
                .unwrap_or_else(|| connection.database.clone());
            let file = latest_in(&dir, &target, printer)?;
            printer.status(&format!("latest verified backup: {}", file.display()));
            file
        }
        (None, false) => {
            return Err(UsageError::new(
                "name the backup FILE to restore, or use --latest --dir DIR",
            )
            .into());
        }
    };
    if !file.exists() {
        return Err(UsageError::new(format!("{} does not exist", file.display())).into());
    }
    let connection = ctx.connection()?;
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| connection.database.clone());
    check_target_name(&target)?;

    // 1. Verify the whole file before touching any server.
    // pg_restore reads archives; for SQL it is not needed (and finding it
    // runs it once).
    let pg_restore = if crate::input::detect(&file)?.is_sql() {
        None
    } else {
        ctx.program("pg_restore").ok()
    };
    printer.status(&format!("verifying {} …", file.display()));
    let verified = match verify::verify(
        &file,
        pg_restore.as_ref().map(|p| p.path.as_path()),
        printer,
    )? {
        Outcome::Good(v) => *v,
        Outcome::Bad(diagnostic) => {
            let mut report = report();
            report.push(diagnostic);
            report.insert("file", file.display().to_string());
            report.insert("changed", false);
            printer.report(&report)?;
            return Ok(ExitCode::Findings);
        }
    };
    printer.detail(&format!(
        "verification took {:.2}s",
        started.elapsed().as_secs_f64()
    ));
    printer.status(&format!(
        "verified: {} ({}, {}{})",
        file.display(),
        verified.kind.describe(),
        human_bytes(verified.size),
        if verified.manifest.is_some() {
            ", SHA-256 matches the manifest"
        } else {
            ""
        }
    ));

    // 2. The server, before changing anything.
    let psql = ctx.program("psql")?;
    let mut admin = Db::connect(&connection.maintenance())?;
    let intent = Intent {
        no_owner: ctx.settings.no_owner,
        no_privileges: ctx.settings.no_privileges,
        in_place: args.in_place,
    };
    let facts = server::check(
        &mut admin,
        &target,
        &verified,
        intent,
        &ctx.settings.owner_map,
    )?;
    if facts.has_errors() {
        let mut report = report();
        for d in verified.notes.iter().chain(&facts.diagnostics) {
            report.push(d.clone());
        }
        report.insert("file", file.display().to_string());
        report.insert("target", &target);
        report.insert("changed", false);
        printer.report(&report)?;
        return Ok(ExitCode::Findings);
    }
    for d in &facts.diagnostics {
        match d.severity {
            shipshape_core::Severity::Warning => printer.warning(&format!(
                "{}{}",
                d.message,
                d.help
                    .as_ref()
                    .map(|h| format!("\n  help: {h}"))
                    .unwrap_or_default()
            )),
            _ => printer.status(&format!("note: {}", d.message)),
        }
    }

    // The cross-tool lock, for the whole run.
    let Some(lock) = DatabaseLock::try_acquire(&connection, &target)? else {
        let holder =
            DatabaseLock::holder(&connection, &target)?.unwrap_or_else(|| "another session".into());
        anyhow::bail!(
            "another pg-backup or pg-restore is working on \"{target}\" ({holder}); nothing was changed\n  hint: wait for it to finish and run again"
        );
    };

    // Names carry the time to the second: a second run within the same
    // second waits for the next one rather than collide.
    let mut attempt = 0;
    let (restoring, kept) = loop {
        let ts = names::timestamp(chrono::Utc::now());
        let restoring = names::name(&target, RESTORING, &ts);
        let kept = names::name(&target, PRE_RESTORE, &ts);
        if !admin.database_exists(&restoring)? && !admin.database_exists(&kept)? {
            break (restoring, kept);
        }
        attempt += 1;
        if attempt > 3 {
            anyhow::bail!(
                "databases \"{restoring}\" or \"{kept}\" already exist; drop them or run again later"
            );
        }
        std::thread::sleep(Duration::from_millis(400));
    };

    // 3. Confirmation.
    let mut lines = vec![
        format!(
            "  file:     {} ({}, {}, {})",
            file.display(),
            verified.kind.describe(),
            human_bytes(verified.size),
            age(verified.modified)
        ),
        format!(
            "  server:   {} (PostgreSQL {})",
            connection.target(),
            facts.server_version
        ),
    ];
    match &facts.target {
        Some(t) => {
            lines.push(format!(
                "  target:   \"{target}\" ({} now) will be REPLACED",
                human_bytes(t.size_bytes)
            ));
            lines.push(if args.drop_previous {
                "  previous: dropped after a successful swap (--drop-previous)".to_owned()
            } else {
                format!("  previous: kept as \"{kept}\" (pg-restore rollback puts it back)")
            });
        }
        None => lines.push(format!(
            "  target:   \"{target}\" does not exist yet and will be created"
        )),
    }
    if args.in_place {
        lines.push("  mode:     --in-place: a safety backup is taken, then the target is DROPPED and recreated".into());
    }
    crate::confirm::confirm(
        printer,
        args.yes,
        &format!("restore into \"{target}\""),
        &target,
        &lines,
    )?;
    shipshape_core::interrupt::check()?;

    if args.in_place {
        return in_place(
            ctx,
            args,
            &verified,
            &connection,
            &mut admin,
            &facts,
            &target,
            &psql.path,
            pg_restore.as_ref().map(|p| p.path.clone()),
            started,
            lock,
        );
    }

    // 4. Restore beside the target.
    dbops::create_like(&mut admin, &restoring, facts.target.as_ref())?;
    let mut guard = Restoring {
        settings: connection.clone(),
        name: Some(restoring.clone()),
        printer: printer.clone(),
    };
    printer.status(&format!("restoring into \"{restoring}\" …"));
    let analyze_early = match &facts.target {
        Some(_) => !dbops::sets_statistics_target(&mut admin, &target)?,
        None => true,
    };
    let job = LoadJob {
        path: file.clone(),
        kind: verified.kind,
        settings: connection.with_database(&restoring),
        psql: psql.path.clone(),
        pg_restore: pg_restore.as_ref().map(|p| p.path.clone()),
        jobs: ctx.settings.jobs,
        filter: FilterOptions {
            drop_transaction_timeout: facts.drop_transaction_timeout,
            no_owner: ctx.settings.no_owner,
            no_privileges: ctx.settings.no_privileges,
            owner_map: ctx.settings.owner_map.clone(),
        },
        analyze_early,
        hold_autovacuum: true,
    };
    let step = Instant::now();
    let loaded = load::load(&job, printer)?;
    printer.detail(&format!("load took {:.2}s", step.elapsed().as_secs_f64()));
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(failure) => {
            drop(guard);
            let mut message = match failure.line {
                Some(line) => format!(
                    "the restore failed at line {line} of {}: {}",
                    file.display(),
                    failure.message
                ),
                None => format!(
                    "the restore of {} failed: {}",
                    file.display(),
                    failure.message
                ),
            };
            if let Some(statement) = &failure.statement {
                message.push_str("\nfailing statement:\n");
                for l in statement.lines() {
                    message.push_str("    ");
                    message.push_str(l);
                    message.push('\n');
                }
            }
            let mut d = Diagnostic::error("restore-failed", message.trim_end().to_owned())
                .with_help(format!("\"{target}\" was not changed and the partial database was dropped; fix the cause (see the statement above) and run again"));
            d.file = Some(file.display().to_string());
            d.line = failure.line.and_then(|l| u32::try_from(l).ok());
            let mut report = report();
            report.push(d);
            report.insert("target", &target);
            report.insert("changed", false);
            return Err(ReportedFailure::runtime(report).into());
        }
    };
    shipshape_core::interrupt::check()?;
    let mut restored_db = Db::connect(&connection.with_database(&restoring))?;
    if facts.target.is_some() {
        let copied = dbops::copy_database_properties(&mut admin, &target, &restoring)?;
        if !copied.is_empty() {
            printer.detail(&format!("copied from \"{target}\": {}", copied.join(", ")));
        }
    }
    let step = Instant::now();
    printer.status("analyzing …");
    crate::parallel::analyze(&job, &mut restored_db, &loaded.analyzed)?;
    loaded.autovacuum.resume(&mut restored_db)?;

    printer.detail(&format!(
        "ANALYZE took {:.2}s",
        step.elapsed().as_secs_f64()
    ));
    // 5. Sanity check.
    let step = Instant::now();
    if !loaded.rows.is_empty() {
        printer.detail(&format!(
            "row counts of {} table(s) from the server's COPY results",
            loaded.rows.len()
        ));
    }
    let checked = sanity_check(&mut restored_db, &verified, &loaded.rows)?;
    printer.detail(&format!(
        "sanity check took {:.2}s",
        step.elapsed().as_secs_f64()
    ));
    restored_db.close();
    if let Err(problems) = checked {
        drop(guard);
        let mut report = report();
        for p in problems {
            report.push(p);
        }
        report.insert("target", &target);
        report.insert("changed", false);
        return Err(ReportedFailure::runtime(report).into());
    }
    let checked_tables = checked.unwrap_or_default();
    shipshape_core::interrupt::check()?;

    // 6. Swap.
    let hook_env = [
        ("PG_RESTORE_TARGET", target.as_str()),
        ("PG_RESTORE_NEW", restoring.as_str()),
        ("PG_RESTORE_PREVIOUS", kept.as_str()),
    ];
    if let Some(cmd) = &ctx.settings.pre_swap {
        printer.status(&format!("running the pre-swap hook: {cmd}"));
        if let Err(err) = crate::hooks::run("pre-swap", cmd, &hook_env) {
            // Whatever the hook stopped should come back: run post-swap anyway.
            if let Some(post) = &ctx.settings.post_swap {
                let _ = crate::hooks::run("post-swap", post, &hook_env);
            }
            return Err(err.context(format!("nothing was swapped; \"{target}\" is unchanged")));
        }
    }
    let swap_result = match &facts.target {
        Some(t) => crate::swap::swap(
            &mut admin,
            &target,
            &restoring,
            &kept,
            t.allow_connections,
            Duration::from_secs(ctx.settings.terminate_timeout_seconds),
        )
        .map(|s| {
            if let Some(w) = &s.warning {
                printer.warning(w);
            }
            s.terminated
        }),
        None => dbops::rename(&mut admin, &restoring, &target).map(|()| 0),
    };
    let post = ctx.settings.post_swap.as_ref().map(|cmd| {
        printer.status(&format!("running the post-swap hook: {cmd}"));
        crate::hooks::run("post-swap", cmd, &hook_env)
    });
    let terminated = swap_result?;
    guard.disarm();
    if let Some(Err(err)) = post {
        printer.warning(&format!("{err:#}; the restore itself succeeded"));
    }

    // 7. Report.
    let mut previous = facts.target.as_ref().map(|_| kept.clone());
    if args.drop_previous
        && let Some(kept) = previous.take()
    {
        dbops::drop_database(&mut admin, &kept)?;
        printer.status(&format!(
            "dropped the previous database \"{kept}\" (--drop-previous)"
        ));
    }
    let mut pruned = Vec::new();
    if previous.is_some() && ctx.settings.keep_previous_configured {
        let all = dbops::list_databases(&mut admin)?;
        let kept_list = super::kept_databases(&all, &target, &[PRE_RESTORE, names::ROLLED_BACK]);
        for (_, name) in kept_list.iter().skip(ctx.settings.keep_previous) {
            dbops::drop_database(&mut admin, name)?;
            printer.status(&format!(
                "dropped \"{name}\" (keep_previous = {})",
                ctx.settings.keep_previous
            ));
            pruned.push(name.clone());
        }
        if previous.as_ref().is_some_and(|p| pruned.contains(p)) {
            previous = None;
        }
    }
    drop(lock);
    let elapsed = started.elapsed();
    let mut report = report();
    for d in &verified.notes {
        report.push(d.clone());
    }
    let summary = match &previous {
        Some(kept) => format!(
            "restored {} into \"{target}\" in {:.1}s ({} session(s) terminated); the previous database is kept as \"{kept}\"",
            file.display(),
            elapsed.as_secs_f64(),
            terminated
        ),
        None => format!(
            "restored {} into \"{target}\" in {:.1}s",
            file.display(),
            elapsed.as_secs_f64()
        ),
    };
    let rollback = previous
        .as_ref()
        .map(|_| format!("pg-restore rollback --target {}", shell_quote(&target)));
    report.insert("file", file.display().to_string());
    report.insert("kind", verified.kind);
    report.insert("target", &target);
    report.insert("previous", &previous);
    report.insert("terminated_sessions", terminated);
    report.insert(
        "duration_seconds",
        (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
    );
    report.insert("tables_checked", checked_tables);
    report.insert("pruned", &pruned);
    report.insert("rollback_command", &rollback);
    report.insert("changed", true);
    if printer.format() != shipshape_core::OutputFormat::Human {
        printer.report(&report)?;
    } else {
        printer.summary(&format!(
            "{summary}\n{}",
            rollback
                .map(|c| format!("rollback: {c}\n"))
                .unwrap_or_default()
        ))?;
    }
    Ok(ExitCode::Ok)
}

/// Every table the backup has data for exists, with the rows the backup
/// says: exactly the manifest's snapshot counts when it has them, else the
/// COPY rows in the dump. The restored side comes from the load's COPY
/// results where it has them (the server's own count of the rows each COPY
/// stored, so a large restore is not read a second time), else from
/// `count(*)`.
fn sanity_check(
    db: &mut Db,
    verified: &Verified,
    loaded: &LoadedRows,
) -> anyhow::Result<Result<usize, Vec<Diagnostic>>> {
    let mut expected: Vec<(String, String, u64)> = match &verified.manifest {
        Some(m) if !m.tables.is_empty() => m
            .tables
            .iter()
            .map(|t| (t.schema.clone(), t.table.clone(), t.rows))
            .collect(),
        _ => verified
            .info
            .tables
            .iter()
            .filter(|t| t.copy)
            .map(|t| (t.schema.clone(), t.table.clone(), t.rows))
            .collect(),
    };
    expected.sort();
    let mut problems = Vec::new();
    for (schema, table, rows) in &expected {
        let exists = db.query_value(
            "SELECT c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
            &[schema, table],
        )?;
        if exists.is_none() {
            problems.push(
                Diagnostic::error(
                    "table-missing",
                    format!("table {schema}.{table} is missing after the restore"),
                )
                .with_subject(format!("{schema}.{table}")),
            );
            continue;
        }
        let count = match loaded.get(&(schema.clone(), table.clone())) {
            Some(rows) => rows,
            None => db
                .query_value(
                    &format!(
                        "SELECT count(*)::text FROM ONLY {}.{}",
                        quote_ident(schema),
                        quote_ident(table)
                    ),
                    &[],
                )?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
        };
        if count != *rows {
            problems.push(
                Diagnostic::error("row-count", format!("table {schema}.{table} has {count} rows after the restore, the backup says {rows}"))
                    .with_subject(format!("{schema}.{table}"))
                    .with_help("the target was not changed; the backup and the restore disagree, investigate before retrying"),
            );
        }
    }
    Ok(if problems.is_empty() {
        Ok(expected.len())
    } else {
        Err(problems)
    })
}

#[allow(clippy::too_many_arguments)]
fn in_place(
    ctx: &Context,
    args: &RestoreArgs,
    verified: &Verified,
    connection: &ConnectionSettings,
    admin: &mut Db,
    facts: &server::ServerFacts,
    target: &str,
    psql: &Path,
    pg_restore: Option<PathBuf>,
    started: Instant,
    lock: DatabaseLock,
) -> anyhow::Result<ExitCode> {
    crate::inplace::run(
        ctx, args, verified, connection, admin, facts, target, psql, pg_restore, started, lock,
    )
}
