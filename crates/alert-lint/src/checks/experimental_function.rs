//! `experimental-function`: functions Prometheus only accepts behind a feature flag.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql;

pub const CHECK: Check = Check {
    id: "experimental-function",
    severity: Severity::Error,
    summary: "An experimental PromQL function that needs a feature flag (or does not exist in the target version).",
    explain: "`sort_by_label` and `sort_by_label_desc` (2.48+) are experimental: Prometheus refuses them unless started with --enable-feature=promql-experimental-functions, and versions before 2.48 do not know them at all. If your Prometheus runs with the flag, re-level this check to `off` in shipshape.toml.",
};

const EXPERIMENTAL: &[(&str, (u32, u32))] = &[("sort_by_label", (2, 48)), ("sort_by_label_desc", (2, 48))];

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let version = cx.settings.prometheus;
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        promql::walk(expr, &mut |e, _| {
            let promql_parser::parser::Expr::Call(c) = e else { return };
            if let Some((name, since)) = EXPERIMENTAL.iter().find(|(n, _)| *n == c.func.name) {
                let message = if version < *since {
                    format!("function {name} does not exist before Prometheus {}.{} (target is {}.{})", since.0, since.1, version.0, version.1)
                } else {
                    format!("function {name} is experimental and needs --enable-feature=promql-experimental-functions")
                };
                out.push(r.in_expr(cx, CHECK.id, name, message));
            }
        });
    }
}
