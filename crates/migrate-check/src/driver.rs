//! Applying one migration up or down in the throwaway database: SQL layouts
//! through our own connection (statement by statement, so a failure names
//! its line), Alembic and the `command` layout through their commands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use shipshape_core::Interrupted;
use shipshape_core::command::{ChildCommand, Finished, RunError, Scrub};
use shipshape_core::secret::redact_url;
use shipshape_pg::schema_snapshot::Snapshot;
use shipshape_pg::{ConnectionSettings, Db, PgError};

use crate::command;
use crate::layout::{Migration, Script, TxMode};

/// Up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// What applying a migration reported besides success.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    pub duration: Duration,
    /// Pre-existing tables that were locked ACCESS EXCLUSIVE before commit.
    pub exclusive_locks: Vec<String>,
    /// Pre-existing tables (and materialized views) whose storage was rewritten.
    pub rewrites: Vec<String>,
    /// Why it ran outside a transaction, when it did.
    pub note: Option<String>,
}

/// A migration that failed (a finding), as opposed to a tool failure.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub file: String,
    pub line: Option<u32>,
    /// True when the failed work was rolled back (nothing partial is left).
    pub rolled_back: bool,
}

/// Why applying did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{}", .0.message)]
    Failed(Failure),
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// How migrations are applied.
pub enum Driver {
    Sql,
    Alembic {
        program: Vec<String>,
        root: PathBuf,
    },
    Command {
        up: Vec<String>,
        down: Vec<String>,
        current: Vec<String>,
        root: PathBuf,
    },
}

/// The environment given to migration commands: the throwaway database's
/// connection (`PG*`, `DATABASE_URL`) and the `[migrate-check.env]` table.
/// Every other connection variable of our own environment is removed
/// (unless listed in `pass_env`), so a setting exported in the user's shell
/// cannot point the tool at another database.
pub struct ChildEnv {
    pub settings: ConnectionSettings,
    pub extra: BTreeMap<String, String>,
    pub pass_env: Vec<String>,
    pub timeout: Duration,
}

impl ChildEnv {
    /// Fill `{url}`, `{host}`, `{port}`, `{user}`, `{password}`, `{database}`.
    pub fn expand(&self, value: &str) -> String {
        let s = &self.settings;
        value
            .replace("{url}", s.url_with_secret().expose())
            .replace("{host}", &s.host)
            .replace("{port}", &s.port.to_string())
            .replace("{user}", &s.user)
            .replace(
                "{password}",
                s.password
                    .as_ref()
                    .map(|p| p.expose().as_str())
                    .unwrap_or(""),
            )
            .replace("{database}", &s.database)
    }

    /// The variables a migration command gets (set after scrubbing).
    fn variables(&self) -> Vec<(String, String)> {
        let mut env = shipshape_pg::child::libpq_env(&self.settings);
        env.push((
            "DATABASE_URL".to_owned(),
            self.settings.url_with_secret().expose().clone(),
        ));
        env.extend(self.extra.iter().map(|(k, v)| (k.clone(), self.expand(v))));
        env
    }

    /// The throwaway URL without its password (for argv: libpq and psycopg
    /// take the password from PGPASSWORD in the environment).
    pub fn public_url(&self) -> String {
        let mut s = self.settings.clone();
        s.password = None;
        s.url_with_secret().expose().clone()
    }
}

/// Relations (tables, partitioned tables, materialized views) with their
/// storage file, to see rewrites.
fn relfilenodes(db: &mut Db) -> Result<BTreeMap<String, (String, String)>, PgError> {
    let rows = db.query_text(
        "SELECT c.oid::text, n.nspname || '.' || c.relname, c.relfilenode::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some((it.next()??, (it.next()??, it.next()??)))
        })
        .collect())
}

fn rewritten(
    before: &BTreeMap<String, (String, String)>,
    after: &BTreeMap<String, (String, String)>,
) -> Vec<String> {
    before
        .iter()
        .filter_map(|(oid, (name, node))| {
            let (_, new_node) = after.get(oid)?;
            (new_node != node).then(|| name.clone())
        })
        .collect()
}

fn is_runtime(err: &PgError) -> bool {
    matches!(
        err,
        PgError::Unreachable { .. } | PgError::AuthFailed { .. } | PgError::DatabaseMissing { .. }
    )
}

