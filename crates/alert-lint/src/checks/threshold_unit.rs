//! `threshold-unit`: a threshold implausible for the unit in the metric name.

use promql_parser::parser::token;
use promql_parser::parser::{BinaryExpr, Expr};
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::{metric_name, selectors, walk};

pub const CHECK: Check = Check {
    id: "threshold-unit",
    severity: Severity::Warning,
    summary: "A threshold implausible for the unit in the metric name (`> 500` on request seconds, `> 1` on a ratio).",
    explanation: "Prometheus metrics carry their unit in the name, in base units: `http_request_duration_seconds` is in seconds, `*_ratio` is between 0 and 1. `histogram_quantile(0.99, ...http_request_duration_seconds_bucket...) > 500` waits for requests of over 8 minutes — the threshold was written in milliseconds; `job:http_errors:ratio_rate5m > 5` can never fire — it was written in percent. Only clear cases are reported: request, response, query, RPC or latency durations in seconds (a histogram quantile, an average of `_sum`/`_count`, or the series itself) compared with `>`/`>=` to 100 or more, and series whose name ends in `_ratio` (or a recorded `…:ratio…`) compared with `> 1` or more, with no arithmetic between the series and the comparison. Write the threshold in the metric's unit (0.5 for 500ms, 0.05 for 5%).",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Seconds of a request, query or RPC.
    RequestSeconds,
    /// A fraction between 0 and 1.
    Ratio,
}

fn latency_like(name: &str) -> bool {
    ["request", "response", "latency", "rpc", "query", "handler"].iter().any(|w| name.contains(w))
}

fn unit_of_name(name: &str) -> Option<Unit> {
    let base = name.trim_end_matches("_bucket");
    if base.ends_with("_seconds") && latency_like(base) && !name.contains("time_seconds") && !name.contains("timestamp") {
        return Some(Unit::RequestSeconds);
    }
    let last = name.rsplit(':').next().unwrap_or(name);
    let metric = name.split(':').nth(1).filter(|_| name.split(':').count() >= 3).unwrap_or(name);
    let ratio = name.ends_with("_ratio") || (name.contains(':') && (last.starts_with("ratio") || metric.ends_with("_ratio")));
    if ratio && !["compression", "overcommit", "throttl"].iter().any(|w| name.contains(w)) {
        return Some(Unit::Ratio);
    }
    None
}

/// The unit of a series-valued expression, when its shape makes it certain:
/// a selector, an aggregation or `*_over_time` of one, a histogram
/// quantile, or `_sum / _count` — no other arithmetic.
fn unit_of(expr: &Expr) -> Option<(Unit, String)> {
    match expr {
        Expr::Paren(p) => unit_of(&p.expr),
        Expr::VectorSelector(vs) => {
            let name = metric_name(vs)?;
            Some((unit_of_name(name)?, name.to_owned()))
        }
        Expr::MatrixSelector(ms) => {
            let name = metric_name(&ms.vs)?;
            Some((unit_of_name(name)?, name.to_owned()))
        }
        Expr::Aggregate(a) => match a.op.id() {
            token::T_SUM | token::T_AVG | token::T_MIN | token::T_MAX | token::T_QUANTILE | token::T_TOPK | token::T_BOTTOMK => unit_of(&a.expr),
            _ => None,
        },
        Expr::Call(c) => match c.func.name {
            "avg_over_time" | "max_over_time" | "min_over_time" | "last_over_time" | "quantile_over_time" | "abs" => {
                c.args.args.iter().find_map(|a| unit_of(a))
            }
            "histogram_quantile" => {
                let arg = c.args.args.get(1)?;
                let names: Vec<String> = selectors(arg).into_iter().filter_map(|vs| metric_name(vs).map(str::to_owned)).collect();
                let name = names.first()?;
                (names.iter().all(|n| n.ends_with("_bucket")) && unit_of_name(name) == Some(Unit::RequestSeconds)).then(|| (Unit::RequestSeconds, name.clone()))
            }
            _ => None,
        },
        Expr::Binary(b) if b.op.id() == token::T_DIV => {
            let sum = selectors(&b.lhs).into_iter().filter_map(metric_name).collect::<Vec<_>>();
            let count = selectors(&b.rhs).into_iter().filter_map(metric_name).collect::<Vec<_>>();
            match (sum.as_slice(), count.as_slice()) {
                ([s], [c]) if s.ends_with("_seconds_sum") && c.strip_suffix("_count") == s.strip_suffix("_sum") && latency_like(s) => Some((Unit::RequestSeconds, (*s).to_owned())),
                _ => None,
            }
        }
        _ => None,
    }
}

fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => number(&p.expr),
        _ => None,
    }
}

/// (series side, threshold, inclusive) for `series > N`, `series >= N`,
/// `N < series`, `N <= series`.
fn above(b: &BinaryExpr) -> Option<(&Expr, f64, bool)> {
    let op = b.op.id();
    if let Some(n) = number(&b.rhs) {
        return match op {
            token::T_GTR => Some((&b.lhs, n, false)),
            token::T_GTE => Some((&b.lhs, n, true)),
            _ => None,
        };
    }
    if let Some(n) = number(&b.lhs) {
        return match op {
            token::T_LSS => Some((&b.rhs, n, false)),
            token::T_LTE => Some((&b.rhs, n, true)),
            _ => None,
        };
    }
    None
}

fn show(n: f64) -> String {
    format!("{n}")
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        walk(expr, &mut |e, _| {
            let Expr::Binary(b) = e else { return };
            let Some((series, n, inclusive)) = above(b) else { return };
            let Some((unit, name)) = unit_of(series) else { return };
            let message = match unit {
                Unit::RequestSeconds if n >= 100.0 => format!("threshold {} on {name:?}, which is in seconds: that is over {} minutes per request — probably milliseconds (did you mean {}?)", show(n), (n / 60.0).floor(), show(n / 1000.0)),
                Unit::Ratio if n > 1.0 || (n >= 1.0 && !inclusive) => {
                    let hint = if n > 1.0 { format!(" — probably a percentage (did you mean {}?)", show(n / 100.0)) } else { String::new() };
                    format!("threshold {} on {name:?}, a ratio between 0 and 1: the alert can never fire{hint}", show(n))
                }
                _ => return,
            };
            let text = r.rule.expr.as_ref().map_or("", |e| e.value.as_str());
            let pos = r.rule.expr.as_ref().map_or(r.rule.pos, |e| e.pos);
            let (line, col) = crate::promql::number_offset(text, n).map_or((pos.line, pos.col), |o| r.expr_offset(cx, o));
            out.push(r.finding(CHECK.id, pos, message).at(line, col).help("write the threshold in the metric's unit: seconds, or a ratio (0.05 for 5%)"));
        });
    }
}
