//! `am-inhibit`: inhibit rules are well formed.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::is_legacy_label_name;

pub const CHECK: Check = Check {
    id: "am-inhibit",
    severity: Severity::Error,
    summary: "An inhibit rule with an invalid `equal` label name.",
    explanation: "An inhibit rule mutes alerts matching the target matchers while an alert matching the source matchers fires, when both have the same values for the `equal` labels. `equal` must list valid label names (Alertmanager refuses the config otherwise).",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        for rule in &am.inhibit_rules {
            for label in &rule.equal {
                if !is_legacy_label_name(&label.value) {
                    out.push(Finding::new(CHECK.id, am.file, label.pos, format!("invalid label name {:?} in `equal`", label.value)));
                }
            }
        }
    }
}
