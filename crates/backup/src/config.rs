//! Settings: flags > environment > `[pg-backup]` in shipshape.toml >
//! defaults, resolved once into [`Options`].

use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use shipshape_core::config::{self, ToolConfig};
use shipshape_core::{GlobalArgs, Secret, UsageError};
use shipshape_pg::{ConnectionArgs, ConnectionSettings};

use shipshape_repo::crypt::{Encryption, EncryptionSources};
use shipshape_repo::remote::{RemoteUrl, S3FileConfig, S3Settings};

use crate::naming::{self, Kind};
use crate::retention::Policy;
use crate::{CreateArgs, SharedArgs};

/// pg_dump's output format (`--dump-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpFormatArg {
    /// Plain SQL, compressed by pg-backup (`.sql.gz` / `.sql.zst`); restore with psql.
    #[default]
    Plain,
    /// pg_dump's custom archive (`.dump`), compressed by pg_dump; restore with pg_restore -j.
    Custom,
}

/// Compression of plain dumps (`--compress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompressArg {
    /// Multi-member gzip compressed on all cores; any gunzip reads it.
    #[default]
    Gzip,
    /// Multi-threaded zstd (`.sql.zst`).
    Zstd,
}

/// The `[pg-backup]` table. Every key is optional.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    pub database_url: Option<Secret<String>>,
    pub dir: Option<PathBuf>,
    pub prefix: Option<String>,
    pub dump_format: Option<DumpFormatArg>,
    pub compress: Option<CompressArg>,
    pub compress_level: Option<u32>,
    pub jobs: Option<usize>,
    pub lock_wait_timeout: Option<u64>,
    pub pg_dump: Option<String>,
    pub pg_bin_dir: Option<PathBuf>,
    pub keep_days: Option<u32>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_min: Option<u32>,
    pub verify_restore: Option<bool>,
    pub globals: Option<bool>,
    pub globals_with_passwords: Option<bool>,
    pub on_success: Option<String>,
    pub on_failure: Option<String>,
    pub metrics_file: Option<PathBuf>,
    pub wait: Option<bool>,
    /// Off-site repository, `s3://bucket/prefix`.
    pub to: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_virtual_hosted: Option<bool>,
    /// age recipients (public keys) the off-site copy is encrypted to.
    pub encrypt_to: Option<Vec<String>>,
    pub recipients_file: Option<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
}

impl ToolConfig for FileConfig {
    const TABLE: &'static str = "pg-backup";
}

pub const DEFAULT_KEEP_DAYS: u32 = 7;
pub const DEFAULT_KEEP_MIN: u32 = 1;
pub const DEFAULT_LOCK_WAIT_SECONDS: u64 = 300;

/// An off-site repository and how to reach it.
#[derive(Debug, Clone)]
pub struct RemoteRepo {
    pub url: RemoteUrl,
    pub s3: S3Settings,
}

/// Settings every subcommand uses.
#[derive(Debug, Clone)]
pub struct Shared {
    pub dir: PathBuf,
    /// Is there a local repository? False when only `--to` names one.
    pub local: bool,
    pub remote: Option<RemoteRepo>,
    /// Encryption and decryption by passphrase (scrypt).
    pub passphrase_file: Option<PathBuf>,
    /// `None` for `list`/`verify` without an explicit prefix: all backups.
    pub prefix: Option<String>,
    pub policy: Policy,
    pub wait: bool,
    pub connection: ConnectionArgs,
    pub config_url: Option<String>,
}

impl Shared {
    /// The connection settings (no connection is made).
    pub fn settings(&self) -> Result<ConnectionSettings, UsageError> {
        ConnectionSettings::resolve(&self.connection, self.config_url.as_deref())
    }

    /// The prefix, defaulting to the database name.
    pub fn prefix_or_database(&self) -> Result<String, UsageError> {
        match &self.prefix {
            Some(prefix) => Ok(prefix.clone()),
            None => {
                let database = self.settings()?.database;
                if naming::valid_prefix(&database) {
                    Ok(database)
                } else {
                    Err(UsageError::new(format!(
                        "the database name \"{database}\" cannot be used as a file prefix; pass --prefix NAME"
                    )))
                }
            }
        }
    }
}

