//! `unquoted-spaces`: `KEY=two words` is one value for compose but two
//! words for a shell that sources the file.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::parse::Quote;

pub const RULE: Rule = Rule {
    id: "unquoted-spaces",
    severity: Severity::Warning,
    summary: "an unquoted value containing whitespace",
    explanation: "quote the value: KEY=\"two words\"",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            if entry.quote == Quote::None && entry.content.contains(char::is_whitespace) {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!(
                        "the value of {} contains whitespace but is not quoted",
                        entry.key
                    ),
                    &at(doc, entry.value_span),
                    None,
                );
            }
        }
    }
}
