//! `always-firing`: an alert expression that filters nothing.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::filters;

pub const CHECK: Check = Check {
    id: "always-firing",
    severity: Severity::Info,
    summary: "An alert expression with no comparison, `absent()` or set filter: it fires for every series.",
    explanation: "An alert fires for every series its expression returns. `rate(errors_total[5m])` returns a value for every series, so the alert fires all the time; add the condition (`> 0.05`). Comparisons with `bool` do not filter either. Expressions that select no series at all (a Watchdog alert on `vector(1)`) are exempt.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        // `vector(1)` (a Watchdog / dead man's switch) selects no series: it
        // is meant to fire, once.
        if crate::promql::selectors(expr).is_empty() {
            continue;
        }
        if !filters(expr) {
            out.push(r.in_expr(cx, CHECK.id, "", format!("alert {:?} has no condition: it fires for every series the expression returns", r.rule.name())).help("add a comparison such as `> 0.05`"));
        }
    }
}