/// Settings of `create`.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    pub kind: Kind,
    /// `None`: pg_dump's default (custom format only).
    pub compress_level: Option<u32>,
    pub jobs: usize,
    pub lock_wait_timeout: Duration,
    pub pg_dump: Option<Vec<String>>,
    pub verify_restore: bool,
    pub globals: bool,
    pub globals_with_passwords: bool,
    pub on_success: Option<Vec<String>>,
    pub on_failure: Option<Vec<String>>,
    pub metrics_file: Option<PathBuf>,
    /// age encryption of the off-site copy.
    pub encryption: Option<std::sync::Arc<Encryption>>,
    /// Who asked for the backup; decides the locking and retention.
    pub on_behalf: OnBehalf,
}

/// `pg-backup create` itself, or another tool taking a backup through the
/// same code (pg-restore's `--in-place` safety backup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBehalf {
    /// Takes the database advisory lock and applies retention.
    PgBackup,
    /// The caller already holds the database advisory lock (taking it again
    /// from another connection would wait for ourselves), and a one-off
    /// backup must never prune the directory it is written to.
    Caller,
}

/// The `[pg-backup]` table of shipshape.toml (empty without a file).
pub fn load(global: &GlobalArgs) -> Result<FileConfig, config::ConfigError> {
    let loaded = config::load::<FileConfig>(global)?;
    let file = loaded.path.as_deref();
    let mut table = loaded.table;
    // Paths in the file are relative to it, whatever the current directory.
    let rebase = |path: Option<PathBuf>| path.map(|p| config::relative_to_file(&p, file));
    table.dir = rebase(table.dir);
    table.pg_bin_dir = rebase(table.pg_bin_dir);
    table.metrics_file = rebase(table.metrics_file);
    table.recipients_file = rebase(table.recipients_file);
    table.passphrase_file = rebase(table.passphrase_file);
    Ok(table)
}

pub fn shared(
    args: &SharedArgs,
    connection: &ConnectionArgs,
    file: &FileConfig,
) -> Result<Shared, UsageError> {
    let prefix = args.prefix.clone().or_else(|| file.prefix.clone());
    if let Some(prefix) = &prefix
        && !naming::valid_prefix(prefix)
    {
        return Err(UsageError::new(format!(
            "invalid --prefix \"{prefix}\": it must be non-empty, not start with '.', and contain no '/'"
        )));
    }
    let mut connection = connection.clone();
    if connection.pg_bin_dir.is_none() {
        connection.pg_bin_dir = file.pg_bin_dir.clone();
    }
    let remote = remote_repo(args, file)?;
    let dir = args.dir.clone().or_else(|| file.dir.clone());
    Ok(Shared {
        local: dir.is_some() || remote.is_none(),
        dir: dir.unwrap_or_else(|| PathBuf::from(".")),
        remote,
        passphrase_file: args
            .passphrase_file
            .clone()
            .or_else(|| file.passphrase_file.clone()),
        prefix,
        policy: Policy {
            keep_days: config::layer(args.keep_days, None, file.keep_days, DEFAULT_KEEP_DAYS),
            keep_daily: config::layer(args.keep_daily, None, file.keep_daily, 0),
            keep_weekly: config::layer(args.keep_weekly, None, file.keep_weekly, 0),
            keep_monthly: config::layer(args.keep_monthly, None, file.keep_monthly, 0),
            keep_min: config::layer(args.keep_min, None, file.keep_min, DEFAULT_KEEP_MIN),
        },
        wait: args.wait || file.wait.unwrap_or(false),
        connection,
        config_url: file.database_url.as_ref().map(|s| s.expose().clone()),
    })
}

