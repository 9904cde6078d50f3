//! `migrate-check`: prove that every migration applies and reverses cleanly,
//! on a throwaway database, with object-level schema diffs.
//!
//! The run: read the migrations ([`layout`]), check what can be checked
//! without a database (`prerequisites`, `history`), create a throwaway
//! database ([`throwaway`]), apply every migration with the stairway
//! (up, down, up) around each, reset to base and back, optionally compare
//! head with an existing database, and drop the throwaway database again —
//! also on failure and Ctrl-C.

mod checks;
mod command;
mod config;
mod driver;
mod findings;
mod guard;
mod junit;
mod layout;
mod output;
mod session;
mod sql;
mod steps;
mod throwaway;
mod wording;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use shipshape_core::config as core_config;
use shipshape_core::{
    Diagnostic, ExitCode, FileSelection, GlobalArgs, Printer, RuleDocs, RuleSelection, Selection,
    UsageError,
};
use shipshape_pg::{ConnectionArgs, ConnectionSettings, Db};

use crate::checks::{Check, Status};
use crate::config::Config;
use crate::driver::{ApplyError, Driver};
use crate::findings::Findings;
use crate::layout::{Layout, Loaded};
use crate::session::Session;

const EXAMPLES: &str = "Examples:
  migrate-check migrations/
  migrate-check --layout dbmate db/migrations --junit target/migrate-check.xml
  migrate-check --select history,stairway --from 20240311080000
  migrate-check --compare-to \"$PRODUCTION_READONLY_URL\" --format json
  DATABASE_URL=postgres://postgres@localhost/postgres migrate-check --keep alembic/";

const CHECKS_HELP: &str = "Checks (in order):
  prerequisites  files parse, server reachable, user may create databases, tool runs
  history        unique ordered versions, one head, a down for every up
  upgrade        every up applies from an empty database to head (timed)
  stairway       each down restores the schema before its up; up again gives the same schema
  reset          down to base gives the empty schema; up to head gives the same schema again
  drift          head equals an existing database (--compare-to URL, read-only)
  locks          hints: tables each up locks ACCESS EXCLUSIVE or rewrites";

/// Prove that migrations apply and reverse cleanly on a throwaway database.
///
/// The connection settings name a server and a maintenance database; every
/// check runs in a throwaway database created there (migrate_check_<random>)
/// and dropped at the end, also on failure and Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "migrate-check", version, about, long_about = None, styles = shipshape_core::cli::styles(),
    after_help = format!("{CHECKS_HELP}\n\n{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Migrations directory [default: `dir` in config, else migrations/, else db/migrations/, else the script location of ./alembic.ini]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Migration layout [default: detected from the files]
    #[arg(long, value_enum, env = "MIGRATE_CHECK_LAYOUT", value_name = "NAME")]
    pub layout: Option<Layout>,

    // --select, --ignore: which checks run; --strict: warnings fail (docs/output.md).
    #[command(flatten)]
    pub rules: RuleSelection,

    #[command(flatten)]
    pub docs: RuleDocs,

    /// Start the stairway at this version (earlier migrations are only applied)
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,

    /// Keep the throwaway database at the end and print its name
    #[arg(long)]
    pub keep: bool,

    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Compare the schema at head with this database (read-only): the drift check
    #[arg(
        long,
        value_name = "URL",
        env = "MIGRATE_CHECK_COMPARE_TO",
        hide_env_values = true
    )]
    pub compare_to: Option<String>,

    /// Template for the throwaway database [default: template0]
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,

    /// Make lock and rewrite hints errors (--strict alone fails on rewrites, which are warnings, not on lock hints)
    #[arg(long)]
    pub strict_locks: bool,

    /// Seconds a migration command (alembic, up/down commands) may run [default: 600]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Run the checks in the (empty) database named by --database-url instead of a throwaway one
    #[arg(long, requires = "allow_destructive")]
    pub in_place: bool,

    /// Allow --in-place to run downs and re-create objects in that database
    #[arg(long)]
    pub allow_destructive: bool,

    /// Do not ask for the database name (--in-place without a terminal)
    #[arg(long)]
    pub yes: bool,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// The resolved settings of a run.
pub struct Plan {
    dir: PathBuf,
    layout: Layout,
    detected: Vec<Layout>,
    selected: BTreeSet<Check>,
    irreversible: BTreeSet<String>,
    template: String,
    alembic_command: Vec<String>,
    config: Config,
    timeout: Duration,
    strict_locks: bool,
    /// `--strict`: warnings fail the run.
    strict: bool,
}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError::new(message).into()
}

