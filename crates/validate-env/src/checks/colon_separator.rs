//! `colon-separator`: compose and dotenv (npm) accept `KEY: value`;
//! python-dotenv and shells do not.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "colon-separator",
    severity: Severity::Warning,
    summary: "KEY: value instead of KEY=value",
    explanation: "write KEY=value: python-dotenv does not read KEY: value",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            if entry.separator == ':' {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!("{} is assigned with ':'", entry.key),
                    &at(doc, entry.separator_span),
                    None,
                );
            }
        }
    }
}
