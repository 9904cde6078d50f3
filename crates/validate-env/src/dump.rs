//! `validate-env dump`: the variables exactly as the chosen dialect reads
//! them, like `docker compose config` for compose files. Secrets masked
//! unless --show-secrets.

use shipshape_core::{ExitCode, OutputFormat, Printer, Report, Severity};

use crate::checks::{self, Findings};
use crate::{Cli, Settings, TOOL};

/// Quote a value so docker compose reads it back unchanged.
pub fn quote(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:@+,=%^~!*?<>|&;()[]{}".contains(c))
        && !value.starts_with(['\'', '"']);
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn run(
    printer: &Printer,
    cli: &Cli,
    settings: &Settings,
    files: &[String],
    show_secrets: bool,
) -> anyhow::Result<ExitCode> {
    let schema = crate::load_schema(settings, false)?;
    let input = crate::read_input(files, cli.from_env, settings.dialect)?;
    let env = settings.env.clone().unwrap_or_default();
    let vars = schema.as_ref().map(|s| s.resolve(&env)).unwrap_or_default();
    let ctx = checks::Ctx::new(&input, schema.as_ref(), &vars, None, None, false);
    // Only what decides the values: syntax and interpolation problems.
    let mut findings = Findings::default();
    checks::syntax::check(&ctx, &mut findings);
    checks::invalid_interpolation::check(&ctx, &mut findings);
    checks::undefined_reference::check(&ctx, &mut findings);
    // compose's nameless value is often a pasted token on the last line.
    let masked = |key: &str, value: &str| {
        !show_secrets
            && (ctx.is_secret(key)
                || ctx.leaks(value)
                || (key.is_empty() && crate::secrets::looks_like_credential(value)))
    };
    // A password inside a URL is a secret whatever the variable's name.
    let clear = |value: &str| {
        if show_secrets {
            value.to_owned()
        } else {
            shipshape_core::redact_url(value)
        }
    };
    let mut report = Report::with_rules(TOOL, env!("CARGO_PKG_VERSION"), &crate::checks::RULES);
    report.diagnostics = findings.list;
    if printer.format() == OutputFormat::Human {
        let mut text = String::new();
        for v in &input.values {
            let shown = if masked(&v.key, &v.value) {
                crate::secrets::display(&v.value, true)
            } else {
                quote(&clear(&v.value))
            };
            text.push_str(&v.key);
            text.push('=');
            text.push_str(&shown);
            text.push('\n');
        }
        printer.data(&text)?;
        for d in &report.diagnostics {
            let at = match (&d.file, d.line, d.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                (Some(f), _, _) => format!("{f}: "),
                _ => String::new(),
            };
            let line = format!("{at}{} [{}]", d.message, d.code);
            if d.severity == Severity::Error {
                printer.error(&line);
            } else {
                printer.warning(&line);
            }
        }
    } else {
        let mut variables = serde_json::Map::new();
        for v in &input.values {
            let shown = if masked(&v.key, &v.value) {
                crate::secrets::display(&v.value, true)
            } else {
                clear(&v.value)
            };
            variables.insert(v.key.clone(), serde_json::Value::String(shown));
        }
        report.insert("variables", variables);
        report.insert("dialect", settings.dialect);
        printer.report(&report)?;
    }
    Ok(report.exit_code())
}
