//! `unknown-key`: a variable in neither the schema nor the example file,
//! with a "did you mean" suggestion by edit distance. With --from-env only
//! near misses are reported (the process environment holds PATH, HOME …).

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule};

pub const RULE: Rule = Rule {
    id: "unknown-key",
    severity: Severity::Warning,
    summary: "a variable the schema does not declare",
    explanation: "",
};

fn suggestion<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 5) && *d < k.len())
        .min()
        .map(|(_, k)| k)
}

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    if ctx.schema.is_none() && ctx.example.is_none() {
        return;
    }
    let mut names: Vec<&str> = ctx.schema.map(|s| s.names().collect()).unwrap_or_default();
    if let Some(example) = ctx.example {
        names.extend(example.values.iter().map(|v| v.key.as_str()));
    }
    let known: std::collections::HashSet<&str> = names.iter().copied().collect();
    for value in &ctx.input.values {
        let key = value.key.as_str();
        // compose's nameless value already has its syntax error.
        if key.is_empty() || known.contains(&key) {
            continue;
        }
        if let Some(base) = key.strip_suffix("_FILE")
            && known.contains(&base)
        {
            continue;
        }
        let hint = suggestion(key, &names);
        if ctx.input.from_env && hint.is_none() {
            continue;
        }
        let source = match (ctx.schema.is_some(), ctx.example.is_some()) {
            (true, true) => "the schema or the example",
            (false, true) => "the example",
            _ => "the schema",
        };
        let message = match hint {
            Some(k) => format!("{key} is not in {source}; did you mean {k}?"),
            None => format!("{key} is not in {source}"),
        };
        out.push(
            &RULE,
            Some(key),
            message,
            &ctx.input.key_place(key),
            Some("declare it in the schema, or remove it".to_owned()),
        );
    }
}
