//! `promql-syntax`: `expr` is present and valid PromQL for the target version.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql;

pub const CHECK: Check = Check {
    id: "promql-syntax",
    severity: Severity::Error,
    summary: "`expr` is missing or is not valid PromQL for the target Prometheus version.",
    explain: "Prometheus parses and type-checks every rule expression when it loads the file and refuses the file if one fails. Besides syntax errors this covers features newer than --prometheus-version: UTF-8 (quoted) metric and label names need 3.0, and `holt_winters` was renamed `double_exponential_smoothing` in 3.0. Test the expression in the Prometheus UI or with `promtool query instant`.",
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
                let message = format!("invalid PromQL: {}", message.trim());
                // An unbalanced bracket is pointed at exactly; else the
                // token the parser names ('rate2'), when it names one.
                if let (Some(expr), Some(offset)) = (&rule.expr, crate::promql::unbalanced_bracket(&rule.expr.as_ref().map_or(String::new(), |e| e.value.clone()))) {
                    let source = &cx.ws.files[r.file].source;
                    let (line, col) = source.position_in_scalar(expr.pos.line, expr.pos.col, expr.pos.end_line, rule.expr_style, &expr.value, offset);
                    out.push(r.finding(CHECK.id, expr.pos, message).at(line, col));
                    continue;
                }
                let token = message.split('\'').nth(1).unwrap_or("");
                out.push(r.in_expr(cx, CHECK.id, token, message.clone()));
                continue;
            }
        };
        if let Some((_, number)) = crate::promql::unitless_duration(&rule.expr.as_ref().map_or(String::new(), |e| e.value.clone())) {
            out.push(r.in_expr(cx, CHECK.id, &number, format!("invalid PromQL: missing unit character in duration {number:?}")).help(format!("write e.g. {number}s or {number}m")));
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
