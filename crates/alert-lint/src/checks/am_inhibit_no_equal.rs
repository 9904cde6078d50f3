//! `am-inhibit-no-equal`: inhibit rules without `equal`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "am-inhibit-no-equal",
    severity: Severity::Warning,
    summary: "An inhibit rule without `equal`.",
    explanation: "Without `equal`, any one firing source alert mutes every target alert everywhere: a single critical alert on one host silences all warnings of all services. List the labels that must match, e.g. `equal: [alertname, instance]`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        for rule in &am.inhibit_rules {
            if rule.equal.is_empty() {
                out.push(Finding::new(CHECK.id, am.file, rule.pos, "inhibit rule has no `equal`: one source alert mutes every target alert").help("add e.g. `equal: [alertname, instance]`").scope(Some((rule.pos.line, rule.pos.end_line))));
            }
        }
    }
}
