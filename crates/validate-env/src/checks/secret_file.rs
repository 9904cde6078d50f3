//! `secret-file`: docker secrets. `X_FILE=/run/secrets/x` provides `X`: the
//! file is read (one trailing newline dropped) and validated by X's rules; a
//! missing or unreadable file is an error.

use shipshape_core::Severity;

use super::{Findings, Rule};
use crate::input::{Input, Value};
use crate::schema::Schema;

pub const RULE: Rule = Rule {
    id: "secret-file",
    severity: Severity::Error,
    summary: "a *_FILE variable names a file that cannot be read",
    explanation: "mount the secret (docker compose `secrets:`) or fix the path",
};

/// Resolve every `X_FILE` whose `X` the schema declares and the input does
/// not set.
pub fn apply(input: &mut Input, schema: &Schema, out: &mut Findings) {
    let candidates: Vec<(String, String, Option<usize>)> = input
        .values
        .iter()
        .filter_map(|v| {
            let base = v.key.strip_suffix("_FILE")?;
            (schema.contains(base) && input.get(base).is_none())
                .then(|| (base.to_owned(), v.value.clone(), v.occurrence))
        })
        .collect();
    for (base, path, occurrence) in candidates {
        match fs_err::read_to_string(&path) {
            Ok(text) => {
                let value = text
                    .strip_suffix("\r\n")
                    .or_else(|| text.strip_suffix('\n'))
                    .unwrap_or(&text)
                    .to_owned();
                input.set(Value {
                    key: base,
                    value,
                    occurrence,
                });
            }
            Err(e) => {
                let key = format!("{base}_FILE");
                let place = input.value_place(&key);
                let reason = if e.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_owned()
                } else {
                    format!("cannot be read ({})", e.kind())
                };
                out.push(
                    &RULE,
                    Some(&base),
                    format!("{key} points at {path}, which {reason}; {base} is not set"),
                    &place,
                    None,
                );
            }
        }
    }
}
