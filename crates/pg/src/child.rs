//! Running libpq programs (pg_dump, pg_restore, psql) against the resolved
//! settings. The connection reaches the child through its environment
//! (`PGHOST` … `PGPASSWORD`), never through argv, which any user can read in
//! `ps`. Inherited `PG*` variables are removed first so the child connects
//! exactly where the tool decided.

use std::ffi::OsStr;
use std::process::Command;

use crate::settings::ConnectionSettings;

/// Every libpq environment variable that could redirect a child.
const LIBPQ_VARS: [&str; 16] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGTARGETSESSIONATTRS",
];

/// A `Command` for `program` that will connect as `settings` say.
pub fn command(program: impl AsRef<OsStr>, settings: &ConnectionSettings) -> Command {
    let mut cmd = Command::new(program);
    apply_env(&mut cmd, settings);
    cmd
}

/// Set the libpq environment on an existing command (e.g. one built from a
/// user's `--pg-dump "docker exec -i db pg_dump"`).
pub fn apply_env(cmd: &mut Command, settings: &ConnectionSettings) {
    for var in LIBPQ_VARS {
        cmd.env_remove(var);
    }
    // The object store's secrets and the backup passphrase are no business
    // of pg_dump, psql or pg_restore.
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "PG_BACKUP_PASSPHRASE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(libpq_env(settings));
}

/// The libpq variables that make a client connect as `settings` say
/// (password included: for a child's environment, never for argv).
pub fn libpq_env(settings: &ConnectionSettings) -> Vec<(String, String)> {
    let mut env = vec![
        ("PGHOST".to_owned(), settings.host.clone()),
        ("PGPORT".to_owned(), settings.port.to_string()),
        ("PGUSER".to_owned(), settings.user.clone()),
        ("PGDATABASE".to_owned(), settings.database.clone()),
        ("PGAPPNAME".to_owned(), "shipshape".to_owned()),
        ("PGCONNECT_TIMEOUT".to_owned(), "10".to_owned()),
    ];
    if let Some(password) = &settings.password {
        env.push(("PGPASSWORD".to_owned(), password.expose().clone()));
    }
    if let Some(mode) = &settings.sslmode {
        env.push(("PGSSLMODE".to_owned(), mode.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_goes_to_the_environment_not_argv() {
        let settings = ConnectionSettings::resolve_with(
            Some("postgres://app:hunter2@db:5433/app"),
            None,
            |_| None,
        )
        .unwrap();
        let cmd = command("pg_dump", &settings);
        let args: Vec<_> = cmd.get_args().collect();
        assert!(args.is_empty());
        let env: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(env.contains(&("PGPASSWORD".into(), Some("hunter2".into()))));
        assert!(env.contains(&("PGPORT".into(), Some("5433".into()))));
        assert!(
            env.contains(&("PGSERVICE".into(), None)),
            "inherited PGSERVICE removed"
        );
    }
}
