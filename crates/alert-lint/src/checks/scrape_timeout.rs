//! `scrape-timeout`: `scrape_timeout` not above `scrape_interval`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::duration;
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "scrape-timeout",
    severity: Severity::Error,
    summary: "A `scrape_timeout` greater than its `scrape_interval`.",
    explanation: "A scrape must finish before the next one starts; Prometheus refuses a config whose scrape_timeout is greater than the scrape_interval (globally or for a job).",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for prom in &cx.ws.prometheus {
        if let (Some(t), Some(i)) = (&prom.scrape_timeout, &prom.scrape_interval)
            && t.value > i.value
        {
            out.push(Finding::new(CHECK.id, prom.file, t.pos, format!("global scrape_timeout {} is greater than scrape_interval {}", duration::format(t.value), duration::format(i.value))));
        }
        for job in &prom.jobs {
            if let Some(t) = &job.timeout {
                let interval = prom.job_interval(job);
                if t.value > interval {
                    out.push(Finding::new(CHECK.id, prom.file, t.pos, format!("scrape_timeout {} is greater than scrape_interval {}", duration::format(t.value), duration::format(interval))).subject(job.name.as_ref().map_or(String::new(), |n| n.value.clone())));
                }
            }
        }
    }
}
