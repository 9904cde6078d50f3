//! Proof that a migration tool (Alembic, the `command` layout's commands)
//! works on the throwaway database and on nothing else.
//!
//! The tool decides for itself where to connect: Alembic's `env.py` may
//! build its URL from a settings class that reads the user's shell or a
//! `.env` file on disk, and neither the private `alembic.ini` nor a scrubbed
//! environment can overrule that. So migrate-check checks, over its own
//! connection to the throwaway database:
//!
//! - before the first migration, that the tool sees an empty database
//!   ([`prove_empty_start`]): if it reports a revision, it is connected
//!   somewhere else, and nothing runs (exit 2);
//! - after every step, that the version table in the throwaway database
//!   moved as asked ([`VersionState`]): if it did not, the step changed
//!   another database, and the run stops before the next step (exit 3).

use std::collections::BTreeSet;

use shipshape_core::UsageError;
use shipshape_pg::{Db, PgError};

use crate::command::tail;
use crate::driver::{ApplyError, ChildEnv, Direction, Driver, run_argv, shown_command};
use crate::layout::Migration;

/// Tables in which the common migration tools record applied versions.
const VERSION_TABLES: [&str; 6] = [
    "alembic_version",
    "schema_migrations",
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "goose_db_version",
    "flyway_schema_history",
];

/// The hint for every "connected somewhere else" message.
const ENV_HINT: &str = "give the migration tool the throwaway database in [migrate-check.env] \
     (values may use {url}, {host}, {port}, {user}, {password}, {database}), e.g. \
     POSTGRES_SERVER = \"{host}\", POSTGRES_DB = \"{database}\" for every setting its env.py reads; \
     a .env file the settings read fills in any key the table leaves out";

/// The version bookkeeping of the throwaway database, read over
/// migrate-check's own connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionState {
    /// Alembic's `version_num` values (from every table that has the column,
    /// so a custom `version_table` counts too).
    pub alembic: BTreeSet<String>,
    /// Every row of every version table, as JSON: any change shows here.
    pub rows: BTreeSet<String>,
}

impl VersionState {
    /// Read the version tables of `db`. `extra` names one more table (the
    /// `command` layout's `version_table`).
    pub fn read(db: &mut Db, extra: Option<&str>) -> Result<Self, PgError> {
        let mut names: Vec<&str> = VERSION_TABLES.to_vec();
        names.extend(extra);
        let tables = db.query_text(
            "SELECT format('%I.%I', n.nspname, c.relname), \
                    EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                            AND a.attname = 'version_num' AND NOT a.attisdropped)::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND (c.relname = ANY (string_to_array($1, ',')) \
                    OR format('%I.%I', n.nspname, c.relname) = ANY (string_to_array($1, ',')) \
                    OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                               AND a.attname = 'version_num' AND NOT a.attisdropped))",
            &[&names.join(",")],
        )?;
        let mut state = Self::default();
        for row in tables {
            let mut it = row.into_iter();
            let (Some(Some(table)), Some(Some(has_version_num))) = (it.next(), it.next()) else {
                continue;
            };
            for json in
                db.query_text(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])?
            {
                if let Some(Some(json)) = json.into_iter().next() {
                    state.rows.insert(format!("{table} {json}"));
                }
            }
            if has_version_num == "true" {
                let versions =
                    db.query_text(&format!("SELECT version_num::text FROM {table}"), &[])?;
                state.alembic.extend(
                    versions
                        .into_iter()
                        .filter_map(|r| r.into_iter().next().flatten()),
                );
            }
        }
        Ok(state)
    }

    /// Did a step of `driver` move the bookkeeping as asked? `migration` was
    /// applied in `direction`; `previous` is what a down goes back to.
    pub fn moved_as_asked(
        &self,
        before: &Self,
        driver: &Driver,
        migration: &Migration,
        previous: Option<&str>,
        direction: Direction,
    ) -> bool {
        match (driver, direction) {
            (Driver::Sql, _) => true,
            (Driver::Alembic { .. }, Direction::Up) => self.alembic.contains(&migration.version),
            (Driver::Alembic { .. }, Direction::Down) => {
                !self.alembic.contains(&migration.version)
                    && match previous {
                        None => self.alembic.is_empty(),
                        Some("-1") => true,
                        Some(parent) => self.alembic.contains(parent),
                    }
            }
            (Driver::Command { .. }, _) => self.rows != before.rows,
        }
    }
}

/// What the migration tool itself says the current version is, for
/// messages (empty when it cannot say).
pub fn tool_current(env: &ChildEnv, driver: &Driver) -> String {
    let (argv, args, root) = match driver {
        Driver::Sql => return String::new(),
        Driver::Alembic { program, root } => (program, current_args(env), root),
        Driver::Command { current, root, .. } => (current, Vec::new(), root),
    };
    match run_argv(env, argv, &args, root) {
        Ok(finished) => {
            let out = tail(finished.stdout.trim(), 3);
            let shown = if out.is_empty() {
                "no version (base)".to_owned()
            } else {
                out
            };
            format!("`{}` says {}", shown_command(argv, &args), shown)
        }
        Err(_) => String::new(),
    }
}

