//! Flags every tool shares. A tool flattens [`GlobalArgs`] into its own clap
//! parser so `--format`, `--color`, `--config` and friends behave identically
//! everywhere.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// How findings are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Readable text, grouped by file, with a one-line summary.
    Human,
    /// One JSON object (see docs/json-output.md).
    Json,
    /// GitHub Actions workflow commands plus a step summary.
    Github,
    /// SARIF 2.1.0 for code-scanning upload.
    Sarif,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorWhen {
    /// Colour a stream only when it is a terminal, honouring NO_COLOR and CLICOLOR_FORCE.
    #[default]
    Auto,
    Always,
    Never,
}

/// The flags shared by all tools.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Output format [default: human, or github when GITHUB_ACTIONS=true]
    #[arg(long, value_enum, global = true, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,

    /// When to use colour
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail about what is being done
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Configuration file [default: $SHIPSHAPE_CONFIG, else ./shipshape.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Ignore every configuration file
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,

    /// Print the effective configuration (secrets redacted) and exit
    #[arg(long, global = true)]
    pub print_config: bool,
}

impl GlobalArgs {
    /// The output format: the flag, else `github` inside GitHub Actions, else `human`.
    pub fn output_format(&self) -> OutputFormat {
        self.output_format_with(|name| std::env::var(name).ok())
    }

    pub fn output_format_with(&self, env: impl Fn(&str) -> Option<String>) -> OutputFormat {
        match self.format {
            Some(format) => format,
            None if env("GITHUB_ACTIONS").as_deref() == Some("true") => OutputFormat::Github,
            None => OutputFormat::Human,
        }
    }
}

/// Help text appended to every tool's `--help`: the exit-code table.
pub fn after_help() -> String {
    crate::exit::EXIT_CODES_HELP.to_owned()
}

/// clap's colours, matching the rest of our output.
pub fn styles() -> clap::builder::Styles {
    use anstyle::{AnsiColor, Effects};
    clap::builder::Styles::styled()
        .header(AnsiColor::Green.on_default().effects(Effects::BOLD))
        .usage(AnsiColor::Green.on_default().effects(Effects::BOLD))
        .literal(AnsiColor::Cyan.on_default().effects(Effects::BOLD))
        .placeholder(AnsiColor::Cyan.on_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_actions_selects_github_unless_a_format_is_given() {
        let in_actions = |name: &str| (name == "GITHUB_ACTIONS").then(|| "true".to_owned());
        let args = GlobalArgs::default();
        assert_eq!(args.output_format_with(in_actions), OutputFormat::Github);
        assert_eq!(args.output_format_with(|_| None), OutputFormat::Human);
        let explicit = GlobalArgs {
            format: Some(OutputFormat::Json),
            ..GlobalArgs::default()
        };
        assert_eq!(explicit.output_format_with(in_actions), OutputFormat::Json);
    }
}
