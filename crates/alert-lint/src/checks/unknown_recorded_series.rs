//! `unknown-recorded-series`: an alert uses a `level:metric:op` series nobody records.

use std::collections::HashSet;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::{metric_name, selectors};

pub const CHECK: Check = Check {
    id: "unknown-recorded-series",
    severity: Severity::Warning,
    summary: "An alert uses a recorded series (`level:metric:op`) that no linted file records.",
    explanation: "Names with colons are by convention written by recording rules. If none of the linted rule files records it, the alert selects nothing and can never fire — often a renamed or deleted recording rule. Lint the rule files together, or fix the name.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let recorded: HashSet<&str> = cx.all_rules().filter_map(|r| r.rule.record.as_ref().map(|n| n.value.as_str())).collect();
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        for vs in selectors(expr) {
            if let Some(name) = metric_name(vs)
                && name.split(':').count() >= 3
                && !recorded.contains(name)
            {
                out.push(r.in_expr(cx, CHECK.id, name, format!("{name:?} looks like a recorded series but no linted rule records it")).help("lint the file with the recording rule too, or fix the name"));
            }
        }
    }
}
