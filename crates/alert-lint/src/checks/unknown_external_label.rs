//! `unknown-external-label`: `$externalLabels.X` that prometheus.yml does not define.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::template;

pub const CHECK: Check = Check {
    id: "unknown-external-label",
    severity: Severity::Warning,
    summary: "A template uses `$externalLabels.X` but `global.external_labels` has no X.",
    explanation: "`$externalLabels` are the labels from `global.external_labels` in prometheus.yml. A name that is not defined there renders as an empty string.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.ws.prometheus.is_empty() {
        return;
    }
    let defined: Vec<&str> = cx.ws.prometheus.iter().flat_map(|p| p.external_labels.iter().map(|(k, _)| k.value.as_str())).collect();
    for r in cx.alerts() {
        for (k, v) in r.rule.labels.iter().chain(&r.rule.annotations) {
            let Ok(usage) = template::check(&v.value, cx.settings.prometheus) else { continue };
            for (label, _) in usage.external_labels {
                if !defined.contains(&label.as_str()) {
                    let (line, col) = cx.ws.files[r.file].source.locate(&v.pos.node(), &format!("$externalLabels.{label}"));
                    out.push(r.finding(CHECK.id, v.pos, format!("{:?} uses $externalLabels.{label}, which global.external_labels does not define", k.value)).at(line, col));
                }
            }
        }
    }
}
