//! `unnecessary-quotes` (note): quotes around a value that reads the same
//! without them in every dialect.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::parse::Quote;

pub const RULE: Rule = Rule {
    id: "unnecessary-quotes",
    severity: Severity::Info,
    summary: "quotes around a value that needs none",
    explanation: "the quotes can go",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            let plain = !entry.content.is_empty()
                && entry
                    .content
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./:@+-,".contains(c));
            if entry.quote != Quote::None && plain {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!("the value of {} needs no quotes", entry.key),
                    &at(doc, entry.value_span),
                    None,
                );
            }
        }
    }
}
