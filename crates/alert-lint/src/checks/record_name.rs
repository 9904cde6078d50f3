//! `record-name`: a recording rule's name is a valid metric name.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::is_legacy_metric_name;

pub const CHECK: Check = Check {
    id: "record-name",
    severity: Severity::Error,
    summary: "A recording rule's `record` is not a valid metric name.",
    explain: "The series a recording rule writes is named by `record`; before Prometheus 3.0 it must match [a-zA-Z_:][a-zA-Z0-9_:]*, and from 3.0 it must not be empty. Prometheus refuses the file otherwise.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let v3 = cx.settings.prometheus >= (3, 0);
    for r in cx.all_rules() {
        let Some(record) = &r.rule.record else { continue };
        if r.rule.alert.is_some() || record.value.is_empty() {
            continue; // rule-kind reports these
        }
        let ok = if v3 { true } else { is_legacy_metric_name(&record.value) };
        if !ok {
            out.push(r.finding(CHECK.id, record.pos, format!("invalid recording rule name {:?}", record.value)).help("use letters, digits, `_` and `:`, e.g. job:http_requests:rate5m"));
        }
    }
}
