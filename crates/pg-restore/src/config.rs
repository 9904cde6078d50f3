//! The `[pg-restore]` table of `shipshape.toml` and how each setting is
//! resolved (flag > environment > file > default).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use shipshape_core::Secret;
use shipshape_core::config::{ToolConfig, env_var, layer};
use shipshape_repo::remote::{RemoteUrl, S3FileConfig, S3Settings};

/// `[pg-restore]` in shipshape.toml. Every key is documented in docs/configuration.md.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RestoreConfig {
    /// Connection URL used when neither --database-url, DATABASE_URL nor PG* are set.
    pub database_url: Option<Secret<String>>,
    /// pg-backup directory for --latest.
    pub dir: Option<PathBuf>,
    /// Directory of pg_restore and psql, when --pg-bin-dir is not given.
    pub pg_bin_dir: Option<PathBuf>,
    /// How many previous databases to keep per target (`prune` and after each restore).
    pub keep_previous: Option<usize>,
    /// Parallel connections for loading.
    pub jobs: Option<usize>,
    /// Hook commands around the swap.
    pub pre_swap: Option<String>,
    pub post_swap: Option<String>,
    pub no_owner: Option<bool>,
    pub no_privileges: Option<bool>,
    /// `old=new` role mappings.
    pub owner_map: Option<Vec<String>>,
    /// Seconds to wait for sessions to end after they were terminated before the swap gives up.
    pub terminate_timeout_seconds: Option<u64>,
    /// Queue behind another pg-backup/pg-restore holding the target's lock.
    pub wait: Option<bool>,
    /// Off-site repository for --latest, `s3://bucket/prefix`.
    pub from: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_virtual_hosted: Option<bool>,
    /// age identity files that decrypt off-site backups.
    pub identity: Option<Vec<PathBuf>>,
    pub passphrase_file: Option<PathBuf>,
}

impl ToolConfig for RestoreConfig {
    const TABLE: &'static str = "pg-restore";
}

/// The settings of one run after precedence.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: Option<PathBuf>,
    /// --pg-bin-dir, else `pg_bin_dir` in the file.
    pub pg_bin_dir: Option<PathBuf>,
    pub keep_previous: usize,
    /// keep_previous was set (file or environment): restores prune after the swap.
    pub keep_previous_configured: bool,
    pub jobs: usize,
    pub pre_swap: Option<String>,
    pub post_swap: Option<String>,
    pub no_owner: bool,
    pub no_privileges: bool,
    pub owner_map: Vec<(String, String)>,
    pub terminate_timeout_seconds: u64,
    /// `--wait`: queue behind another holder of the target's lock.
    pub wait: bool,
    /// `--from`: the off-site repository `--latest` looks in.
    pub from: Option<RemoteUrl>,
    /// How to reach the store (used for `--from` and `s3://` FILEs).
    pub s3: S3Settings,
    pub identities: Vec<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
}

/// Parse `old=new`.
pub fn parse_owner_map(items: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() => {
                Ok((old.to_owned(), new.to_owned()))
            }
            _ => Err(shipshape_core::UsageError::new(format!(
                "--owner-map {item:?} must look like OLD=NEW (role names)"
            ))
            .into()),
        })
        .collect()
}

impl Settings {
    /// Flags (and the `PG_RESTORE_*` variables clap reads as those flags)
    /// over the file over defaults.
    pub fn resolve(
        cli: &crate::RestoreArgs,
        pg_bin_dir: Option<&std::path::Path>,
        file: &RestoreConfig,
    ) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let jobs = layer(cli.jobs, None, file.jobs, cores).max(1);
        let owner_items = if cli.owner_map.is_empty() {
            file.owner_map.clone().unwrap_or_default()
        } else {
            cli.owner_map.clone()
        };
        let pre_swap = cli.pre_swap.clone().or_else(|| file.pre_swap.clone());
        let post_swap = cli.post_swap.clone().or_else(|| file.post_swap.clone());
        for (origin, hook) in [("--pre-swap", &pre_swap), ("--post-swap", &post_swap)] {
            if let Some(text) = hook {
                crate::hooks::validate(origin, text)?;
            }
        }
        let keep_previous_configured = cli.keep_previous.is_some() || file.keep_previous.is_some();
        let from = cli
            .from
            .clone()
            .or_else(|| file.from.clone())
            .map(|text| RemoteUrl::parse(&text))
            .transpose()
            .map_err(|e| shipshape_core::UsageError::new(format!("--from: {e}")))?;
        let s3 = S3Settings::resolve(
            &cli.s3,
            &S3FileConfig {
                s3_endpoint: file.s3_endpoint.clone(),
                s3_region: file.s3_region.clone(),
                s3_virtual_hosted: file.s3_virtual_hosted,
            },
            &env_var,
        );
        Ok(Self {
            from,
            s3,
            identities: if cli.identity.is_empty() {
                file.identity.clone().unwrap_or_default()
            } else {
                cli.identity.clone()
            },
            passphrase_file: cli
                .passphrase_file
                .clone()
                .or_else(|| file.passphrase_file.clone()),
            keep_previous_configured,
            dir: layer(
                cli.dir.clone().map(Some),
                None,
                file.dir.clone().map(Some),
                None,
            ),
            keep_previous: layer(cli.keep_previous, None, file.keep_previous, 1),
            pg_bin_dir: pg_bin_dir
                .map(Into::into)
                .or_else(|| file.pg_bin_dir.clone()),
            jobs,
            pre_swap,
            post_swap,
            no_owner: cli.no_owner || file.no_owner.unwrap_or(false),
            no_privileges: cli.no_privileges || file.no_privileges.unwrap_or(false),
            owner_map: parse_owner_map(&owner_items)?,
            terminate_timeout_seconds: file.terminate_timeout_seconds.unwrap_or(10),
            wait: cli.wait || file.wait.unwrap_or(false),
        })
    }

    /// The effective configuration, for --print-config.
    pub fn to_config(&self, database_url: Option<Secret<String>>) -> RestoreConfig {
        RestoreConfig {
            database_url,
            dir: self.dir.clone(),
            pg_bin_dir: self.pg_bin_dir.clone(),
            keep_previous: Some(self.keep_previous),
            jobs: Some(self.jobs),
            pre_swap: self.pre_swap.clone(),
            post_swap: self.post_swap.clone(),
            no_owner: Some(self.no_owner),
            no_privileges: Some(self.no_privileges),
            owner_map: Some(
                self.owner_map
                    .iter()
                    .map(|(a, b)| format!("{a}={b}"))
                    .collect(),
            ),
            terminate_timeout_seconds: Some(self.terminate_timeout_seconds),
            wait: Some(self.wait),
            from: self.from.as_ref().map(ToString::to_string),
            s3_endpoint: self.s3.endpoint.clone(),
            s3_region: Some(self.s3.region.clone()),
            s3_virtual_hosted: Some(self.s3.virtual_hosted),
            identity: Some(self.identities.clone()),
            passphrase_file: self.passphrase_file.clone(),
        }
    }
}
