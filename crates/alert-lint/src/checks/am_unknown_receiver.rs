//! `am-unknown-receiver`: every receiver a route names exists.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::routing::all_routes;
use crate::schema::closest;

pub const CHECK: Check = Check {
    id: "am-unknown-receiver",
    severity: Severity::Error,
    summary: "A route names a receiver that is not defined.",
    explanation: "Alertmanager refuses a config whose routes use an undefined receiver (\"undefined receiver used in route\"). Fix the name (a close match is suggested) or add the receiver.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        let names: Vec<&str> = am.receivers.iter().map(|r| r.name.value.as_str()).collect();
        for (route, _) in all_routes(root) {
            let Some(receiver) = &route.receiver else { continue };
            if receiver.value.is_empty() || names.contains(&receiver.value.as_str()) {
                continue;
            }
            let mut f = Finding::new(CHECK.id, am.file, receiver.pos, format!("undefined receiver {:?} used in route", receiver.value)).scope(Some((route.pos.line, route.pos.end_line)));
            if let Some(best) = closest(&receiver.value, names.iter().copied()) {
                f = f.help(format!("did you mean {best:?}?"));
            }
            out.push(f);
        }
    }
}
