//! migrate-check never migrates a database it did not create: when a
//! project's settings point the migration tool anywhere but the throwaway
//! database, the run stops before anything ran (exit 2), or — for a tool
//! that passes the first check and then works elsewhere — right after the
//! first step, before any down (exit 3). Each test keeps a second database,
//! migrated to head like production, and proves it unchanged.

use std::path::{Path, PathBuf};

use shipshape_testkit::cli::Run;
use shipshape_testkit::pg::{self, TestDatabase};

use crate::alembic::path_with_venv;
use crate::{checked_run, fixture, tool_on_server};

/// A database that looks like production: at head, with data.
fn production() -> TestDatabase<'static> {
    let db = pg::server().create_database("mc_other");
    db.psql(
        "CREATE TABLE item (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, owner_id bigint); \
         INSERT INTO item (title, owner_id) VALUES ('keep me', 7); \
         CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); \
         INSERT INTO alembic_version VALUES ('0002_item_owner')",
    );
    db
}

/// Everything that would show a change: the catalogue row, the tables and
/// their columns, the rows of `item` and the version.
fn fingerprint(db: &TestDatabase<'_>) -> String {
    let catalogue = pg::server().psql(
        "postgres",
        &format!(
            "SELECT datname, datdba::regrole, encoding, datcollate, datallowconn, datconnlimit \
             FROM pg_database WHERE datname = '{}'",
            db.name
        ),
    );
    let columns = db.psql(
        "SELECT string_agg(format('%s.%s %s', table_name, column_name, data_type), ', ' ORDER BY 1) \
         FROM information_schema.columns WHERE table_schema = 'public'",
    );
    let exists =
        |table: &str| db.psql(&format!("SELECT to_regclass('public.{table}') IS NOT NULL")) == "t";
    let rows = if exists("item") {
        db.psql("SELECT string_agg(format('%s %s %s', id, title, owner_id), ', ') FROM item")
    } else {
        "no item".to_owned()
    };
    let version = if exists("alembic_version") {
        db.psql("SELECT string_agg(version_num, ',') FROM alembic_version")
    } else {
        "no alembic_version".to_owned()
    };
    format!("{catalogue}\n{columns}\n{rows}\n{version}")
}

/// The FastAPI-template fixture copied to a scratch directory, with a
/// `.env` beside `backend/` and a shipshape.toml holding `env_table`.
fn project(scratch: &Path, dot_env: Option<&str>, config: &str) -> PathBuf {
    let project = scratch.join("project");
    crate::alembic::copy_dir(
        &fixture("fixtures/migrate-check/alembic-settings"),
        &project,
    );
    if let Some(text) = dot_env {
        std::fs::write(project.join(".env"), text).unwrap();
    }
    std::fs::write(
        project.join("shipshape.toml"),
        format!("[migrate-check]\ndir = 'backend'\n{config}"),
    )
    .unwrap();
    project
}

/// `.env` naming `database` on the test server, as a developer's file would.
fn dot_env_for(database: &str) -> String {
    let server = pg::server();
    format!(
        "POSTGRES_SERVER={}\nPOSTGRES_PORT={}\nPOSTGRES_USER={}\nPOSTGRES_PASSWORD={}\nPOSTGRES_DB={database}\n",
        server.host,
        server.port,
        server.user,
        server.password.clone().unwrap_or_default()
    )
}

const FULL_ENV_TABLE: &str = "[migrate-check.env]\nPOSTGRES_SERVER = '{host}'\nPOSTGRES_PORT = '{port}'\n\
     POSTGRES_USER = '{user}'\nPOSTGRES_PASSWORD = '{password}'\nPOSTGRES_DB = '{database}'\n";

fn run_in(project: &Path, extra_env: &[(&str, &str)]) -> Run {
    let mut cmd = tool_on_server();
    cmd.current_dir(project).env("PATH", path_with_venv());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    checked_run(&mut cmd)
}

