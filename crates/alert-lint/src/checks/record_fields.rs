//! `record-fields`: no `annotations`, `for` or `keep_firing_for` on recording rules.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "record-fields",
    severity: Severity::Error,
    summary: "A recording rule with `annotations`, `for` or `keep_firing_for`.",
    explanation: "Those fields only mean something for alerting rules; Prometheus refuses a recording rule that has them (\"invalid field 'for' in recording rule\"). Remove them, or make the rule an alert.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.all_rules() {
        let rule = r.rule;
        if rule.record.is_none() || rule.alert.is_some() {
            continue;
        }
        let fields = [
            ("annotations", rule.annotations_key.filter(|_| !rule.annotations.is_empty())),
            ("for", rule.for_key.filter(|_| rule.for_.as_ref().is_some_and(|d| !d.value.is_zero()))),
            ("keep_firing_for", rule.keep_firing_for_key.filter(|_| rule.keep_firing_for.as_ref().is_some_and(|d| !d.value.is_zero()))),
        ];
        for (name, pos) in fields {
            if let Some(pos) = pos {
                out.push(r.finding(CHECK.id, pos, format!("invalid field `{name}` in recording rule")).help("remove it; only alerting rules have it"));
            }
        }
    }
}
