//! `missing-example-key`: every variable in the example file (--example)
//! must be present in the input.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};
use crate::input::Place;

pub const RULE: Rule = Rule {
    id: "missing-example-key",
    severity: Severity::Error,
    summary: "a variable of the example file is missing",
    explanation: "",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    let Some(example) = ctx.example else {
        return;
    };
    for value in &example.values {
        if ctx.input.get(&value.key).is_some()
            || ctx.input.get(&format!("{}_FILE", value.key)).is_some()
        {
            continue;
        }
        // missing-required already covers variables the schema requires.
        if let Some(var) = ctx.var(&value.key)
            && var.required_in(ctx.env.unwrap_or(""))
        {
            continue;
        }
        let place = Place {
            file: ctx.input.docs.last().map(|d| d.name.clone()),
            ..Place::default()
        };
        let origin = example.key_place(&value.key);
        out.push(
            &RULE,
            Some(&value.key),
            format!(
                "{} is in the example{} but not set",
                value.key,
                origin
                    .file
                    .map(|f| format!(" ({f}:{})", origin.line))
                    .unwrap_or_default()
            ),
            &place,
            None,
        );
    }
}
