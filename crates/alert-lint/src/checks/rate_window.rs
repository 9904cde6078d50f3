//! `rate-window`: range windows of rate-like functions span several scrapes.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::duration;
use crate::finding::Finding;
use crate::promql::{pinned, rate_windows};

pub const CHECK: Check = Check {
    id: "rate-window",
    severity: Severity::Warning,
    summary: "`rate`/`irate`/`increase`/`deriv` over a window shorter than 4× the scrape interval.",
    explain: "These functions need at least two samples in the window, and a window of barely two scrapes returns nothing after one missed scrape — the alert silently stops working. Use a window of at least 4× the scrape interval (the job's own interval when the selector pins `job` and prometheus.yml is linted too; else `scrape_interval` from the [alert-lint] table, default 15s). The factor is `rate_window_factor`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let factor = cx.settings.rate_window_factor.max(1);
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        for (func, vs, range) in rate_windows(expr) {
            let interval = cx.scrape_interval(pinned(vs, "job"));
            let min = interval * factor;
            if range < min {
                let window = format!("[{}]", duration::format(range));
                out.push(r.in_expr(cx, CHECK.id, &window, format!("{func}() over {} is shorter than {factor}× the scrape interval ({})", duration::format(range), duration::format(interval))).help(format!("use a window of at least {}", duration::format(min))));
            }
        }
    }
}
