//! From findings to the diagnostics that are printed: configured levels,
//! per-file overrides and `# alert-lint:` comments applied, duplicates
//! dropped, sorted by file and position.

use shipshape_core::Diagnostic;

use crate::checks;
use crate::finding::Finding;
use crate::resolve::Levels;
use crate::workspace::Workspace;

/// Apply levels and suppressions, turn findings into sorted diagnostics.
pub fn diagnostics(
    ws: &Workspace,
    findings: Vec<Finding>,
    levels: &Levels,
    overrides: &[(globset::GlobSet, Levels)],
) -> Vec<Diagnostic> {
    let mut kept: Vec<(usize, u32, u32, Diagnostic)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in findings {
        let Some(check) = checks::find(f.check) else {
            continue;
        };
        let file = &ws.files[f.file];
        let mut level = levels.get(f.check).copied();
        for (files, over) in overrides {
            if files.is_match(&file.display)
                && let Some(l) = over.get(f.check)
            {
                level = Some(*l);
            }
        }
        let severity = match level {
            Some(None) => continue,
            Some(Some(s)) => s,
            None => check.severity,
        };
        if file.suppressions.silences(f.check, f.line, f.scope) {
            continue;
        }
        let mut d = Diagnostic::new(severity, f.check, f.message).at(
            file.display.clone(),
            f.line.max(1),
            f.col.max(1),
        );
        if let Some(subject) = f.subject {
            d = d.with_subject(subject);
        }
        if let Some(help) = f.help {
            d = d.with_help(help);
        }
        // The same finding reached twice (e.g. a rule file listed twice in
        // one PrometheusRule render) is shown once.
        if seen.insert((f.file, f.line, f.col, d.code.clone(), d.message.clone())) {
            kept.push((f.file, f.line, f.col, d));
        }
    }
    kept.sort_by_key(|k| (k.0, k.1, k.2));
    kept.into_iter().map(|(_, _, _, d)| d).collect()
}