fn current_args(env: &ChildEnv) -> Vec<String> {
    vec![
        "-x".to_owned(),
        format!("url={}", env.public_url()),
        "current".to_owned(),
    ]
}

/// The error after a step that left the throwaway database's version table
/// where it was: the tool worked on another database.
pub fn moved_elsewhere(
    env: &ChildEnv,
    driver: &Driver,
    migration: &Migration,
    direction: Direction,
) -> ApplyError {
    let current = tool_current(env, driver);
    let said = if current.is_empty() {
        String::new()
    } else {
        format!(": {current}")
    };
    ApplyError::Runtime(anyhow::anyhow!(
        "the migration tool did not change the throwaway database; it probably changed another one{said}\n  \
         the {} of {} reported success, but the version table in the throwaway database did not move; \
         migrate-check stopped before the next step (no further up or down ran)\n  hint: {ENV_HINT}",
        direction.word(),
        migration.id,
    ))
}

/// Before any migration, prove that the tool connects to the throwaway
/// database. Both failures are configuration problems (exit 2), found before
/// anything ran anywhere.
///
/// - Alembic: a probe revision that no script defines is written into the
///   throwaway database's version table, and `alembic current` must fail
///   naming exactly that revision. Anything else — another revision, no
///   revision, a connection error — means `env.py` connects somewhere else
///   (even to an empty database, which a check for "no revision" would
///   miss). The probe is removed again before the first migration.
/// - `command` layout: `current_command` must report no version in the
///   empty throwaway database. (A tool that is connected to another, empty
///   database passes this; the check after the first step stops it.)
pub fn prove_connection(
    db: &mut Db,
    env: &ChildEnv,
    driver: &Driver,
    version_table: Option<&str>,
) -> Result<(), ApplyError> {
    match driver {
        Driver::Sql => Ok(()),
        Driver::Alembic { program, root } => {
            let table = version_table.unwrap_or("alembic_version");
            let probe = Probe::insert(db, table)?;
            let args = current_args(env);
            let finished = run_argv(env, program, &args, root);
            let removed = probe.remove(db);
            let finished = finished?;
            removed?;
            check_alembic_probe(&shown_command(program, &args), root, &finished, &probe)
        }
        Driver::Command { current, root, .. } => {
            let finished = run_argv(env, current, &[], root)?;
            let shown = shown_command(current, &[]);
            if !finished.success {
                return Err(failed_to_load(&shown, root, &finished));
            }
            match finished.stdout.trim() {
                "" => Ok(()),
                version => Err(elsewhere(&format!(
                    "`{shown}` reports version {} in the empty throwaway database: current_command connects to another database",
                    shipshape_core::redact_url(version)
                ))),
            }
        }
    }
}

/// A revision id written into the throwaway database's Alembic version table.
struct Probe {
    table: String,
    revision: String,
    created_table: bool,
}

impl Probe {
    fn insert(db: &mut Db, table: &str) -> Result<Self, ApplyError> {
        let revision = format!("migrate_check_probe_{:08x}", rand::random::<u32>());
        let quoted = quote_table(table);
        let existed = db
            .query_value("SELECT to_regclass($1)::text", &[&quoted])
            .map_err(runtime)?
            .is_some();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {quoted} (version_num varchar(32) NOT NULL PRIMARY KEY);              INSERT INTO {quoted} (version_num) VALUES ('{revision}')"
        );
        db.execute(&sql).map_err(runtime)?;
        Ok(Self {
            table: quoted,
            revision,
            created_table: !existed,
        })
    }

    fn remove(&self, db: &mut Db) -> Result<(), ApplyError> {
        let sql = if self.created_table {
            format!("DROP TABLE {}", self.table)
        } else {
            format!(
                "DELETE FROM {} WHERE version_num = '{}'",
                self.table, self.revision
            )
        };
        db.execute(&sql).map_err(runtime)
    }
}

