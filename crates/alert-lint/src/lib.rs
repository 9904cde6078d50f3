//! `alert-lint`: lint Prometheus rule files, Alertmanager and Prometheus configs, and the links between them.
//!
//! Not implemented yet: this binary answers `--help` and `--version` and
//! exits 2 for anything else, so no script can mistake it for a working tool.

use clap::Parser;
use shipshape_core::{ExitCode, GlobalArgs};

const EXAMPLES: &str = "Examples:
  alert-lint monitoring/
  alert-lint --format sarif monitoring/ > alert-lint.sarif";

/// Lint Prometheus rule files, Alertmanager and Prometheus configs, and the links between them.
#[derive(Debug, Parser)]
#[command(name = "alert-lint", version, about, styles = shipshape_core::cli::styles(),
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
    Err(shipshape_core::run::not_implemented("alert-lint"))
}
