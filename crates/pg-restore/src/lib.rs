//! `pg-restore`: verify a backup, restore it beside the live database, swap
//! atomically and keep the old database for an instant rollback.
//!
//! The flow of a restore (see `restore.rs`): verify the whole file before
//! touching the server, check the server and the privileges the run needs,
//! take the cross-tool advisory lock, confirm, load into
//! `<target>_restoring_<ts>`, check it, then swap names.

mod autovacuum;
mod commands;
mod config;
mod dbops;
mod direct;
mod early;
mod filter;
mod hooks;
mod input;
mod load;
mod names;
mod parallel;
mod remote;
mod rules;
mod scan;
mod schedule;
mod server;
mod split;
mod swap;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use shipshape_core::{ExitCode, GlobalArgs};
use shipshape_pg::ConnectionArgs;

const EXAMPLES: &str = "Examples:
  pg-restore backup.sql.gz                      restore into the database DATABASE_URL names
  pg-restore --yes --target app_copy app.dump   restore into another database, no prompt
  pg-restore --latest --dir /var/backups/app    the newest verified backup in a pg-backup directory
  pg-restore --latest --from s3://backups/app --identity backup.key
                                                the newest verified off-site backup, decrypted
  pg-restore s3://backups/app/app_20261207_030000.sql.gz.age --identity backup.key
  pg-restore list backup.sql.gz                 what the file contains (no server needed)
  pg-restore rollback --yes                     put back the database the last restore replaced
  pg-restore prune                              drop kept databases beyond keep_previous";

/// Verify a backup, restore it beside the live database, swap atomically, keep the old one for rollback.
///
/// The restore goes into a new database `<target>_restoring_<YYYYmmdd_HHMMSS>` (UTC); only when it
/// loaded completely and passed its checks are the names swapped, and the previous database is kept
/// as `<target>_pre_restore_<YYYYmmdd_HHMMSS>` for `pg-restore rollback`.
#[derive(Debug, Parser)]
#[command(name = "pg-restore", version, about, long_about = None, styles = shipshape_core::cli::styles(),
    subcommand_negates_reqs = true,
    after_help = format!("{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    #[command(flatten)]
    pub(crate) restore: RestoreArgs,
}

/// Subcommands; without one, pg-restore restores FILE.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show what a backup file contains (tables with their data sizes, other objects); no server needed
    List {
        /// The backup file (.sql.gz, .sql.zst, .sql, pg_dump -Fc .dump, or a directory-format dump)
        file: PathBuf,
    },
    /// Put back the database the last restore replaced (the newest <target>_pre_restore_*)
    Rollback(RollbackArgs),
    /// Drop kept databases (<target>_pre_restore_*, <target>_rolled_back_*) beyond keep_previous
    Prune(PruneArgs),
}

/// Flags of a restore.
#[derive(Debug, Args, Default)]
pub(crate) struct RestoreArgs {
    /// The backup file; its kind is detected from its content
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,

    /// Restore the newest verified backup in --dir or --from (or `dir`/`from` in shipshape.toml)
    #[arg(long)]
    pub(crate) latest: bool,

    /// Off-site repository s3://BUCKET/PREFIX that --latest looks in
    #[arg(long, value_name = "URL", env = "PG_RESTORE_FROM")]
    pub(crate) from: Option<String>,

    /// age identity file (or unencrypted SSH private key) for encrypted off-site backups (repeatable)
    #[arg(long, value_name = "FILE")]
    pub(crate) identity: Vec<PathBuf>,

    /// Passphrase (first line of FILE) of a passphrase-encrypted backup [env: PG_BACKUP_PASSPHRASE]
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) s3: shipshape_repo::remote::S3Args,

    /// A pg-backup directory, for --latest
    #[arg(long, value_name = "DIR", env = "PG_RESTORE_DIR")]
    pub(crate) dir: Option<PathBuf>,

    /// Restore into this database instead of the one the connection settings name
    #[arg(long, value_name = "NAME")]
    pub(crate) target: Option<String>,

    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short, long)]
    pub(crate) yes: bool,

    /// Parallel connections for loading data and building indexes, plus one that builds the indexes of loaded tables during the load [default: number of cores]
    #[arg(short, long, value_name = "N", env = "PG_RESTORE_JOBS")]
    pub(crate) jobs: Option<usize>,

    /// Do not restore object ownership; everything is owned by the connecting user
    #[arg(long)]
    pub(crate) no_owner: bool,

    /// Do not restore GRANT/REVOKE (access privileges)
    #[arg(long)]
    pub(crate) no_privileges: bool,

    /// Give objects owned by role OLD (and its grants) to role NEW instead; repeatable
    #[arg(long, value_name = "OLD=NEW")]
    pub(crate) owner_map: Vec<String>,

    /// Drop the previous database after a successful swap instead of keeping it
    #[arg(long)]
    pub(crate) drop_previous: bool,

    /// After the swap, drop this target's kept databases beyond the newest N (also the default of prune --keep) [default: keep all; prune keeps 1]
    #[arg(long, value_name = "N", env = "PG_RESTORE_KEEP_PREVIOUS")]
    pub(crate) keep_previous: Option<usize>,

    /// Command run just before the swap (split into words, no shell), e.g. to stop app servers
    #[arg(long, value_name = "CMD")]
    pub(crate) pre_swap: Option<String>,

    /// Command run just after the swap (also after a failed swap was undone)
    #[arg(long, value_name = "CMD")]
    pub(crate) post_swap: Option<String>,

    /// Fallback without CREATEDB: safety backup, then drop and recreate the target and restore into it
    #[arg(long)]
    pub(crate) in_place: bool,

    /// If another pg-backup or pg-restore holds the target's lock, wait for it instead of exiting 3
    /// (also for rollback and prune)
    #[arg(long, global = true)]
    pub(crate) wait: bool,

    /// Where --in-place writes its safety backup [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub(crate) safety_dir: Option<PathBuf>,
}

/// Flags of `rollback`.
#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The database to roll back [default: the one the connection settings name]
    #[arg(long, value_name = "NAME")]
    pub(crate) target: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short, long)]
    pub(crate) yes: bool,
}

/// Flags of `prune`.
#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// The database whose kept copies are pruned [default: the one the connection settings name]
    #[arg(long, value_name = "NAME")]
    pub(crate) target: Option<String>,
    /// How many kept databases to leave [default: keep_previous from shipshape.toml, else 1]
    #[arg(long, value_name = "N")]
    pub(crate) keep: Option<usize>,
    /// Show what would be dropped, drop nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    commands::run(cli)
}
