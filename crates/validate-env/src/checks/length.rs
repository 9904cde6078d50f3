//! `length`: a value shorter than `min_length` or longer than `max_length`
//! (in characters).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "length",
    severity: Severity::Error,
    summary: "a value shorter than min_length or longer than max_length",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let len = v.value.chars().count();
    let name = &v.var.name;
    if let Some(min) = v.var.rules.min_length
        && len < min
    {
        let help = if v.secret {
            "generate one with: openssl rand -base64 48".to_owned()
        } else {
            format!("{name} needs at least {min} characters")
        };
        return vec![
            Finding::new(format!(
                "{name} is {len} characters long; at least {min} are required"
            ))
            .help(help),
        ];
    }
    if let Some(max) = v.var.rules.max_length
        && len > max
    {
        return vec![Finding::new(format!(
            "{name} is {len} characters long; at most {max} are allowed"
        ))];
    }
    Vec::new()
}
