//! `not-allowed`: a value (or list item) not among the `allowed` values
//! (the values of an `enum`).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "not-allowed",
    severity: Severity::Error,
    summary: "a value that is not one of the allowed values",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(allowed) = &v.var.rules.allowed else {
        return Vec::new();
    };
    let env = v.env();
    v.items()
        .iter()
        .filter(|item| !allowed.contains(item))
        .map(|item| {
            let mut f = Finding::new(format!(
                "{} = {} is not allowed{}",
                v.var.name,
                v.show_item(item),
                if env.is_empty() {
                    String::new()
                } else {
                    format!(" in {env}")
                }
            ));
            if !v.secret {
                f = f.help(format!("use one of: {}", allowed.join(", ")));
            }
            f
        })
        .collect()
}
