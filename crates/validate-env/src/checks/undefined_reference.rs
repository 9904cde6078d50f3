//! `undefined-reference`: `${VAR}` naming a variable that is not defined
//! before it; docker compose substitutes an empty string.

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::input::Place;
use crate::parse::{Document, Entry};

pub const RULE: Rule = Rule {
    id: "undefined-reference",
    severity: Severity::Warning,
    summary: "a reference to a variable that is not defined above it",
    help: "define the variable earlier, give a default with ${VAR:-default}, or write $$ for a literal dollar",
};

/// Point at the reference itself when it is on the value's first line.
fn place_of(doc: &Document, entry: &Entry, name: &str) -> Place {
    let mut place = at(doc, entry.value_span);
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
        let entry = &doc.entries[occurrence.entry];
        let secret = ctx.is_secret(&entry.key);
        for name in &occurrence.undefined {
            // In a secret the "name" after '$' is part of the secret.
            let message = if secret {
                format!(
                    "{} contains a '$' that docker compose reads as a reference to an undefined variable; that part reads as an empty string",
                    entry.key
                )
            } else {
                format!(
                    "{} refers to ${name}, which is not defined before it; it reads as an empty string",
                    entry.key
                )
            };
            out.push(
                &RULE,
                Some(&entry.key),
                message,
                &place_of(doc, entry, name),
                None,
            );
        }
    }
}
