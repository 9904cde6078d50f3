//! Readable text: findings grouped by file, one line each, then a summary.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Effects, Style};

use super::{RenderOptions, plural};
use crate::diagnostic::{Diagnostic, Severity};
use crate::report::Report;

const FILE: Style = Style::new().effects(Effects::BOLD.insert(Effects::UNDERLINE));
const DIM: Style = Style::new().effects(Effects::DIMMED);
const HELP: Style = AnsiColor::Cyan.on_default();

pub fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => AnsiColor::Red.on_default().effects(Effects::BOLD),
        Severity::Warning => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
        Severity::Info => AnsiColor::Blue.on_default().effects(Effects::BOLD),
    }
}

/// Findings grouped by file (files in order of first appearance; findings
/// without a file come first), then the one-line summary.
pub fn render(report: &Report, options: RenderOptions) -> String {
    let shown: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| !options.quiet || d.severity == Severity::Error)
        .collect();

    let mut groups: Vec<(Option<&str>, Vec<&Diagnostic>)> = Vec::new();
    for d in &shown {
        let file = d.file.as_deref();
        match groups.iter_mut().find(|(f, _)| *f == file) {
            Some((_, items)) => items.push(d),
            None => groups.push((file, vec![d])),
        }
    }
    groups.sort_by_key(|(file, _)| file.is_some());

    let mut out = String::new();
    for (file, items) in &groups {
        if let Some(file) = file {
            let _ = writeln!(out, "{FILE}{file}{FILE:#}");
        }
        for d in items {
            write_diagnostic(&mut out, d);
        }
        out.push('\n');
    }
    if !options.quiet || !report.ok() {
        out.push_str(&summary_line(report));
        out.push('\n');
    }
    out
}

fn write_diagnostic(out: &mut String, d: &Diagnostic) {
    let position = match (d.line, d.column) {
        (Some(line), Some(column)) => format!("{line}:{column}"),
        (Some(line), None) => format!("{line}"),
        _ => String::new(),
    };
    let style = severity_style(d.severity);
    // What the finding is about leads, as promtool names the group and rule,
    // unless the message already names it (or its last part: an alert's
    // name without its group).
    let named = |subject: &str| {
        let last = subject.rsplit('/').next().unwrap_or(subject);
        d.message.contains(subject) || (!last.is_empty() && d.message.contains(last))
    };
    let message = match &d.subject {
        Some(subject) if !subject.is_empty() && !named(subject) => {
            format!("{subject}: {}", d.message)
        }
        _ => d.message.clone(),
    };
    let _ = writeln!(
        out,
        "  {position:>7}  {style}{:<7}{style:#}  {}  {DIM}[{}]{DIM:#}",
        d.severity.as_str(),
        // Continuation lines of a multi-line message line up under its first line.
        message.replace('\n', &format!("\n{:20}", "")),
        d.code
    );
    if let Some(help) = &d.help {
        for (i, line) in help.lines().enumerate() {
            let lead = if i == 0 { "help:" } else { "     " };
            let _ = writeln!(out, "  {:>7}  {HELP}{lead}{HELP:#} {line}", "");
        }
    }
}

/// `validate-env: 2 errors, 1 warning` or `validate-env: no problems found`.
pub fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let counts = if s.errors + s.warnings + s.infos == 0 {
        "no problems found".to_owned()
    } else {
        let mut parts = vec![plural(s.errors, "error"), plural(s.warnings, "warning")];
        if s.infos > 0 {
            parts.push(plural(s.infos, "note"));
        }
        parts.join(", ")
    };
    let style = if report.ok() {
        AnsiColor::Green.on_default().effects(Effects::BOLD)
    } else {
        severity_style(Severity::Error)
    };
    let verdict = if report.ok() { "ok" } else { "failed" };
    format!("{style}{}{style:#}: {counts} ({verdict})", report.tool)
}
