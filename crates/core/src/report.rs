//! The result of a run: the diagnostics plus whatever data the tool adds.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Severity};
use crate::rule::{Registry, Rule};

/// Everything a tool found, ready to render in any output format.
#[derive(Debug, Clone)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub diagnostics: Vec<Diagnostic>,
    /// The tool's rules: every code in `diagnostics` should be one of them
    /// (SARIF describes each code from here; see [`Report::unregistered`]).
    pub rules: Option<&'static Registry>,
    /// Tool-specific top-level JSON fields (`variables`, `backups`, `checks` …).
    pub extra: Map<String, Value>,
    /// Failure decided by the tool beyond error diagnostics (e.g. `--strict`
    /// made warnings count). `ok` is false when this is set.
    pub failed: bool,
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Report {
    pub fn new(tool: &'static str, version: &'static str) -> Self {
        Self {
            tool,
            version,
            diagnostics: Vec::new(),
            rules: None,
            extra: Map::new(),
            failed: false,
        }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Add a tool-specific JSON field.
    pub fn insert(&mut self, key: &str, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.extra.insert(key.to_owned(), value);
    }

    /// A report whose codes are the rules of `registry`.
    pub fn with_rules(
        tool: &'static str,
        version: &'static str,
        registry: &'static Registry,
    ) -> Self {
        Self {
            rules: Some(registry),
            ..Self::new(tool, version)
        }
    }

    /// The registered rule a code names.
    pub fn rule(&self, code: &str) -> Option<&'static Rule> {
        self.rules.and_then(|r| r.find(code))
    }

    /// Codes of diagnostics that name no registered rule (each once, in
    /// order). Empty when the report has no registry.
    pub fn unregistered(&self) -> Vec<&str> {
        let Some(registry) = self.rules else {
            return Vec::new();
        };
        let mut codes: Vec<&str> = Vec::new();
        for d in &self.diagnostics {
            if !registry.contains(&d.code) && !codes.contains(&d.code.as_str()) {
                codes.push(&d.code);
            }
        }
        codes
    }

    /// `--strict`: warnings fail the run too (exit 1). Their severity stays
    /// as it is in the report.
    pub fn fail_on_warnings(&mut self, strict: bool) {
        if strict && self.summary().warnings > 0 {
            self.failed = true;
        }
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for d in &self.diagnostics {
            match d.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        summary
    }

    /// No errors, and the tool did not mark the run failed.
    pub fn ok(&self) -> bool {
        !self.failed && self.summary().errors == 0
    }

    /// Exit code 1 when not ok, else 0.
    pub fn exit_code(&self) -> crate::ExitCode {
        crate::ExitCode::findings_if(!self.ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::rules! {
        static RULES {
            PLACEHOLDER = ("placeholder", Error, "", "");
            WEAK = ("weak-secret", Warning, "", "");
        }
    }

    #[test]
    fn unregistered_lists_each_unknown_code_once() {
        let mut report = Report::with_rules("validate-env", "0", &RULES);
        report.push(Diagnostic::from_rule(&PLACEHOLDER, "a"));
        report.push(Diagnostic::error("typo-code", "b"));
        report.push(Diagnostic::error("typo-code", "c"));
        assert_eq!(report.unregistered(), ["typo-code"]);
        report.rules = None;
        assert!(
            report.unregistered().is_empty(),
            "no registry, nothing to check"
        );
    }

    #[test]
    fn strict_fails_on_warnings_and_keeps_their_severity() {
        let mut report = Report::with_rules("validate-env", "0", &RULES);
        report.push(Diagnostic::from_rule(&WEAK, "short"));
        report.fail_on_warnings(false);
        assert!(report.ok());
        report.fail_on_warnings(true);
        assert!(!report.ok());
        assert_eq!(report.diagnostics[0].severity, Severity::Warning);
        assert_eq!(report.summary().warnings, 1);
    }
}
