//! `absent-without-for`: `absent()` alerts need `for`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::uses_absent;

pub const CHECK: Check = Check {
    id: "absent-without-for",
    severity: Severity::Warning,
    summary: "An alert using `absent()` without a `for`.",
    explanation: "`absent()` is true whenever the series is missing, which happens briefly on every Prometheus restart, target redeploy or rule-file reload. Without a `for` of a few minutes the alert fires on each of them.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        if !r.rule.expr().is_some_and(uses_absent) {
            continue;
        }
        if r.rule.for_.as_ref().is_none_or(|d| d.value.is_zero()) {
            out.push(r.in_expr(cx, CHECK.id, "absent", format!("alert {:?} uses absent() without `for`", r.rule.name())).help("add `for: 5m` (or longer than a restart takes)"));
        }
    }
}
