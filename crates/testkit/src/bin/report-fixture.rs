//! `report-fixture`: the smallest possible shipshape tool. It reads
//! diagnostics from a JSON file and prints them through crates/core, with one
//! setting (`greeting`) resolved by the standard precedence. Used by
//! crates/testkit's tests to check shared behaviour end to end.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use serde::{Deserialize, Serialize};
use shipshape_core::config::{self, ToolConfig};
use shipshape_core::{Diagnostic, ExitCode, GlobalArgs, Printer, Report, Secret, Severity};

#[derive(Debug, Parser)]
#[command(name = "report-fixture", version, after_help = shipshape_core::cli::after_help())]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// JSON array of {severity, code, message, file?, line?, column?, help?}
    #[arg(long)]
    diagnostics: Option<PathBuf>,
    /// A setting resolved by precedence: flag > REPORT_FIXTURE_GREETING > config > "hello"
    #[arg(long)]
    greeting: Option<String>,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FixtureConfig {
    greeting: Option<String>,
    token: Option<Secret<String>>,
}

impl ToolConfig for FixtureConfig {
    const TABLE: &'static str = "report-fixture";
}

#[derive(Deserialize)]
struct Input {
    severity: String,
    code: String,
    message: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    help: Option<String>,
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    let loaded = config::load::<FixtureConfig>(&cli.global)?;
    let greeting = config::layer(
        cli.greeting.clone(),
        config::env_var("REPORT_FIXTURE_GREETING"),
        loaded.table.greeting.clone(),
        "hello".to_owned(),
    );
    if cli.global.print_config {
        let effective = FixtureConfig {
            greeting: Some(greeting),
            token: loaded.table.token,
        };
        printer.data(&config::to_toml_fragment(&effective)?)?;
        return Ok(ExitCode::Ok);
    }
    let mut report = Report::new("report-fixture", env!("CARGO_PKG_VERSION"));
    report.insert("greeting", &greeting);
    if let Some(path) = &cli.diagnostics {
        let text = fs_err::read_to_string(path)?;
        let inputs: Vec<Input> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a diagnostics array", path.display()))?;
        for input in inputs {
            let severity = match input.severity.as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                _ => Severity::Info,
            };
            let mut d = Diagnostic::new(severity, input.code, input.message);
            d.file = input.file;
            d.line = input.line;
            d.column = input.column;
            d.help = input.help;
            report.push(d);
        }
    }
    printer.status("checked the fixture");
    printer.report(&report)?;
    Ok(report.exit_code())
}

fn main() -> std::process::ExitCode {
    shipshape_core::run::main(run)
}
