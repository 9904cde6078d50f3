//! `value-in-label`: `$value` in an alert label.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::template;

pub const CHECK: Check = Check {
    id: "value-in-label",
    severity: Severity::Warning,
    summary: "An alert label uses `$value`.",
    explanation: "Labels are an alert's identity. With `$value` in a label every evaluation creates a new alert (and resolves the old one): notifications flap and silences stop matching. Put the value in an annotation instead.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        for (k, v) in &r.rule.labels {
            let Ok(usage) = template::check(&v.value, cx.settings.prometheus) else { continue };
            if usage.value.is_some() {
                let (line, col) = cx.ws.files[r.file].source.locate(&v.pos.node(), "$value");
                out.push(r.finding(CHECK.id, v.pos, format!("label {:?} uses $value: the alert changes identity on every evaluation", k.value)).at(line, col).help("move the value to an annotation"));
            }
        }
    }
}