/// `--to` (or `to` in the file) and the S3 settings to reach it.
fn remote_repo(args: &SharedArgs, file: &FileConfig) -> Result<Option<RemoteRepo>, UsageError> {
    let Some(text) = args.to.clone().or_else(|| file.to.clone()) else {
        return Ok(None);
    };
    let url = RemoteUrl::parse(&text).map_err(|e| UsageError::new(format!("--to: {e}")))?;
    let file_s3 = S3FileConfig {
        s3_endpoint: file.s3_endpoint.clone(),
        s3_region: file.s3_region.clone(),
        s3_virtual_hosted: file.s3_virtual_hosted,
    };
    let s3 = S3Settings::resolve(&args.s3, &file_s3, &config::env_var);
    Ok(Some(RemoteRepo { url, s3 }))
}

/// The passphrase sources: `--passphrase-file`, else `PG_BACKUP_PASSPHRASE`.
pub fn passphrase_sources(shared: &Shared) -> EncryptionSources {
    EncryptionSources::passphrase(shared.passphrase_file.clone())
}

fn encryption(
    args: &CreateArgs,
    file: &FileConfig,
    shared: &Shared,
) -> Result<Option<std::sync::Arc<Encryption>>, UsageError> {
    let mut sources = passphrase_sources(shared);
    sources.recipients = if args.encrypt_to.is_empty() {
        file.encrypt_to.clone().unwrap_or_default()
    } else {
        args.encrypt_to.clone()
    };
    sources.recipients_files = args
        .recipients_file
        .clone()
        .or_else(|| file.recipients_file.clone())
        .into_iter()
        .collect();
    let asked = !sources.recipients.is_empty() || !sources.recipients_files.is_empty();
    if asked && shared.remote.is_none() {
        return Err(UsageError::new(
            "--encrypt-to and --recipients-file encrypt the off-site copy: add --to s3://BUCKET/PREFIX \
             (the local copy stays on the database host, which can read the database anyway)",
        ));
    }
    if shared.remote.is_none() {
        return Ok(None);
    }
    Encryption::resolve(&sources)
        .map(|e| e.map(std::sync::Arc::new))
        .map_err(|e| UsageError::new(e.to_string()))
}

