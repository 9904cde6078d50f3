//! `am-shadowed-route`: a route no alert can reach because an earlier sibling catches everything it matches.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::{Matcher, Op, Route};
use crate::finding::Finding;
use crate::routing::all_routes;

pub const CHECK: Check = Check {
    id: "am-shadowed-route",
    severity: Severity::Warning,
    summary: "A route shadowed by an earlier sibling without `continue`.",
    explanation: "Alertmanager tries sibling routes in order and stops at the first match unless it has `continue: true`. If an earlier sibling without `continue` matches every alert a later one would — it has no matchers (a catch-all), or each of its matchers is implied by one of the later route's (the same matcher, or a regex or `!=` that accepts the later route's value: `severity=~\"critical|warning\"` before `severity=\"critical\"`) — the later route is never reached. The finding is at the later route's matchers and names the route that shadows it. Reorder them (most specific first) or add `continue: true`.",
};

/// Does every value `later` accepts also satisfy `earlier` (same label)?
fn implies(later: &Matcher, earlier: &Matcher) -> bool {
    if later.name != earlier.name {
        return false;
    }
    if later.op == earlier.op && later.value == earlier.value {
        return true;
    }
    match later.op {
        // `team="db"` is covered by any matcher that accepts "db".
        Op::Eq => earlier.matches(&later.value),
        // `team!="db"` is covered by `team!~"db|web"`… only when it excludes
        // no more; keep to the plain case.
        Op::Ne | Op::Re | Op::NotRe => false,
    }
}

/// Does every alert `later` matches also match `earlier`? Every matcher of
/// `earlier` must be implied by one of `later` (a sibling without matchers
/// matches everything).
fn covers(earlier: &Route, later: &Route) -> bool {
    if earlier.bad_matchers || later.bad_matchers {
        return false;
    }
    earlier.matchers.iter().all(|m| later.matchers.iter().any(|n| implies(n, m)))
}

/// How a route is named in a message: its line, receiver and matchers.
fn describe(route: &Route) -> String {
    let matchers: Vec<String> = route.matchers.iter().map(Matcher::display).collect();
    let what = if matchers.is_empty() { "no matchers: it catches every alert".to_owned() } else { format!("{{{}}}", matchers.join(", ")) };
    match &route.receiver {
        Some(r) => format!("the route on line {} (receiver {:?}, {what})", route.pos.line, r.value),
        None => format!("the route on line {} ({what})", route.pos.line),
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        for (parent, _) in all_routes(root) {
            for (i, later) in parent.routes.iter().enumerate() {
                if let Some(earlier) = parent.routes[..i].iter().find(|e| !e.continue_ && covers(e, later)) {
                    let (line, col) = later.matchers.first().map_or((later.pos.line, later.pos.col), |m| (m.pos.line, m.pos.col));
                    out.push(Finding::new(CHECK.id, am.file, later.pos, format!("route is never reached: {} matches every alert it would, and has no `continue: true`", describe(earlier))).at(line, col).help("put the more specific route first, or add `continue: true` to the earlier one").scope(Some((later.pos.line, later.pos.end_line))));
                }
            }
        }
    }
}
