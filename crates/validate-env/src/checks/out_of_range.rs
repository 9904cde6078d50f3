//! `out-of-range`: a number (int, float, port, duration in seconds)
//! outside `min`/`max`.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};
use crate::values;

pub const RULE: Rule = Rule {
    id: "out-of-range",
    severity: Severity::Error,
    summary: "a number outside the declared min/max",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let (min, max) = (v.var.rules.min, v.var.rules.max);
    if min.is_none() && max.is_none() {
        return Vec::new();
    }
    let Ok(Some(n)) = values::scalar(v.var.kind(), v.value) else {
        return Vec::new();
    };
    let env = v.env();
    let in_env = if env.is_empty() {
        String::new()
    } else {
        format!(" in {env}")
    };
    if let Some(min) = min
        && n < min
    {
        return vec![Finding::new(format!(
            "{} = {} is below the minimum {min}{in_env}",
            v.var.name,
            v.shown()
        ))];
    }
    if let Some(max) = max
        && n > max
    {
        return vec![Finding::new(format!(
            "{} = {} is above the maximum {max}{in_env}",
            v.var.name,
            v.shown()
        ))];
    }
    Vec::new()
}
