//! `am-unused-receiver`: receivers no route uses.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::routing::all_routes;

pub const CHECK: Check = Check {
    id: "am-unused-receiver",
    severity: Severity::Warning,
    summary: "A receiver that no route uses.",
    explanation: "A receiver only gets notifications when a route names it. An unused receiver is usually a route that was deleted or mistyped; remove it or route to it.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        let used: Vec<&str> = all_routes(root).iter().filter_map(|(r, _)| r.receiver.as_ref().map(|n| n.value.as_str())).collect();
        for r in &am.receivers {
            if !r.name.value.is_empty() && !used.contains(&r.name.value.as_str()) {
                out.push(Finding::new(CHECK.id, am.file, r.name.pos, format!("receiver {:?} is not used by any route", r.name.value)).subject(r.name.value.clone()));
            }
        }
    }
}
