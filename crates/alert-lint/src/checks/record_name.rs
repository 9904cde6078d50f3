//! `record-name`: a recording rule's name is a valid metric name.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::is_legacy_metric_name;

pub const CHECK: Check = Check {
    id: "record-name",
    severity: Severity::Error,
    summary: "A recording rule's `record` is not a valid metric name.",
    explanation: "The series a recording rule writes is named by `record`; before Prometheus 3.0 it must match [a-zA-Z_:][a-zA-Z0-9_:]*, and from 3.0 it may be any non-empty UTF-8 text without `{` or `}` (a name such as `strawberry{flavor=\"sweet\"}` is a selector, not a metric name). Prometheus refuses the file otherwise.",
};

/// Whether Prometheus `version` refuses `record` as a recording rule name
/// (an empty name is reported by rule-kind).
pub fn invalid(record: &str, version: (u32, u32)) -> bool {
    if version >= (3, 0) {
        record.contains(['{', '}'])
    } else {
        !record.is_empty() && !is_legacy_metric_name(record)
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let v3 = cx.settings.prometheus >= (3, 0);
    for r in cx.all_rules() {
        let Some(record) = &r.rule.record else { continue };
        if r.rule.alert.is_some() || record.value.is_empty() {
            continue; // rule-kind reports these
        }
        if !(v3 || is_legacy_metric_name(&record.value)) {
            out.push(r.finding(CHECK.id, record.pos, format!("invalid recording rule name {:?}", record.value)).help("use letters, digits, `_` and `:`, e.g. job:http_requests:rate5m"));
        } else if v3 && record.value.contains(['{', '}']) {
            // Prometheus 3 accepts any UTF-8 name but not braces: a selector
            // written as the name is a mistake, not a metric.
            out.push(r.finding(CHECK.id, record.pos, format!("braces present in the recording rule name; should it be in expr?: {}", record.value)).help("put the label matchers in `expr` and name the series, e.g. job:http_requests:rate5m"));
        }
    }
}
