//! `trailing-whitespace`: invisible, and readers disagree on whether it is
//! part of a value.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "trailing-whitespace",
    severity: Severity::Warning,
    summary: "spaces or tabs at the end of a line",
    explanation: "delete them; quote the value if the spaces are meant to be part of it",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            if let Some(span) = entry.trailing_whitespace {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!("trailing whitespace after the value of {}", entry.key),
                    &at(doc, span),
                    None,
                );
            }
        }
    }
}
