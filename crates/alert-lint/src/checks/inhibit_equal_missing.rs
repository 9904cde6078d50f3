//! `inhibit-equal-missing`: `equal` labels the source alerts do not have.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::routing::{AlertLabels, Tri};

pub const CHECK: Check = Check {
    id: "inhibit-equal-missing",
    severity: Severity::Warning,
    summary: "An inhibit rule's `equal` label that none of its source alerts can carry.",
    explanation: "Labels missing on both alerts compare equal (both empty), so an `equal` label the source alerts never have makes the rule mute target alerts that also lack it — everywhere — instead of only those of the same service or instance. Keep the label in the source alerts' expressions or rule labels, or drop it from `equal`. Only labels that every source alert certainly lacks are reported (an aggregation such as `sum(...)` or `sum by (job)` dropped them and no rule label sets them): an expression that keeps its series' own labels may carry labels the exporter adds (`mountpoint` on node_filesystem_*), which alert-lint cannot see.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let alerts: Vec<AlertLabels> = cx.alerts().map(|r| AlertLabels::of(cx, &r)).collect();
    for am in &cx.ws.alertmanager {
        for rule in &am.inhibit_rules {
            let sources: Vec<&AlertLabels> = alerts.iter().filter(|a| a.all(&rule.source) != Tri::No).collect();
            if sources.is_empty() {
                continue;
            }
            for label in &rule.equal {
                // Only a label every source certainly lacks is reported: a
                // source that keeps its series' labels may well carry it.
                if !sources.iter().any(|a| a.can_carry(&label.value)) {
                    let names: Vec<&str> = sources.iter().map(|a| a.name.as_str()).take(5).collect();
                    out.push(Finding::new(CHECK.id, am.file, label.pos, format!("`equal` label {:?} is carried by none of the source alerts ({})", label.value, names.join(", "))).scope(Some((rule.pos.line, rule.pos.end_line))));
                }
            }
        }
    }
}
