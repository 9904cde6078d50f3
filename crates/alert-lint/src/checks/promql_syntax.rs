//! `promql-syntax`: `expr` is present and valid PromQL for the target version.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql;

pub const CHECK: Check = Check {
    id: "promql-syntax",
    severity: Severity::Error,
    summary: "`expr` is missing or is not valid PromQL for the target Prometheus version.",
    explanation: "Prometheus parses and type-checks every rule expression when it loads the file and refuses the file if one fails. Besides syntax errors this covers features newer than --prometheus-version: UTF-8 (quoted) metric and label names need 3.0, and `holt_winters` was renamed `double_exponential_smoothing` in 3.0. Test the expression in the Prometheus UI or with `promtool query instant`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let v3 = cx.settings.prometheus >= (3, 0);
    for r in cx.all_rules() {
        let rule = r.rule;
        let Some(parsed) = rule.parsed() else {
            let pos = rule.expr.as_ref().map_or(rule.pos, |e| e.pos);
            out.push(r.finding(CHECK.id, pos, "field `expr` must be set in rule").help("add the PromQL expression to evaluate"));
            continue;
        };
        let expr = match parsed {
            Ok(e) => e,
            Err(message) => {
                let position = crate::promql::error_offset(rule.expr.as_ref().map_or("", |e| e.value.as_str()), message).map(|offset| r.expr_offset(cx, offset));
                let message = format!("invalid PromQL: {}", message.trim());
                let expr_pos = rule.expr.as_ref().map_or(rule.pos, |e| e.pos);
                let mut finding = r.finding(CHECK.id, expr_pos, message);
                if let Some((line, col)) = position {
                    finding = finding.at(line, col);
                }
                out.push(finding);
                continue;
            }
        };
        if let Some((offset, number)) = crate::promql::unitless_duration(&rule.expr.as_ref().map_or(String::new(), |e| e.value.clone())) {
            let (line, col) = r.expr_offset(cx, offset);
            out.push(r.finding(CHECK.id, rule.expr.as_ref().map_or(rule.pos, |e| e.pos), format!("invalid PromQL: missing unit character in duration {number:?}")).at(line, col).help(format!("write e.g. {number}s or {number}m")));
        }
        if !v3 {
            for vs in promql::selectors(expr) {
                if let Some(name) = promql::metric_name(vs).filter(|n| !promql::is_legacy_metric_name(n)) {
                    out.push(r.in_expr(cx, CHECK.id, name, format!("metric name {name:?} needs UTF-8 names (Prometheus 3.0); target is {}.{}", cx.settings.prometheus.0, cx.settings.prometheus.1)));
                }
                for m in &vs.matchers.matchers {
                    if !promql::is_legacy_label_name(&m.name) {
                        out.push(r.in_expr(cx, CHECK.id, &m.name, format!("label name {:?} needs UTF-8 names (Prometheus 3.0)", m.name)));
                    }
                }
            }
            for name in promql::grouping_labels(expr).iter().filter(|n| !promql::is_legacy_label_name(n)) {
                out.push(r.in_expr(cx, CHECK.id, name, format!("label name {name:?} needs UTF-8 names (Prometheus 3.0)")));
            }
        }
        let text = rule.expr.as_ref().map_or("", |e| e.value.as_str());
        promql::walk(expr, &mut |e, _| {
            if let promql_parser::parser::Expr::Call(c) = e
                && c.func.name == "double_exponential_smoothing"
                && promql::written_as_holt_winters(text)
                && v3
            {
                out.push(r.in_expr(cx, CHECK.id, "holt_winters", "function holt_winters was removed in Prometheus 3.0").help("use double_exponential_smoothing (experimental: needs --enable-feature=promql-experimental-functions)"));
            }
        });
    }
}
