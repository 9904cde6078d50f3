//! The result of a run: the diagnostics plus whatever data the tool adds.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Severity};

/// Documentation for one check, listed once per code in SARIF output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// One line: what the check looks for.
    pub summary: String,
    /// How to fix a finding.
    pub help: Option<String>,
}

/// Everything a tool found, ready to render in any output format.
#[derive(Debug, Clone)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub diagnostics: Vec<Diagnostic>,
    /// Descriptions of the checks, by code (used by SARIF).
    pub rules: BTreeMap<String, RuleInfo>,
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
            rules: BTreeMap::new(),
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

    pub fn describe_rule(&mut self, code: &str, summary: &str, help: Option<&str>) {
        self.rules.insert(
            code.to_owned(),
            RuleInfo {
                summary: summary.to_owned(),
                help: help.map(str::to_owned),
            },
        );
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
