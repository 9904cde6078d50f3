//! `rule-files-glob`: `rule_files` match files, and cover the linted rule files.

use std::path::Path;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::input::glob_matches;

pub const CHECK: Check = Check {
    id: "rule-files-glob",
    severity: Severity::Warning,
    summary: "A `rule_files` entry that matches no file, or a linted rule file that no `rule_files` entry loads.",
    explanation: "Prometheus resolves `rule_files` globs relative to prometheus.yml and silently loads nothing for a glob that matches nothing — the alerts you linted would never run. Fix the path or glob (Go filepath.Match syntax: *, ?, [..]; no **).",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for prom in cx.ws.prometheus.iter().filter(|p| !p.fragment) {
        let Some(path) = &cx.ws.files[prom.file].path else { continue };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut covered = Vec::new();
        for pattern in &prom.rule_files {
            let matches = glob_matches(dir, &pattern.value);
            if matches.is_empty() {
                out.push(Finding::new(CHECK.id, prom.file, pattern.pos, format!("rule_files entry {:?} matches no file (relative to {})", pattern.value, dir.display())).help("fix the path; Prometheus would silently load no rules from it"));
            }
            covered.extend(matches);
        }
        let covered: Vec<_> = covered.iter().filter_map(|p| p.canonicalize().ok()).collect();
        for rf in cx.rule_files() {
            let Some(rule_path) = &cx.ws.files[rf.file].path else { continue };
            let Ok(canonical) = rule_path.canonicalize() else { continue };
            if !covered.contains(&canonical) {
                let pos = prom.rule_files_key.unwrap_or(prom.top);
                out.push(Finding::new(CHECK.id, prom.file, pos, format!("rule file {} is not loaded by any rule_files entry", cx.ws.files[rf.file].display)).help("add it (or a glob covering it) to rule_files"));
            }
        }
    }
}
