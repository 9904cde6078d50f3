//! `missing-prefix`: a value that does not start with one of the required
//! prefixes (e.g. `sk_live_` in production).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "missing-prefix",
    severity: Severity::Error,
    summary: "a value without the required prefix",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(prefixes) = &v.var.rules.prefix else {
        return Vec::new();
    };
    if prefixes.iter().any(|p| v.value.starts_with(p.as_str())) {
        return Vec::new();
    }
    let env = v.env();
    vec![Finding::new(format!(
        "{} must start with {}{}",
        v.var.name,
        prefixes
            .iter()
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(" or "),
        if env.is_empty() {
            String::new()
        } else {
            format!(" in {env}")
        }
    ))]
}
