//! `missing-for`: alerts wait before firing.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::duration;
use crate::finding::Finding;
use crate::promql::uses_absent;

pub const CHECK: Check = Check {
    id: "missing-for",
    severity: Severity::Warning,
    summary: "An alert without `for`, or with `for` shorter than the group's evaluation interval.",
    explanation: "Without `for`, one bad evaluation (a scrape blip, a restart) pages someone. A `for` shorter than the evaluation interval is the same as none: the condition is only checked once per interval. If an alert must fire immediately, say so with an explicit `for: 0s`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let rule = r.rule;
        if rule.expr().is_some_and(uses_absent) {
            continue; // absent-without-for covers these
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
