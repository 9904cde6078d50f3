//! Turning flags, environment, `[alert-lint]` and defaults into the
//! settings of one run (precedence: flags > environment > file > defaults),
//! with every configuration mistake reported as a usage/config error.

use std::collections::BTreeMap;
use std::path::Path;

use shipshape_core::config::{ConfigError, layer};
use shipshape_core::{FileSelection, Severity, UsageError};

use crate::Cli;
use crate::config::{Config, FailOn};
use crate::settings::{Dialect, Settings, parse_version};
use crate::{checks, duration};

/// Check id → severity (None: off).
pub type Levels = BTreeMap<String, Option<Severity>>;

pub struct Resolved {
    pub settings: Settings,
    pub levels: Levels,
    pub overrides: Vec<(globset::GlobSet, Levels)>,
    pub paths: Vec<String>,
    pub effective: Config,
}

fn config_error(path: &Path, message: String) -> anyhow::Error {
    ConfigError::Invalid {
        path: path.to_owned(),
        message,
    }
    .into()
}

fn check_id(id: &str, path: &Path, what: &str) -> anyhow::Result<()> {
    checks::RULES
        .lookup(id, what)
        .map(|_| ())
        .map_err(|message| {
            config_error(
                path,
                format!("{message} (alert-lint --list-checks shows them all)"),
            )
        })
}

pub fn resolve(cli: &Cli, file: Config, path: &Path) -> anyhow::Result<Resolved> {
    let mut settings = Settings::default();
    // `effective` starts as the file and ends as what the run uses, for
    // --print-config: each step below writes back the value it settled on.
    let mut effective = file.clone();
    resolve_versions(cli, &file, path, &mut settings, &mut effective)?;
    settings.dialect = layer(cli.dialect, None, file.dialect, Dialect::Prometheus);
    effective.dialect = Some(settings.dialect);
    resolve_intervals(cli, &file, path, &mut settings, &mut effective)?;
    resolve_conventions(&file, path, &mut settings, &mut effective)?;
    let (levels, overrides) = resolve_levels(cli, &file, path, &mut effective)?;
    let fail_on = if effective.strict == Some(true) {
        FailOn::Warning
    } else {
        layer(cli.fail_on, None, file.fail_on, FailOn::Error)
    };
    effective.fail_on = Some(fail_on);
    let paths = resolve_paths(cli, &file, path)?;
    effective.paths = paths.clone();
    Ok(Resolved {
        settings,
        levels,
        overrides,
        paths,
        effective,
    })
}

/// A `major.minor` version from its flag, else from the file; a bad flag is
/// a usage error, a bad file value a config error.
fn version(
    flag: &Option<String>,
    file: &Option<String>,
    what: &str,
    path: &Path,
) -> anyhow::Result<Option<(u32, u32)>> {
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
}

/// The Prometheus and Alertmanager versions the checks hold the files to.
fn resolve_versions(
    cli: &Cli,
    file: &Config,
    path: &Path,
    settings: &mut Settings,
    effective: &mut Config,
) -> anyhow::Result<()> {
    if let Some(v) = version(
        &cli.prometheus_version,
        &file.prometheus_version,
        "prometheus",
        path,
    )? {
        settings.prometheus = v;
    }
    if let Some(v) = version(
        &cli.alertmanager_version,
        &file.alertmanager_version,
        "alertmanager",
        path,
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
    Ok(())
}

/// The scrape interval (flag or file) and the longest group interval (file
/// only) that the timing checks compare against.
fn resolve_intervals(
    cli: &Cli,
    file: &Config,
    path: &Path,
    settings: &mut Settings,
    effective: &mut Config,
) -> anyhow::Result<()> {
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
    Ok(())
}

/// The team's conventions, from the file only: severities, required
/// annotations (`runbook_url_required` adds runbook_url), the rate window
/// factor and the recording-rule name pattern.
fn resolve_conventions(
    file: &Config,
    path: &Path,
    settings: &mut Settings,
    effective: &mut Config,
) -> anyhow::Result<()> {
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
    Ok(())
}

/// Each check's severity: the file's `severity`, the rules `--select`/
/// `select` leave out and `--ignore`/`ignore` turn off, then the per-glob
/// `overrides` (which may turn a check back on for their files).
fn resolve_levels(
    cli: &Cli,
    file: &Config,
    path: &Path,
    effective: &mut Config,
) -> anyhow::Result<(Levels, Vec<(globset::GlobSet, Levels)>)> {
    let selection = cli.rules.resolve(
        &checks::RULES,
        FileSelection {
            select: file.select.as_deref(),
            ignore: &file.ignore,
            strict: file.strict,
            path: Some(path),
            table: "alert-lint",
        },
    )?;
    let mut levels = parse_levels(&file.severity, &[], path, "")?;
    for check in checks::RULES.all() {
        if !selection.enabled(check.id) {
            levels.insert(check.id.to_owned(), None);
        }
    }
    effective.select = selection
        .select
        .as_ref()
        .map(|ids| ids.iter().map(|id| (*id).to_owned()).collect());
    effective.ignore = selection.ignore.iter().map(|id| (*id).to_owned()).collect();
    effective.strict = Some(selection.strict);
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
        overrides.push((files, parse_levels(&o.severity, &o.ignore, path, &what)?));
    }
    Ok((levels, overrides))
}

/// What to lint: the arguments, else the file's `paths` (relative to the
/// configuration file, as every path in shipshape.toml is), else
/// `monitoring/` when there is one here.
fn resolve_paths(cli: &Cli, file: &Config, config: &Path) -> anyhow::Result<Vec<String>> {
    if !cli.paths.is_empty() {
        Ok(cli.paths.clone())
    } else if !file.paths.is_empty() {
        Ok(file
            .paths
            .iter()
            .map(|p| match p.as_str() {
                "-" => p.clone(),
                _ => shipshape_core::config::relative_to_file(Path::new(p), Some(config))
                    .to_string_lossy()
                    .into_owned(),
            })
            .collect())
    } else if Path::new("monitoring").is_dir() {
        Ok(vec!["monitoring/".to_owned()])
    } else {
        Err(UsageError::new(
            "no paths given and no monitoring/ directory here: pass files or directories to lint (or set `paths` in the [alert-lint] table)",
        )
        .into())
    }
}

fn parse_levels(
    severity: &BTreeMap<String, String>,
    ignore: &[String],
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
    for id in ignore {
        check_id(id, path, &format!("{prefix}ignore"))?;
        levels.insert(id.clone(), None);
    }
    Ok(levels)
}

pub fn build_globs(globs: &[String], path: &Path) -> anyhow::Result<globset::GlobSet> {
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
