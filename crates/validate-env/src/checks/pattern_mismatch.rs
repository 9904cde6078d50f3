//! `pattern-mismatch`: a value (or list item) that does not match the
//! variable's `pattern` (anchored at both ends).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "pattern-mismatch",
    severity: Severity::Error,
    summary: "a value that does not match the declared pattern",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(re) = &v.var.pattern else {
        return Vec::new();
    };
    let source = v
        .var
        .rules
        .pattern
        .as_ref()
        .map(|p| p.get_ref().as_str())
        .unwrap_or_default();
    v.items()
        .iter()
        .filter(|item| !re.is_match(item))
        .map(|item| {
            Finding::new(format!(
                "{} = {} does not match /{source}/",
                v.var.name,
                v.show_item(item)
            ))
        })
        .collect()
}
