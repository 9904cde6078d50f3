//! `non-portable-key`: compose accepts `.`, `-`, `[`, `]`, non-ASCII
//! letters and a leading digit in names; shells and most programs do not.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};

pub const RULE: Rule = Rule {
    id: "non-portable-key",
    severity: Severity::Warning,
    summary: "a variable name other programs cannot use ([A-Za-z_][A-Za-z0-9_]*)",
    explanation: "use only letters, digits and _, not starting with a digit",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            let key = &entry.key;
            let leading_digit = key.starts_with(|c: char| c.is_ascii_digit());
            let bad = key
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'));
            let reason = match (leading_digit, bad) {
                (_, Some(c)) => format!("contains {c:?}"),
                (true, None) => "starts with a digit".to_owned(),
                (false, None) => continue,
            };
            out.push(
                &RULE,
                Some(key),
                format!("{key} {reason}: a shell cannot export it"),
                &at(doc, entry.key_span),
                None,
            );
        }
    }
}
