//! `missing-final-newline`: a file that does not end with a line break; `cat a b`
//! and appends then glue two assignments together.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};
use crate::input::Place;

pub const RULE: Rule = Rule {
    id: "missing-final-newline",
    severity: Severity::Warning,
    summary: "the file does not end with a line break",
    explanation: "add a line break at the end of the file",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        if !doc.text.is_empty() && !doc.text.ends_with('\n') {
            let place = Place {
                file: Some(doc.name.clone()),
                line: u32::try_from(doc.line_count()).unwrap_or(u32::MAX),
                column: 1,
            };
            out.push(
                &RULE,
                None,
                "no line break at the end of the file".to_owned(),
                &place,
                None,
            );
        }
    }
}
