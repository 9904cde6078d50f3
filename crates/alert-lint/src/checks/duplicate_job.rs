//! `duplicate-job`: scrape job names are unique.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "duplicate-job",
    severity: Severity::Error,
    summary: "Two scrape configs with the same `job_name` (or one without).",
    explanation: "Prometheus refuses a config where a job name is repeated (\"found multiple scrape configs with job name\") or missing. Rename one, or merge their targets.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for prom in &cx.ws.prometheus {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for job in &prom.jobs {
            match &job.name {
                Some(name) if !name.value.is_empty() => {
                    if let Some(first) = seen.get(name.value.as_str()) {
                        out.push(Finding::new(CHECK.id, prom.file, name.pos, format!("found multiple scrape configs with job name {:?} (first on line {first})", name.value)).subject(name.value.clone()));
                    } else {
                        seen.insert(&name.value, name.pos.line);
                    }
                }
                _ => out.push(Finding::new(CHECK.id, prom.file, job.pos, "job_name is empty")),
            }
        }
    }
}
