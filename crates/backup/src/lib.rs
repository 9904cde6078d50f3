//! `pg-backup`: verified, checksummed, atomic PostgreSQL backups with safe
//! retention. See docs/pg-backup.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use shipshape_core::{ExitCode, GlobalArgs, Printer};
use shipshape_pg::ConnectionArgs;

mod commands;
mod config;
mod copycount;
mod destination;
mod dirlock;
mod dump;
mod file_check;
mod fsx;
mod hooks;
use shipshape_core::human;
mod metrics;
mod offsite;
// Backup names and the directory inventory are shared with pg-restore.
use shipshape_repo::inventory;
pub use shipshape_repo::naming;
mod restore_check;
mod retention;
mod rules;
mod sink;
mod sys;

use commands::{create, list, prune, verify};
use config::{CompressArg, DumpFormatArg};
pub use create::backup_on_behalf;

const EXAMPLES: &str = "Examples:
  pg-backup --dir /var/backups/app                    # back up $DATABASE_URL's database
  pg-backup --dir /var/backups/app --keep-daily 7 --keep-weekly 4 --keep-monthly 12
  pg-backup --dir /b --pg-dump 'docker exec -i -e PGPASSWORD db pg_dump'
  pg-backup --dir /b --on-failure 'curl -fsS https://hc.example/fail' --metrics-file /var/lib/node_exporter/pg_backup.prom
  pg-backup list --dir /var/backups/app
  pg-backup verify --all --verify-restore --dir /var/backups/app
  pg-backup prune --dry-run --dir /var/backups/app --keep-days 14
  pg-backup keygen --output backup.key           # prints the public key for --encrypt-to
  pg-backup --dir /b --to s3://backups/app --encrypt-to age1…   # and an encrypted off-site copy
  pg-backup verify --restore --latest --to s3://backups/app --identity backup.key  # drill

Files are named DIR/<prefix>_<YYYYmmdd_HHMMSS>.sql.gz (timestamp in UTC),
with a manifest <file>.json beside each. A bare `pg-backup` is `pg-backup create`.";

