//! `label-name`: label and annotation names are valid for the target version.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::is_legacy_label_name;

pub const CHECK: Check = Check {
    id: "label-name",
    severity: Severity::Error,
    summary: "An invalid label or annotation name in a rule, a group or external_labels.",
    explanation: "Before Prometheus 3.0 label and annotation names must match [a-zA-Z_][a-zA-Z0-9_]*; from 3.0 any non-empty UTF-8 name is allowed. `__name__` may not be set as a rule label. Prometheus refuses the file otherwise.",
};

fn valid(name: &str, v3: bool) -> bool {
    if v3 { !name.is_empty() } else { is_legacy_label_name(name) }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let v3 = cx.settings.prometheus >= (3, 0);
    for rf in cx.rule_files() {
        for g in &rf.groups {
            for (k, _) in &g.labels {
                if !valid(&k.value, v3) || k.value == "__name__" {
                    out.push(Finding::new(CHECK.id, rf.file, k.pos, format!("invalid label name {:?} in group labels", k.value)).subject(g.display_name().to_owned()));
                }
            }
        }
    }
    for r in cx.all_rules() {
        for (k, _) in &r.rule.labels {
            if !valid(&k.value, v3) || k.value == "__name__" {
                out.push(r.finding(CHECK.id, k.pos, format!("invalid label name {:?}", k.value)).help("label names are letters, digits and underscores, not starting with a digit"));
            }
        }
        for (k, _) in &r.rule.annotations {
            if !valid(&k.value, v3) {
                out.push(r.finding(CHECK.id, k.pos, format!("invalid annotation name {:?}", k.value)).help("annotation names are letters, digits and underscores, not starting with a digit"));
            }
        }
    }
}
