//! `missing-for`: alerts wait before firing.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::duration;
use crate::finding::Finding;
use crate::promql::{selectors, uses_absent};

pub const CHECK: Check = Check {
    id: "missing-for",
    severity: Severity::Info,
    summary: "An alert without `for`, or with `for` shorter than the group's evaluation interval.",
    explanation: "Without `for`, one bad evaluation (a scrape blip, a restart) pages someone. A note rather than a warning: upstream rule sets leave `for` out on purpose where the condition already spans time (a job running for 12 hours, a certificate expiring within a week, a failed RAID disk). Dead man's switches (`vector(1)`) and alerts over `ALERTS` are not reported. A `for` shorter than the evaluation interval is the same as none: the condition is only checked once per interval. If an alert must fire immediately, say so with an explicit `for: 0s`.",
};

/// A dead man's switch (`vector(1)`: no series at all) or an alert about
/// other alerts (`ALERTS{…}`, kube-prometheus' InfoInhibitor): `for` would
/// only delay what is meant to be immediate.
fn is_meta_alert(expr: &promql_parser::parser::Expr) -> bool {
    selectors(expr).iter().all(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n == "ALERTS" || n == "ALERTS_FOR_STATE")
    })
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let rule = r.rule;
        if rule.expr().is_some_and(uses_absent) {
            continue; // absent-without-for covers these
        }
        if rule.expr().is_some_and(is_meta_alert) {
            continue;
        }
        let interval = cx.eval_interval(r.group);
        match &rule.for_ {
            None if rule.for_key.is_none() => {
                let pos = rule.alert.as_ref().map_or(rule.pos, |a| a.pos);
                out.push(r.finding(CHECK.id, pos, format!("alert {:?} has no `for`: a single evaluation fires it", rule.name())).help("add e.g. `for: 5m`, or `for: 0s` if it must fire at once"));
            }
            Some(d) if !d.value.is_zero() && d.value < interval => {
                out.push(r.finding(CHECK.id, d.pos, format!("`for: {}` is shorter than the evaluation interval ({})", duration::format(d.value), duration::format(interval))).help("use a `for` of at least the evaluation interval"));
            }
            _ => {}
        }
    }
}
