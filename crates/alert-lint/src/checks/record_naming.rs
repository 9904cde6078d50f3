//! `record-naming`: recording rule names follow `level:metric:operations`.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "record-naming",
    severity: Severity::Info,
    summary: "A recording rule name not in `level:metric:operations` form (configurable).",
    explanation: "Prometheus' naming convention for recorded series is level:metric:operations, e.g. `job:http_requests:rate5m`: it tells readers what was aggregated and how, and keeps recorded series apart from scraped ones. The pattern is `record_name_pattern` in the [alert-lint] table.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.all_rules() {
        let Some(record) = &r.rule.record else { continue };
        // An invalid name is record-name's error, not a style question.
        if r.rule.alert.is_some() || record.value.is_empty() || super::record_name::invalid(&record.value, cx.settings.prometheus) {
            continue;
        }
        if !cx.settings.record_name_pattern.is_match(&record.value) {
            out.push(r.finding(CHECK.id, record.pos, format!("recording rule name {:?} is not in level:metric:operations form", record.value)).help("e.g. job:http_requests:rate5m"));
        }
    }
}
