//! `alert-lint`: lint Prometheus rule files, Alertmanager and Prometheus
//! configs, and the links between them — offline, in one binary.
//!
//! The run: expand the paths ([`input`]), read each file into a positioned
//! YAML tree ([`yaml`]), detect its kind and build its model
//! ([`workspace`], [`rules`], [`alertmanager`], [`prometheus`]) reporting
//! schema problems on the way, run every check ([`checks`]), then apply the
//! configuration ([`resolve`]: disabled, re-levelled and per-file checks) and
//! `# alert-lint:` comments ([`suppress`]) ([`report`]) and print through
//! `shipshape_core`.

pub mod alertmanager;
pub mod checks;
pub mod config;
pub mod duration;
pub mod explain;
pub mod finding;
pub mod input;
pub mod prometheus;
pub mod promql;
pub mod report;
pub mod resolve;
pub mod routing;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod suppress;
pub mod template;
pub mod workspace;
pub mod yaml;

use std::io::Read as _;

use anyhow::Context as _;
use clap::Parser;
use shipshape_core::{ExitCode, GlobalArgs, Printer, Report, RuleDocs, RuleSelection};

use crate::config::{Config, FailOn};
use crate::finding::Finding;
use crate::input::Input;
use crate::settings::Dialect;
use crate::workspace::{FileKind, Workspace};

const EXAMPLES: &str = "Examples:
  alert-lint monitoring/
  alert-lint monitoring/prometheus.yml monitoring/alert_rules.yml monitoring/alertmanager.yml
  alert-lint --prometheus-version 2.42 --alertmanager-version 0.25 monitoring/
  helm template chart/ | alert-lint --kind prometheus-rule -
  alert-lint --explain rate-window
  alert-lint --format sarif monitoring/ > alert-lint.sarif";

