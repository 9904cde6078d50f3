//! `pg-backup`: verified, checksummed, atomic PostgreSQL backups with safe retention.
//!
//! Not implemented yet: this binary answers `--help` and `--version` and
//! exits 2 for anything else, so no script can mistake it for a working tool.

use clap::Parser;
use shipshape_core::{ExitCode, GlobalArgs};

const EXAMPLES: &str = "Examples:
  pg-backup --dir /var/backups/app
  pg-backup list --dir /var/backups/app
  pg-backup verify --all --dir /var/backups/app";

/// Verified, checksummed, atomic PostgreSQL backups with safe retention.
#[derive(Debug, Parser)]
#[command(name = "pg-backup", version, about, styles = shipshape_core::cli::styles(),
    after_help = format!("{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Arguments for the tool (not implemented yet)
    #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = false)]
    pub rest: Vec<String>,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Run the tool.
pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(shipshape_core::run::not_implemented("pg-backup"))
}
