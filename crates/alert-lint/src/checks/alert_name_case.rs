//! `alert-name-case`: alert names are CamelCase.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "alert-name-case",
    severity: Severity::Warning,
    summary: "An alert name that is not CamelCase.",
    explanation: "Prometheus' convention (and the upstream mixins) names alerts in CamelCase, e.g. `HighErrorRate`, `DiskSpaceLow`; etcd's mixin starts with a lowercase `etcd`, which is accepted. Names with spaces, `_`, `(`, `>` or `%` make routing by `alertname`, silences and URLs awkward.",
};

fn camel(name: &str) -> bool {
    let mut chars = name.chars();
    // lowerCamelCase (etcd's `etcdMembersDown`) is a convention too.
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric())
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let Some(name) = &r.rule.alert else { continue };
        if !name.value.is_empty() && !camel(&name.value) {
            out.push(r.finding(CHECK.id, name.pos, format!("alert name {:?} is not CamelCase", name.value)).help("e.g. HighErrorRate, DatabaseDown"));
        }
    }
}
