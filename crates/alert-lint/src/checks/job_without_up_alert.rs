//! `job-without-up-alert`: scrape jobs nobody alerts on when they go down.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use promql_parser::parser::Expr;

use crate::promql::{metric_name, pinned, selectors, walk};

pub const CHECK: Check = Check {
    id: "job-without-up-alert",
    severity: Severity::Info,
    summary: "A scrape job with no alert on `up` or `absent()` for it.",
    explanation: "When a target stops answering, its metrics vanish and alerts on them go quiet instead of firing. An alert on `up{job=\"…\"} == 0` (or `absent(up{job=\"…\"})`) per job, or one on `up == 0` for all jobs, tells you.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.alerts().next().is_none() {
        return;
    }
    let mut all_jobs = false;
    let mut jobs: Vec<String> = Vec::new();
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        // Selectors inside absent(): the alert fires when the job's series vanish.
        let mut absent_args = Vec::new();
        walk(expr, &mut |e, _| {
            if let Expr::Call(c) = e
                && matches!(c.func.name, "absent" | "absent_over_time")
            {
                for arg in &c.args.args {
                    absent_args.extend(selectors(arg));
                }
            }
        });
        for vs in selectors(expr) {
            let in_absent = absent_args.iter().any(|a| std::ptr::eq(*a, vs));
            if in_absent && let Some(job) = pinned(vs, "job") {
                jobs.push(job.to_owned());
                continue;
            }
            if metric_name(vs) == Some("up") {
                match pinned(vs, "job") {
                    Some(job) => jobs.push(job.to_owned()),
                    None if vs.matchers.matchers.iter().all(|m| m.name == "__name__") => all_jobs = true,
                    None => {
                        // a regex on job: count every job it matches
                        for m in vs.matchers.matchers.iter().filter(|m| m.name == "job") {
                            for prom in &cx.ws.prometheus {
                                for j in prom.jobs.iter().filter_map(|j| j.name.as_ref()) {
                                    if m.is_match(&j.value) {
                                        jobs.push(j.value.clone());
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    if all_jobs {
        return;
    }
    for prom in &cx.ws.prometheus {
        for job in &prom.jobs {
            let Some(name) = &job.name else { continue };
            if !jobs.contains(&name.value) {
                out.push(Finding::new(CHECK.id, prom.file, name.pos, format!("no alert fires when job {:?} is down", name.value)).subject(name.value.clone()).help(format!("add an alert on up{{job=\"{}\"}} == 0", name.value)));
            }
        }
    }
}
