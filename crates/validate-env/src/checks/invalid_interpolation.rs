//! `invalid-interpolation`: a malformed `${...}` or a `${VAR:?message}`
//! whose variable is missing; docker compose refuses the file.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "invalid-interpolation",
    severity: Severity::Error,
    summary: "a malformed ${...} or a failed ${VAR:?message}",
    explanation: "close the brace, or write $$ for a literal dollar",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for occurrence in &ctx.input.occurrences {
        let doc = &ctx.input.docs[occurrence.doc];
        let key = &occurrence.key;
        let secret = ctx.is_secret(key);
        for error in &occurrence.errors {
            // The message quotes the template; keep it out of secret values.
            let message = if secret {
                format!("{key}: invalid interpolation in a secret value")
            } else {
                format!("{key}: {error}")
            };
            out.push(
                &RULE,
                Some(key),
                message,
                &at(doc, occurrence.value_span),
                required_help(error),
            );
        }
    }
}

/// A failed `${VAR:?message}` needs VAR defined, not a closed brace.
fn required_help(error: &str) -> Option<String> {
    let name = error
        .strip_prefix("required variable ")?
        .split(' ')
        .next()?;
    Some(format!(
        "define {name} (non-empty for ':?') on an earlier line or in an earlier file; docker compose refuses the file"
    ))
}
