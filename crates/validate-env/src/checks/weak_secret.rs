//! `weak-secret`: a secret that is a common password, a repeated pattern,
//! or has low entropy for its character set.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "weak-secret",
    severity: Severity::Error,
    summary: "a secret that is easy to guess",
    explanation: "generate a random value, e.g. openssl rand -base64 48",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    if !v.secret {
        return Vec::new();
    }
    // Structured secrets (URLs with a password) are judged by their parts.
    if v.value.contains("://") {
        return Vec::new();
    }
    match crate::secrets::weakness(v.value) {
        Some(why) => vec![Finding::new(format!("{} is weak: {why}", v.var.name))],
        None => Vec::new(),
    }
}
