//! `group-interval`: group evaluation intervals above the configured maximum.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::duration;
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "group-interval",
    severity: Severity::Warning,
    summary: "A rule group `interval` above 5m (configurable).",
    explanation: "Series written by recording rules go stale after 5 minutes without a new sample, so a group evaluated less often produces gaps; alerts evaluated that rarely also react late. Keep `interval` at or below 5m (`max_group_interval` in the [alert-lint] table).",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let max = cx.settings.max_group_interval;
    for rf in cx.rule_files() {
        for g in &rf.groups {
            if let Some(i) = &g.interval
                && i.value > max
            {
                out.push(Finding::new(CHECK.id, rf.file, i.pos, format!("group interval {} is above {}", duration::format(i.value), duration::format(max))).subject(g.display_name().to_owned()).help("evaluate at most every 5m; series go stale after 5m"));
            }
        }
    }
}
