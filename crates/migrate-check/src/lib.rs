//! `migrate-check`: prove that every migration applies and reverses cleanly,
//! on a throwaway database, with object-level schema diffs.
//!
//! The run: read the migrations ([`layout`]), check what can be checked
//! without a database (`prerequisites`, `history`), create a throwaway
//! database ([`throwaway`]), apply every migration with the stairway
//! (up, down, up) around each, reset to base and back, optionally compare
//! head with an existing database, and drop the throwaway database again —
//! also on failure and Ctrl-C.

pub mod checks;
pub mod command;
pub mod config;
pub mod driver;
pub mod guard;
pub mod junit;
pub mod layout;
pub mod output;
pub mod session;
pub mod sql;
pub mod throwaway;
pub mod wording;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use shipshape_core::config as core_config;
use shipshape_core::{Diagnostic, ExitCode, GlobalArgs, Printer, Report, UsageError};
use shipshape_pg::schema_snapshot::BOOKKEEPING_TABLES;
use shipshape_pg::{ConnectionArgs, ConnectionSettings, Db};

use crate::checks::{Check, CheckResult, Status};
use crate::config::Config;
use crate::driver::{ApplyError, ChildEnv, Driver};
use crate::layout::{Layout, Loaded, Problem};
use crate::session::Session;
use crate::throwaway::Throwaway;

const EXAMPLES: &str = "Examples:
  migrate-check migrations/
  migrate-check --layout dbmate db/migrations --junit target/migrate-check.xml
  migrate-check --only history,stairway --from 20240311080000
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

    /// Run only these checks (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Vec<String>,

    /// Skip these checks (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub skip: Vec<String>,

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

    /// Treat lock and rewrite hints as failures
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
struct Plan {
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
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError::new(message).into()
}

fn parse_checks(names: &[String], flag: &str) -> anyhow::Result<BTreeSet<Check>> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|name| {
            Check::parse(name).ok_or_else(|| {
                let all: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
                usage(format!(
                    "{flag}: unknown check \"{name}\"; the checks are {}",
                    all.join(", ")
                ))
            })
        })
        .collect()
}

fn resolve_dir(cli: &Cli, config: &Config, config_file: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = cli.dir.clone() {
        return Ok(dir);
    }
    if let Some(dir) = config.dir.as_deref().map(PathBuf::from) {
        // Relative to the configuration file, like every path in it.
        let base = config_file
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty());
        return Ok(match base {
            Some(base) if dir.is_relative() => base.join(dir),
            _ => dir,
        });
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
    let only = parse_checks(
        if cli.only.is_empty() {
            config.only.as_deref().unwrap_or_default()
        } else {
            &cli.only
        },
        "--only",
    )?;
    let mut skip = parse_checks(&cli.skip, "--skip")?;
    skip.extend(parse_checks(&config.skip, "skip in [migrate-check]")?);
    let mut selected: BTreeSet<Check> = if only.is_empty() {
        Check::ALL.into_iter().collect()
    } else {
        only.clone()
    };
    selected.retain(|c| !skip.contains(c));
    if cli.compare_to.is_none() {
        if only.contains(&Check::Drift) {
            return Err(usage("the drift check needs --compare-to URL"));
        }
        selected.remove(&Check::Drift);
    }
    if selected.is_empty() {
        return Err(usage("--only/--skip leave no check to run"));
    }
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
        config,
    })
}

fn load(plan: &Plan) -> anyhow::Result<Loaded> {
    let dir = &plan.dir;
    let loaded = match plan.layout {
        Layout::Updown => layout::updown::load(dir),
        Layout::Dbmate => layout::dbmate::load(dir),
        Layout::Diesel => layout::diesel::load(dir),
        Layout::Alembic => layout::alembic::load(dir),
        Layout::Command => Ok(Loaded::default()),
    };
    loaded.with_context(|| format!("reading migrations in {}", dir.display()))
}

