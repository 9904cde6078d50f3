//! `am-shadowed-route`: a route no alert can reach because an earlier sibling catches everything it matches.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::Route;
use crate::finding::Finding;
use crate::routing::all_routes;

pub const CHECK: Check = Check {
    id: "am-shadowed-route",
    severity: Severity::Warning,
    summary: "A route shadowed by an earlier sibling without `continue`.",
    explain: "Alertmanager tries sibling routes in order and stops at the first match unless it has `continue: true`. If an earlier sibling's matchers are a subset of a later one's, every alert the later route matches is taken by the earlier route first. Reorder them (most specific first) or add `continue: true`.",
};

fn covers(earlier: &Route, later: &Route) -> bool {
    if earlier.bad_matchers || later.bad_matchers {
        return false;
    }
    earlier.matchers.iter().all(|m| {
        later.matchers.iter().any(|n| n.name == m.name && n.op == m.op && n.value == m.value)
    })
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        for (parent, _) in all_routes(root) {
            for (i, later) in parent.routes.iter().enumerate() {
                if let Some(earlier) = parent.routes[..i].iter().find(|e| !e.continue_ && covers(e, later)) {
                    out.push(Finding::new(CHECK.id, am.file, later.pos, format!("route is never reached: the route on line {} matches every alert it would (and has no `continue`)", earlier.pos.line)).help("put the more specific route first, or add `continue: true` to the earlier one").scope(Some((later.pos.line, later.pos.end_line))));
                }
            }
        }
    }
}
