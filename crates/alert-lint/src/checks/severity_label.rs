//! `severity-label`: every alert has a `severity` label from the configured set.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "severity-label",
    severity: Severity::Warning,
    summary: "An alert without a `severity` label, or with a value outside the configured set.",
    explanation: "Alertmanager routes and inhibits by `severity`; an alert without it (or with `crit` where routes expect `critical`) takes the default route, which is rarely what was meant. The allowed values are set by `severities` in the [alert-lint] table (default: critical, warning, info, none — `none` is what kube-prometheus gives its Watchdog and InfoInhibitor).",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let allowed = &cx.settings.severities;
    for r in cx.alerts() {
        match r.label("severity") {
            None => {
                let pos = r.rule.alert.as_ref().map_or(r.rule.pos, |a| a.pos);
                out.push(r.finding(CHECK.id, pos, format!("alert {:?} has no `severity` label", r.rule.name())).help(format!("add `labels: {{severity: ...}}` with one of: {}", allowed.join(", "))));
            }
            Some(v) if !v.value.contains("{{") && !allowed.contains(&v.value) => {
                out.push(r.finding(CHECK.id, v.pos, format!("severity {:?} is not one of: {}", v.value, allowed.join(", "))).help("use a configured severity, or extend `severities` in the [alert-lint] table"));
            }
            Some(_) => {}
        }
    }
}
