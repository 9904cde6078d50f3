//! `am-unknown-time-interval`: routes only name time intervals that are defined.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::routing::all_routes;
use crate::schema::closest;

pub const CHECK: Check = Check {
    id: "am-unknown-time-interval",
    severity: Severity::Error,
    summary: "A route's `mute_time_intervals` or `active_time_intervals` names an undefined time interval.",
    explanation: "Time intervals are defined at the top level (`time_intervals`, or the older `mute_time_intervals`) and referenced by name from routes. Alertmanager refuses a config that references one that is not defined (\"undefined time interval used in route\").",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        let names: Vec<&str> = am.time_interval_names.iter().map(|n| n.value.as_str()).collect();
        for (route, _) in all_routes(root) {
            for name in &route.time_intervals {
                if names.contains(&name.value.as_str()) {
                    continue;
                }
                let mut f = Finding::new(CHECK.id, am.file, name.pos, format!("undefined time interval {:?} used in route", name.value));
                if let Some(best) = closest(&name.value, names.iter().copied()) {
                    f = f.help(format!("did you mean {best:?}?"));
                }
                out.push(f);
            }
        }
    }
}
