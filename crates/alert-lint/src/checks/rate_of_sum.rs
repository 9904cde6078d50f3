//! `rate-of-sum`: `rate()` over a recording rule that sums a counter.

use std::collections::HashMap;

use promql_parser::parser::Expr;
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::{RATE_FUNCS, metric_name, rate_windows, walk};

pub const CHECK: Check = Check {
    id: "rate-of-sum",
    severity: Severity::Warning,
    summary: "`rate()` of a recorded series that is a `sum` of a raw counter.",
    explanation: "Counters reset when a process restarts; `rate()` corrects for resets of each series. After `sum()` the reset of one series looks like a huge drop of the total, so `rate(sum(x))` produces spikes. Record `sum(rate(x[5m]))` instead and use that series directly.",
};

fn sums_raw_counter(expr: &Expr) -> bool {
    let mut e = expr;
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    let Expr::Aggregate(a) = e else { return false };
    if a.op.to_string() != "sum" {
        return false;
    }
    let mut has_rate = false;
    walk(&a.expr, &mut |x, _| {
        if let Expr::Call(c) = x
            && (RATE_FUNCS.contains(&c.func.name) || c.func.name.ends_with("_over_time"))
        {
            has_rate = true;
        }
    });
    !has_rate
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let mut summed: HashMap<&str, u32> = HashMap::new();
    for r in cx.all_rules() {
        if let (Some(record), Some(expr)) = (&r.rule.record, r.rule.expr())
            && sums_raw_counter(expr)
        {
            summed.insert(&record.value, record.pos.line);
        }
    }
    if summed.is_empty() {
        return;
    }
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        for (func, vs, _) in rate_windows(expr) {
            if let Some(name) = metric_name(vs).filter(|n| summed.contains_key(n)) {
                out.push(r.in_expr(cx, CHECK.id, name, format!("{func}() of {name:?}, a recorded sum of a counter: counter resets turn into spikes")).help("record sum(rate(counter[5m])) and use that instead"));
            }
        }
    }
}
