//! `experimental-function`: functions Prometheus only accepts behind a
//! feature flag, or that the target version does not have.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::promql;

pub const CHECK: Check = Check {
    id: "experimental-function",
    severity: Severity::Error,
    summary: "An experimental PromQL function that needs a feature flag (or does not exist in the target version).",
    explanation: "Experimental functions and aggregations (`sort_by_label`, `mad_over_time`, `info`, `double_exponential_smoothing`, `limitk`, `limit_ratio`, `ts_of_*_over_time`, `min_of`/`max_of`, …) are refused unless Prometheus runs with --enable-feature=promql-experimental-functions, and versions before the one that added a function do not know it at all (\"unknown function\"); `histogram_avg` needs 2.51, `histogram_stddev` 2.47. The table follows promql/parser/functions.go of each release. If your Prometheus runs with the flag, re-level this check to `off` in shipshape.toml.",
};

/// A function (or aggregation) added after 2.42: the release that added it,
/// and the range of releases in which it is experimental.
struct Func {
    name: &'static str,
    since: (u32, u32),
    experimental_until: Option<(u32, u32)>,
}

const NEVER: Option<(u32, u32)> = Some((u32::MAX, 0));

const fn stable(name: &'static str, since: (u32, u32)) -> Func {
    Func { name, since, experimental_until: None }
}

const fn exp(name: &'static str, since: (u32, u32)) -> Func {
    Func { name, since, experimental_until: NEVER }
}

/// Read from promql/parser/functions.go of every release tag 2.42–3.14.
const FUNCS: &[Func] = &[
    stable("histogram_stddev", (2, 47)),
    stable("histogram_stdvar", (2, 47)),
    stable("histogram_avg", (2, 51)),
    exp("mad_over_time", (2, 49)),
    exp("sort_by_label", (2, 49)),
    exp("sort_by_label_desc", (2, 49)),
    exp("limitk", (2, 54)),
    exp("limit_ratio", (2, 54)),
    exp("info", (2, 55)),
    exp("double_exponential_smoothing", (3, 0)),
    exp("ts_of_max_over_time", (3, 5)),
    exp("ts_of_min_over_time", (3, 5)),
    exp("ts_of_last_over_time", (3, 5)),
    Func { name: "first_over_time", since: (3, 7), experimental_until: Some((3, 14)) },
    exp("ts_of_first_over_time", (3, 7)),
    exp("histogram_quantiles", (3, 11)),
    exp("start", (3, 12)),
    exp("end", (3, 12)),
    exp("range", (3, 12)),
    exp("step", (3, 12)),
    exp("min_of", (3, 13)),
    exp("max_of", (3, 13)),
    exp("start_timestamp", (3, 14)),
];

/// What is wrong with using `name` on Prometheus `version`, if anything.
pub fn problem(name: &str, version: (u32, u32)) -> Option<String> {
    let f = FUNCS.iter().find(|f| f.name == name)?;
    if version < f.since {
        return Some(format!("function {name} does not exist before Prometheus {}.{} (target is {}.{})", f.since.0, f.since.1, version.0, version.1));
    }
    f.experimental_until
        .is_some_and(|until| version < until)
        .then(|| format!("function {name} is experimental and needs --enable-feature=promql-experimental-functions"))
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let version = cx.settings.prometheus;
    for r in cx.all_rules() {
        let Some(expr) = r.rule.expr() else { continue };
        promql::walk(expr, &mut |e, _| {
            let name = match e {
                promql_parser::parser::Expr::Call(c) => c.func.name,
                promql_parser::parser::Expr::Aggregate(a) => match a.op.id() {
                    promql_parser::parser::token::T_LIMITK => "limitk",
                    promql_parser::parser::token::T_LIMIT_RATIO => "limit_ratio",
                    _ => return,
                },
                _ => return,
            };
            // holt_winters, parsed under its 3.0 name (promql::parse).
            let text = r.rule.expr.as_ref().map_or("", |e| e.value.as_str());
            if name == "double_exponential_smoothing" && promql::written_as_holt_winters(text) {
                return;
            }
            if let Some(message) = problem(name, version) {
                out.push(r.in_expr(cx, CHECK.id, name, message));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn versions_and_flags() {
        assert!(problem("rate", (2, 42)).is_none());
        assert!(problem("histogram_avg", (2, 50)).unwrap().contains("does not exist"));
        assert!(problem("histogram_avg", (2, 51)).is_none());
        assert!(problem("sort_by_label", (2, 48)).unwrap().contains("does not exist"));
        assert!(problem("sort_by_label", (3, 14)).unwrap().contains("experimental"));
        assert!(problem("first_over_time", (3, 13)).unwrap().contains("experimental"));
        assert!(problem("first_over_time", (3, 14)).is_none());
        assert!(problem("limitk", (2, 53)).unwrap().contains("does not exist"));
    }
}
