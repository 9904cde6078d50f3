//! `sentry-dsn`: a Sentry DSN is `https://<public key>@<host>/<project id>`.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};
use crate::schema::Format;

pub const RULE: Rule = Rule {
    id: "sentry-dsn",
    severity: Severity::Error,
    summary: "a Sentry DSN that is not https://<key>@<host>/<project-id>",
    explanation: "copy the DSN from Sentry: Project Settings → Client Keys (DSN)",
};

pub fn dsn_problem(value: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Some("has no scheme");
    };
    if scheme != "https" && scheme != "http" {
        return Some("does not use https://");
    }
    let Some((key, after)) = rest.split_once('@') else {
        return Some("has no public key before '@'");
    };
    let key = key.split(':').next().unwrap_or("");
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some("has no valid public key before '@'");
    }
    let Some((host, path)) = after.split_once('/') else {
        return Some("has no project id");
    };
    if host.is_empty() {
        return Some("has no host");
    }
    let project = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if project.is_empty() || !project.chars().all(|c| c.is_ascii_digit()) {
        return Some("does not end with a numeric project id");
    }
    None
}

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    if v.var.rules.format != Some(Format::SentryDsn) {
        return Vec::new();
    }
    match dsn_problem(v.value) {
        Some(problem) => vec![Finding::new(format!(
            "{} is not a Sentry DSN: it {problem}",
            v.var.name
        ))],
        None => Vec::new(),
    }
}
