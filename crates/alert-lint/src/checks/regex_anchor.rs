//! `regex-anchor`: needless `^`/`$` in PromQL regex matchers.

use promql_parser::label::MatchOp;
use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql::selectors;

pub const CHECK: Check = Check {
    id: "regex-anchor",
    severity: Severity::Info,
    summary: "A PromQL regex matcher with `^` or `$` anchors.",
    explanation: "PromQL regex matchers are always fully anchored: `job=~\"api.*\"` already means `^api.*$`. Explicit anchors are noise and suggest the author expected substring matching; remove them.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        for vs in selectors(expr) {
            for m in &vs.matchers.matchers {
                if matches!(m.op, MatchOp::Re(_) | MatchOp::NotRe(_))
                    && (m.value.starts_with('^') || (m.value.ends_with('$') && !m.value.ends_with("\\$")))
                {
                    out.push(r.in_expr(cx, CHECK.id, &m.value, format!("regex {:?} on {:?} is anchored already; `^`/`$` are redundant", m.value, m.name)).help("remove the anchors"));
                }
            }
        }
    }
}