fn problem_diagnostic(problem: &Problem) -> Diagnostic {
    let mut d = Diagnostic::error(problem.check, problem.message.clone());
    d.file.clone_from(&problem.file);
    d.line = problem.line;
    d.help.clone_from(&problem.help);
    d
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    let loaded_config = core_config::load::<Config>(&cli.global)?;
    let config_file = loaded_config.path.clone();
    let config = loaded_config.table;
    if cli.global.print_config {
        let mut effective = config.clone();
        effective.layout = cli.layout.map(|l| l.name().to_owned()).or(effective.layout);
        effective.dir = cli
            .dir
            .as_ref()
            .map(|d| d.display().to_string())
            .or(effective.dir);
        effective.template = cli.template.clone().or(effective.template);
        printer.data(&core_config::to_toml_fragment(&effective)?)?;
        return Ok(ExitCode::Ok);
    }
    let plan = plan(&cli, config, config_file.as_deref())?;
    let server = ConnectionSettings::resolve(
        &cli.connection,
        plan.config
            .database_url
            .as_ref()
            .map(|s| s.expose().as_str()),
    )?;
    let compare_to = cli
        .compare_to
        .as_deref()
        .map(|url| ConnectionSettings::resolve_with(Some(url), None, |_| None))
        .transpose()?;
    if let Some(from) = &cli.from
        && plan.layout == Layout::Command
    {
        return Err(usage(format!(
            "--from {from} needs a layout with known versions, not command"
        )));
    }

    let started = Instant::now();
    let mut report = Report::new("migrate-check", env!("CARGO_PKG_VERSION"));
    for check in Check::ALL {
        report.describe_rule(check.name(), check.summary(), Some(check.help()));
    }
    let mut results: Vec<CheckResult> = Check::ALL.into_iter().map(CheckResult::new).collect();
    for result in &mut results {
        result.detail = "not selected".to_owned();
    }
    let result_of = |results: &mut Vec<CheckResult>, check: Check| -> usize {
        let _ = results;
        Check::ALL.iter().position(|c| *c == check).unwrap_or(0)
    };

    // prerequisites: files
    let prerequisites_started = Instant::now();
    let loaded = load(&plan)?;
    let mut problems: Vec<Problem> = loaded.problems.clone();
    if loaded.migrations.is_empty() && plan.layout != Layout::Command {
        printer.warning(&format!(
            "no {} migrations found in {}; is this the right directory?",
            plan.layout,
            plan.dir.display()
        ));
    }
    let from_index = match &cli.from {
        Some(from) => Some(
            loaded
                .migrations
                .iter()
                .position(|m| &m.version == from || &m.id == from)
                .ok_or_else(|| usage(format!("--from {from}: no migration has that version")))?,
        ),
        None => Some(0),
    };
    printer.detail(&format!(
        "migrate-check: {} migrations ({}) in {}",
        loaded.migrations.len(),
        plan.layout,
        plan.dir.display()
    ));

    // prerequisites: server and tool
    let mut admin = Db::connect(&server).with_context(|| {
        format!(
            "connecting to the server at {} ({})",
            server.target(),
            server.source
        )
    })?;
    if cli.in_place {
        confirm_in_place(&cli, &printer, &server)?;
        require_empty(&mut admin)?;
    } else {
        problems.extend(checks::prerequisites::server(&mut admin, &plan.template)?);
    }
    let placeholder_env = ChildEnv {
        settings: server.clone(),
        extra: plan.config.env.clone(),
        pass_env: plan.config.pass_env.clone(),
        timeout: plan.timeout,
    };
    let driver = match plan.layout {
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
    };
    if let (Driver::Alembic { program, root }, true) = (&driver, problems.is_empty()) {
        match checks::prerequisites::alembic(&placeholder_env, program, root) {
            Ok(more) => problems.extend(more),
            Err(ApplyError::Runtime(err)) => return Err(err),
            Err(ApplyError::Interrupted(i)) => return Err(i.into()),
            Err(ApplyError::Failed(f)) => return Err(anyhow::anyhow!(f.message)),
        }
    }
    {
        let i = result_of(&mut results, Check::Prerequisites);
        results[i].status = Status::Passed;
        results[i].detail = if plan.layout == Layout::Command {
            format!("server {}", server.target())
        } else {
            format!(
                "{} migrations, server {}",
                loaded.migrations.len(),
                server.target()
            )
        };
        results[i].add_time(prerequisites_started.elapsed());
    }

    // history
    let history = checks::history::check(
        &loaded.migrations,
        plan.layout,
        &plan.detected,
        &plan.irreversible,
    );
    let several_heads =
        plan.layout == Layout::Alembic && layout::alembic::heads(&loaded.migrations).len() > 1;
    {
        let i = result_of(&mut results, Check::History);
        results[i].status = Status::Passed;
        results[i].detail = format!("{} migrations", loaded.migrations.len());
    }
    problems.extend(history);
    let prerequisites_failed = problems.iter().any(|p| p.check == "prerequisites");
    for problem in &problems {
        let check = Check::parse(problem.check).unwrap_or(Check::Prerequisites);
        if !plan.selected.contains(&check) && check != Check::Prerequisites {
            continue;
        }
        report.push(problem_diagnostic(problem));
        let i = result_of(&mut results, check);
        results[i].status = Status::Failed;
        results[i].failures.push(problem.message.clone());
    }

    let dynamic = [
        Check::Upgrade,
        Check::Stairway,
        Check::Reset,
        Check::Drift,
        Check::Locks,
    ];
    let needs_database = dynamic.iter().any(|c| plan.selected.contains(c));
    let mut kept = None;
    let mut throwaway_name = None;
    let mut runtime_failure = None;
    let mut migration_count = loaded.migrations.len();
    if prerequisites_failed || several_heads || !needs_database {
        let reason = if prerequisites_failed {
            "skipped: prerequisites failed"
        } else if several_heads {
            "skipped: the revision graph has several heads"
        } else {
            "not selected"
        };
        for check in dynamic {
            let i = result_of(&mut results, check);
            results[i].status = Status::Skipped;
            results[i].detail = reason.to_owned();
        }
        admin.close();
    } else {
        // Leftovers of killed runs first, then our own database.
        match throwaway::sweep(&mut admin) {
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
        let throwaway = if cli.in_place {
            printer.status(&format!(
                "checking in place in database {}",
                server.database
            ));
            Throwaway::existing(&server, cli.keep)
        } else {
            let created = Throwaway::create(&mut admin, &plan.template, cli.keep)
                .with_context(|| format!("creating a throwaway database on {}", server.target()))?;
            // Noise in CI; the name matters when it is kept or asked for.
            let line = format!("throwaway database: {}", created.name);
            if cli.keep {
                printer.status(&line);
            } else {
                printer.detail(&line);
            }
            created
        };
        admin.close();
        throwaway_name = Some(throwaway.name.clone());
        let db = Db::connect(&throwaway.settings())
            .with_context(|| format!("connecting to the throwaway database {}", throwaway.name))?;
        let mut ignored: Vec<String> = BOOKKEEPING_TABLES.iter().map(|s| (*s).to_owned()).collect();
        ignored.extend(plan.config.ignore.iter().cloned());
        let mut irreversible = plan.irreversible.clone();
        for m in &loaded.migrations {
            if plan.irreversible.contains(&m.id) {
                irreversible.insert(m.version.clone());
            }
        }
        // Alembic runs with a copy of alembic.ini that names the throwaway
        // database, kept until the end of the run.
        let mut _alembic_ini = None;
        let driver = match (driver, &loaded.alembic_ini) {
            (Driver::Alembic { mut program, root }, Some(ini)) => {
                let public = ChildEnv {
                    settings: throwaway.settings(),
                    extra: Default::default(),
                    pass_env: Vec::new(),
                    timeout: plan.timeout,
                }
                .public_url();
                let (dir, copy) =
                    layout::alembic::throwaway_ini(ini, &public).with_context(|| {
                        format!("copying {} for the throwaway database", ini.display())
                    })?;
                program.push("-c".to_owned());
                program.push(copy.display().to_string());
                _alembic_ini = Some(dir);
                Driver::Alembic { program, root }
            }
            (other, _) => other,
        };
        let mut session = Session {
            migrations: loaded.migrations.clone(),
            driver,
            env: ChildEnv {
                settings: throwaway.settings(),
                extra: plan.config.env.clone(),
                pass_env: plan.config.pass_env.clone(),
                timeout: plan.timeout,
            },
            throwaway,
            db,
            ignored,
            selected: plan.selected.clone(),
            irreversible,
            strict_locks: plan.strict_locks,
            report,
            results,
            canceller: session::Canceller::start(server.clone()),
            attributed: BTreeSet::new(),
            printer: printer.clone(),
            version_table: plan.config.version_table.clone(),
            discovering: false,
        };
        session.canceller.watch(&mut session.db);
        for check in dynamic {
            let result = session.result(check);
            if plan.selected.contains(&check) {
                result.detail = String::new();
            }
        }
        let outcome = run_dynamic(&mut session, from_index, compare_to.as_ref());
        if printer.stderr_is_terminal() {
            printer.clear_progress();
        }
        migration_count = session.migrations.len();
        let Session {
            mut throwaway,
            db,
            report: r,
            results: res,
            ..
        } = session;
        report = r;
        results = res;
        db.close();
        // Ctrl-C cancels whatever statement was running, and that statement
        // (a snapshot, a lock probe) then fails: the run was interrupted,
        // not broken.
        let outcome = match outcome {
            Err(_) if shipshape_core::interrupt::requested() => {
                Err(ApplyError::Interrupted(shipshape_core::Interrupted))
            }
            other => other,
        };
        match outcome {
            Ok(()) => {}
            Err(ApplyError::Interrupted(i)) => {
                if let Some(err) = throwaway.drop_now() {
                    printer.warning(&format!(
                        "could not drop throwaway database {}: {err}",
                        throwaway.name
                    ));
                }
                return Err(i.into());
            }
            Err(ApplyError::Runtime(err)) => runtime_failure = Some(err),
            Err(ApplyError::Failed(f)) => runtime_failure = Some(anyhow::anyhow!(f.message)),
        }
        if cli.keep && runtime_failure.is_none() {
            kept = Some(throwaway.name.clone());
            throwaway.keep = true;
        } else if let Some(err) = throwaway.drop_now() {
            printer.warning(&format!(
                "could not drop throwaway database {}: {err}; drop it by hand with DROP DATABASE {} WITH (FORCE)",
                throwaway.name, throwaway.name
            ));
        }
    }

    shipshape_core::interrupt::check()?;
    if let Some(err) = runtime_failure {
        return Err(err);
    }
    for result in &mut results {
        if result.status == Status::Skipped && result.detail.is_empty() {
            result.detail = "skipped".to_owned();
        }
    }
    report.insert("directory", plan.dir.display().to_string());
    report.insert("layout", plan.layout.name());
    report.insert("migrations", migration_count);
    report.insert("database", &kept);
    report.insert("throwaway_database", &throwaway_name);
    report.insert("duration_ms", checks::millis(started.elapsed()));
    report.insert("checks", &results);
    if results.iter().any(|r| r.status == Status::Failed) {
        report.failed = true;
    }
    if let Some(path) = &cli.junit {
        junit::write(path, &results)?;
    }
    output::print(
        &printer,
        &report,
        &results,
        &plan.dir,
        plan.layout,
        migration_count,
    )?;
    if let Some(name) = &kept {
        printer.status(&format!("kept the throwaway database: {name}"));
        // The bare name on stdout for scripts; JSON and SARIF carry it in
        // the document (`database`) and must stay one parseable document.
        if printer.format() == shipshape_core::OutputFormat::Human {
            printer.data(&format!("{name}\n"))?;
        }
    }
    Ok(report.exit_code())
}

/// `--in-place` safety: the database must be named on the command line,
/// destruction allowed, and the name typed on a terminal (or `--yes`).
fn confirm_in_place(
    cli: &Cli,
    printer: &Printer,
    server: &ConnectionSettings,
) -> anyhow::Result<()> {
    if cli.connection.database_url.is_none() {
        return Err(usage(
            "--in-place needs --database-url naming the database explicitly (DATABASE_URL and PG* are not enough for a destructive run)",
        ));
    }
    if cli.yes {
        return Ok(());
    }
    if !printer.stdin_is_terminal() {
        return Err(usage(format!(
            "--in-place would run every down in database \"{}\" and there is no terminal to confirm; add --yes",
            server.database
        )));
    }
    printer.stderr_line(&format!(
        "migrate-check will apply and revert every migration in database \"{}\" on {}.\nType the database name to continue: ",
        server.database,
        server.target()
    ));
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the confirmation from the terminal")?;
    if answer.trim() != server.database {
        return Err(usage("the name did not match; nothing was done"));
    }
    Ok(())
}

/// `--in-place` only on an empty database: downs against real data would
/// destroy it, and the run empties the database again at the end.
fn require_empty(admin: &mut Db) -> anyhow::Result<()> {
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

fn run_dynamic(
    session: &mut Session,
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
