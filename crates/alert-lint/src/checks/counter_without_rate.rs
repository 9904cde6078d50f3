//! `counter-without-rate`: counters compared as raw values.

use promql_parser::parser::Expr;
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::metric_name;

pub const CHECK: Check = Check {
    id: "counter-without-rate",
    severity: Severity::Warning,
    summary: "A counter (`_total`, `_count`, `_sum`, `_bucket`) used as a raw value in an alert.",
    explain: "A counter only goes up (and resets to zero on restart), so its raw value says nothing about now: `errors_total > 100` fires forever once 100 errors ever happened, and stops after a restart. Wrap it in `rate()` or `increase()` over a window.",
};

const SUFFIXES: &[&str] = &["_total", "_count", "_sum", "_bucket"];

/// Counter selectors not inside any function call or range selector.
fn bare<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
    match expr {
        Expr::VectorSelector(vs) => {
            if let Some(name) = metric_name(vs)
                && !name.contains(':')
                && SUFFIXES.iter().any(|s| name.ends_with(s))
            {
                out.push(name);
            }
        }
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
