//! The effective settings of a run: target versions, dialect, and the knobs
//! of the style checks, merged from flags, environment, config and defaults.

use std::time::Duration;

/// Prometheus version assumed when none is given ("current 3.x").
pub const DEFAULT_PROMETHEUS: (u32, u32) = (3, 14);
/// Alertmanager version assumed when none is given.
pub const DEFAULT_ALERTMANAGER: (u32, u32) = (0, 34);

/// Whose rule-file dialect to accept.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Prometheus,
    Thanos,
    Vmalert,
    Mimir,
}

impl Dialect {
    /// Extra group fields the dialect accepts.
    pub fn group_fields(self) -> &'static [&'static str] {
        match self {
            Self::Prometheus => &[],
            Self::Thanos => &["partial_response_strategy"],
            Self::Vmalert => &[
                "concurrency",
                "type",
                "params",
                "headers",
                "notifier_headers",
                "eval_offset",
                "eval_delay",
                "eval_alignment",
                "debug",
            ],
            Self::Mimir => &[
                "source_tenants",
                "evaluation_delay",
                "align_evaluation_time_on_interval",
            ],
        }
    }

    /// Extra rule fields the dialect accepts.
    pub fn rule_fields(self) -> &'static [&'static str] {
        match self {
            Self::Vmalert => &["debug", "update_entries_limit"],
            _ => &[],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub prometheus: (u32, u32),
    pub alertmanager: (u32, u32),
    pub dialect: Dialect,
    pub scrape_interval: Duration,
    pub severities: Vec<String>,
    pub required_annotations: Vec<String>,
    pub max_group_interval: Duration,
    pub rate_window_factor: u32,
    pub record_name_pattern: regex::Regex,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prometheus: DEFAULT_PROMETHEUS,
            alertmanager: DEFAULT_ALERTMANAGER,
            dialect: Dialect::Prometheus,
            scrape_interval: Duration::from_secs(15),
            // `none`: kube-prometheus' Watchdog and InfoInhibitor, which page no one.
            severities: vec![
                "critical".into(),
                "warning".into(),
                "info".into(),
                "none".into(),
            ],
            required_annotations: vec!["summary".into(), "description".into()],
            max_group_interval: Duration::from_secs(300),
            rate_window_factor: 4,
            record_name_pattern: default_record_pattern(),
        }
    }
}

/// `level:metric:operations`.
pub const DEFAULT_RECORD_PATTERN: &str =
    r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+$";

#[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
fn default_record_pattern() -> regex::Regex {
    regex::Regex::new(DEFAULT_RECORD_PATTERN).unwrap()
}

/// Parse `2.42`, `2.42.0`, `v3`, `0.25.1`.
pub fn parse_version(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    let major = parts.next().and_then(|p| p.parse().ok());
    let minor = match parts.next() {
        None => Some(0),
        Some(p) => p.parse().ok(),
    };
    let patch_ok = parts
        .next()
        .is_none_or(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty());
    match (major, minor) {
        (Some(major), Some(minor)) if patch_ok && parts.next().is_none() => Ok((major, minor)),
        _ => Err(format!(
            "invalid version {text:?}: expected e.g. 2.42 or 3.1.0"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("2.42").unwrap(), (2, 42));
        assert_eq!(parse_version("v3.1.0").unwrap(), (3, 1));
        assert_eq!(parse_version("3").unwrap(), (3, 0));
        assert!(parse_version("three").is_err());
        assert!(parse_version("2.42.0.1").is_err());
        assert!(default_record_pattern().is_match("job:http_requests:rate5m"));
    }
}
