//! `extra-blank-line`: more than one blank line in a row.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};
use crate::input::Place;

pub const RULE: Rule = Rule {
    id: "extra-blank-line",
    severity: Severity::Warning,
    summary: "two or more blank lines in a row",
    explanation: "keep one blank line between groups",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        let count = doc.line_count();
        // Lines inside multi-line quoted values are data, not blank lines.
        let mut inside = vec![false; count + 2];
        for entry in &doc.entries {
            for line in entry.key_span.line + 1..=entry.end_line {
                if let Some(slot) = inside.get_mut(line as usize) {
                    *slot = true;
                }
            }
        }
        let mut previous_blank = false;
        // The last "line" after a final newline is empty by construction.
        let last = if doc.text.ends_with('\n') {
            count - 1
        } else {
            count
        };
        for (line, inside_value) in inside.iter().enumerate().take(last + 1).skip(1) {
            let blank = !inside_value
                && doc
                    .line_text(u32::try_from(line).unwrap_or(u32::MAX))
                    .trim()
                    .is_empty();
            if blank && previous_blank {
                let place = Place {
                    file: Some(doc.name.clone()),
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    column: 1,
                };
                out.push(&RULE, None, "extra blank line".to_owned(), &place, None);
            }
            previous_blank = blank;
        }
    }
}
