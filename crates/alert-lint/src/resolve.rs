//! Turning flags, environment, `[alert-lint]` and defaults into the
//! settings of one run (precedence: flags > environment > file > defaults),
//! with every configuration mistake reported as a usage/config error.

use std::collections::BTreeMap;
use std::path::Path;

use shipshape_core::config::{ConfigError, layer};
use shipshape_core::{Severity, UsageError};

use crate::Cli;
use crate::config::{Config, FailOn};
use crate::settings::{Dialect, Settings, parse_version};
use crate::{checks, duration, schema};

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

pub fn resolve(cli: &Cli, file: Config, path: &Path) -> anyhow::Result<Resolved> {
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