/// Verified, checksummed, atomic PostgreSQL backups with safe retention.
#[derive(Debug, Parser)]
#[command(name = "pg-backup", version, about, styles = shipshape_core::cli::styles(),
    after_help = format!("{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,

    #[command(flatten)]
    pub(crate) shared: SharedArgs,

    #[command(subcommand)]
    pub(crate) command: Option<Commands>,

    /// Options of `create` (a bare `pg-backup` creates a backup).
    #[command(flatten)]
    pub(crate) create: CreateArgs,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct SharedArgs {
    /// Backup directory (created 0700 if missing) [default: current directory]
    #[arg(long, global = true, value_name = "DIR", env = "PG_BACKUP_DIR")]
    pub(crate) dir: Option<PathBuf>,

    /// File name prefix [default: the database name]
    #[arg(long, global = true, value_name = "NAME", env = "PG_BACKUP_PREFIX")]
    pub(crate) prefix: Option<String>,

    /// Keep backups younger than N days (by the UTC time in the name) [default: 7]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) keep_days: Option<u32>,

    /// Also keep the newest verified backup of each of the last N days [default: 0]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) keep_daily: Option<u32>,

    /// Also keep the newest verified backup of each of the last N ISO weeks [default: 0]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) keep_weekly: Option<u32>,

    /// Also keep the newest verified backup of each of the last N months [default: 0]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) keep_monthly: Option<u32>,

    /// Never go below N verified backups, however old [default: 1]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) keep_min: Option<u32>,

    /// If another pg-backup holds the directory or database lock, wait for it instead of exiting 3
    #[arg(long, global = true)]
    pub(crate) wait: bool,

    /// Off-site repository s3://BUCKET/PREFIX: create streams the backup there (with --dir, as well
    /// as locally; each keeps its own retention); list, verify and prune work on it
    #[arg(long, global = true, value_name = "URL", env = "PG_BACKUP_TO")]
    pub(crate) to: Option<String>,

    #[command(flatten)]
    pub(crate) s3: shipshape_repo::remote::S3Args,

    /// Passphrase (first line of FILE) for age scrypt encryption or decryption
    /// [env: PG_BACKUP_PASSPHRASE]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
}

/// Options of `create`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct CreateArgs {
    /// pg_dump format: plain SQL (.sql.gz/.sql.zst, restore with psql) or custom (.dump, restore with pg_restore -j)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) dump_format: Option<DumpFormatArg>,

    /// Compression of plain dumps [default: gzip]
    #[arg(long, value_enum, value_name = "ALGO")]
    pub(crate) compress: Option<CompressArg>,

    /// Compression level: gzip 1-9 [6], zstd 1-19 [3], custom 0-9 [pg_dump's default]
    #[arg(long, value_name = "N")]
    pub(crate) compress_level: Option<u32>,

    /// Compression threads [default: number of CPUs]
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,

    /// Fail instead of waiting longer than this for a table lock (a migration) [default: 300]
    #[arg(long, value_name = "SECONDS")]
    pub(crate) lock_wait_timeout: Option<u64>,

    /// Run pg_dump this way, e.g. "docker exec -i -e PGPASSWORD db pg_dump" (split into words, no shell)
    #[arg(long, value_name = "CMD")]
    pub(crate) pg_dump: Option<String>,

    /// After writing, restore into a throwaway database and compare every table's row count
    #[arg(long)]
    pub(crate) verify_restore: bool,

    /// Also save roles and grants (pg_dumpall --globals-only, without passwords) beside the backup
    #[arg(long)]
    pub(crate) globals: bool,

    /// Like --globals, including role password hashes
    #[arg(long)]
    pub(crate) globals_with_passwords: bool,

    /// Run CMD after a successful backup (no shell; PG_BACKUP_* variables describe the result)
    #[arg(long, value_name = "CMD")]
    pub(crate) on_success: Option<String>,

    /// Run CMD after a failed backup (no shell; PG_BACKUP_* variables describe the failure)
    #[arg(long, value_name = "CMD")]
    pub(crate) on_failure: Option<String>,

    /// Write Prometheus textfile-collector metrics to PATH (atomically)
    #[arg(long, value_name = "PATH")]
    pub(crate) metrics_file: Option<PathBuf>,

    /// Encrypt the off-site copy to this age recipient (age1… or an SSH public key; repeatable)
    #[arg(long, value_name = "RECIPIENT")]
    pub(crate) encrypt_to: Vec<String>,

    /// Encrypt the off-site copy to the recipients in FILE (one per line, # comments)
    #[arg(long, value_name = "FILE")]
    pub(crate) recipients_file: Option<PathBuf>,
}

impl CreateArgs {
    /// These options, with any not given taken from `other` (the same
    /// options given before the `create` subcommand).
    fn or(self, other: &Self) -> Self {
        Self {
            dump_format: self.dump_format.or(other.dump_format),
            compress: self.compress.or(other.compress),
            compress_level: self.compress_level.or(other.compress_level),
            jobs: self.jobs.or(other.jobs),
            lock_wait_timeout: self.lock_wait_timeout.or(other.lock_wait_timeout),
            pg_dump: self.pg_dump.or_else(|| other.pg_dump.clone()),
            verify_restore: self.verify_restore || other.verify_restore,
            globals: self.globals || other.globals,
            globals_with_passwords: self.globals_with_passwords || other.globals_with_passwords,
            on_success: self.on_success.or_else(|| other.on_success.clone()),
            on_failure: self.on_failure.or_else(|| other.on_failure.clone()),
            metrics_file: self.metrics_file.or_else(|| other.metrics_file.clone()),
            encrypt_to: if self.encrypt_to.is_empty() {
                other.encrypt_to.clone()
            } else {
                self.encrypt_to
            },
            recipients_file: self
                .recipients_file
                .or_else(|| other.recipients_file.clone()),
        }
    }