fn pg_message(err: &PgError) -> String {
    match err {
        PgError::Query { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Run one SQL script on `db`. With `observe`, collect lock and rewrite hints.
pub fn run_script(db: &mut Db, script: &Script, observe: bool) -> Result<Applied, ApplyError> {
    let started = Instant::now();
    let mut applied = Applied::default();
    let before = if observe {
        Some(relfilenodes(db).map_err(|e| ApplyError::Runtime(e.into()))?)
    } else {
        None
    };
    let fail = |statement_line: Option<u32>, err: &PgError, rolled_back: bool| {
        if is_runtime(err) {
            return ApplyError::Runtime(anyhow::anyhow!(err.to_string()));
        }
        ApplyError::Failed(Failure {
            message: pg_message(err),
            file: script.file.clone(),
            line: statement_line.map(|l| l + script.first_line - 1),
            rolled_back,
        })
    };
    match &script.mode {
        TxMode::SelfManaged => {
            if let Err(err) = db.execute(&script.sql) {
                let _ = db.execute("ROLLBACK");
                return Err(fail(None, &err, false));
            }
        }
        TxMode::Outside(reason) => {
            applied.note = Some(format!("ran outside a transaction: {reason}"));
            for statement in &script.statements {
                if shipshape_core::interrupt::requested() {
                    return Err(Interrupted.into());
                }
                if let Err(err) = db.execute(&statement.text) {
                    if shipshape_core::interrupt::requested() {
                        return Err(Interrupted.into());
                    }
                    return Err(fail(Some(statement.line), &err, false));
                }
            }
        }
        TxMode::Wrapped => {
            db.execute("BEGIN")
                .map_err(|e| ApplyError::Runtime(e.into()))?;
            for statement in &script.statements {
                if shipshape_core::interrupt::requested() {
                    let _ = db.execute("ROLLBACK");
                    return Err(Interrupted.into());
                }
                if let Err(err) = db.execute(&statement.text) {
                    let _ = db.execute("ROLLBACK");
                    if shipshape_core::interrupt::requested() {
                        return Err(Interrupted.into());
                    }
                    return Err(fail(Some(statement.line), &err, true));
                }
            }
            if let Some(before) = &before {
                let rows = db
                    .query_text(
                        "SELECT DISTINCT l.relation::text FROM pg_locks l \
                         WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' \
                           AND l.mode = 'AccessExclusiveLock' AND l.granted",
                        &[],
                    )
                    .map_err(|e| ApplyError::Runtime(e.into()))?;
                let locked: BTreeSet<String> = rows
                    .into_iter()
                    .filter_map(|r| r.into_iter().next().flatten())
                    .collect();
                applied.exclusive_locks = before
                    .iter()
                    .filter(|(oid, _)| locked.contains(*oid))
                    .map(|(_, (name, _))| name.clone())
                    .collect();
            }
            if let Err(err) = db.execute("COMMIT") {
                let _ = db.execute("ROLLBACK");
                return Err(fail(None, &err, true));
            }
        }
    }
    if let Some(before) = &before {
        let after = relfilenodes(db).map_err(|e| ApplyError::Runtime(e.into()))?;
        applied.rewrites = rewritten(before, &after);
    }
    applied.duration = started.elapsed();
    Ok(applied)
}

impl Driver {
    /// Apply `migrations[index]` in `direction`. `previous` is the version
    /// to go down to (Alembic), `None` for base.
    pub fn apply(
        &self,
        db: &mut Db,
        env: &ChildEnv,
        migration: &Migration,
        previous: Option<&str>,
        direction: Direction,
        observe: bool,
    ) -> Result<Applied, ApplyError> {
        match self {
            Self::Sql => {
                let script = match direction {
                    Direction::Up => migration.up.as_ref(),
                    Direction::Down => migration.down.as_ref(),
                };
                match script {
                    Some(script) => run_script(db, script, observe),
                    None => Ok(Applied::default()),
                }
            }
            Self::Alembic { program, root } => {
                let target = match direction {
                    Direction::Up => migration.version.clone(),
                    Direction::Down => previous.unwrap_or("base").to_owned(),
                };
                let verb = match direction {
                    Direction::Up => "upgrade",
                    Direction::Down => "downgrade",
                };
                let args = vec![
                    "-x".to_owned(),
                    format!("url={}", env.public_url()),
                    verb.to_owned(),
                    target,
                ];
                self.run_tool(db, env, program, &args, root, &migration.file, observe)
            }
            Self::Command { up, down, root, .. } => {
                let argv = match direction {
                    Direction::Up => up,
                    Direction::Down => down,
                };
                self.run_tool(db, env, argv, &[], root, &migration.file, observe)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_tool(
        &self,
        db: &mut Db,
        env: &ChildEnv,
        program: &[String],
        args: &[String],
        root: &std::path::Path,
        file: &str,
        observe: bool,
    ) -> Result<Applied, ApplyError> {
        let started = Instant::now();
        let before = if observe {
            Some(relfilenodes(db).map_err(|e| ApplyError::Runtime(e.into()))?)
        } else {
            None
        };
        let finished = run_argv(env, program, args, root)?;
        if !finished.success {
            let output = format!("{}\n{}", finished.stdout, finished.stderr);
            return Err(ApplyError::Failed(Failure {
                message: format!(
                    "`{}` failed ({}):\n{}",
                    shown_command(program, args),
                    finished.status,
                    redact_url(&command::tail(&output, 12))
                ),
                file: file.to_owned(),
                line: None,
                rolled_back: false,
            }));
        }
        let mut applied = Applied::default();
        if let Some(before) = &before {
            let after = relfilenodes(db).map_err(|e| ApplyError::Runtime(e.into()))?;
            applied.rewrites = rewritten(before, &after);
        }
        applied.duration = started.elapsed();
        Ok(applied)
    }

    /// `command` layout: the current version (trimmed stdout; empty = base).
    pub fn current(&self, env: &ChildEnv) -> Result<String, ApplyError> {
        let Self::Command { current, root, .. } = self else {
            return Ok(String::new());
        };
        let finished = run_argv(env, current, &[], root)?;
        if !finished.success {
            return Err(ApplyError::Runtime(anyhow::anyhow!(
                "`{}` failed ({}): {}",
                shown_command(current, &[]),
                finished.status,
                redact_url(&command::tail(&finished.stderr, 5))
            )));
        }
        Ok(finished.stdout.trim().to_owned())
    }
}

/// Run a configured command line (program + fixed args) plus `args` in
/// `root`, with the scrubbed environment of `env`.
pub fn run_argv(
    env: &ChildEnv,
    program: &[String],
    args: &[String],
    root: &std::path::Path,
) -> Result<Finished, ApplyError> {
    if program.is_empty() {
        return Err(ApplyError::Runtime(anyhow::anyhow!("empty command")));
    }
    let mut command = ChildCommand::new(program.iter().chain(args).cloned().collect());
    command.cwd = Some(root.to_path_buf());
    command.env = env.variables();
    command.scrub = Scrub::Connections {
        pass: env.pass_env.clone(),
    };
    command.timeout = env.timeout;
    command.run().map_err(|err| match err {
        RunError::Interrupted(i) => ApplyError::Interrupted(i),
        RunError::Spawn { program, source } if source.kind() == std::io::ErrorKind::NotFound => {
            ApplyError::Runtime(anyhow::anyhow!(
                "cannot run {program}: not found\n  hint: install it, or set alembic_command / up_command in [migrate-check] (e.g. [\"python\", \"-m\", \"alembic\"])"
            ))
        }
        other => ApplyError::Runtime(other.into()),
    })
}

/// A command line as shown in messages (no secrets are ever in argv).
pub fn shown_command(program: &[String], args: &[String]) -> String {
    program
        .iter()
        .chain(args)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Snapshot helper that maps errors to runtime failures.
pub fn snapshot(db: &mut Db, ignored: &[String]) -> Result<Snapshot, ApplyError> {
    capture(db, ignored).map_err(|e| ApplyError::Runtime(e.into()))
}

/// A snapshot without the ignored relations and the sequences they own.
pub fn capture(db: &mut Db, ignored: &[String]) -> Result<Snapshot, PgError> {
    let mut snapshot = Snapshot::capture(db, ignored)?;
    drop_owned_sequences(&mut snapshot, ignored);
    Ok(snapshot)
}

/// The catalog query leaves out an ignored table and its identity sequence,
/// but not the sequence of a `serial` column (goose's `goose_db_version`,
/// a table listed in `ignore`): that sequence is bookkeeping too, and would
/// otherwise be "left behind" by every down.
fn drop_owned_sequences(snapshot: &mut Snapshot, ignored: &[String]) {
    snapshot.objects.retain(|_, object| {
        if object.kind != "sequence" {
            return true;
        }
        let Some((table, _column)) = object
            .attribute("owned by")
            .and_then(|owner| owner.rsplit_once('.'))
        else {
            return true;
        };
        let bare = table.split_once('.').map_or(table, |(_, name)| name);
        !ignored.iter().any(|i| i == table || i == bare)
    });
}

#[cfg(test)]
mod tests {
    use shipshape_pg::schema_snapshot::SchemaObject;

    use super::*;

    fn sequence(name: &str, owner: Option<&str>) -> SchemaObject {
        SchemaObject {
            kind: "sequence".into(),
            name: name.into(),
            attributes: owner
                .map(|o| ("owned by".to_owned(), o.to_owned()))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn sequences_owned_by_ignored_tables_are_ignored_too() {
        let mut snapshot = Snapshot {
            objects: [
                sequence(
                    "public.goose_db_version_id_seq",
                    Some("public.goose_db_version.id"),
                ),
                sequence("audit.log_id_seq", Some("audit.log.id")),
                sequence("public.orders_id_seq", Some("public.orders.id")),
                sequence("public.free_seq", None),
            ]
            .into_iter()
            .map(|o| (o.key(), o))
            .collect(),
        };
        drop_owned_sequences(
            &mut snapshot,
            &["goose_db_version".to_owned(), "audit.log".to_owned()],
        );
        let left: Vec<&str> = snapshot.objects.values().map(|o| o.name.as_str()).collect();
        assert_eq!(left, ["public.free_seq", "public.orders_id_seq"]);
    }
}
