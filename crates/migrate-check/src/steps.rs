//! A run, step by step, in the order docs/migrate-check.md lists the checks:
//!
//! 1. [`read_migrations`] and [`prerequisites`]: the files parse, the
//!    server is reachable, the user may create databases, the tool runs;
//! 2. [`history`]: versions, heads and downs, without a database;
//! 3. [`in_throwaway`]: create the throwaway database, run upgrade,
//!    stairway, reset, drift and locks in it (`crate::run_dynamic`), drop it;
//! 4. [`report`]: JUnit, the report in the chosen format, the exit code.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::Context as _;
use shipshape_core::{ExitCode, Printer};
use shipshape_pg::schema_snapshot::BOOKKEEPING_TABLES;
use shipshape_pg::{ConnectionSettings, Db};

use crate::checks::{self, Check};
use crate::driver::{ApplyError, ChildEnv, Driver};
use crate::findings::{DYNAMIC, Findings};
use crate::layout::{self, Layout, Loaded, Problem};
use crate::session::{self, Session};
use crate::throwaway::Throwaway;
use crate::{Cli, Plan, usage};

/// Step 1a: read the migrations (a problem in a file is a finding; a
/// directory that cannot be read is an error).
pub fn read_migrations(plan: &Plan, printer: &Printer) -> anyhow::Result<Loaded> {
    let dir = &plan.dir;
    let loaded = match plan.layout {
        Layout::Updown => layout::updown::load(dir),
        Layout::Dbmate => layout::dbmate::load(dir),
        Layout::Diesel => layout::diesel::load(dir),
        Layout::Alembic => layout::alembic::load(dir),
        Layout::Command => Ok(Loaded::default()),
    }
    .with_context(|| format!("reading migrations in {}", dir.display()))?;
    if loaded.migrations.is_empty() && plan.layout != Layout::Command {
        printer.warning(&format!(
            "no {} migrations found in {}; is this the right directory?",
            plan.layout,
            dir.display()
        ));
    }
    printer.detail(&format!(
        "migrate-check: {} migrations ({}) in {}",
        loaded.migrations.len(),
        plan.layout,
        dir.display()
    ));
    Ok(loaded)
}

/// Where the stairway starts: `--from VERSION`, else the first migration.
pub fn stairway_start(cli: &Cli, loaded: &Loaded) -> anyhow::Result<usize> {
    let Some(from) = &cli.from else {
        return Ok(0);
    };
    loaded
        .migrations
        .iter()
        .position(|m| &m.version == from || &m.id == from)
        .ok_or_else(|| usage(format!("--from {from}: no migration has that version")))
}

/// How this layout's migrations are applied.
pub fn driver(plan: &Plan, loaded: &Loaded) -> Driver {
    match plan.layout {
        Layout::Alembic => Driver::Alembic {
            program: plan.alembic_command.clone(),
            root: loaded
                .alembic_root
                .clone()
                .unwrap_or_else(|| plan.dir.clone()),
        },
        Layout::Command => Driver::Command {
            up: plan.config.up_command.clone().unwrap_or_default(),
            down: plan.config.down_command.clone().unwrap_or_default(),
            current: plan.config.current_command.clone().unwrap_or_default(),
            root: plan.dir.clone(),
        },
        _ => Driver::Sql,
    }
}

/// Step 1b: the server (reachable, CREATEDB, the template; or, in place, an
/// empty database confirmed by name) and the migration tool (`alembic
/// heads`). Returns the admin connection and the problems found.
pub fn prerequisites(
    cli: &Cli,
    printer: &Printer,
    plan: &Plan,
    server: &ConnectionSettings,
    driver: &Driver,
    mut problems: Vec<Problem>,
) -> anyhow::Result<(Db, Vec<Problem>)> {
    let mut admin = Db::connect(server).with_context(|| {
        format!(
            "connecting to the server at {} ({})",
            server.target(),
            server.source
        )
    })?;
    if cli.in_place {
        crate::confirm_in_place(cli, printer, server)?;
        crate::require_empty(&mut admin)?;
    } else {
        problems.extend(checks::prerequisites::server(&mut admin, &plan.template)?);
    }
    if let (Driver::Alembic { program, root }, true) = (driver, problems.is_empty()) {
        let env = child_env(plan, server.clone());
        match checks::prerequisites::alembic(&env, program, root) {
            Ok(more) => problems.extend(more),
            Err(ApplyError::Runtime(err)) => return Err(err),
            Err(ApplyError::Interrupted(i)) => return Err(i.into()),
            Err(ApplyError::Failed(f)) => return Err(anyhow::anyhow!(f.message)),
        }
    }
    Ok((admin, problems))
}

/// The environment migration commands run with, connected as `settings`.
fn child_env(plan: &Plan, settings: ConnectionSettings) -> ChildEnv {
    ChildEnv {
        settings,
        extra: plan.config.env.clone(),
        pass_env: plan.config.pass_env.clone(),
        timeout: plan.timeout,
    }
}

