//! `spaces-around-equals`: `KEY = value` works in compose but not in a
//! shell (`source .env`), and hides which side a space belongs to.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "spaces-around-equals",
    severity: Severity::Warning,
    summary: "spaces around the '=' of an assignment",
    explanation: "write KEY=value without spaces; quote the value if it starts with a space",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            // `KEY: value` has its own check (colon-separator).
            let after = entry.space_after_separator && entry.separator == '=';
            if entry.space_before_separator || after {
                out.push(
                    &RULE,
                    Some(&entry.key),
                    format!(
                        "spaces around '{}' in the assignment of {}",
                        entry.separator, entry.key
                    ),
                    &at(doc, entry.separator_span),
                    None,
                );
            }
        }
    }
}