fn assert_stopped_before_anything_ran(run: &Run) {
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("env.py connects to another database")
            && run.stderr.contains("nothing was run")
            && run.stderr.contains("[migrate-check.env]"),
        "{}",
        run.snapshot()
    );
    assert!(
        !run.stderr.contains("no problems found"),
        "{}",
        run.snapshot()
    );
    if let Some(password) = &pg::server().password {
        assert!(!run.stdout.contains(password.as_str()) && !run.stderr.contains(password.as_str()));
    }
}

#[test]
fn an_env_table_missing_a_key_that_dot_env_fills_stops_before_anything_runs() {
    let _guard = crate::serial();
    let other = production();
    let before = fingerprint(&other);
    let scratch = tempfile::tempdir().unwrap();
    let table = FULL_ENV_TABLE.replace("POSTGRES_DB = '{database}'\n", "");
    let project = project(scratch.path(), Some(&dot_env_for(&other.name)), &table);
    let run = run_in(&project, &[]);
    assert_stopped_before_anything_ran(&run);
    assert!(
        run.stderr.contains("0002_item_owner (head)"),
        "{}",
        run.stderr
    );
    assert_eq!(fingerprint(&other), before);
}

#[test]
fn a_setting_exported_in_the_shell_is_not_inherited_and_nothing_runs_elsewhere() {
    let _guard = crate::serial();
    let other = production();
    let before = fingerprint(&other);
    let scratch = tempfile::tempdir().unwrap();
    let table = FULL_ENV_TABLE.replace("POSTGRES_DB = '{database}'\n", "");
    let project = project(scratch.path(), None, &table);
    // Without scrubbing, env.py would read POSTGRES_DB from the shell and
    // migrate the other database. Scrubbed, the setting is empty and libpq
    // takes the database from PGDATABASE, which names the throwaway one.
    let run = run_in(&project, &[("POSTGRES_DB", other.name.as_str())]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(fingerprint(&other), before);

    // pass_env lets it through on purpose: then it is seen, and still stopped.
    std::fs::write(
        project.join("shipshape.toml"),
        format!("[migrate-check]\ndir = 'backend'\npass_env = ['POSTGRES_DB']\n{table}"),
    )
    .unwrap();
    let run = run_in(&project, &[("POSTGRES_DB", other.name.as_str())]);
    assert_stopped_before_anything_ran(&run);
    assert!(
        run.stderr.contains("0002_item_owner (head)"),
        "{}",
        run.stderr
    );
    assert_eq!(fingerprint(&other), before);
}

#[test]
fn a_dot_env_file_and_no_env_table_stops_before_anything_runs() {
    let _guard = crate::serial();
    let other = production();
    let before = fingerprint(&other);
    let scratch = tempfile::tempdir().unwrap();
    let project = project(scratch.path(), Some(&dot_env_for(&other.name)), "");
    let run = run_in(&project, &[]);
    assert_stopped_before_anything_ran(&run);
    assert_eq!(fingerprint(&other), before);

    // The same with an empty database elsewhere: "no version" is no proof.
    other.psql("DROP TABLE item; DROP TABLE alembic_version");
    let emptied = fingerprint(&other);
    let run = run_in(&project, &[]);
    assert_stopped_before_anything_ran(&run);
    assert!(run.stderr.contains("reports no version"), "{}", run.stderr);
    assert_eq!(fingerprint(&other), emptied);
}

#[test]
fn a_complete_env_table_wins_over_dot_env_and_the_shell() {
    let _guard = crate::serial();
    let other = production();
    let before = fingerprint(&other);
    let scratch = tempfile::tempdir().unwrap();
    let project = project(
        scratch.path(),
        Some(&dot_env_for(&other.name)),
        FULL_ENV_TABLE,
    );
    let run = run_in(&project, &[("POSTGRES_DB", other.name.as_str())]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(fingerprint(&other), before);
}

#[test]
fn settings_that_do_not_load_are_a_setup_error_with_the_python_cause() {
    let _guard = crate::serial();
    let scratch = tempfile::tempdir().unwrap();
    // No POSTGRES_SERVER anywhere: the Settings class cannot be built.
    let table = FULL_ENV_TABLE.replace("POSTGRES_SERVER = '{host}'\n", "");
    let project = project(scratch.path(), None, &table);
    let run = run_in(&project, &[]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    let stderr = &run.stderr;
    assert!(
        stderr.contains("the migration environment failed to load"),
        "{stderr}"
    );
    assert!(stderr.contains("app/core/config.py"), "{stderr}");
    assert!(stderr.contains("ValidationError"), "{stderr}");
    assert!(stderr.contains("POSTGRES_SERVER"), "{stderr}");
    assert!(!stderr.contains("fix the failing statement"), "{stderr}");
    assert!(!stderr.contains("up of"), "{stderr}");
}

/// The `command` layout's fixture tool, with its commands from `up`, `down`
/// and `current` (run by sh in the fixture directory).
fn command_project(scratch: &Path, up: &str, current: &str, pass_env: &str) -> PathBuf {
    let project = scratch.join("project");
    crate::alembic::copy_dir(&fixture("fixtures/migrate-check/command-layout"), &project);
    std::fs::write(
        project.join("shipshape.toml"),
        format!(
            "[migrate-check]\ndir = '.'\nlayout = 'command'\n{pass_env}\
             up_command = ['sh', '-c', '{up}']\ndown_command = ['sh', 'migrate.sh', 'down']\n\
             current_command = ['sh', '-c', '{current}']\n"
        ),
    )
    .unwrap();
    project
}

#[test]
fn connection_variables_from_the_shell_never_reach_a_migration_command() {
    let _guard = crate::serial();
    let scratch = tempfile::tempdir().unwrap();
    // current_command prints what it inherited; in the empty throwaway
    // database it must print nothing.
    let leak = "printf %s \"${POSTGRES_DB-}${DB_HOST-}${SQLALCHEMY_DATABASE_URI-}${PGSERVICE-}\"; sh migrate.sh current";
    let project = command_project(scratch.path(), "sh migrate.sh up", leak, "");
    let shell = [
        ("POSTGRES_DB", "prod"),
        ("DB_HOST", "prod-host"),
        ("SQLALCHEMY_DATABASE_URI", "postgresql://prod"),
        ("PGSERVICE", "prod"),
    ];
    let mut cmd = tool_on_server();
    cmd.current_dir(&project).args(["--only", "upgrade"]);
    cmd.envs(shell);
    let run = checked_run(&mut cmd);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());

    let project = command_project(
        scratch.path(),
        "sh migrate.sh up",
        leak,
        "pass_env = ['POSTGRES_DB']\n",
    );
    let mut cmd = tool_on_server();
    cmd.current_dir(&project).args(["--only", "upgrade"]);
    cmd.envs(shell);
    let run = checked_run(&mut cmd);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("reports version prod")
            && run
                .stderr
                .contains("current_command connects to another database"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_step_that_moves_another_database_stops_the_run_before_any_down() {
    let _guard = crate::serial();
    let other = pg::server().create_database("mc_other");
    other.psql("CREATE TABLE schema_migrations (version bigint PRIMARY KEY)");
    let scratch = tempfile::tempdir().unwrap();
    // current reads the throwaway database (PG* from migrate-check); up
    // applies to another database, as a tool with its own settings would.
    let up = format!(
        "PGDATABASE={} psql -X -q -v ON_ERROR_STOP=1 -c \"CREATE TABLE IF NOT EXISTS invoice (id int); INSERT INTO schema_migrations SELECT coalesce(max(version), 0) + 1 FROM schema_migrations\"",
        other.name
    );
    let project = command_project(scratch.path(), &up, "sh migrate.sh current", "");
    let mut cmd = tool_on_server();
    cmd.current_dir(&project)
        .env("PATH", pg_path())
        .args(["--format", "json"]);
    let run = checked_run(&mut cmd);
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains("the migration tool did not change the throwaway database; it probably changed another one")
            && run.stderr.contains("says no version (base)"),
        "{}",
        run.stderr
    );
    // Exactly the one up ran there, and no down.
    assert_eq!(
        other.psql("SELECT string_agg(version::text, ',') FROM schema_migrations"),
        "1"
    );
    assert_eq!(other.psql("SELECT to_regclass('invoice') IS NOT NULL"), "t");
}

/// PATH with the test server's client programs first (psql for the fixture tool).
fn pg_path() -> String {
    format!(
        "{}:{}",
        pg::server().bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
