//! `pg-restore FILE`: verify, check, lock, confirm, load beside, check,
//! swap, report.

mod in_place;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipshape_core::{Diagnostic, ExitCode, Printer, Report, ReportedFailure, UsageError};
use shipshape_pg::lock::DatabaseLock;
use shipshape_pg::quote::quote_ident;
use shipshape_pg::{ConnectionSettings, Db, programs};

use super::{Context, check_target_name, shell_quote};
use crate::RestoreArgs;
use crate::dbops;
use crate::filter::FilterOptions;
use crate::load::{self, FinishedLoad, LoadFailure, LoadJob};
use crate::names::{self, PRE_RESTORE, RESTORING};
use crate::parallel::LoadedRows;
use crate::server::{self, Intent, ServerFacts};
use crate::verify::{self, Outcome, Verified};
use shipshape_core::human::bytes as human_bytes;

const TOOL: &str = "pg-restore";

fn new_report() -> Report {
    Report::with_rules(TOOL, env!("CARGO_PKG_VERSION"), &crate::rules::RULES)
}

/// Drops the half-restored database unless disarmed: on errors, failed
/// checks and Ctrl-C alike, the target is left exactly as it was.
struct PartialDatabase {
    settings: ConnectionSettings,
    name: Option<String>,
    printer: Printer,
}

impl PartialDatabase {
    /// The swap made it the target: keep it.
    fn disarm(&mut self) {
        self.name = None;
    }

