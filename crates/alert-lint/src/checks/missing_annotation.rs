//! `missing-annotation`: alerts carry `summary`, `description` (and `runbook_url` when required).

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "missing-annotation",
    severity: Severity::Warning,
    summary: "An alert without a required annotation (summary, description; runbook_url when configured).",
    explanation: "The person paged at 3 a.m. sees the annotations: `summary` says what is wrong, `description` gives the details (use $labels and $value), `runbook_url` says what to do. Which annotations are required is set by `required_annotations` (default: summary, description) and `runbook_url_required` in the [alert-lint] table.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        for name in &cx.settings.required_annotations {
            let present = r.rule.annotation(name).is_some_and(|v| !v.value.trim().is_empty());
            if !present {
                let pos = r.rule.annotations_key.or(r.rule.alert.as_ref().map(|a| a.pos)).unwrap_or(r.rule.pos);
                out.push(r.finding(CHECK.id, pos, format!("alert {:?} has no `{name}` annotation", r.rule.name())).help(format!("add `annotations: {{{name}: ...}}`")));
            }
        }
    }
}