/// Step 2: the history, without a database. Returns its problems.
pub fn history(plan: &Plan, loaded: &Loaded, findings: &mut Findings) -> Vec<Problem> {
    let problems = checks::history::check(
        &loaded.migrations,
        plan.layout,
        &plan.detected,
        &plan.irreversible,
    );
    findings.passed(
        Check::History,
        format!("{} migrations", loaded.migrations.len()),
    );
    problems
}

/// Why the dynamic checks do not run, if they do not.
pub fn dynamic_skip_reason(
    plan: &Plan,
    loaded: &Loaded,
    problems: &[Problem],
) -> Option<&'static str> {
    if problems.iter().any(|p| p.check == Check::Prerequisites) {
        Some("skipped: prerequisites failed")
    } else if plan.layout == Layout::Alembic && layout::alembic::heads(&loaded.migrations).len() > 1
    {
        Some("skipped: the revision graph has several heads")
    } else if !DYNAMIC.iter().any(|c| plan.selected.contains(c)) {
        Some("not selected")
    } else {
        None
    }
}

/// What the throwaway database step leaves for the report.
#[derive(Default)]
pub struct ThrowawayRun {
    pub name: Option<String>,
    /// The name when `--keep` kept it.
    pub kept: Option<String>,
    /// The `command` layout discovers its migrations in the database.
    pub migration_count: Option<usize>,
}

/// What step 3 needs from the earlier steps.
pub struct DynamicInput<'a> {
    pub cli: &'a Cli,
    pub printer: &'a Printer,
    pub plan: &'a Plan,
    pub server: &'a ConnectionSettings,
    pub loaded: &'a Loaded,
    pub stairway_start: usize,
    pub compare_to: Option<&'a ConnectionSettings>,
}

/// Step 3: create the throwaway database (after sweeping stale ones), run
/// the dynamic checks in it, and drop it — also after a failure; after
/// Ctrl-C before returning.
pub fn in_throwaway(
    input: &DynamicInput<'_>,
    mut admin: Db,
    driver: Driver,
    findings: &mut Findings,
) -> anyhow::Result<ThrowawayRun> {
    let DynamicInput {
        cli,
        printer,
        plan,
        server,
        loaded,
        ..
    } = *input;
    sweep_stale(&mut admin, printer);
    let throwaway = create_throwaway(cli, printer, plan, server, &mut admin)?;
    admin.close();
    let mut run = ThrowawayRun {
        name: Some(throwaway.name.clone()),
        ..ThrowawayRun::default()
    };
    let db = Db::connect(&throwaway.settings())
        .with_context(|| format!("connecting to the throwaway database {}", throwaway.name))?;
    // Alembic runs with a copy of alembic.ini that names the throwaway
    // database, kept until the end of the run.
    let (driver, _alembic_ini) = private_alembic_ini(driver, loaded, &throwaway, plan)?;
    for check in DYNAMIC {
        if plan.selected.contains(&check) {
            findings.result(check).detail = String::new();
        }
    }
    let mut session = Session {
        migrations: loaded.migrations.clone(),
        driver,
        env: child_env(plan, throwaway.settings()),
        throwaway,
        db,
        ignored: ignored_relations(plan),
        selected: plan.selected.clone(),
        irreversible: irreversible_versions(plan, loaded),
        strict_locks: plan.strict_locks,
        findings,
        canceller: session::Canceller::start(server.clone()),
        attributed: BTreeSet::new(),
        progress: shipshape_core::Progress::steps(printer, loaded.migrations.len() as u64),
        version_table: plan.config.version_table.clone(),
        discovering: false,
    };
    session.canceller.watch(&mut session.db);
    let outcome = crate::run_dynamic(&mut session, Some(input.stairway_start), input.compare_to);
    let Session {
        throwaway,
        db,
        progress,
        migrations,
        ..
    } = session;
    // Cleared before the throwaway database's fate is printed.
    drop(progress);
    run.migration_count = Some(migrations.len());
    db.close();
    run.kept = end_throwaway(cli, printer, throwaway, outcome)?;
    Ok(run)
}

/// Leftovers of killed runs go first; a failure to look is only a warning.
fn sweep_stale(admin: &mut Db, printer: &Printer) {
    match crate::throwaway::sweep(admin) {
        Ok((dropped, warnings)) => {
            for name in dropped {
                printer.status(&format!(
                    "dropped stale throwaway database {name} (older than an hour)"
                ));
            }
            for warning in warnings {
                printer.warning(&warning);
            }
        }
        Err(err) => printer.warning(&format!(
            "could not look for stale throwaway databases: {err}"
        )),
    }
}

fn create_throwaway(
    cli: &Cli,
    printer: &Printer,
    plan: &Plan,
    server: &ConnectionSettings,
    admin: &mut Db,
) -> anyhow::Result<Throwaway> {
    if cli.in_place {
        printer.status(&format!(
            "checking in place in database {}",
            server.database
        ));
        return Ok(Throwaway::existing(server, cli.keep));
    }
    let created = Throwaway::create(admin, &plan.template, cli.keep)
        .with_context(|| format!("creating a throwaway database on {}", server.target()))?;
    // Noise in CI; the name matters when it is kept or asked for.
    let line = format!("throwaway database: {}", created.name);
    if cli.keep {
        printer.status(&line);
    } else {
        printer.detail(&line);
    }
    Ok(created)
}