/// Lint Prometheus rule files, Alertmanager and Prometheus configs, and the links between them.
#[derive(Debug, Parser)]
#[command(name = "alert-lint", version, about, styles = shipshape_core::cli::styles(),
    after_help = format!("{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Files, directories (walked for *.yml/*.yaml), globs, or - for stdin
    /// [default: `paths` from the config, else monitoring/]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Treat every file as this kind instead of detecting it from its content
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<FileKind>,

    /// Prometheus version whose fields, names and functions are legal [default: 3.14]
    #[arg(long, value_name = "VERSION", env = "ALERT_LINT_PROMETHEUS_VERSION")]
    pub prometheus_version: Option<String>,

    /// Alertmanager version whose fields and receivers are legal [default: 0.34]
    #[arg(long, value_name = "VERSION", env = "ALERT_LINT_ALERTMANAGER_VERSION")]
    pub alertmanager_version: Option<String>,

    /// Accept the extra rule-group fields of this rule evaluator
    #[arg(long, value_enum, value_name = "DIALECT")]
    pub dialect: Option<Dialect>,

    // --select, --ignore, --strict (docs/output.md).
    #[command(flatten)]
    pub rules: RuleSelection,

    /// Lowest severity that fails the run (--strict is --fail-on warning)
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Scrape interval assumed when prometheus.yml is not linted [default: 15s]
    #[arg(long, value_name = "DURATION")]
    pub scrape_interval: Option<String>,

    #[command(flatten)]
    pub docs: RuleDocs,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    if let Some(id) = &cli.docs.explain {
        printer.data(&explain::explain(id)?)?;
        return Ok(ExitCode::Ok);
    }
    if let Some(text) = cli.docs.text(&checks::RULES, "alert-lint")? {
        printer.data(&text)?;
        return Ok(ExitCode::Ok);
    }
    let loaded = shipshape_core::config::load::<Config>(&cli.global)?;
    let config_path = loaded
        .path
        .clone()
        .unwrap_or_else(|| shipshape_core::config::DEFAULT_FILE.into());
    let resolved = resolve::resolve(&cli, loaded.table, &config_path)?;
    if cli.global.print_config {
        printer.data(&shipshape_core::config::to_toml_fragment(
            &resolved.effective,
        )?)?;
        return Ok(ExitCode::Ok);
    }

    let inputs = input::expand(&resolved.paths)?;
    let exclude = resolve::build_globs(&resolved.effective.exclude, &config_path)?;
    let mut ws = Workspace::default();
    let mut findings = Vec::new();
    // Read every file first, then parse them as YAML, then model them in
    // order.
    let mut read = Vec::new();
    for item in inputs {
        shipshape_core::interrupt::check()?;
        let (display, path, bytes, explicit) = match item {
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .context("cannot read standard input")?;
                ("<stdin>".to_owned(), None, bytes, true)
            }
            Input::File { path, explicit } => {
                if exclude.is_match(&path) {
                    printer.detail(&format!("skipping {} (excluded)", path.display()));
                    continue;
                }
                let bytes = fs_err::read(&path)?;
                (path.display().to_string(), Some(path), bytes, explicit)
            }
        };
        read.push((display, path, String::from_utf8(bytes).ok(), explicit));
    }
    let (meta, texts): (Vec<_>, Vec<_>) = read
        .into_iter()
        .map(|(display, path, text, explicit)| ((display, path, explicit), text))
        .unzip();
    let parsed = workspace::parse_many(texts);
    for ((display, path, explicit), parsed) in meta.into_iter().zip(parsed) {
        let Some(parsed) = parsed else {
            {
                let index = ws.files.len();
                ws.files.push(workspace::LintFile {
                    display,
                    path,
                    source: yaml::Source::new(String::new()),
                    kind: None,
                    suppressions: Default::default(),
                });
                findings.push(Finding::new(
                    crate::checks::yaml_syntax::CHECK.id,
                    index,
                    finding::Pos {
                        line: 1,
                        col: 1,
                        ..Default::default()
                    },
                    "the file is not valid UTF-8",
                ));
                continue;
            }
        };
        let shown = display.clone();
        let added = ws.add_parsed(
            display,
            path,
            parsed,
            cli.kind,
            explicit,
            &resolved.settings,
            &mut findings,
        );
        if added {
            let kind = ws
                .files
                .last()
                .and_then(|f| f.kind)
                .map_or("unknown", FileKind::as_str);
            printer.detail(&format!("{shown}: {kind}"));
        } else {
            printer.detail(&format!("skipping {shown}: not a monitoring config"));
        }
    }
    workspace::follow_rule_files(
        &mut ws,
        &resolved.settings,
        &exclude,
        &printer,
        &mut findings,
    )?;
    if ws.files.is_empty() {
        printer.warning("no Prometheus or Alertmanager files found in the given paths");
    }
    rules::parse_all(&ws.rules);
    let cx = checks::Cx {
        ws: &ws,
        settings: &resolved.settings,
    };
    checks::run_all(&cx, &mut findings);
    rules::fill_subjects(&ws.rules, &mut findings);

    let mut report = Report::with_rules("alert-lint", env!("CARGO_PKG_VERSION"), &checks::RULES);
    report.diagnostics = report::diagnostics(&ws, findings, &resolved.levels, &resolved.overrides);
    for file in &ws.files {
        for id in file.suppressions.named() {
            if id != "all" && checks::find(id).is_none() {
                printer.warning(&format!(
                    "{}: `# alert-lint: disable={id}` names no check (see --list-checks)",
                    file.display
                ));
            }
        }
    }
    let files: Vec<serde_json::Value> = ws
        .files
        .iter()
        .map(|f| serde_json::json!({"path": f.display, "kind": f.kind}))
        .collect();
    report.insert("files", files);
    let fail_on = resolved.effective.fail_on.unwrap_or_default();
    report.fail_on_warnings(fail_on == FailOn::Warning);
    // Freeing every file's text, YAML tree and rule model one by one costs
    // about 5% of a run on a large corpus, and the process exits next.
    std::mem::forget(ws);
    printer.report(&report)?;
    Ok(report.exit_code())
}
