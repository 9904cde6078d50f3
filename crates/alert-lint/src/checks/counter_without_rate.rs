//! `counter-without-rate`: counters compared as raw values.

use promql_parser::parser::Expr;
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::metric_name;

pub const CHECK: Check = Check {
    id: "counter-without-rate",
    severity: Severity::Info,
    summary: "A counter (`_total`, `_bucket`, or a unit followed by `_count`/`_sum`) used as a raw value in an alert.",
    explanation: "A counter only goes up (and resets to zero on restart), so its raw value says nothing about now: `errors_total > 100` fires forever once 100 errors ever happened, and stops after a restart. Wrap it in `rate()` or `increase()` over a window.",
};

/// `_total` and `_bucket` are counters by convention. `_count` and `_sum`
/// are only treated as counters after a unit (`_seconds_count`,
/// `_bytes_sum`), the shape of histogram and summary series: exporters name
/// plenty of gauges `..._count` (postgres_exporter's pg_stat_activity_count).
fn is_counter(name: &str) -> bool {
    if name.ends_with("_total") || name.ends_with("_bucket") {
        return true;
    }
    let base = name.strip_suffix("_count").or_else(|| name.strip_suffix("_sum"));
    base.is_some_and(|b| UNITS.iter().any(|u| b.ends_with(u)))
}

const UNITS: &[&str] = &["_seconds", "_bytes", "_meters", "_ratio", "_celsius", "_joules", "_grams", "_volts", "_amperes", "_hertz"];

/// Counter selectors not inside any function call or range selector.
fn bare<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
    match expr {
        Expr::VectorSelector(vs) => {
            if let Some(name) = metric_name(vs)
                && !name.contains(':')
                && is_counter(name)
            {
                out.push(name);
            }
        }
        // count/group look at which series exist, not at their values.
        Expr::Aggregate(a) if matches!(a.op.to_string().as_str(), "count" | "group" | "count_values") => {}
        Expr::Aggregate(a) => bare(&a.expr, out),
        Expr::Binary(b) => {
            bare(&b.lhs, out);
            bare(&b.rhs, out);
        }
        Expr::Paren(p) => bare(&p.expr, out),
        Expr::Unary(u) => bare(&u.expr, out),
        _ => {}
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        let mut names = Vec::new();
        bare(expr, &mut names);
        for name in names {
            out.push(r.in_expr(cx, CHECK.id, name, format!("counter {name:?} is used without rate()/increase()")).help(format!("e.g. rate({name}[5m]) or increase({name}[1h])")));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn counter_names_and_bare_uses() {
        assert!(is_counter("http_requests_total"));
        assert!(is_counter("http_request_duration_seconds_bucket"));
        assert!(is_counter("http_request_duration_seconds_count"));
        assert!(is_counter("response_size_bytes_sum"));
        assert!(!is_counter("pg_stat_activity_count"));
        assert!(!is_counter("pg_locks_count"));
        let names = |q: &str| {
            let e = crate::promql::parse(q).unwrap();
            let mut out = Vec::new();
            bare(&e, &mut out);
            out.into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(names("errors_total > 5"), vec!["errors_total"]);
        assert!(names("rate(errors_total[5m]) > 5").is_empty());
        assert!(names("count without (cpu) (node_cpu_seconds_total) > 4").is_empty());
        assert_eq!(names("sum(errors_total) > 5"), vec!["errors_total"]);
    }
}