/// The checks `--select`/`--ignore` (and `select`, `skip` in the config)
/// leave to run; drift only with `--compare-to`.
fn selected_checks(cli: &Cli, selection: &Selection) -> anyhow::Result<BTreeSet<Check>> {
    let mut selected: BTreeSet<Check> = Check::ALL
        .into_iter()
        .filter(|c| selection.enabled(c.name()))
        .collect();
    if cli.compare_to.is_none() {
        let asked = selection
            .select
            .as_ref()
            .is_some_and(|s| s.contains(Check::Drift.name()));
        if asked {
            return Err(usage("the drift check needs --compare-to URL"));
        }
        selected.remove(&Check::Drift);
    }
    if selected.is_empty() {
        return Err(usage("--select/--ignore leave no check to run"));
    }
    Ok(selected)
}

fn resolve_dir(cli: &Cli, config: &Config, config_file: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = cli.dir.clone() {
        return Ok(dir);
    }
    if let Some(dir) = config.dir.as_deref() {
        // Relative to the configuration file, like every path in it.
        return Ok(core_config::relative_to_file(Path::new(dir), config_file));
    }
    // migrations/ (most tools), db/migrations/ (dbmate's default).
    for default in ["migrations", "db/migrations"] {
        if Path::new(default).is_dir() {
            return Ok(PathBuf::from(default));
        }
    }
    if Path::new("alembic.ini").is_file() {
        return Ok(PathBuf::from("."));
    }
    Err(usage(
        "no migrations directory: pass DIR, set `dir` in [migrate-check], or run where migrations/, db/migrations/ or alembic.ini is",
    ))
}

fn plan(cli: &Cli, config: Config, config_file: Option<&Path>) -> anyhow::Result<Plan> {
    let dir = resolve_dir(cli, &config, config_file)?;
    if !dir.is_dir() {
        return Err(usage(format!(
            "{} is not a directory; pass the directory holding the migrations",
            dir.display()
        )));
    }
    let detected = layout::detect(&dir);
    let configured = match &config.layout {
        Some(name) => Some(Layout::parse(name).ok_or_else(|| {
            usage(format!(
                "layout = \"{name}\" in [migrate-check] is not one of updown, dbmate, diesel, alembic, command"
            ))
        })?),
        None => None,
    };
    let layout = match cli.layout.or(configured) {
        Some(layout) => layout,
        None => *detected.first().ok_or_else(|| {
            usage(format!(
                "cannot tell the migration layout of {}: no *.up.sql/*.down.sql, dbmate -- migrate:up files, diesel folders or alembic.ini found\n  hint: choose one with --layout updown|dbmate|diesel|alembic|command",
                dir.display()
            ))
        })?,
    };
    let select = config.select.as_ref().or(config.only.as_ref());
    let selection = cli.rules.resolve(
        &checks::RULES,
        FileSelection {
            select: select.map(Vec::as_slice),
            ignore: &config.skip,
            strict: config.strict,
            path: config_file,
            table: "migrate-check",
        },
    )?;
    let selected = selected_checks(cli, &selection)?;
    if layout == Layout::Command
        && (config.up_command.is_none()
            || config.down_command.is_none()
            || config.current_command.is_none())
    {
        return Err(usage(
            "the command layout needs up_command, down_command and current_command in [migrate-check]",
        ));
    }
    let alembic_command = config
        .alembic_command
        .clone()
        .unwrap_or_else(|| vec!["alembic".to_owned()]);
    if alembic_command.is_empty() {
        return Err(usage("alembic_command in [migrate-check] is empty"));
    }
    Ok(Plan {
        dir,
        layout,
        detected,
        selected,
        irreversible: config.irreversible.iter().cloned().collect(),
        template: cli
            .template
            .clone()
            .or_else(|| config.template.clone())
            .unwrap_or_else(|| "template0".to_owned()),
        alembic_command,
        timeout: Duration::from_secs(core_config::layer(
            cli.timeout,
            None,
            config.command_timeout,
            600,
        )),
        strict_locks: cli.strict_locks || config.strict_locks.unwrap_or(false),
        strict: selection.strict,
        config,
    })
}