/// `schema.table` or `table`, each part quoted as an identifier.
fn quote_table(table: &str) -> String {
    table
        .split('.')
        .map(shipshape_pg::quote::quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

fn runtime(err: PgError) -> ApplyError {
    ApplyError::Runtime(anyhow::Error::new(err).context("probing the throwaway database"))
}

/// `alembic current` with the probe in place: it must fail on exactly the
/// probe revision, which only the throwaway database holds.
fn check_alembic_probe(
    shown: &str,
    root: &std::path::Path,
    finished: &shipshape_core::command::Finished,
    probe: &Probe,
) -> Result<(), ApplyError> {
    let output = format!("{}\n{}", finished.stdout, finished.stderr);
    if unknown_revision(&output).as_deref() == Some(probe.revision.as_str()) {
        return Ok(());
    }
    let saw = if let Some(other) = unknown_revision(&output) {
        format!("version {other}")
    } else if finished.success {
        match revision_lines(&finished.stdout) {
            lines if lines.is_empty() => "no version".to_owned(),
            lines => format!("version {lines}"),
        }
    } else {
        return Err(failed_to_load(shown, root, finished));
    };
    Err(elsewhere(&format!(
        "`{shown}` reports {} where the throwaway database holds revision {} in {}: env.py connects to another database",
        shipshape_core::redact_url(&saw),
        probe.revision,
        probe.table
    )))
}

fn elsewhere(what: &str) -> ApplyError {
    ApplyError::Runtime(
        UsageError::new(format!(
            "{what}; nothing was run\n  hint: {ENV_HINT}; if env.py keeps its versions in another table, set version_table in [migrate-check]"
        ))
        .into(),
    )
}

/// The migration environment does not load (`env.py` cannot be imported,
/// a setting has no value, a driver is missing): a setup problem.
fn failed_to_load(
    shown: &str,
    root: &std::path::Path,
    finished: &shipshape_core::command::Finished,
) -> ApplyError {
    let output = format!("{}\n{}", finished.stdout, finished.stderr);
    let driver_hint = if output.contains("No module named 'psycopg2'") {
        "\n  hint: a sqlalchemy.url without a driver (postgresql://) means psycopg2; \
         for psycopg 3 write postgresql+psycopg:// in alembic.ini or env.py, or install psycopg2"
    } else {
        ""
    };
    ApplyError::Runtime(
        UsageError::new(format!(
            "the migration environment failed to load: `{shown}` failed in {} ({}) before any migration ran\n{}\n  \
             hint: this is a setup problem, not a failing migration: check PYTHONPATH, the settings env.py reads \
             (set them in [migrate-check.env]) and that the database driver is installed{driver_hint}",
            root.display(),
            finished.status,
            shipshape_core::redact_url(&python_cause(&output))
        ))
        .into(),
    )
}

/// Alembic's stdout lines ("0001_item (head)"): what `current` reports.
fn revision_lines(stdout: &str) -> String {
    stdout
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A revision the database names that the scripts do not know: Alembic
/// fails with "Can't locate revision identified by 'x'" — connected
/// elsewhere just the same.
fn unknown_revision(output: &str) -> Option<String> {
    let at = output.find("Can't locate revision identified by '")?;
    let rest = &output[at + "Can't locate revision identified by '".len()..];
    rest.split('\'').next().map(str::to_owned)
}

/// The lines of a Python traceback that name the cause: the last frame in
/// the user's own code (not the standard library or site-packages) and the
/// exception line. Other output: its last lines.
pub fn python_cause(output: &str) -> String {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let Some(start) = lines
        .iter()
        .rposition(|l| l.starts_with("Traceback (most recent call last)"))
    else {
        return tail(output, 8);
    };
    let trace = &lines[start..];
    let frame = trace
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| {
            let l = l.trim_start();
            l.starts_with("File \"")
                && !l.contains("site-packages")
                && !l.contains("/lib/python")
                && !l.contains("<frozen")
        })
        .map(|(i, l)| {
            let code = trace
                .get(i + 1)
                .filter(|c| !c.trim_start().starts_with("File \""));
            match code {
                Some(code) => format!("  {}\n    {}", l.trim(), code.trim()),
                None => format!("  {}", l.trim()),
            }
        });
    // The exception and its message: everything after the last frame's
    // (indented) source lines, a few lines at most.
    let after = trace
        .iter()
        .rposition(|l| l.trim_start().starts_with("File \""))
        .map_or(1, |i| i + 1);
    let exception = trace[after..]
        .iter()
        .skip_while(|l| l.starts_with(' '))
        .take(4)
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n  ");
    match frame {
        Some(frame) => format!("{frame}\n  {exception}"),
        None => format!("  {exception}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_of_a_traceback_is_the_users_frame_and_the_exception() {
        let output = "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n\
Traceback (most recent call last):\n  File \"/venv/bin/alembic\", line 8, in <module>\n    sys.exit(main())\n\
  File \"/venv/lib/python3.11/site-packages/alembic/config.py\", line 1, in main\n    x()\n\
  File \"/home/me/app/alembic/env.py\", line 7, in <module>\n    from app.core.config import settings\n\
  File \"/home/me/app/core/config.py\", line 12, in <module>\n    settings = Settings()\n\
  File \"/venv/lib/python3.11/site-packages/pydantic_settings/main.py\", line 3, in __init__\n    super().__init__()\n\
pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\nPOSTGRES_SERVER\n  Field required [type=missing]\n";
        let cause = python_cause(output);
        assert!(
            cause.contains("/home/me/app/core/config.py\", line 12"),
            "{cause}"
        );
        assert!(cause.contains("settings = Settings()"), "{cause}");
        assert!(
            cause.contains("ValidationError: 1 validation error for Settings\n  POSTGRES_SERVER"),
            "{cause}"
        );
    }

    #[test]
    fn an_unknown_revision_is_found_in_alembics_error() {
        let output = "FAILED: Can't locate revision identified by 'ffff0001'\n";
        assert_eq!(unknown_revision(output).as_deref(), Some("ffff0001"));
        assert_eq!(unknown_revision("all fine"), None);
    }
}