/// For Alembic with an ini file: `-c` with a private copy naming the
/// throwaway database (no password); the directory lives as long as the
/// returned guard.
fn private_alembic_ini(
    driver: Driver,
    loaded: &Loaded,
    throwaway: &Throwaway,
    plan: &Plan,
) -> anyhow::Result<(Driver, Option<tempfile::TempDir>)> {
    let (mut program, root, ini) = match (driver, &loaded.alembic_ini) {
        (Driver::Alembic { program, root }, Some(ini)) => (program, root, ini),
        (other, _) => return Ok((other, None)),
    };
    let mut env = child_env(plan, throwaway.settings());
    env.extra = Default::default();
    let (dir, copy) = layout::alembic::throwaway_ini(ini, &env.public_url())
        .with_context(|| format!("copying {} for the throwaway database", ini.display()))?;
    program.push("-c".to_owned());
    program.push(copy.display().to_string());
    Ok((Driver::Alembic { program, root }, Some(dir)))
}

/// Bookkeeping tables of the common tools, and the configured `ignore`.
fn ignored_relations(plan: &Plan) -> Vec<String> {
    let mut ignored: Vec<String> = BOOKKEEPING_TABLES.iter().map(|s| (*s).to_owned()).collect();
    ignored.extend(plan.config.ignore.iter().cloned());
    ignored
}

/// `irreversible` may name versions or ids; the checks compare versions.
fn irreversible_versions(plan: &Plan, loaded: &Loaded) -> BTreeSet<String> {
    let mut irreversible = plan.irreversible.clone();
    for m in &loaded.migrations {
        if plan.irreversible.contains(&m.id) {
            irreversible.insert(m.version.clone());
        }
    }
    irreversible
}

/// Keep (`--keep`, when all went well) or drop the throwaway database, and
/// turn the dynamic checks' outcome into this step's: the kept name, or the
/// error that ends the run.
fn end_throwaway(
    cli: &Cli,
    printer: &Printer,
    mut throwaway: Throwaway,
    outcome: Result<(), ApplyError>,
) -> anyhow::Result<Option<String>> {
    // Ctrl-C cancels whatever statement was running, and that statement
    // (a snapshot, a lock probe) then fails: the run was interrupted, not
    // broken.
    let failure = match outcome {
        Ok(()) => None,
        Err(_) if shipshape_core::interrupt::requested() => {
            Some(shipshape_core::Interrupted.into())
        }
        Err(ApplyError::Interrupted(i)) => Some(i.into()),
        Err(ApplyError::Runtime(err)) => Some(err),
        Err(ApplyError::Failed(f)) => Some(anyhow::anyhow!(f.message)),
    };
    if cli.keep && failure.is_none() {
        throwaway.keep = true;
        return Ok(Some(throwaway.name.clone()));
    }
    if let Some(err) = throwaway.drop_now() {
        printer.warning(&format!(
            "could not drop throwaway database {}: {err}; drop it by hand with DROP DATABASE {} WITH (FORCE)",
            throwaway.name, throwaway.name
        ));
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(None),
    }
}

/// What step 4 reports besides the findings.
pub struct Summary<'a> {
    pub plan: &'a Plan,
    pub migration_count: usize,
    pub throwaway: ThrowawayRun,
    pub started: Instant,
}

/// Step 4: JUnit, the report in the chosen format, and the kept database's
/// name on stdout for scripts.
pub fn report(
    cli: &Cli,
    printer: &Printer,
    mut findings: Findings,
    summary: &Summary<'_>,
) -> anyhow::Result<ExitCode> {
    findings.explain_skips();
    let failed = findings.any_failed();
    let Findings {
        mut report,
        results,
    } = findings;
    let plan = summary.plan;
    report.insert("directory", plan.dir.display().to_string());
    report.insert("layout", plan.layout.name());
    report.insert("migrations", summary.migration_count);
    report.insert("database", &summary.throwaway.kept);
    report.insert("throwaway_database", &summary.throwaway.name);
    report.insert("duration_ms", checks::millis(summary.started.elapsed()));
    report.insert("checks", &results);
    if failed {
        report.failed = true;
    }
    report.fail_on_warnings(plan.strict);
    if let Some(path) = &cli.junit {
        crate::junit::write(path, &results)?;
    }
    crate::output::print(
        printer,
        &report,
        &results,
        &plan.dir,
        plan.layout,
        summary.migration_count,
    )?;
    if let Some(name) = &summary.throwaway.kept {
        printer.status(&format!("kept the throwaway database: {name}"));
        // The bare name on stdout for scripts; JSON and SARIF carry it in
        // the document (`database`) and must stay one parseable document.
        if printer.format() == shipshape_core::OutputFormat::Human {
            printer.data(&format!("{name}\n"))?;
        }
    }
    Ok(report.exit_code())
}