/// Run the tool: the steps of [`steps`], in order.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    if let Some(text) = cli.docs.text(&checks::RULES, "migrate-check")? {
        printer.data(&text)?;
        return Ok(ExitCode::Ok);
    }
    let loaded_config = core_config::load::<Config>(&cli.global)?;
    if cli.global.print_config {
        return print_config(
            &cli,
            &printer,
            loaded_config.table,
            loaded_config.path.as_deref(),
        );
    }
    let plan = plan(&cli, loaded_config.table, loaded_config.path.as_deref())?;
    let server = ConnectionSettings::resolve(
        &cli.connection,
        plan.config
            .database_url
            .as_ref()
            .map(|s| s.expose().as_str()),
    )?;
    let compare_to = compare_to(&cli, &plan)?;
    let started = Instant::now();
    let mut findings = Findings::default();

    // 1. prerequisites: files, server, migration tool
    let loaded = steps::read_migrations(&plan, &printer)?;
    let stairway_start = steps::stairway_start(&cli, &loaded)?;
    let driver = steps::driver(&plan, &loaded);
    let (admin, mut problems) = steps::prerequisites(
        &cli,
        &printer,
        &plan,
        &server,
        &driver,
        loaded.problems.clone(),
    )?;
    findings
        .passed(
            Check::Prerequisites,
            prerequisites_detail(&plan, &loaded, &server),
        )
        .add_time(started.elapsed());

    // 2. history
    problems.extend(steps::history(&plan, &loaded, &mut findings));
    findings.record_problems(&problems, &plan.selected);

    // 3. upgrade, stairway, reset, drift, locks in a throwaway database
    let throwaway = match steps::dynamic_skip_reason(&plan, &loaded, &problems) {
        Some(reason) => {
            findings.skip_dynamic(reason);
            admin.close();
            steps::ThrowawayRun::default()
        }
        None => {
            let input = steps::DynamicInput {
                cli: &cli,
                printer: &printer,
                plan: &plan,
                server: &server,
                loaded: &loaded,
                stairway_start,
                compare_to: compare_to.as_ref(),
            };
            steps::in_throwaway(&input, admin, driver, &mut findings)?
        }
    };
    shipshape_core::interrupt::check()?;

    // 4. report
    let summary = steps::Summary {
        plan: &plan,
        migration_count: throwaway.migration_count.unwrap_or(loaded.migrations.len()),
        throwaway,
        started,
    };
    steps::report(&cli, &printer, findings, &summary)
}

/// `--print-config`: the file's table with the command line's overrides.
fn print_config(
    cli: &Cli,
    printer: &Printer,
    config: Config,
    file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mut effective = config;
    effective.layout = cli.layout.map(|l| l.name().to_owned()).or(effective.layout);
    // The directory as it will be used: the file's relative to the file.
    let from_file = effective.dir.map(|d| {
        core_config::relative_to_file(Path::new(&d), file)
            .display()
            .to_string()
    });
    effective.dir = cli
        .dir
        .as_ref()
        .map(|d| d.display().to_string())
        .or(from_file);
    effective.template = cli.template.clone().or(effective.template);
    printer.data(&core_config::to_toml_fragment(&effective)?)?;
    Ok(ExitCode::Ok)
}

/// `--compare-to URL` (read-only), and `--from`, which needs known versions.
fn compare_to(cli: &Cli, plan: &Plan) -> anyhow::Result<Option<ConnectionSettings>> {
    if let Some(from) = &cli.from
        && plan.layout == Layout::Command
    {
        return Err(usage(format!(
            "--from {from} needs a layout with known versions, not command"
        )));
    }
    Ok(cli
        .compare_to
        .as_deref()
        .map(|url| ConnectionSettings::resolve_with(Some(url), None, |_| None))
        .transpose()?)
}

fn prerequisites_detail(plan: &Plan, loaded: &Loaded, server: &ConnectionSettings) -> String {
    if plan.layout == Layout::Command {
        format!("server {}", server.target())
    } else {
        format!(
            "{} migrations, server {}",
            loaded.migrations.len(),
            server.target()
        )
    }
}

