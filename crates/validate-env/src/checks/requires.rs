//! `requires`: setting one variable requires others (`SMTP_HOST` needs
//! `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`, `EMAIL_FROM`).

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};

pub const RULE: Rule = Rule {
    id: "requires",
    severity: Severity::Error,
    summary: "a variable is set but a variable it requires is not",
    explanation: "",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for var in ctx.vars {
        let Some(requires) = &var.rules.requires else {
            continue;
        };
        if ctx.value(&var.name).is_none() {
            continue;
        }
        let missing: Vec<&str> = requires
            .iter()
            .filter(|r| ctx.value(r).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            out.push(
                &RULE,
                Some(&var.name),
                format!(
                    "{} is set, so {} must be set too",
                    var.name,
                    missing.join(", ")
                ),
                &ctx.input.key_place(&var.name),
                Some(format!("set {}, or unset {}", missing.join(", "), var.name)),
            );
        }
    }
}
