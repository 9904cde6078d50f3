//! `lowercase-key`: environment variable names are upper case by
//! convention, and some readers are case-insensitive (pydantic-settings).

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "lowercase-key",
    severity: Severity::Warning,
    summary: "a variable name contains lower-case letters",
    explanation: "use upper case: pydantic-settings matches names case-insensitively, so case is the only difference readers may ignore",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            if entry.key.chars().any(|c| c.is_lowercase()) {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!(
                        "{} should be upper case ({})",
                        entry.key,
                        entry.key.to_uppercase()
                    ),
                    &at(doc, entry.key_span),
                    None,
                );
            }
        }
    }
}
