//! `duplicate-key`: the same name twice in one file; the later one wins,
//! which is rarely what the first line's author expects.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "duplicate-key",
    severity: Severity::Warning,
    summary: "a variable is assigned more than once in the same file",
    explanation: "delete one of the lines",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for entry in &doc.entries {
            if let Some(first) = seen.insert(&entry.key, entry.key_span.line) {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!(
                        "{} is set on line {first} and again on line {}; the value on line {} wins",
                        entry.key, entry.key_span.line, entry.key_span.line
                    ),
                    &at(doc, entry.key_span),
                    None,
                );
            }
        }
    }
}
