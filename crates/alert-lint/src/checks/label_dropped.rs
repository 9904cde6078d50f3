//! `label-dropped`: `$labels.X` where the expression's aggregation removed X.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::output_labels;
use crate::template;

pub const CHECK: Check = Check {
    id: "label-dropped",
    severity: Severity::Warning,
    summary: "A template uses `$labels.X` but the expression's aggregation removes label X.",
    explanation: "`sum(rate(x[5m])) > 1` has no labels left, so `{{ $labels.instance }}` renders as an empty string and the notification says \"on \". Keep the label in the aggregation (`sum by (instance) (...)`) or stop using it.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        let labels = output_labels(expr);
        for (k, v) in r.rule.labels.iter().chain(&r.rule.annotations) {
            let Ok(usage) = template::check(&v.value, cx.settings.prometheus) else { continue };
            for (label, _) in usage.labels {
                if !labels.may_have(&label) {
                    let source = &cx.ws.files[r.file].source;
                    let (line, col) = source.locate(&v.pos.node(), &format!("$labels.{label}"));
                    out.push(r.finding(CHECK.id, v.pos, format!("{:?} uses $labels.{label}, but the expression's result has no {label:?} label", k.value)).at(line, col).help(format!("keep it in the aggregation, e.g. `by ({label})`")));
                }
            }
        }
    }
}
