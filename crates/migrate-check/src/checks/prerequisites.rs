//! `prerequisites`: the directory and its files exist and parse, the server
//! is reachable, the user may create databases, the migration tool runs.

use std::path::Path;

use shipshape_pg::Db;

use crate::checks::Check;
use crate::driver::{ApplyError, ChildEnv, run_argv, shown_command};
use crate::layout::Problem;

/// What the server allows us: problems found (not reachability, which is a
/// runtime failure reported by the caller).
pub fn server(admin: &mut Db, template: &str) -> anyhow::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let user = admin.settings().user.clone();
    let may_create = admin.query_value(
        "SELECT (rolcreatedb OR rolsuper)::text FROM pg_roles WHERE rolname = current_user",
        &[],
    )?;
    if may_create.as_deref() != Some("true") {
        problems.push(
            Problem::new(
                Check::Prerequisites,
                format!("user \"{user}\" may not create databases, and every check runs in a throwaway database"),
            )
            .help(format!(
                "grant it with: ALTER ROLE \"{user}\" CREATEDB; or connect as a role that has CREATEDB"
            )),
        );
    }
    let exists = admin.query_value(
        "SELECT datname::text FROM pg_database WHERE datname = $1",
        &[template],
    )?;
    if exists.is_none() {
        problems.push(
            Problem::new(Check::Prerequisites, format!("template database \"{template}\" does not exist"))
                .help("set `template` in [migrate-check] to an existing database, or leave it unset for template0"),
        );
    }
    Ok(problems)
}

/// Run `alembic heads` once: proves the command, the ini file and the
/// revision files load. A tool that cannot start is a runtime failure.
pub fn alembic(
    env: &ChildEnv,
    program: &[String],
    root: &Path,
) -> Result<Vec<Problem>, ApplyError> {
    let args = ["heads".to_owned()];
    let finished = run_argv(env, program, &args, root)?;
    if finished.success {
        return Ok(Vec::new());
    }
    let output = format!("{}\n{}", finished.stdout, finished.stderr);
    Err(ApplyError::Runtime(anyhow::anyhow!(
        "`{}` failed in {} ({}):\n{}\n  hint: check that alembic, SQLAlchemy and the database driver are installed where alembic_command points",
        shown_command(program, &args),
        root.display(),
        finished.status,
        shipshape_core::redact_url(&crate::command::tail(&output, 12))
    )))
}