    /// Was any of these options given?
    fn is_set(&self) -> bool {
        self.dump_format.is_some()
            || self.compress.is_some()
            || self.compress_level.is_some()
            || self.jobs.is_some()
            || self.lock_wait_timeout.is_some()
            || self.pg_dump.is_some()
            || self.verify_restore
            || self.globals
            || self.globals_with_passwords
            || self.on_success.is_some()
            || self.on_failure.is_some()
            || self.metrics_file.is_some()
            || !self.encrypt_to.is_empty()
            || self.recipients_file.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Commands {
    /// Back up the database (the default)
    Create(CreateArgs),
    /// List the backups in DIR: name, time, size, age, verification, checksum
    List,
    /// Read backups back in full and compare them with their manifests (exit 1 on any problem)
    Verify {
        /// A backup file (a path, or a name in DIR) [default: the newest backup]
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// Verify every backup in DIR (of --prefix, if given)
        #[arg(long)]
        all: bool,
        /// Also restore the newest intact backup checked (or FILE) into a throwaway database
        /// and compare every table's row count with its manifest (needs CREATEDB): the restore drill
        #[arg(long, visible_alias = "restore")]
        verify_restore: bool,
        /// Check the newest backup (the default without FILE or --all; says so in a script)
        #[arg(long, conflicts_with_all = ["file", "all"])]
        latest: bool,
        /// age identity file (or unencrypted SSH private key) to decrypt encrypted off-site backups (repeatable)
        #[arg(long, value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// Record the restore drill's outcome as pg_backup_last_restore_test_* metrics in PATH
        #[arg(long, value_name = "PATH")]
        metrics_file: Option<PathBuf>,
    },
    /// Create an age identity for encrypted off-site backups; prints its public key
    Keygen {
        /// Where to write the identity (private key; created 0600, never overwritten)
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        /// A post-quantum key (age1pq1…, needs age 1.3+ to read elsewhere) instead of X25519
        #[arg(long)]
        post_quantum: bool,
    },
    /// Apply retention now: delete backups no rule keeps
    Prune {
        /// Show what would be deleted without deleting
        #[arg(long)]
        dry_run: bool,
    },
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    let file_config = config::load(&cli.global)?;
    let shared = config::shared(&cli.shared, &cli.connection, &file_config)?;
    let create_args = match &cli.command {
        // `pg-backup --verify-restore create --jobs 2`: both places count.
        Some(Commands::Create(args)) => args.clone().or(&cli.create),
        _ => cli.create.clone(),
    };
    let create_opts = config::create(&create_args, &file_config, &shared)?;
    if cli.global.print_config {
        let settings = shared.settings().ok();
        let effective = config::effective(&shared, &create_opts, settings.as_ref());
        printer.data(&shipshape_core::config::to_toml_fragment(&effective)?)?;
        return Ok(ExitCode::Ok);
    }
    if matches!(&cli.command, Some(c) if !matches!(c, Commands::Create(_))) && cli.create.is_set() {
        return Err(shipshape_core::UsageError::new(
            "backup options (--dump-format, --compress, --jobs, --on-success ...) belong to `create`; \
             they cannot be combined with list, verify or prune",
        )
        .into());
    }
    match &cli.command {
        None | Some(Commands::Create(_)) => create::run(&printer, &shared, &create_opts),
        Some(Commands::List) => list::run(&printer, &shared),
        Some(Commands::Verify {
            file,
            all,
            verify_restore,
            latest: _,
            identity,
            metrics_file,
        }) => verify::run(
            &printer,
            &shared,
            &verify::Request {
                file: file.as_deref(),
                all: *all,
                restore: *verify_restore,
                identities: identity,
                metrics_file: metrics_file.as_deref(),
            },
        ),
        Some(Commands::Prune { dry_run }) => prune::run(&printer, &shared, *dry_run),
        Some(Commands::Keygen {
            output,
            post_quantum,
        }) => commands::keygen::run(&printer, output, *post_quantum),
    }
}
