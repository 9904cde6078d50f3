//! `am-inhibit-match-all`: inhibit rules without source or target matchers.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "am-inhibit-match-all",
    severity: Severity::Warning,
    summary: "An inhibit rule without source or target matchers.",
    explanation: "An inhibit rule with no source matchers lets any firing alert mute the targets; with no target matchers it mutes every alert. Alertmanager accepts it, but it almost always mutes far more than intended. Add `source_matchers` and `target_matchers`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        for rule in &am.inhibit_rules {
            for (side, matchers) in [("source", &rule.source), ("target", &rule.target)] {
                if matchers.is_empty() {
                    out.push(
                        Finding::new(CHECK.id, am.file, rule.pos, format!("inhibit rule has no {side} matchers: it matches every alert on that side"))
                            .help(format!("add `{side}_matchers:`"))
                            .scope(Some((rule.pos.line, rule.pos.end_line))),
                    );
                }
            }
        }
    }
}
