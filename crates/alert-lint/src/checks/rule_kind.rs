//! `rule-kind`: exactly one of `alert` and `record`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "rule-kind",
    severity: Severity::Error,
    summary: "A rule must have exactly one of `alert` and `record`.",
    explanation: "A rule is either an alerting rule (`alert: Name`) or a recording rule (`record: metric:name`). Prometheus refuses a rule with both, or with neither (\"one of 'record' or 'alert' must be set\").",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.all_rules() {
        let rule = r.rule;
        let empty = |v: &Option<crate::finding::SpStr>| v.as_ref().is_none_or(|s| s.value.is_empty());
        match (empty(&rule.alert), empty(&rule.record)) {
            (false, false) => out.push(r.finding(CHECK.id, later_of(rule.alert.as_ref(), rule.record.as_ref()).unwrap_or(rule.pos), "a rule cannot have both `alert` and `record`").help("split it into an alerting and a recording rule")),
            (true, true) => out.push(r.finding(CHECK.id, rule.pos, "one of `record` or `alert` must be set").help("add `alert: Name` or `record: level:metric:operation`")),
            _ => {}
        }
    }
}

/// The position of whichever of the two names was written second: the one
/// to remove.
fn later_of(a: Option<&crate::finding::SpStr>, b: Option<&crate::finding::SpStr>) -> Option<crate::finding::Pos> {
    let (a, b) = (a?.pos, b?.pos);
    Some(if (a.line, a.col) > (b.line, b.col) { a } else { b })
}
