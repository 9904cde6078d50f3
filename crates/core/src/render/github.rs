//! GitHub Actions workflow commands, and a Markdown step summary.
//!
//! GitHub shows only the first 10 error and 10 warning annotations of a
//! step, so the step summary lists every finding.

use std::fmt::Write as _;

use super::{RenderOptions, plural};
use crate::diagnostic::{Diagnostic, Severity};
use crate::report::Report;

/// Escape a workflow command's message (`%`, CR, LF).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command property value (also `:` and `,`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// The annotations, one per line, then a plain summary line.
pub fn render(report: &Report, options: RenderOptions) -> String {
    let mut out = String::new();
    for d in report
        .diagnostics
        .iter()
        .filter(|d| !options.quiet || d.severity == Severity::Error)
    {
        out.push_str(&annotation(report.tool, d));
        out.push('\n');
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "{}: {}, {} ({})",
        report.tool,
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        if report.ok() { "ok" } else { "failed" }
    );
    out
}

fn annotation(tool: &str, d: &Diagnostic) -> String {
    let mut properties = Vec::new();
    if let Some(file) = &d.file {
        properties.push(format!("file={}", escape_property(file)));
        if let Some(line) = d.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = d.column {
            properties.push(format!("col={column}"));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("{tool} {}", d.code))
    ));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\n\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        command(d.severity),
        properties.join(","),
        escape_data(&message)
    )
}

/// The Markdown appended to `$GITHUB_STEP_SUMMARY`: a heading with the
/// counts and a table of every finding.
pub fn step_summary(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    let icon = if report.ok() { "✅" } else { "❌" };
    let _ = writeln!(
        out,
        "### {icon} {}: {}, {}\n",
        report.tool,
        plural(s.errors, "error"),
        plural(s.warnings, "warning")
    );
    if report.diagnostics.is_empty() {
        out.push_str("No problems found.\n\n");
        return out;
    }
    out.push_str("| Severity | Check | Location | Message |\n|---|---|---|---|\n");
    for d in &report.diagnostics {
        let location = match (&d.file, d.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => d.subject.clone().unwrap_or_default(),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            d.severity,
            cell(&d.code),
            cell(&location),
            cell(&d.message)
        );
    }
    out.push('\n');
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}
