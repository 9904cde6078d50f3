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
    explanation: "These functions need at least two samples in the window, and a window of barely two scrapes returns nothing after one missed scrape — the alert silently stops working. Use a window of at least 4× the scrape interval (the job's own interval when the selector pins `job` and prometheus.yml is linted too; else `scrape_interval` from the [alert-lint] table, default 15s). The factor is `rate_window_factor`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let factor = cx.settings.rate_window_factor.max(1);
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        for (func, vs, range) in rate_windows(expr) {
            // A plain `job=~"a|b"` needs a window long enough for each job.
            let alternation = vs
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "job" && matches!(m.op, promql_parser::label::MatchOp::Re(_)))
                .map(|m| m.value.split('|').map(str::to_owned).collect::<Vec<_>>());
            let interval = match (pinned(vs, "job"), alternation) {
                (Some(job), _) => cx.scrape_interval(Some(job)),
                (None, Some(jobs)) if jobs.iter().all(|j| j.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))) => jobs
                    .iter()
                    .map(|j| cx.scrape_interval(Some(j)))
                    .max()
                    .unwrap_or_else(|| cx.scrape_interval(None)),
                _ => cx.scrape_interval(None),
            };
            let min = interval * factor;
            if range < min {
                let window = format!("[{}]", duration::format(range));
                let selector = vs.to_string();
                let written = format!("{selector}{window}");
                let name = crate::promql::metric_name(vs).unwrap_or("the selector");
                out.push(
                    r.in_expr_first(cx, CHECK.id, &[&written, &window], format!("{func}() of {name} over {} is shorter than {factor}× the scrape interval ({})", duration::format(range), duration::format(interval)))
                        .help(format!("use a window of at least {}", duration::format(min))),
                );
            }
        }
    }
}
