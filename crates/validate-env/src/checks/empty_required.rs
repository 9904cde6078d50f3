//! `empty-required`: a required variable is set to the empty string. An
//! empty optional variable counts as unset.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};
use crate::schema::Var;

pub const RULE: Rule = Rule {
    id: "empty-required",
    severity: Severity::Error,
    summary: "a required variable is empty",
    explanation: "",
};

pub fn check(ctx: &Ctx<'_>, var: &Var, out: &mut Findings) {
    let env = ctx.env.unwrap_or("");
    if !var.required_in(env) {
        return;
    }
    let help = var
        .description
        .as_ref()
        .map(|d| format!("set {} ({d})", var.name));
    out.push(
        &RULE,
        Some(&var.name),
        format!("{} is required in {env} but empty", var.name),
        &ctx.input.value_place(&var.name),
        help,
    );
}
