//! `undefined-reference`: `${VAR}` naming a variable that is not defined
//! before it; docker compose substitutes an empty string.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::input::{Occurrence, Place};
use crate::parse::Document;

pub const RULE: Rule = Rule {
    id: "undefined-reference",
    severity: Severity::Warning,
    summary: "a reference to a variable that is not defined above it",
    explanation: "define the variable earlier, give a default with ${VAR:-default}, or write $$ for a literal dollar",
};

/// Point at the reference itself when it is on the value's first line.
fn place_of(doc: &Document, occurrence: &Occurrence, name: &str) -> Place {
    let mut place = at(doc, occurrence.value_span);
    // Only a compose entry keeps the raw text to find the reference in.
    let Some(entry) = occurrence.entry.and_then(|e| doc.entries.get(e)) else {
        return place;
    };
    let raw = entry.rest_raw.as_str();
    let found = raw
        .find(&format!("${{{name}"))
        .or_else(|| raw.find(&format!("${name}")));
    if let Some(offset) = found
        && !raw[..offset].contains('\n')
    {
        let chars = u32::try_from(raw[..offset].chars().count()).unwrap_or(0);
        place.column += chars;
    }
    place
}

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for occurrence in &ctx.input.occurrences {
        let doc = &ctx.input.docs[occurrence.doc];
        let key = &occurrence.key;
        let secret = ctx.is_secret(key);
        for name in &occurrence.undefined {
            // In a secret the "name" after '$' is part of the secret.
            let message = if secret {
                format!(
                    "{key} contains a '$' that docker compose reads as a reference to an undefined variable; that part reads as an empty string"
                )
            } else {
                format!(
                    "{key} refers to ${name}, which is not defined before it; it reads as an empty string"
                )
            };
            out.push(
                &RULE,
                Some(key),
                message,
                &place_of(doc, occurrence, name),
                None,
            );
        }
    }
}
