//! `missing-required`: a variable the environment requires is not set.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};
use crate::input::Place;
use crate::schema::Var;

pub const RULE: Rule = Rule {
    id: "missing-required",
    severity: Severity::Error,
    summary: "a required variable is not set",
    explanation: "",
};

pub fn check(ctx: &Ctx<'_>, var: &Var, out: &mut Findings) {
    let env = ctx.env.unwrap_or("");
    if !var.required_in(env) {
        return;
    }
    // A docker secret file (X_FILE) provides X; secret_file reports it.
    if ctx.input.get(&format!("{}_FILE", var.name)).is_some() {
        return;
    }
    let mut help = format!("add {}=… ", var.name);
    if let Some(d) = &var.description {
        help.push_str(&format!("({d})"));
    }
    let place = Place {
        file: ctx.input.docs.last().map(|d| d.name.clone()),
        ..Place::default()
    };
    out.push(
        &RULE,
        Some(&var.name),
        format!("{} is required in {env} but not set", var.name),
        &place,
        Some(help.trim_end().to_owned()),
    );
}