    /// Drop it now (once), saying so.
    fn discard(&mut self) {
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

impl Drop for PartialDatabase {
    fn drop(&mut self) {
        self.discard();
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
    match modified {
        Some(at) => format!(
            "{} old",
            shipshape_core::human::age((chrono::Utc::now() - at).num_seconds().max(0))
        ),
        None => "unknown age".into(),
    }
}

/// A restore, step by step as docs/pg-restore.md lists them ("What a run
/// does"); each step returns what the next one needs.
pub fn run(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let mut restore = Restore::plan(ctx, args)?;
    if let Some(report) = restore.refused.take() {
        return restore.stop_unchanged(&report);
    }
    // 1. Verify the file, before touching any server.
    let file = match restore.verify_file()? {
        Checked::Passed(file) => file,
        Checked::Failed(report) => return restore.stop_unchanged(&report),
    };
    // 2. Check the server, still changing nothing.
    let mut server = match restore.check_server(&file)? {
        Checked::Passed(server) => server,
        Checked::Failed(report) => return restore.stop_unchanged(&report),
    };
    // 3. Lock, for the whole run.
    let lock = restore.lock()?;
    let names = restore.free_names(&mut server.admin)?;
    // 4. Confirm.
    restore.confirm(&file, &server, &names)?;
    if args.in_place {
        return in_place::run(&restore, &file, &mut server, lock);
    }
    // 5. Restore beside.
    let mut partial = restore.create_beside(&mut server, &names)?;
    let loaded = restore.load_beside(&file, &mut server, &names, &mut partial)?;
    let restored = restore.analyze_beside(&mut server, &names, loaded)?;
    // 6. Sanity check.
    let tables_checked = restore.sanity_check(&file, restored, &mut partial)?;
    // 7. Swap.
    let terminated = restore.swap(&mut server, &names, partial)?;
    // 8. Report.
    let previous = restore.retire_previous(&mut server, &names)?;
    drop(lock);
    restore.report_success(&file, terminated, tables_checked, &previous)
}

/// One restore run: what it restores, into which database, and how.
struct Restore<'a> {
    ctx: &'a Context,
    args: &'a RestoreArgs,
    printer: &'a Printer,
    /// When the run began (the verification and the total are timed from here).
    started: Instant,
    file: PathBuf,
    connection: ConnectionSettings,
    target: String,
    /// An off-site backup: its URL, and the spool its download is in.
    remote: Option<(String, crate::remote::Spooled)>,
    /// The off-site object was damaged or could not be decrypted.
    refused: Option<Report>,
}

/// A step that may end the run with findings and nothing changed.
enum Checked<T> {
    Passed(T),
    Failed(Report),
}

/// Step 1's outcome: the file is sound, and how to read it.
struct VerifiedFile {
    verified: Verified,
    /// Found only for archives: reading SQL does not need it.
    pg_restore: Option<PathBuf>,
}

/// Step 2's outcome: the server, checked, with the connection the later
/// steps administer it through.
struct Server {
    psql: PathBuf,
    /// For archives: pg_restore new enough for the server and the dump.
    pg_restore: Option<PathBuf>,
    admin: Db,
    facts: ServerFacts,
}

/// The two names a run gives databases, free when chosen.
struct RunNames {
    /// `<target>_restoring_<ts>`, the database the restore goes into.
    restoring: String,
    /// `<target>_pre_restore_<ts>`, what the current target becomes.
    kept: String,
}

/// The load into the new database, done; what analyzing it needs.
struct LoadedBeside {
    job: LoadJob,
    load: FinishedLoad,
}

/// The new database, loaded and analyzed, with the rows the load counted.
struct RestoredBeside {
    db: Db,
    rows: LoadedRows,
}

/// What became of the previous database after the swap.
struct Previous {
    /// Where it is kept (`None`: there was none, or it was dropped).
    kept: Option<String>,
    /// Kept databases dropped for `keep_previous`.
    pruned: Vec<String>,
}

/// The target `--target` names, else the connection's database.
fn target_of(args: &RestoreArgs, connection: &ConnectionSettings) -> String {
    args.target
        .clone()
        .unwrap_or_else(|| connection.database.clone())
}

/// What to restore: a local file, or an off-site backup.
enum Chosen {
    Local(PathBuf),
    Remote(Box<crate::remote::Chosen>),
}

/// FILE, or with `--latest` the newest verified backup in the directory
/// (or in the off-site repository `--from` names).
fn choose_file(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<Chosen> {
    match (&args.file, args.latest) {
        (Some(_), true) => Err(UsageError::new("give either FILE or --latest, not both").into()),
        (Some(file), false) if crate::remote::is_remote(file) => Ok(Chosen::Remote(Box::new(
            crate::remote::named(ctx, &file.to_string_lossy())?,
        ))),
        (Some(file), false) => Ok(Chosen::Local(file.clone())),
        (None, true) if ctx.settings.from.is_some() && ctx.settings.dir.is_none() => {
            let repo = ctx
                .settings
                .from
                .clone()
                .ok_or_else(|| anyhow::anyhow!("no --from"))?;
            let target = target_of(args, &ctx.connection()?);
            let chosen = crate::remote::latest(ctx, &repo, &target)?;
            ctx.printer
                .status(&format!("latest verified backup: {}", chosen.url()));
            Ok(Chosen::Remote(Box::new(chosen)))
        }
        (None, true) => {
            let dir = ctx.settings.dir.clone().ok_or_else(|| {
                UsageError::new(
                    "--latest needs --dir DIR or --from s3://BUCKET/PREFIX (or dir/from in the [pg-restore] table of shipshape.toml)",
                )
            })?;
            let target = target_of(args, &ctx.connection()?);
            let file = latest_in(&dir, &target, &ctx.printer)?;
            ctx.printer
                .status(&format!("latest verified backup: {}", file.display()));
            Ok(Chosen::Local(file))
        }
        (None, false) => Err(UsageError::new(
            "name the backup FILE to restore, or use --latest --dir DIR",
        )
        .into()),
    }
}

impl<'a> Restore<'a> {
    /// Which file, which server, which target: usage errors come here,
    /// before anything is read.
    fn plan(ctx: &'a Context, args: &'a RestoreArgs) -> anyhow::Result<Self> {
        let started = Instant::now();
        let connection = ctx.connection()?;
        let target = target_of(args, &connection);
        check_target_name(&target)?;
        let (file, remote, refused) = match choose_file(ctx, args)? {
            Chosen::Local(file) => {
                if !file.exists() {
                    return Err(
                        UsageError::new(format!("{} does not exist", file.display())).into(),
                    );
                }
                (file, None, None)
            }
            Chosen::Remote(chosen) => match crate::remote::download(ctx, &chosen, &ctx.printer)? {
                Ok(spooled) => (spooled.path.clone(), Some((chosen.url(), spooled)), None),
                Err(report) => (PathBuf::from(chosen.url()), None, Some(report)),
            },
        };
        Ok(Self {
            ctx,
            args,
            printer: &ctx.printer,
            started,
            file,
            connection,
            target,
            remote,
            refused,
        })
    }

    /// The backup as the user named it (an off-site URL rather than the spool).
    fn shown(&self) -> String {
        match &self.remote {
            Some((url, _)) => url.clone(),
            None => self.file.display().to_string(),
        }
    }

    /// Findings that end the run before anything changed: exit 1.
    fn stop_unchanged(&self, report: &Report) -> anyhow::Result<ExitCode> {
        self.printer.report(report)?;
        Ok(ExitCode::Findings)
    }

    /// Step 1: read the whole file and check it against its manifest.
    fn verify_file(&self) -> anyhow::Result<Checked<VerifiedFile>> {
        let printer = self.printer;
        let file = &self.file;
        // pg_restore reads archives; for SQL it is not needed (and finding
        // it runs it once).
        let pg_restore = if crate::input::detect(file)?.is_sql() {
            None
        } else {
            Some(self.ctx.archive_reader(file)?.path)
        };
        printer.status(&format!("verifying {} …", file.display()));
        let verified = match verify::verify(file, pg_restore.as_deref(), printer)? {
            Outcome::Good(v) => *v,
            Outcome::Bad(diagnostic) => {
                let mut report = new_report();
                report.push(diagnostic);
                report.insert("file", file.display().to_string());
                report.insert("changed", false);
                return Ok(Checked::Failed(report));
            }
        };
        printer.detail(&format!(
            "verification took {}",
            shipshape_core::human::duration(self.started.elapsed())
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
        Ok(Checked::Passed(VerifiedFile {
            verified,
            pg_restore,
        }))
    }

    /// Step 2: the server, its version and the privileges the run needs;
    /// warnings are shown, errors end the run.
    fn check_server(&self, file: &VerifiedFile) -> anyhow::Result<Checked<Server>> {
        let settings = &self.ctx.settings;
        let mut admin = Db::connect(&self.connection.maintenance())?;
        let intent = Intent {
            no_owner: settings.no_owner,
            no_privileges: settings.no_privileges,
            in_place: self.args.in_place,
        };
        let facts = server::check(
            &mut admin,
            &self.target,
            &file.verified,
            intent,
            &settings.owner_map,
        )?;
        if facts.has_errors() {
            let mut report = new_report();
            for d in file.verified.notes.iter().chain(&facts.diagnostics) {
                report.push(d.clone());
            }
            report.insert("file", self.shown());
            report.insert("target", &self.target);
            report.insert("changed", false);
            return Ok(Checked::Failed(report));
        }
        for d in &facts.diagnostics {
            match d.severity {
                shipshape_core::Severity::Warning => self.printer.warning(&format!(
                    "{}{}",
                    d.message,
                    d.help
                        .as_ref()
                        .map(|h| format!("\n  help: {h}"))
                        .unwrap_or_default()
                )),
                _ => self.printer.status(&format!("note: {}", d.message)),
            }
        }
        let (psql, pg_restore) = self.clients(file, &facts)?;
        Ok(Checked::Passed(Server {
            psql,
            pg_restore,
            admin,
            facts,
        }))
    }

    /// Step 2, continued: psql (and pg_restore for an archive) new enough
    /// for the server and the dump, and a psql that knows `\restrict` when
    /// the SQL it is fed has it; refused here, before anything changed.
    fn clients(
        &self,
        file: &VerifiedFile,
        facts: &ServerFacts,
    ) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
        let info = &file.verified.info;
        let manifest_version = file
            .verified
            .manifest
            .as_ref()
            .map(|m| m.pg_dump_version.as_str());
        // psql loads SQL of an older or newer pg_dump alike (into an older
        // server too: the supported downgrade path); pg_restore refuses
        // archives of a newer pg_dump.
        let server = programs::Needs::server(facts.server_major);
        let psql = self.ctx.program("psql", server)?;
        let pg_restore = match file.pg_restore {
            Some(_) => Some(self.ctx.program(
                "pg_restore",
                server.with_dump_version(info.dumped_by.as_deref().or(manifest_version)),
            )?),
            None => None,
        };
        // What psql reads: the dump itself, or for an archive that needs
        // the SQL filter, pg_restore's output (which has `\restrict` when
        // that pg_restore knows it).
        let filtered = !self.ctx.settings.owner_map.is_empty() || facts.drop_transaction_timeout;
        let psql_sees_restrict = match &pg_restore {
            None => info.restrict,
            Some(p) => filtered && programs::knows_restrict(&p.version),
        };
        if psql_sees_restrict {
            programs::check_restrict(&psql, info.dumped_by.as_deref())?;
        }
        Ok((psql.path, pg_restore.map(|p| p.path)))
    }

    /// Step 3: the cross-tool advisory lock on the target.
    fn lock(&self) -> anyhow::Result<DatabaseLock> {
        self.ctx.lock(&self.connection, &self.target)
    }

    /// Names carry the time to the second: a second run within the same
    /// second waits for the next one rather than collide.
    fn free_names(&self, admin: &mut Db) -> anyhow::Result<RunNames> {
        let mut attempt = 0;
        loop {
            let ts = names::timestamp(chrono::Utc::now());
            let restoring = names::name(&self.target, RESTORING, &ts);
            let kept = names::name(&self.target, PRE_RESTORE, &ts);
            if !admin.database_exists(&restoring)? && !admin.database_exists(&kept)? {
                return Ok(RunNames { restoring, kept });
            }
            attempt += 1;
            if attempt > 3 {
                anyhow::bail!(
                    "databases \"{restoring}\" or \"{kept}\" already exist; drop them or run again later"
                );
            }
            std::thread::sleep(Duration::from_millis(400));
        }
    }

    /// Step 4: show what will happen and ask (or require `--yes`).
    fn confirm(
        &self,
        file: &VerifiedFile,
        server: &Server,
        names: &RunNames,
    ) -> anyhow::Result<()> {
        let (target, verified) = (&self.target, &file.verified);
        let mut lines = vec![
            format!(
                "  file:     {} ({}, {}, {})",
                self.file.display(),
                verified.kind.describe(),
                human_bytes(verified.size),
                age(verified.modified)
            ),
            format!(
                "  server:   {} (PostgreSQL {})",
                self.connection.target(),
                server.facts.server_version
            ),
        ];
        match &server.facts.target {
            Some(t) => {
                lines.push(format!(
                    "  target:   \"{target}\" ({} now) will be REPLACED",
                    human_bytes(t.size_bytes)
                ));
                lines.push(if self.args.drop_previous {
                    "  previous: dropped after a successful swap (--drop-previous)".to_owned()
                } else {
                    format!(
                        "  previous: kept as \"{}\" (pg-restore rollback puts it back)",
                        names.kept
                    )
                });
            }
            None => lines.push(format!(
                "  target:   \"{target}\" does not exist yet and will be created"
            )),
        }
        if self.args.in_place {
            lines.push("  mode:     --in-place: a safety backup is taken, then the target is DROPPED and recreated".into());
        }
        shipshape_core::prompt::confirm_name(
            self.printer,
            self.args.yes,
            &format!("restore into \"{target}\""),
            target,
            &lines,
        )?;
        shipshape_core::interrupt::check()?;
        Ok(())
    }

    /// How to load `file` into `database`.
    fn load_job(
        &self,
        file: &VerifiedFile,
        server: &Server,
        database: &str,
        analyze_early: bool,
        hold_autovacuum: bool,
    ) -> LoadJob {
        let settings = &self.ctx.settings;
        LoadJob {
            path: file.verified.path.clone(),
            kind: file.verified.kind,
            sha256: file.verified.sha256.clone(),
            size: file.verified.size,
            modified: file.verified.modified,
            settings: self.connection.with_database(database),
            psql: server.psql.clone(),
            pg_restore: server.pg_restore.clone(),
            jobs: settings.jobs,
            filter: FilterOptions {
                drop_transaction_timeout: server.facts.drop_transaction_timeout,
                drop_statistics: server.facts.drop_statistics,
                no_owner: settings.no_owner,
                no_privileges: settings.no_privileges,
                owner_map: settings.owner_map.clone(),
            },
            analyze_early,
            hold_autovacuum,
            early: std::sync::Arc::new(crate::early::Plan::from_dump(&file.verified.info)),
        }
    }

    /// Step 5a: the new database, created like the target, dropped again
    /// unless the swap succeeds.
    fn create_beside(
        &self,
        server: &mut Server,
        names: &RunNames,
    ) -> anyhow::Result<PartialDatabase> {
        dbops::create_like(
            &mut server.admin,
            &names.restoring,
            server.facts.target.as_ref(),
        )?;
        Ok(PartialDatabase {
            settings: self.connection.clone(),
            name: Some(names.restoring.clone()),
            printer: self.printer.clone(),
        })
    }

    /// Step 5b: load the file into the new database; a failed load drops it
    /// and ends the run with the failing statement.
    fn load_beside(
        &self,
        file: &VerifiedFile,
        server: &mut Server,
        names: &RunNames,
        partial: &mut PartialDatabase,
    ) -> anyhow::Result<LoadedBeside> {
        let printer = self.printer;
        printer.status(&format!("restoring into \"{}\" …", names.restoring));
        let analyze_early = match &server.facts.target {
            Some(_) => !dbops::sets_statistics_target(&mut server.admin, &self.target)?,
            None => true,
        };
        let job = self.load_job(file, server, &names.restoring, analyze_early, true);
        let step = Instant::now();
        let loaded = load::load(&job, printer)?;
        printer.detail(&format!(
            "load took {}",
            shipshape_core::human::duration(step.elapsed())
        ));
        match loaded {
            Ok(load) => Ok(LoadedBeside { job, load }),
            Err(failure) => {
                partial.discard();
                Err(self.load_failed(&failure))
            }
        }
    }

    /// The error of a failed load: where in the dump, and what.
    fn load_failed(&self, failure: &LoadFailure) -> anyhow::Error {
        let (file, target) = (self.file.display(), &self.target);
        let mut message = match failure.line {
            Some(line) => format!(
                "the restore failed at line {line} of {file}: {}",
                failure.message
            ),
            None => format!("the restore of {file} failed: {}", failure.message),
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
        d.file = Some(file.to_string());
        d.line = failure.line.and_then(|l| u32::try_from(l).ok());
        let mut report = new_report();
        report.push(d);
        report.insert("target", target);
        report.insert("changed", false);
        ReportedFailure::runtime(report).into()
    }

    /// Step 5c: the target's database-level settings copied, then `ANALYZE`
    /// (of what the load did not analyze already).
    fn analyze_beside(
        &self,
        server: &mut Server,
        names: &RunNames,
        loaded: LoadedBeside,
    ) -> anyhow::Result<RestoredBeside> {
        let printer = self.printer;
        shipshape_core::interrupt::check()?;
        let mut db = Db::connect(&self.connection.with_database(&names.restoring))?;
        if server.facts.target.is_some() {
            let copied =
                dbops::copy_database_properties(&mut server.admin, &self.target, &names.restoring)?;
            if !copied.is_empty() {
                printer.detail(&format!(
                    "copied from \"{}\": {}",
                    self.target,
                    copied.join(", ")
                ));
            }
        }
        let step = Instant::now();
        printer.status("analyzing …");
        let LoadedBeside { job, load } = loaded;
        crate::parallel::analyze(&job, &mut db, &load.analyzed)?;
        load.autovacuum.resume(&mut db)?;
        printer.detail(&format!(
            "ANALYZE took {}",
            shipshape_core::human::duration(step.elapsed())
        ));
        Ok(RestoredBeside {
            db,
            rows: load.rows,
        })
    }

    /// Step 6: every table with the backup's row count; a mismatch drops
    /// the new database and ends the run. Returns how many tables were
    /// checked.
    fn sanity_check(
        &self,
        file: &VerifiedFile,
        restored: RestoredBeside,
        partial: &mut PartialDatabase,
    ) -> anyhow::Result<usize> {
        let printer = self.printer;
        let RestoredBeside { mut db, rows } = restored;
        let step = Instant::now();
        if !rows.is_empty() {
            printer.detail(&format!(
                "row counts of {} table(s) from the server's COPY results",
                rows.len()
            ));
        }
        let checked = compare_row_counts(&mut db, &file.verified, &rows)?;
        printer.detail(&format!(
            "sanity check took {}",
            shipshape_core::human::duration(step.elapsed())
        ));
        db.close();
        match checked {
            Ok(tables) => {
                shipshape_core::interrupt::check()?;
                Ok(tables)
            }
            Err(problems) => {
                partial.discard();
                let mut report = new_report();
                for p in problems {
                    report.push(p);
                }
                report.insert("target", &self.target);
                report.insert("changed", false);
                Err(ReportedFailure::runtime(report).into())
            }
        }
    }

    /// Step 7: the hooks around the swap of names. Returns how many of the
    /// target's sessions were terminated.
    fn swap(
        &self,
        server: &mut Server,
        names: &RunNames,
        mut partial: PartialDatabase,
    ) -> anyhow::Result<u64> {
        let (printer, settings, target) = (self.printer, &self.ctx.settings, &self.target);
        let hook_env = [
            ("PG_RESTORE_TARGET", target.as_str()),
            ("PG_RESTORE_NEW", names.restoring.as_str()),
            ("PG_RESTORE_PREVIOUS", names.kept.as_str()),
        ];
        if let Some(cmd) = &settings.pre_swap {
            printer.status(&format!("running the pre-swap hook: {cmd}"));
            if let Err(err) = crate::hooks::run("pre-swap", cmd, &hook_env) {
                // Whatever the hook stopped should come back: run post-swap anyway.
                if let Some(post) = &settings.post_swap {
                    let _ = crate::hooks::run("post-swap", post, &hook_env);
                }
                return Err(err.context(format!("nothing was swapped; \"{target}\" is unchanged")));
            }
        }
        let swapped = match &server.facts.target {
            Some(t) => crate::swap::swap(
                &mut server.admin,
                target,
                &names.restoring,
                &names.kept,
                t.allow_connections,
                Duration::from_secs(settings.terminate_timeout_seconds),
            )
            .map(|s| {
                if let Some(w) = &s.warning {
                    printer.warning(w);
                }
                s.terminated
            }),
            None => dbops::rename(&mut server.admin, &names.restoring, target).map(|()| 0),
        };
        let post = settings.post_swap.as_ref().map(|cmd| {
            printer.status(&format!("running the post-swap hook: {cmd}"));
            crate::hooks::run("post-swap", cmd, &hook_env)
        });
        let terminated = swapped?;
        partial.disarm();
        if let Some(Err(err)) = post {
            printer.warning(&format!("{err:#}; the restore itself succeeded"));
        }
        Ok(terminated)
    }

    /// Step 8a: `--drop-previous`, else pruning to `keep_previous` when it
    /// is configured.
    fn retire_previous(&self, server: &mut Server, names: &RunNames) -> anyhow::Result<Previous> {
        let (printer, settings, admin) = (self.printer, &self.ctx.settings, &mut server.admin);
        let mut previous = server.facts.target.as_ref().map(|_| names.kept.clone());
        if self.args.drop_previous
            && let Some(kept) = previous.take()
        {
            dbops::drop_database(admin, &kept)?;
            printer.status(&format!(
                "dropped the previous database \"{kept}\" (--drop-previous)"
            ));
        }
        let mut pruned = Vec::new();
        if previous.is_some() && settings.keep_previous_configured {
            let all = dbops::list_databases(admin)?;
            let kept_list =
                super::kept_databases(&all, &self.target, &[PRE_RESTORE, names::ROLLED_BACK]);
            for (_, name) in kept_list.iter().skip(settings.keep_previous) {
                dbops::drop_database(admin, name)?;
                printer.status(&format!(
                    "dropped \"{name}\" (keep_previous = {})",
                    settings.keep_previous
                ));
                pruned.push(name.clone());
            }
            if previous.as_ref().is_some_and(|p| pruned.contains(p)) {
                previous = None;
            }
        }
        Ok(Previous {
            kept: previous,
            pruned,
        })
    }

    /// Step 8b: what was restored, how long it took, where the previous
    /// database lives and how to roll back.
    fn report_success(
        &self,
        file: &VerifiedFile,
        terminated: u64,
        tables_checked: usize,
        previous: &Previous,
    ) -> anyhow::Result<ExitCode> {
        let (printer, target) = (self.printer, &self.target);
        let elapsed = self.started.elapsed();
        let mut report = new_report();
        for d in &file.verified.notes {
            report.push(d.clone());
        }
        let shown = self.shown();
        let summary = match &previous.kept {
            Some(kept) => format!(
                "restored {shown} into \"{target}\" in {} ({} session(s) terminated); the previous database is kept as \"{kept}\"",
                shipshape_core::human::duration(elapsed),
                terminated
            ),
            None => format!(
                "restored {shown} into \"{target}\" in {}",
                shipshape_core::human::duration(elapsed)
            ),
        };
        let rollback = previous
            .kept
            .as_ref()
            .map(|_| format!("pg-restore rollback --target {}", shell_quote(target)));
        report.insert("file", self.shown());
        report.insert("kind", file.verified.kind);
        report.insert("target", target);
        report.insert("previous", &previous.kept);
        report.insert("terminated_sessions", terminated);
        report.insert(
            "duration_seconds",
            (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        );
        report.insert("tables_checked", tables_checked);
        report.insert("pruned", &previous.pruned);
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
}

/// Every table the backup has data for exists, with the rows the backup
/// says: exactly the manifest's snapshot counts when it has them, else the
/// COPY rows in the dump. The restored side comes from the load's COPY
/// results where it has them (the server's own count of the rows each COPY
/// stored, so a large restore is not read a second time), else from
/// `count(*)`.
fn compare_row_counts(
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
