//! `alert-lint`: lint Prometheus rule files, Alertmanager and Prometheus
//! configs, and the links between them — offline, in one binary.
//!
//! The run: expand the paths ([`input`]), read each file into a positioned
//! YAML tree ([`yaml`]), detect its kind and build its model
//! ([`workspace`], [`rules`], [`alertmanager`], [`prometheus`]) reporting
//! schema problems on the way, run every check ([`checks`]), then apply the
//! configuration (disabled and re-levelled checks) and `# alert-lint:`
//! comments ([`suppress`]) and print through `shipshape_core`.

pub mod alertmanager;
pub mod checks;
pub mod config;
pub mod duration;
pub mod finding;
pub mod input;
pub mod prometheus;
pub mod promql;
pub mod routing;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod suppress;
pub mod template;
pub mod workspace;
pub mod yaml;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use clap::Parser;
use shipshape_core::config::{ConfigError, layer};
use shipshape_core::{Diagnostic, ExitCode, GlobalArgs, Printer, Report, Severity, UsageError};

use crate::config::{Config, FailOn};
use crate::finding::Finding;
use crate::input::Input;
use crate::settings::{Dialect, Settings, parse_version};
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

    /// Prometheus version whose fields, names and functions are legal [default: 3.7]
    #[arg(long, value_name = "VERSION", env = "ALERT_LINT_PROMETHEUS_VERSION")]
    pub prometheus_version: Option<String>,

    /// Alertmanager version whose fields and receivers are legal [default: 0.28]
    #[arg(long, value_name = "VERSION", env = "ALERT_LINT_ALERTMANAGER_VERSION")]
    pub alertmanager_version: Option<String>,

    /// Accept the extra rule-group fields of this rule evaluator
    #[arg(long, value_enum, value_name = "DIALECT")]
    pub dialect: Option<Dialect>,

    /// Make warnings fail the run (same as --fail-on warning)
    #[arg(long)]
    pub strict: bool,

    /// Lowest severity that fails the run
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Turn a check off (repeatable)
    #[arg(long, value_name = "ID")]
    pub disable: Vec<String>,

    /// Scrape interval assumed when prometheus.yml is not linted [default: 15s]
    #[arg(long, value_name = "DURATION")]
    pub scrape_interval: Option<String>,

    /// Explain a check (what it finds, why, how to fix) and exit
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,

    /// List every check with its id and default severity, and exit
    #[arg(long)]
    pub list_checks: bool,
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    if let Some(id) = &cli.explain {
        printer.data(&explain(id)?)?;
        return Ok(ExitCode::Ok);
    }
    if cli.list_checks {
        printer.data(&list_checks())?;
        return Ok(ExitCode::Ok);
    }
    let loaded = shipshape_core::config::load::<Config>(&cli.global)?;
    let config_path = loaded
        .path
        .clone()
        .unwrap_or_else(|| shipshape_core::config::DEFAULT_FILE.into());
    let resolved = resolve(&cli, loaded.table, &config_path)?;
    if cli.global.print_config {
        printer.data(&shipshape_core::config::to_toml_fragment(
            &resolved.effective,
        )?)?;
        return Ok(ExitCode::Ok);
    }

    let inputs = input::expand(&resolved.paths)?;
    let exclude = build_globs(&resolved.effective.exclude, &config_path)?;
    let mut ws = Workspace::default();
    let mut findings = Vec::new();
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
        let Ok(text) = String::from_utf8(bytes) else {
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
                    checks::ids::YAML_SYNTAX,
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
        let added = ws.add(
            display,
            path,
            text,
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
    follow_rule_files(
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

    let mut report = Report::new("alert-lint", env!("CARGO_PKG_VERSION"));
    let diagnostics = finish(&ws, findings, &resolved.levels, &resolved.overrides);
    for d in diagnostics {
        if let Some(check) = checks::find(&d.code) {
            report.describe_rule(check.id, check.summary, Some(check.explain));
        }
        report.push(d);
    }
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
    if fail_on == FailOn::Warning && report.summary().warnings > 0 {
        report.failed = true;
    }
    printer.report(&report)?;
    Ok(report.exit_code())
}

/// Lint the rule files a linted prometheus.yml loads (`rule_files`) that
/// were not given on the command line, as rule files — Prometheus would
/// load them, so their problems are this config's problems.
fn follow_rule_files(
    ws: &mut Workspace,
    settings: &Settings,
    exclude: &globset::GlobSet,
    printer: &Printer,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    let mut wanted = Vec::new();
    for prom in &ws.prometheus {
        let Some(path) = &ws.files[prom.file].path else {
            continue;
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        for pattern in &prom.rule_files {
            wanted.extend(input::glob_matches(dir, &pattern.value));
        }
    }
    let mut known: Vec<std::path::PathBuf> = ws
        .files
        .iter()
        .filter_map(|f| f.path.as_ref().and_then(|p| p.canonicalize().ok()))
        .collect();
    for path in wanted {
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        if known.contains(&canonical) || exclude.is_match(&path) {
            continue;
        }
        known.push(canonical);
        shipshape_core::interrupt::check()?;
        printer.detail(&format!("{}: rules (from rule_files)", path.display()));
        let bytes = fs_err::read(&path)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        ws.add(
            path.display().to_string(),
            Some(path),
            text,
            Some(FileKind::Rules),
            true,
            settings,
            findings,
        );
    }
    Ok(())
}

/// Apply levels and suppressions, turn findings into sorted diagnostics.
fn finish(
    ws: &Workspace,
    findings: Vec<Finding>,
    levels: &Levels,
    overrides: &[(globset::GlobSet, Levels)],
) -> Vec<Diagnostic> {
    let mut kept: Vec<(usize, u32, u32, Diagnostic)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in findings {
        let Some(check) = checks::find(f.check) else {
            continue;
        };
        let file = &ws.files[f.file];
        let mut level = levels.get(f.check).copied();
        for (files, over) in overrides {
            if files.is_match(&file.display)
                && let Some(l) = over.get(f.check)
            {
                level = Some(*l);
            }
        }
        let severity = match level {
            Some(None) => continue,
            Some(Some(s)) => s,
            None => check.severity,
        };
        if file.suppressions.silences(f.check, f.line, f.scope) {
            continue;
        }
        let mut d = Diagnostic::new(severity, f.check, f.message).at(
            file.display.clone(),
            f.line.max(1),
            f.col.max(1),
        );
        if let Some(subject) = f.subject {
            d = d.with_subject(subject);
        }
        if let Some(help) = f.help {
            d = d.with_help(help);
        }
        // The same finding reached twice (e.g. a rule file listed twice in
        // one PrometheusRule render) is shown once.
        if seen.insert((f.file, f.line, f.col, d.code.clone(), d.message.clone())) {
            kept.push((f.file, f.line, f.col, d));
        }
    }
    kept.sort_by_key(|k| (k.0, k.1, k.2));
    kept.into_iter().map(|(_, _, _, d)| d).collect()
}

/// Check id → severity (None: off).
type Levels = BTreeMap<String, Option<Severity>>;

struct Resolved {
    settings: Settings,
    levels: Levels,
    overrides: Vec<(globset::GlobSet, Levels)>,
    paths: Vec<String>,
    effective: Config,
}

fn config_error(path: &Path, message: String) -> anyhow::Error {
    ConfigError::Invalid {
        path: path.to_owned(),
        message,
    }
    .into()
}

fn check_id(id: &str, path: &Path, what: &str) -> anyhow::Result<()> {
    if checks::find(id).is_some() {
        return Ok(());
    }
    let mut message = format!("{what}: unknown check id {id:?}");
    if let Some(best) = schema::closest(id, checks::ALL.iter().map(|(c, _)| c.id)) {
        message.push_str(&format!("; did you mean {best:?}?"));
    }
    message.push_str(" (alert-lint --list-checks shows them all)");
    Err(config_error(path, message))
}

fn resolve(cli: &Cli, file: Config, path: &Path) -> anyhow::Result<Resolved> {
    let mut settings = Settings::default();
    let mut effective = file.clone();

    let version = |flag: &Option<String>,
                   file: &Option<String>,
                   what: &str|
     -> anyhow::Result<Option<(u32, u32)>> {
        if let Some(v) = flag {
            return parse_version(v)
                .map(Some)
                .map_err(|e| UsageError::new(format!("--{what}-version: {e}")).into());
        }
        if let Some(v) = file {
            return parse_version(v)
                .map(Some)
                .map_err(|e| config_error(path, format!("{what}_version: {e}")));
        }
        Ok(None)
    };
    if let Some(v) = version(
        &cli.prometheus_version,
        &file.prometheus_version,
        "prometheus",
    )? {
        settings.prometheus = v;
    }
    if let Some(v) = version(
        &cli.alertmanager_version,
        &file.alertmanager_version,
        "alertmanager",
    )? {
        settings.alertmanager = v;
    }
    effective.prometheus_version = Some(format!(
        "{}.{}",
        settings.prometheus.0, settings.prometheus.1
    ));
    effective.alertmanager_version = Some(format!(
        "{}.{}",
        settings.alertmanager.0, settings.alertmanager.1
    ));
    settings.dialect = layer(cli.dialect, None, file.dialect, Dialect::Prometheus);
    effective.dialect = Some(settings.dialect);

    if let Some(text) = &cli.scrape_interval {
        settings.scrape_interval = duration::parse(text)
            .map_err(|e| UsageError::new(format!("--scrape-interval: {e}")))?;
    } else if let Some(text) = &file.scrape_interval {
        settings.scrape_interval = duration::parse(text)
            .map_err(|e| config_error(path, format!("scrape_interval: {e}")))?;
    }
    effective.scrape_interval = Some(duration::format(settings.scrape_interval));
    if let Some(text) = &file.max_group_interval {
        settings.max_group_interval = duration::parse(text)
            .map_err(|e| config_error(path, format!("max_group_interval: {e}")))?;
    }
    effective.max_group_interval = Some(duration::format(settings.max_group_interval));
    if let Some(s) = &file.severities {
        if s.is_empty() {
            return Err(config_error(
                path,
                "severities: list at least one value".into(),
            ));
        }
        settings.severities = s.clone();
    }
    effective.severities = Some(settings.severities.clone());
    if let Some(a) = &file.required_annotations {
        settings.required_annotations = a.clone();
    }
    if file.runbook_url_required == Some(true)
        && !settings
            .required_annotations
            .iter()
            .any(|a| a == "runbook_url")
    {
        settings.required_annotations.push("runbook_url".into());
    }
    effective.required_annotations = Some(settings.required_annotations.clone());
    effective.runbook_url_required = Some(
        settings
            .required_annotations
            .iter()
            .any(|a| a == "runbook_url"),
    );
    if let Some(f) = file.rate_window_factor {
        if f == 0 {
            return Err(config_error(
                path,
                "rate_window_factor must be at least 1".into(),
            ));
        }
        settings.rate_window_factor = f;
    }
    effective.rate_window_factor = Some(settings.rate_window_factor);
    if let Some(p) = &file.record_name_pattern {
        settings.record_name_pattern = regex::Regex::new(p)
            .map_err(|e| config_error(path, format!("record_name_pattern: {e}")))?;
    }
    effective.record_name_pattern = Some(settings.record_name_pattern.as_str().to_owned());

    let mut levels = parse_levels(&file.severity, &file.disable, path, "")?;
    let mut overrides = Vec::new();
    for (i, o) in file.overrides.iter().enumerate() {
        let what = format!("overrides[{i}].");
        if o.files.is_empty() {
            return Err(config_error(
                path,
                format!("{what}files: list at least one glob"),
            ));
        }
        let files = build_globs(&o.files, path)?;
        overrides.push((files, parse_levels(&o.severity, &o.disable, path, &what)?));
    }
    for id in &cli.disable {
        if checks::find(id).is_none() {
            return Err(UsageError::new(format!(
                "--disable: unknown check id {id:?} (alert-lint --list-checks shows them all)"
            ))
            .into());
        }
        levels.insert(id.clone(), None);
    }
    effective.disable.extend(cli.disable.iter().cloned());

    let fail_on = if cli.strict {
        FailOn::Warning
    } else {
        layer(cli.fail_on, None, file.fail_on, FailOn::Error)
    };
    effective.fail_on = Some(fail_on);
    settings.strict = fail_on == FailOn::Warning;

    let paths = if !cli.paths.is_empty() {
        cli.paths.clone()
    } else if !file.paths.is_empty() {
        file.paths.clone()
    } else if Path::new("monitoring").is_dir() {
        vec!["monitoring/".to_owned()]
    } else {
        return Err(UsageError::new(
            "no paths given and no monitoring/ directory here: pass files or directories to lint (or set `paths` in the [alert-lint] table)",
        )
        .into());
    };
    effective.paths = paths.clone();
    Ok(Resolved {
        settings,
        levels,
        overrides,
        paths,
        effective,
    })
}

fn parse_levels(
    severity: &BTreeMap<String, String>,
    disable: &[String],
    path: &Path,
    prefix: &str,
) -> anyhow::Result<Levels> {
    let mut levels = Levels::new();
    for (id, level) in severity {
        check_id(id, path, &format!("{prefix}severity"))?;
        let level = match level.as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            "off" => None,
            other => {
                return Err(config_error(
                    path,
                    format!(
                        "{prefix}severity.{id}: {other:?} is not one of error, warning, info, off"
                    ),
                ));
            }
        };
        levels.insert(id.clone(), level);
    }
    for id in disable {
        check_id(id, path, &format!("{prefix}disable"))?;
        levels.insert(id.clone(), None);
    }
    Ok(levels)
}

fn build_globs(globs: &[String], path: &Path) -> anyhow::Result<globset::GlobSet> {
    let mut builder = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::Glob::new(g)
            .map_err(|e| config_error(path, format!("invalid glob {g:?}: {e}")))?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| config_error(path, format!("invalid globs: {e}")))
}

fn explain(id: &str) -> anyhow::Result<String> {
    let Some(check) = checks::find(id) else {
        let mut message = format!("--explain: unknown check id {id:?}");
        if let Some(best) = schema::closest(id, checks::ALL.iter().map(|(c, _)| c.id)) {
            message.push_str(&format!("; did you mean {best:?}?"));
        }
        message.push_str(" (alert-lint --list-checks shows them all)");
        return Err(UsageError::new(message).into());
    };
    Ok(format!(
        "{} ({} by default)\n\n{}\n\n{}\n\nDisable it in shipshape.toml ([alert-lint] disable = [\"{}\"]), re-level it\n([alert-lint.severity] {} = \"warning\"), or silence one place with a comment:\n  # alert-lint: disable={}\n",
        check.id,
        check.severity,
        check.summary,
        wrap(check.explain, 78),
        check.id,
        quote_key(check.id),
        check.id
    ))
}

fn quote_key(id: &str) -> String {
    format!("\"{id}\"")
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

fn list_checks() -> String {
    let mut out = String::new();
    for (check, _) in checks::ALL {
        out.push_str(&format!(
            "{:<26} {:<8} {}\n",
            check.id,
            check.severity.as_str(),
            check.summary
        ));
    }
    out
}
