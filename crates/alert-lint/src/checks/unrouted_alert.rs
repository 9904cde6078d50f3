//! `unrouted-alert`: every alert reaches a receiver that notifies someone.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::Op;
use crate::finding::Finding;
use crate::routing::{AlertLabels, all_routes, outcomes};

pub const CHECK: Check = Check {
    id: "unrouted-alert",
    severity: Severity::Error,
    summary: "An alert that can never reach a receiver with an integration.",
    explanation: "alert-lint walks Alertmanager's routing tree (in order, honouring `continue`) with each alert's labels. An error is reported when every path ends in a receiver without any integration (a black hole: the alert is accepted and nobody hears of it), or when the alert falls through to the root's default receiver although its severity is routed elsewhere for other alerts — usually a team or severity route that does not match it because of a label it lacks.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        let holes: Vec<&str> = am.receivers.iter().filter(|r| r.integrations.is_empty()).map(|r| r.name.value.as_str()).collect();
        let known: Vec<&str> = am.receivers.iter().map(|r| r.name.value.as_str()).collect();
        let routes = all_routes(root);
        for r in cx.alerts() {
            let alert = AlertLabels::of(cx, &r);
            let results = outcomes(root, &alert);
            let pos = r.rule.alert.as_ref().map_or(r.rule.pos, |a| a.pos);
            let is_hole = |name: &Option<String>| name.as_deref().is_some_and(|n| holes.contains(&n) || !known.contains(&n));
            if results.iter().all(|leaves| leaves.iter().all(|l| is_hole(&l.receiver))) {
                let am_file = &cx.ws.files[am.file].display;
                let receivers: Vec<String> = results
                    .iter()
                    .flatten()
                    .filter_map(|l| l.receiver.as_ref().map(|name| format!("{name:?} (route at {am_file}:{})", l.pos.line)))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                out.push(r.finding(CHECK.id, pos, format!("alert {:?} {} only reaches receiver {} without integrations: nobody is notified", alert.name, alert.describe(), receivers.join(", "))).help("route it to a receiver with email/pagerduty/slack/… configs, or add one to that receiver"));
                continue;
            }
            let Some(severity) = alert.fixed.get("severity") else { continue };
            let all_root = results.iter().all(|leaves| leaves.iter().all(|l| l.is_root));
            if !all_root || root.routes.is_empty() {
                continue;
            }
            let routed_elsewhere = routes.iter().skip(1).any(|(route, _)| {
                route.matchers.iter().any(|m| m.name == "severity" && matches!(m.op, Op::Eq | Op::Re) && m.matches(severity))
            });
            if routed_elsewhere {
                out.push(r.finding(CHECK.id, pos, format!("alert {:?} {} falls through to the root receiver {:?}, although severity={severity:?} is routed elsewhere", alert.name, alert.describe(), root.receiver.as_ref().map_or("", |r| r.value.as_str()))).help("a route on severity does not match this alert (check its other matchers), or add the missing label to the rule"));
            }
        }
    }
}
