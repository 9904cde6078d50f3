//! `unordered-key` (note): within a block of adjacent lines, names out of
//! alphabetical order. Only neighbours are compared, so the check is linear
//! (dotenv-linter's equivalent is quadratic), and blank lines or comments
//! start a new block, so files grouped by topic are fine.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "unordered-key",
    severity: Severity::Info,
    summary: "a name out of alphabetical order within a block of adjacent lines",
    explanation: "sort the block, or separate groups with a blank line or comment",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for pair in doc.entries.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if b.key_span.line == a.end_line + 1 && b.key < a.key {
                out.push(
                    &RULE,
                    Some(&b.key),
                    format!("{} should come before {}", b.key, a.key),
                    &at(doc, b.key_span),
                    None,
                );
            }
        }
    }
}
