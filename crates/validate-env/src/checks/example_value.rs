//! `example-value`: a secret identical to its value in the example file
//! (given with --example): the template was copied and never filled in.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "example-value",
    severity: Severity::Error,
    summary: "a secret still has the value from the example file",
    explanation: "generate a new value",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(example) = v.ctx.example else {
        return Vec::new();
    };
    match example.get(&v.var.name) {
        Some(e) if v.secret && e.value == v.value => vec![Finding::new(format!(
            "{} is unchanged from the example file",
            v.var.name
        ))],
        _ => Vec::new(),
    }
}
