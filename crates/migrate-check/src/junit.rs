//! `--junit FILE`: a JUnit XML report, one test case per check and per
//! migration within a check, for CI dashboards. Written to a temporary file
//! beside the target and renamed, so a reader never sees half a report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::checks::{CheckResult, Status};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

struct Case {
    class: String,
    name: String,
    file: Option<String>,
    ms: u64,
    status: Status,
    failures: Vec<String>,
    skipped: String,
}

/// Render the results as JUnit XML.
pub fn render(results: &[CheckResult]) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_skipped, mut all_ms) = (0, 0, 0, 0);
    for check in results {
        let mut cases = Vec::new();
        if check.steps.is_empty() || !check.failures.is_empty() {
            cases.push(Case {
                class: format!("migrate-check.{}", check.name),
                name: check.name.to_owned(),
                file: None,
                ms: if check.steps.is_empty() {
                    check.duration_ms
                } else {
                    0
                },
                status: if check.failures.is_empty() {
                    check.status
                } else {
                    Status::Failed
                },
                failures: check.failures.clone(),
                skipped: check.detail.clone(),
            });
        }
        for step in &check.steps {
            cases.push(Case {
                class: format!("migrate-check.{}", check.name),
                name: step.migration.clone(),
                file: Some(step.file.clone()),
                ms: step.duration_ms,
                status: step.status,
                failures: step.failures.clone(),
                skipped: step.note.clone().unwrap_or_default(),
            });
        }
        let tests = cases.len();
        let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
        let skipped = cases.iter().filter(|c| c.status == Status::Skipped).count();
        all_tests += tests;
        all_failures += failures;
        all_skipped += skipped;
        all_ms += check.duration_ms;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
            escape(check.name),
            seconds(check.duration_ms)
        );
        for case in cases {
            let file = case
                .file
                .map(|f| format!(" file=\"{}\"", escape(&f)))
                .unwrap_or_default();
            let _ = write!(
                suites,
                "    <testcase classname=\"{}\" name=\"{}\"{file} time=\"{}\"",
                escape(&case.class),
                escape(&case.name),
                seconds(case.ms)
            );
            match case.status {
                Status::Passed => suites.push_str("/>\n"),
                Status::Skipped => {
                    let _ = writeln!(
                        suites,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&case.skipped)
                    );
                }
                Status::Failed => {
                    let first = case.failures.first().cloned().unwrap_or_default();
                    let first_line = first.lines().next().unwrap_or_default().to_owned();
                    let _ = writeln!(
                        suites,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(&first_line),
                        escape(check.name),
                        escape(&case.failures.join("\n"))
                    );
                }
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"migrate-check\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"{all_skipped}\" time=\"{}\">\n{suites}</testsuites>\n",
        seconds(all_ms)
    )
}

/// Write the report atomically.
pub fn write(path: &Path, results: &[CheckResult]) -> anyhow::Result<()> {
    let text = render(results);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {} for --junit", dir.display()))?;
    temp.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Check, StepResult};

    #[test]
    fn one_case_per_check_and_migration_with_escaped_failures() {
        let mut upgrade = CheckResult::new(Check::Upgrade);
        upgrade.status = Status::Failed;
        upgrade.steps.push(StepResult {
            migration: "1_a".into(),
            file: "m/1_a.up.sql".into(),
            status: Status::Failed,
            duration_ms: 1234,
            failures: vec!["up of 1_a failed: syntax error at or near \"<\"".into()],
            note: None,
        });
        let prerequisites = CheckResult {
            status: Status::Passed,
            ..CheckResult::new(Check::Prerequisites)
        };
        let xml = render(&[prerequisites, upgrade]);
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert!(
            xml.contains("name=\"1_a\" file=\"m/1_a.up.sql\" time=\"1.234\""),
            "{xml}"
        );
        assert!(xml.contains("near &quot;&lt;&quot;"), "{xml}");
    }
}
