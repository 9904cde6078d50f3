//! `am-root-route`: the root route exists, names a receiver, and has no matchers or `continue`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::{Finding, Pos};

pub const CHECK: Check = Check {
    id: "am-root-route",
    severity: Severity::Error,
    summary: "The Alertmanager root route is missing, has no default receiver, or has matchers, time intervals or `continue`.",
    explanation: "Every alert enters the routing tree at the root route, so it must exist and name the default receiver; it matches every alert by definition, so matchers, `mute_time_intervals`, `active_time_intervals` and `continue` are not allowed there. Alertmanager refuses the config otherwise.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else {
            let pos = Pos { line: 1, col: 1, ..Pos::default() };
            out.push(Finding::new(CHECK.id, am.file, pos, "no route provided in config").help("add a `route:` with a default `receiver:`"));
            continue;
        };
        if root.receiver.as_ref().is_none_or(|r| r.value.is_empty()) {
            out.push(Finding::new(CHECK.id, am.file, am.route_key.unwrap_or(root.pos), "root route must specify a default receiver").help("add `receiver: <name>` to the top-level route"));
        }
        if !root.matchers.is_empty() {
            out.push(Finding::new(CHECK.id, am.file, root.matchers[0].pos, "root route must not have any matchers"));
        }
        for (list, pos) in &root.interval_lists {
            let what = if *list == "mute_time_intervals" { "mute" } else { "active" };
            out.push(Finding::new(CHECK.id, am.file, *pos, format!("root route must not have any {what} time intervals")).help(format!("move `{list}` to a child route")));
        }
        if root.continue_ {
            out.push(Finding::new(CHECK.id, am.file, root.continue_pos.unwrap_or(root.pos), "cannot have continue in root route"));
        }
    }
}
