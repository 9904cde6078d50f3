//! `unknown-job`: selectors naming a job no scrape config defines.

use promql_parser::label::MatchOp;
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::{pinned, selectors};
use crate::schema::closest;

pub const CHECK: Check = Check {
    id: "unknown-job",
    severity: Severity::Warning,
    summary: "A selector pins `job` (or a plain `job=~\"a|b\"` alternation) to a value no scrape config in prometheus.yml defines.",
    explanation: "`up{job=\"postgres\"}` selects nothing when the scrape job is called `postgresql`: the alert can never fire (and `up == 0` alerts stay silent exactly when the job is gone). Use the `job_name` from prometheus.yml.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let proms: Vec<_> = cx.ws.prometheus.iter().collect();
    // Jobs in scrape_config_files that matched nothing (or came from stdin)
    // are unknown: then the job list is incomplete and nothing is reported.
    let complete = proms.iter().all(|p| {
        p.scrape_config_files.is_empty()
            || cx.ws.files[p.file].path.as_ref().is_some_and(|path| {
                let dir = path.parent().unwrap_or(std::path::Path::new(""));
                p.scrape_config_files.iter().all(|g| !crate::input::glob_matches(dir, &g.value).is_empty())
            })
    });
    if proms.is_empty() || !complete {
        return;
    }
    let jobs: Vec<&str> = proms.iter().flat_map(|p| p.jobs.iter().filter_map(|j| j.name.as_ref().map(|n| n.value.as_str()))).collect();
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        for vs in selectors(expr) {
            let mut named: Vec<&str> = pinned(vs, "job").into_iter().collect();
            // `job=~"api|worker"`: a plain alternation names jobs too.
            for m in &vs.matchers.matchers {
                if m.name == "job" && matches!(m.op, MatchOp::Re(_)) && is_plain_alternation(&m.value) {
                    named.extend(m.value.split('|'));
                }
            }
            for job in named {
                if jobs.contains(&job) {
                    continue;
                }
                let mut f = r.in_expr(cx, CHECK.id, job, format!("job {job:?} is not defined by any scrape config: this selects nothing"));
                if let Some(best) = closest(job, jobs.iter().copied()) {
                    f = f.help(format!("did you mean {best:?}?"));
                }
                out.push(f);
            }
        }
    }
}

/// `a|b|c` with nothing but name characters between the bars.
fn is_plain_alternation(re: &str) -> bool {
    !re.is_empty()
        && re
            .split('|')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
}