pub fn create(
    args: &CreateArgs,
    file: &FileConfig,
    shared: &Shared,
) -> Result<CreateOptions, UsageError> {
    let format = config::layer(
        args.dump_format,
        None,
        file.dump_format,
        DumpFormatArg::Plain,
    );
    let compress = config::layer(args.compress, None, file.compress, CompressArg::Gzip);
    let kind = match (format, compress) {
        (DumpFormatArg::Custom, _) => Kind::Custom,
        (DumpFormatArg::Plain, CompressArg::Gzip) => Kind::SqlGzip,
        (DumpFormatArg::Plain, CompressArg::Zstd) => Kind::SqlZstd,
    };
    if format == DumpFormatArg::Custom && args.compress == Some(CompressArg::Zstd) {
        return Err(UsageError::new(
            "--compress zstd applies to plain dumps; a custom-format archive is compressed by pg_dump itself (use --compress-level)",
        ));
    }
    let level = args.compress_level.or(file.compress_level);
    let (range, default) = match kind {
        Kind::SqlGzip => (1..=9, Some(6)),
        Kind::SqlZstd => (1..=19, Some(3)),
        Kind::Custom => (0..=9, None),
    };
    if let Some(level) = level
        && !range.contains(&level)
    {
        return Err(UsageError::new(format!(
            "--compress-level {level} is out of range for {}: use {} to {}",
            kind.extension(),
            range.start(),
            range.end()
        )));
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let jobs = config::layer(args.jobs, None, file.jobs, cores);
    if jobs == 0 {
        return Err(UsageError::new("--jobs must be at least 1"));
    }
    let verify_restore = args.verify_restore || file.verify_restore.unwrap_or(false);
    if verify_restore && !shared.local {
        return Err(UsageError::new(
            "--verify-restore needs a local copy to restore from: add --dir, or run the restore drill \
             `pg-backup verify --restore --latest --to URL --identity FILE` where the identity is kept",
        ));
    }
    let globals = args.globals || args.globals_with_passwords || file.globals.unwrap_or(false);
    if globals && !shared.local {
        return Err(UsageError::new(
            "--globals is saved beside the local copy only: add --dir for a local repository as well as --to",
        ));
    }
    let split = |value: Option<&String>, origin: &str| {
        value
            .map(|v| shipshape_core::command::split(v, origin))
            .transpose()
    };
    Ok(CreateOptions {
        kind,
        compress_level: level.or(default),
        jobs,
        lock_wait_timeout: Duration::from_secs(config::layer(
            args.lock_wait_timeout,
            None,
            file.lock_wait_timeout,
            DEFAULT_LOCK_WAIT_SECONDS,
        )),
        pg_dump: split(args.pg_dump.as_ref().or(file.pg_dump.as_ref()), "--pg-dump")?,
        verify_restore: args.verify_restore || file.verify_restore.unwrap_or(false),
        globals: args.globals || args.globals_with_passwords || file.globals.unwrap_or(false),
        globals_with_passwords: args.globals_with_passwords
            || file.globals_with_passwords.unwrap_or(false),
        on_success: split(
            args.on_success.as_ref().or(file.on_success.as_ref()),
            "--on-success",
        )?,
        on_failure: split(
            args.on_failure.as_ref().or(file.on_failure.as_ref()),
            "--on-failure",
        )?,
        on_behalf: OnBehalf::PgBackup,
        encryption: encryption(args, file, shared)?,
        metrics_file: args
            .metrics_file
            .clone()
            .or_else(|| file.metrics_file.clone()),
    })
}

/// The effective configuration as a `[pg-backup]` table, for `--print-config`.
pub fn effective(
    shared: &Shared,
    create: &CreateOptions,
    settings: Option<&ConnectionSettings>,
) -> FileConfig {
    let join = |w: &Option<Vec<String>>| w.as_ref().map(|w| w.join(" "));
    FileConfig {
        database_url: settings.map(|s| Secret::new(s.display_url())),
        dir: Some(shared.dir.clone()),
        prefix: shared
            .prefix
            .clone()
            .or_else(|| settings.map(|s| s.database.clone())),
        dump_format: Some(match create.kind {
            Kind::Custom => DumpFormatArg::Custom,
            _ => DumpFormatArg::Plain,
        }),
        compress: Some(match create.kind {
            Kind::SqlZstd => CompressArg::Zstd,
            _ => CompressArg::Gzip,
        }),
        compress_level: create.compress_level,
        jobs: Some(create.jobs),
        lock_wait_timeout: Some(create.lock_wait_timeout.as_secs()),
        pg_dump: join(&create.pg_dump),
        pg_bin_dir: shared.connection.pg_bin_dir.clone(),
        keep_days: Some(shared.policy.keep_days),
        keep_daily: Some(shared.policy.keep_daily),
        keep_weekly: Some(shared.policy.keep_weekly),
        keep_monthly: Some(shared.policy.keep_monthly),
        keep_min: Some(shared.policy.keep_min),
        verify_restore: Some(create.verify_restore),
        globals: Some(create.globals),
        globals_with_passwords: Some(create.globals_with_passwords),
        on_success: join(&create.on_success),
        on_failure: join(&create.on_failure),
        metrics_file: create.metrics_file.clone(),
        wait: Some(shared.wait),
        to: shared.remote.as_ref().map(|r| r.url.to_string()),
        s3_endpoint: shared.remote.as_ref().and_then(|r| r.s3.endpoint.clone()),
        s3_region: shared.remote.as_ref().map(|r| r.s3.region.clone()),
        s3_virtual_hosted: shared.remote.as_ref().map(|r| r.s3.virtual_hosted),
        encrypt_to: create.encryption.as_ref().map(|e| e.labels()),
        recipients_file: None,
        passphrase_file: shared.passphrase_file.clone(),
    }
}
