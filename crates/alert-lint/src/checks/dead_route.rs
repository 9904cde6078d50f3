//! `dead-route`: routes and inhibit rules that match no alert.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::Matcher;
use crate::finding::Finding;
use crate::routing::{AlertLabels, Tri, all_routes};

pub const CHECK: Check = Check {
    id: "dead-route",
    severity: Severity::Warning,
    summary: "A route or inhibit rule whose matchers match none of the linted alerts.",
    explanation: "When rule files are linted together with alertmanager.yml, a route matching a label value no alert carries (e.g. `team=\"databse\"`) will never be used, and an inhibit rule whose source or target matches no alert never inhibits anything. Usually a typo in a label value, or an alert that lost its label.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let alerts: Vec<AlertLabels> = cx.alerts().map(|r| AlertLabels::of(cx, &r)).collect();
    if alerts.is_empty() {
        return;
    }
    let none_match = |matchers: &[crate::alertmanager::Matcher]| alerts.iter().all(|a| a.all(matchers) == Tri::No);
    // The matcher at fault: the first that no alert can satisfy on its own.
    fn culprit<'m>(matchers: &'m [Matcher], none_match: &dyn Fn(&[Matcher]) -> bool) -> Option<&'m Matcher> {
        matchers.iter().find(|m| none_match(std::slice::from_ref(*m))).or(matchers.first())
    }
    for am in &cx.ws.alertmanager {
        if let Some(root) = &am.route {
            for (route, depth) in all_routes(root) {
                if depth > 0 && !route.matchers.is_empty() && none_match(&route.matchers) {
                    let list: Vec<String> = route.matchers.iter().map(|m| m.display()).collect();
                    let (line, col) = culprit(&route.matchers, &none_match).map_or((route.pos.line, route.pos.col), |m| super::matcher_value_at(cx, am.file, m));
                    out.push(Finding::new(CHECK.id, am.file, route.pos, format!("route {{{}}} matches none of the {} linted alerts", list.join(", "), alerts.len())).at(line, col).help("check the label values against the rules' labels").scope(Some((route.pos.line, route.pos.end_line))));
                }
            }
        }
        for rule in &am.inhibit_rules {
            for (side, matchers) in [("source", &rule.source), ("target", &rule.target)] {
                if !matchers.is_empty() && none_match(matchers) {
                    let (line, col) = super::matcher_value_at(cx, am.file, culprit(matchers, &none_match).unwrap_or(&matchers[0]));
                    out.push(Finding::new(CHECK.id, am.file, matchers[0].pos, format!("inhibit rule {side} matches none of the {} linted alerts", alerts.len())).at(line, col).help("check the label values against the rules' labels; an inhibit rule that matches nothing never mutes anything").scope(Some((rule.pos.line, rule.pos.end_line))));
                }
            }
        }
    }
}
