//! `unquoted-json`: JSON in an unquoted value (`CORS_ORIGINS=["https://a"]`)
//! survives compose, python-dotenv and Next.js as long as it holds no `#`
//! or `$`, but a shell that sources the file strips its inner quotes (and
//! dotenvy, the Rust crate, does too); single quotes keep it intact
//! everywhere.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::parse::Quote;

pub const RULE: Rule = Rule {
    id: "unquoted-json",
    severity: Severity::Warning,
    summary: "a JSON array or object in an unquoted value",
    explanation: "wrap the JSON in single quotes: KEY='[\"https://a\"]'",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            let c = entry.content.trim_start();
            let json = (c.starts_with('[') && c.ends_with(']'))
                || (c.starts_with('{') && c.ends_with('}'));
            if entry.quote == Quote::None && json && entry.content.contains('"') {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!("the value of {} is unquoted JSON", entry.key),
                    &at(doc, entry.value_span),
                    None,
                );
            }
        }
    }
}
