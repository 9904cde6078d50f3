//! What the user sees: in human format a table of the checks (status,
//! timing, each migration's upgrade time) before the findings; in every
//! other format just the core report (JSON carries the same table as
//! `checks`).

use std::fmt::Write as _;
use std::path::Path;

use anstyle::{AnsiColor, Effects, Style};
use shipshape_core::{OutputFormat, Printer, Report};

use crate::checks::{CheckResult, Status};
use crate::layout::Layout;

const DIM: Style = Style::new().effects(Effects::DIMMED);

fn status_word(status: Status) -> (Style, &'static str) {
    match status {
        Status::Passed => (
            AnsiColor::Green.on_default().effects(Effects::BOLD),
            "passed ",
        ),
        Status::Failed => (
            AnsiColor::Red.on_default().effects(Effects::BOLD),
            "FAILED ",
        ),
        Status::Skipped => (AnsiColor::Yellow.on_default(), "skipped"),
    }
}

fn duration(ms: u64) -> String {
    if ms >= 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

/// The check table (human format).
pub fn table(
    results: &[CheckResult],
    dir: &Path,
    layout: Layout,
    migrations: usize,
    verbose: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} migrations ({layout}) in {}",
        migrations,
        dir.display()
    );
    for result in results {
        let (style, word) = status_word(result.status);
        let mut detail = result.detail.clone();
        if !result.steps.is_empty() && result.status != Status::Skipped {
            let failed = result
                .steps
                .iter()
                .filter(|s| s.status == Status::Failed)
                .count();
            let skipped = result
                .steps
                .iter()
                .filter(|s| s.status == Status::Skipped)
                .count();
            let n = result.steps.len();
            let mut parts = vec![format!("{n} migration{}", if n == 1 { "" } else { "s" })];
            if failed > 0 {
                parts.push(format!("{failed} failed"));
            }
            if skipped > 0 {
                parts.push(format!("{skipped} skipped"));
            }
            if result.name == "locks" && !result.detail.is_empty() {
                parts.push(result.detail.clone());
            }
            detail = parts.join(", ");
        }
        let time = if result.status == Status::Skipped {
            String::new()
        } else {
            duration(result.duration_ms)
        };
        let _ = writeln!(
            out,
            "  {style}{word}{style:#}  {:<13}  {:>8}  {DIM}{detail}{DIM:#}",
            result.name, time
        );
        let show_steps = result.name == "upgrade" || verbose;
        if show_steps {
            for step in &result.steps {
                let (style, _) = status_word(step.status);
                let mark = match step.status {
                    Status::Passed => "ok",
                    Status::Failed => "failed",
                    Status::Skipped => "skipped",
                };
                let note = step
                    .note
                    .as_ref()
                    .map(|n| format!("  {DIM}({n}){DIM:#}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "             {:>8}  {style}{mark:<7}{style:#} {}{note}",
                    duration(step.duration_ms),
                    step.migration
                );
            }
        }
    }
    out.push('\n');
    out
}

/// Print the run's result in the chosen format.
pub fn print(
    printer: &Printer,
    report: &Report,
    results: &[CheckResult],
    dir: &Path,
    layout: Layout,
    migrations: usize,
) -> std::io::Result<()> {
    if printer.format() == OutputFormat::Human && !printer.is_quiet() {
        printer.data(&table(
            results,
            dir,
            layout,
            migrations,
            printer.is_verbose(),
        ))?;
    }
    printer.report(report)
}
