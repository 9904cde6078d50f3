//! The `[alert-lint]` table of `shipshape.toml`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shipshape_core::config::ToolConfig;

use crate::settings::Dialect;

/// Every key of `[alert-lint]`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Paths linted when none are given on the command line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Globs of files to skip (matched against the path as found).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Report only these checks (default: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Vec<String>>,
    /// Check ids to turn off (the old key `disable` is still read).
    #[serde(skip_serializing_if = "Vec::is_empty", alias = "disable")]
    pub ignore: Vec<String>,
    /// Make warnings fail the run (same as `fail_on = "warning"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Re-level checks: id = "error" | "warning" | "info" | "off".
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alertmanager_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// Scrape interval assumed when prometheus.yml is not linted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_interval: Option<String>,
    /// Allowed values of the `severity` label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severities: Option<Vec<String>>,
    /// Annotations every alert must have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_annotations: Option<Vec<String>>,
    /// Also require `runbook_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook_url_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_group_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_window_factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_name_pattern: Option<String>,
    /// "error" (default) or "warning".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<FailOn>,
    /// Per-file re-levelling: `[[alert-lint.overrides]]` tables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
}

/// Disable or re-level checks for the files matching `files`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Override {
    /// Globs matched against the path as found (e.g. `monitoring/legacy/*.yml`).
    pub files: Vec<String>,
    /// Checks turned off in these files (`disable` is still read).
    #[serde(skip_serializing_if = "Vec::is_empty", alias = "disable")]
    pub ignore: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, String>,
}

impl ToolConfig for Config {
    const TABLE: &'static str = "alert-lint";
}

/// Which findings make the run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Error,
    Warning,
}
