//! One module per subcommand.

mod list;
mod prune;
mod restore;
mod rollback;

use shipshape_core::config::{self, to_toml_fragment};
use shipshape_core::{ExitCode, Printer};
use shipshape_pg::lock::{DatabaseLock, Wait};
use shipshape_pg::{ConnectionSettings, programs};

use crate::config::{RestoreConfig, Settings};
use crate::{Cli, Command};

/// Everything a subcommand needs.
pub struct Context {
    pub printer: Printer,
    pub settings: Settings,
    pub file_config: RestoreConfig,
    pub cli_connection: shipshape_pg::ConnectionArgs,
}

impl Context {
    /// Resolve where to connect (only subcommands that talk to a server call this).
    pub fn connection(&self) -> anyhow::Result<ConnectionSettings> {
        let config_url = self
            .file_config
            .database_url
            .as_ref()
            .map(|s| s.expose().as_str());
        Ok(ConnectionSettings::resolve(
            &self.cli_connection,
            config_url,
        )?)
    }

    /// A client program new enough for `needs` (the rule all three
    /// PostgreSQL tools share), from `--pg-bin-dir`/`pg_bin_dir` or found.
    pub fn program(
        &self,
        name: &str,
        needs: programs::Needs,
    ) -> anyhow::Result<programs::ClientProgram> {
        Ok(programs::find(
            name,
            needs,
            self.settings.pg_bin_dir.as_deref(),
        )?)
    }
}

impl Context {
    /// The cross-tool advisory lock on `target`: at once, or with `--wait`
    /// (`wait` in shipshape.toml) after whoever holds it lets go.
    pub fn lock(
        &self,
        connection: &ConnectionSettings,
        target: &str,
    ) -> anyhow::Result<DatabaseLock> {
        Ok(DatabaseLock::acquire(
            connection,
            target,
            Wait::from_flag(self.settings.wait),
            |holder| {
                self.printer.status(&format!(
                    "waiting for the lock on database \"{target}\" held by {holder}"
                ));
            },
        )?)
    }
}

impl Context {
    /// The pg_restore that reads archive `file` before any server is known:
    /// one at least as new as the pg_dump its manifest names (pg_restore
    /// refuses archives of a newer pg_dump), else any, so that verifying
    /// reports an unreadable archive as a finding (exit 1) as it always has.
    pub fn archive_reader(
        &self,
        file: &std::path::Path,
    ) -> anyhow::Result<programs::ClientProgram> {
        let manifest = shipshape_pg::manifest::Manifest::read_for(file)
            .ok()
            .flatten();
        let needs = programs::Needs::default()
            .with_dump_version(manifest.as_ref().map(|m| m.pg_dump_version.as_str()));
        self.program("pg_restore", needs)
            .or_else(|_| self.program("pg_restore", programs::Needs::default()))
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    let loaded = config::load::<RestoreConfig>(&cli.global)?;
    let file = loaded.path.as_deref();
    let mut table = loaded.table;
    // Paths in the file are relative to it, whatever the current directory.
    let rebase =
        |path: Option<std::path::PathBuf>| path.map(|p| config::relative_to_file(&p, file));
    table.dir = rebase(table.dir);
    table.pg_bin_dir = rebase(table.pg_bin_dir);
    table.passphrase_file = rebase(table.passphrase_file);
    table.identity = table.identity.map(|files| {
        files
            .into_iter()
            .map(|f| config::relative_to_file(&f, file))
            .collect()
    });
    let settings = Settings::resolve(&cli.restore, cli.connection.pg_bin_dir.as_deref(), &table)?;
    if cli.global.print_config {
        let effective = settings.to_config(table.database_url.clone());
        printer.data(&to_toml_fragment(&effective)?)?;
        return Ok(ExitCode::Ok);
    }
    if cli.command.is_some()
        && (cli.restore.file.is_some()
            || cli.restore.yes
            || cli.restore.target.is_some()
            || cli.restore.latest)
    {
        return Err(shipshape_core::UsageError::new(
            "restore flags given before a subcommand; put the subcommand first, e.g. pg-restore rollback --yes --target NAME",
        )
        .into());
    }
    let ctx = Context {
        printer,
        settings,
        file_config: table,
        cli_connection: cli.connection.clone(),
    };
    match cli.command {
        Some(Command::List { file }) => list::run(&ctx, &file),
        Some(Command::Rollback(args)) => rollback::run(&ctx, &args),
        Some(Command::Prune(args)) => prune::run(&ctx, &args),
        None => restore::run(&ctx, &cli.restore),
    }
}

/// `'name'` quoted for a POSIX shell, for commands we print.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Kept databases of `target` (pre-restore and rolled-back), newest first.
pub fn kept_databases(
    names: &[String],
    target: &str,
    kinds: &[&str],
) -> Vec<(chrono::NaiveDateTime, String)> {
    let mut kept: Vec<(chrono::NaiveDateTime, String)> = names
        .iter()
        .filter_map(|n| {
            kinds
                .iter()
                .find_map(|k| crate::names::parse(target, k, n))
                .map(|ts| (ts, n.clone()))
        })
        .collect();
    kept.sort_by(|a, b| b.cmp(a));
    kept
}

/// Refuse targets that must never be replaced.
pub fn check_target_name(target: &str) -> anyhow::Result<()> {
    if ["postgres", "template0", "template1"].contains(&target) {
        return Err(shipshape_core::UsageError::new(format!(
            "refusing to replace the system database \"{target}\"; name the database to restore into with --target or in the connection URL"
        ))
        .into());
    }
    if target.is_empty() {
        return Err(shipshape_core::UsageError::new("the target database name is empty").into());
    }
    Ok(())
}
