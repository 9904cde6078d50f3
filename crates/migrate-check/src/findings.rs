//! What a run found: the report (diagnostics, for every output format) and
//! each check's result (status, detail, steps, timing). The steps of a run
//! and the dynamic checks in the throwaway database all write here.

use std::collections::BTreeSet;

use shipshape_core::{Diagnostic, Report};

use crate::checks::{Check, CheckResult, Status};
use crate::layout::Problem;

/// The checks that need the throwaway database.
pub const DYNAMIC: [Check; 5] = [
    Check::Upgrade,
    Check::Stairway,
    Check::Reset,
    Check::Drift,
    Check::Locks,
];

pub struct Findings {
    pub report: Report,
    pub results: Vec<CheckResult>,
}

impl Default for Findings {
    /// The checks' registry (for SARIF) and every check "not selected" until it runs.
    fn default() -> Self {
        let report = Report::with_rules(
            "migrate-check",
            env!("CARGO_PKG_VERSION"),
            &crate::checks::RULES,
        );
        let mut results: Vec<CheckResult> = Check::ALL.into_iter().map(CheckResult::new).collect();
        for result in &mut results {
            result.detail = "not selected".to_owned();
        }
        Self { report, results }
    }
}

impl Findings {
    pub fn result(&mut self, check: Check) -> &mut CheckResult {
        let index = Check::ALL.iter().position(|c| *c == check).unwrap_or(0);
        &mut self.results[index]
    }

    /// Mark `check` passed with `detail` (findings may still fail it).
    pub fn passed(&mut self, check: Check, detail: String) -> &mut CheckResult {
        let result = self.result(check);
        result.status = Status::Passed;
        result.detail = detail;
        result
    }

    /// Record the problems found without a database (files, server,
    /// history); those of checks not selected are left out, except the
    /// prerequisites', which always count.
    pub fn record_problems(&mut self, problems: &[Problem], selected: &BTreeSet<Check>) {
        for problem in problems {
            let check = problem.check;
            if !selected.contains(&check) && check != Check::Prerequisites {
                continue;
            }
            self.report.push(problem_diagnostic(problem));
            let result = self.result(check);
            result.status = Status::Failed;
            result.failures.push(problem.message.clone());
        }
    }

    /// The dynamic checks did not run, for `reason`.
    pub fn skip_dynamic(&mut self, reason: &str) {
        for check in DYNAMIC {
            let result = self.result(check);
            result.status = Status::Skipped;
            result.detail = reason.to_owned();
        }
    }

    /// A check that was skipped without saying why says "skipped".
    pub fn explain_skips(&mut self) {
        for result in &mut self.results {
            if result.status == Status::Skipped && result.detail.is_empty() {
                result.detail = "skipped".to_owned();
            }
        }
    }

    pub fn any_failed(&self) -> bool {
        self.results.iter().any(|r| r.status == Status::Failed)
    }
}

fn problem_diagnostic(problem: &Problem) -> Diagnostic {
    let mut d = Diagnostic::error(problem.check.name(), problem.message.clone());
    d.file.clone_from(&problem.file);
    d.help.clone_from(&problem.help);
    d
}
