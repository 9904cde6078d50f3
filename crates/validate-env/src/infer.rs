//! `validate-env schema --from-example FILE`: a starter schema inferred
//! from an example file: names, likely types, and secrets guessed from
//! names. Meant to be reviewed and edited.

use std::fmt::Write as _;

use shipshape_core::{ExitCode, Printer};

use crate::dialect::Dialect;
use crate::input::{self, Input};
use crate::parse::Document;
use crate::secrets;
use crate::values;

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The likely type of an example value.
pub fn guess_type(name: &str, value: &str) -> &'static str {
    let upper = name.to_ascii_uppercase();
    if value.is_empty() {
        return "string";
    }
    if values::bool(value).is_ok() && !value.chars().all(|c| c.is_ascii_digit()) {
        return "bool";
    }
    if upper.ends_with("_PORT") && values::port(value).is_ok() {
        return "port";
    }
    if values::int(value).is_ok() {
        return "int";
    }
    if values::float(value).is_ok() {
        return "float";
    }
    if value.starts_with('[')
        || (value.contains(',') && (upper.ends_with('S') || upper.contains("ORIGINS")))
    {
        return "list";
    }
    if values::url(value).is_ok() {
        return "url";
    }
    if values::email(value).is_ok() {
        return "email";
    }
    "string"
}

/// Comment lines directly above a line, as a description.
fn description(doc: &Document, line: u32) -> Option<String> {
    let mut lines = Vec::new();
    let mut l = line.saturating_sub(1);
    while l >= 1 {
        let text = doc.line_text(l).trim();
        match text.strip_prefix('#') {
            Some(c) if !c.trim().is_empty() && !c.trim().starts_with(['=', '-']) => {
                lines.push(c.trim().to_owned());
            }
            _ => break,
        }
        l -= 1;
    }
    lines.reverse();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// The nearest section header above a line: `# === Database ===` or
/// `# --- Database ---`.
fn category(doc: &Document, line: u32) -> Option<String> {
    (1..line).rev().find_map(|l| {
        let text = doc.line_text(l).trim().strip_prefix('#')?.trim();
        let inner = text
            .strip_prefix("===")
            .and_then(|t| t.strip_suffix("==="))
            .or_else(|| text.strip_prefix("---").and_then(|t| t.strip_suffix("---")))?;
        let inner = inner.trim();
        // `Optional: Redis (…)` → `Optional`.
        let name = inner.split([':', '(']).next().unwrap_or(inner).trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

pub fn render(doc: &Document, input: &Input) -> String {
    let mut out = String::from(
        "# Starter schema inferred by `validate-env schema --from-example`.\n\
         # Review every entry: types and secrets are guesses from names and values.\n\n\
         [settings]\nenvironments = [\"production\", \"staging\"]\n",
    );
    let mut seen = std::collections::HashSet::new();
    for entry in &doc.entries {
        if !seen.insert(entry.key.as_str()) {
            continue;
        }
        let Some(value) = input.get(&entry.key) else {
            continue;
        };
        let kind = guess_type(&entry.key, &value.value);
        let _ = write!(out, "\n[vars.{}]\n", entry.key);
        if let Some(c) = category(doc, entry.key_span.line) {
            let _ = writeln!(out, "category = {}", toml_string(&c));
        }
        if let Some(d) = description(doc, entry.key_span.line) {
            let _ = writeln!(out, "description = {}", toml_string(&d));
        }
        let _ = writeln!(out, "type = \"{kind}\"");
        if kind == "list" {
            let item = values::list(&value.value, None)
                .ok()
                .and_then(|items| items.first().map(|i| guess_type("", i)))
                .unwrap_or("string");
            let _ = writeln!(out, "items = \"{item}\"");
        }
        let _ = writeln!(out, "required = true");
        let public = entry.key.starts_with("NEXT_PUBLIC_");
        let url = (kind == "url")
            .then(|| values::url(&value.value).ok())
            .flatten();
        // A URL with a password in it is a secret whatever its name.
        let url_password = url
            .as_ref()
            .is_some_and(|u| u.authority.contains('@') && u.authority.contains(':'));
        if !public && (secrets::name_looks_secret(&entry.key) || url_password) {
            let _ = writeln!(out, "secret = true");
            if !url_password {
                let _ = writeln!(out, "min_length = 12");
            }
        }
        let v = value.value.as_str();
        if let Some(parts) = url {
            if parts.scheme.starts_with("postgres") {
                let _ = writeln!(
                    out,
                    "format = \"postgres-url\"\nschemes = [\"postgres\", \"postgresql\"]"
                );
            } else if parts.scheme.starts_with("redis") {
                let _ = writeln!(
                    out,
                    "format = \"redis-url\"\nschemes = [\"redis\", \"rediss\"]"
                );
            } else if parts.host.ends_with("sentry.io") || entry.key.contains("SENTRY_DSN") {
                let _ = writeln!(out, "format = \"sentry-dsn\"\nschemes = [\"https\"]");
            } else {
                let _ = writeln!(out, "schemes = [{}]", toml_string(parts.scheme));
            }
        } else if v.starts_with("pk_live_") || v.starts_with("pk_test_") {
            let _ = writeln!(out, "format = \"clerk-publishable-key\"");
        } else if v.starts_with("sk_live_") || v.starts_with("sk_test_") {
            let _ = writeln!(out, "prefix = [\"sk_live_\", \"sk_test_\"]");
        } else if v.starts_with("whsec_") {
            let _ = writeln!(out, "prefix = [\"whsec_\"]");
        }
    }
    out
}

pub fn run(printer: &Printer, path: &str) -> anyhow::Result<ExitCode> {
    let docs = input::read_documents(&[path.to_owned()])?;
    let Some(doc) = docs.first().cloned() else {
        return Ok(ExitCode::Runtime);
    };
    let input = Input::from_documents(docs, Dialect::Compose);
    printer.data(&render(&doc, &input))?;
    Ok(ExitCode::Ok)
}
