//! Syntax errors found by the parser (crate::parse): each stops docker
//! compose from reading the file at all, so each is an error.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::input::Place;

pub const INVALID_KEY: Rule = Rule {
    id: "invalid-key",
    severity: Severity::Error,
    summary: "a variable name contains a character docker compose rejects",
    explanation: "names may contain letters, digits and _",
};
pub const NOT_AN_ASSIGNMENT: Rule = Rule {
    id: "not-an-assignment",
    severity: Severity::Error,
    summary: "a line that is not KEY=value",
    explanation: "write KEY=value, or start the line with # to make it a comment",
};
pub const UNTERMINATED_QUOTE: Rule = Rule {
    id: "unterminated-quote",
    severity: Severity::Error,
    summary: "a quoted value whose closing quote is missing",
    explanation: "add the closing quote",
};
pub const TEXT_AFTER_QUOTE: Rule = Rule {
    id: "text-after-quote",
    severity: Severity::Error,
    summary: "text after a closing quote (compose reads it as another statement)",
    explanation: "put everything inside the quotes, or start a comment with ' #'",
};
pub const INVALID_UTF8: Rule = Rule {
    id: "invalid-utf8",
    severity: Severity::Error,
    summary: "the file is not valid UTF-8",
    explanation: "save the file as UTF-8",
};

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        if doc.invalid_utf8 {
            let place = Place {
                file: Some(doc.name.clone()),
                ..Place::default()
            };
            out.push(
                &INVALID_UTF8,
                None,
                format!(
                    "{} is not valid UTF-8; invalid bytes were read as U+FFFD",
                    doc.name
                ),
                &place,
                None,
            );
        }
        for error in &doc.errors {
            let rule = super::RULES.find(error.code).unwrap_or(&INVALID_KEY);
            out.push(
                rule,
                None,
                error.message.clone(),
                &at(doc, error.span),
                error.help.clone(),
            );
        }
    }
}
