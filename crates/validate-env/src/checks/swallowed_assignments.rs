//! `swallowed-assignments`: a quoted value that spans lines and contains
//! lines that look like assignments. Almost always a missing closing quote:
//! compose reads the following lines as part of the value, and the
//! variables on them silently disappear.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::parse::Quote;

pub const RULE: Rule = Rule {
    id: "swallowed-assignments",
    severity: Severity::Warning,
    summary: "a multi-line quoted value containing lines that look like assignments",
    explanation: "check for a missing closing quote on the first line of the value",
};

fn looks_like_assignment(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (name, _) = line.split_once('=')?;
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(name)
}

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        for entry in &doc.entries {
            if entry.quote == Quote::None || entry.end_line == entry.key_span.line {
                continue;
            }
            let names: Vec<&str> = entry
                .content
                .lines()
                .skip(1)
                .filter_map(looks_like_assignment)
                .collect();
            if names.is_empty() {
                continue;
            }
            out.push(
                &RULE,
                Some(&entry.key),
                format!(
                    "the quoted value of {} runs from line {} to line {} and swallows what look like assignments of {}",
                    entry.key,
                    entry.key_span.line,
                    entry.end_line,
                    names.join(", ")
                ),
                &at(doc, entry.value_span),
                None,
            );
        }
    }
}