/// `--in-place` safety: the database must be named on the command line,
/// destruction allowed, and the name typed on a terminal (or `--yes`).
pub(crate) fn confirm_in_place(
    cli: &Cli,
    printer: &Printer,
    server: &ConnectionSettings,
) -> anyhow::Result<()> {
    if cli.connection.database_url.is_none() {
        return Err(usage(
            "--in-place needs --database-url naming the database explicitly (DATABASE_URL and PG* are not enough for a destructive run)",
        ));
    }
    shipshape_core::prompt::confirm_name(
        printer,
        cli.yes,
        &format!(
            "apply and revert every migration in database \"{}\"",
            server.database
        ),
        &server.database,
        &[format!(
            "migrate-check will apply and revert every migration in database \"{}\" on {}.",
            server.database,
            server.target()
        )],
    )?;
    Ok(())
}

/// `--in-place` only on an empty database: downs against real data would
/// destroy it, and the run empties the database again at the end.
pub(crate) fn require_empty(admin: &mut Db) -> anyhow::Result<()> {
    let snapshot = shipshape_pg::schema_snapshot::Snapshot::capture(admin, &[])?;
    let objects: Vec<&String> = snapshot
        .objects
        .keys()
        .filter(|k| k.as_str() != "schema public" && k.as_str() != "extension plpgsql")
        .collect();
    if let Some(first) = objects.first() {
        return Err(usage(format!(
            "--in-place needs an empty database, and \"{}\" holds {} objects (e.g. {first}); nothing was done",
            admin.settings().database,
            objects.len()
        )));
    }
    Ok(())
}

pub(crate) fn run_dynamic(
    session: &mut Session<'_>,
    from_index: Option<usize>,
    compare_to: Option<&ConnectionSettings>,
) -> Result<(), ApplyError> {
    // Before the first migration: the tool must be connected to this database.
    guard::prove_connection(
        &mut session.db,
        &session.env,
        &session.driver,
        session.version_table.as_deref(),
    )?;
    let base = session.snapshot()?;
    if let Driver::Command { root, .. } = &session.driver {
        let dir = layout::display(root);
        if !checks::upgrade::discover(session, &dir)? {
            return Ok(());
        }
    }
    let stairway_from = from_index.filter(|_| session.is_selected(Check::Stairway));
    let head = match checks::upgrade::pass(session, &base, stairway_from)? {
        checks::upgrade::PassEnd::Head(head) => head,
        checks::upgrade::PassEnd::Broken => return Ok(()),
    };
    let total = session.migrations.len();
    session.result(Check::Upgrade).detail = format!("{total} migrations");
    if let (Driver::Alembic { program, root }, Some(last)) =
        (&session.driver, session.migrations.last())
    {
        // The tool's own view must agree: `alembic current` names the head.
        let finished = driver::run_argv(
            &session.env,
            program,
            &[
                "-x".to_owned(),
                format!("url={}", session.env.public_url()),
                "current".to_owned(),
            ],
            root,
        )?;
        let output = format!("{}{}", finished.stdout, finished.stderr);
        if !finished.success || !output.contains(&last.version) {
            let message = format!(
                "after upgrading to {}, `alembic current` reports: {}",
                last.version,
                shipshape_core::redact_url(command::tail(&output, 3).trim())
            );
            let diagnostic = Diagnostic::error(Check::Upgrade.name(), message)
                .with_file(last.file.clone())
                .with_help("the revision files and the alembic_version table disagree; check env.py's version_table settings");
            session.finding(Check::Upgrade, None, diagnostic);
        }
    }
    if session.is_selected(Check::Upgrade)
        && session.result(Check::Upgrade).status == Status::Skipped
    {
        session.result(Check::Upgrade).status = Status::Passed;
    }
    if let Some(target) = compare_to
        && session.is_selected(Check::Drift)
    {
        checks::drift::run(session, target, &head)?;
    }
    if session.is_selected(Check::Reset) {
        checks::reset::run(session, &base, &head)?;
    }
    let hints = session
        .findings
        .report
        .diagnostics
        .iter()
        .filter(|d| d.code == Check::Locks.name())
        .count();
    session.result(Check::Locks).detail = match hints {
        0 => "no hints".to_owned(),
        1 => "1 hint".to_owned(),
        n => format!("{n} hints"),
    };
    for check in [Check::Upgrade, Check::Stairway, Check::Locks] {
        let selected = session.is_selected(check);
        let result = session.result(check);
        if !selected {
            result.status = Status::Skipped;
            result.steps.clear();
            result.detail = "not selected".to_owned();
        } else if result.status == Status::Skipped {
            result.status = Status::Passed;
        }
    }
    Ok(())
}
