//! `am-repeat-interval`: `repeat_interval` shorter than `group_interval`.

use std::time::Duration;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::Route;
use crate::duration;
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "am-repeat-interval",
    severity: Severity::Warning,
    summary: "A route whose effective `repeat_interval` is shorter than its `group_interval`.",
    explanation: "Notifications are only sent at group_interval ticks, so a shorter repeat_interval has no effect beyond making the config misleading; usually one of the two has the wrong unit. Values are inherited from parent routes (defaults: group_interval 5m, repeat_interval 4h).",
};

fn walk(route: &Route, group: Duration, repeat: Duration, file: usize, out: &mut Vec<Finding>) {
    let g = route.group_interval.as_ref().map_or(group, |d| d.value);
    let r = route.repeat_interval.as_ref().map_or(repeat, |d| d.value);
    let here = route.group_interval.is_some() || route.repeat_interval.is_some();
    if here && r < g {
        let pos = route.repeat_interval.as_ref().or(route.group_interval.as_ref()).map_or(route.pos, |d| d.pos);
        out.push(Finding::new(CHECK.id, file, pos, format!("repeat_interval {} is shorter than group_interval {}", duration::format(r), duration::format(g))).help("make repeat_interval a multiple of group_interval (e.g. 3h with 5m)"));
    }
    for c in &route.routes {
        walk(c, g, r, file, out);
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        if let Some(root) = &am.route {
            walk(root, Duration::from_secs(300), Duration::from_secs(4 * 3600), am.file, out);
        }
    }
}
