//! `recorded-label-dropped`: `$labels.X` on an alert over a recorded series
//! whose recording rule aggregated X away.

use std::collections::HashMap;

use promql_parser::parser::VectorSelector;
use shipshape_core::Severity;

use super::{Check, Cx, RuleRef};
use crate::finding::Finding;
use crate::promql::{Labels, metric_name, output_labels, output_labels_with, selectors};
use crate::template;

pub const CHECK: Check = Check {
    id: "recorded-label-dropped",
    severity: Severity::Warning,
    summary: "A template uses `$labels.X` on a recorded series whose recording rule aggregated X away.",
    explanation: "An alert on `job:http_errors:ratio_rate5m` carries only the labels the recording rule kept: when it is recorded as `sum by (job) (...)` (or `sum without (instance) (...)`), `{{ $labels.instance }}` in the alert renders as an empty string. alert-lint follows recorded series through the recording rules it lints (also chains of them) and reports only when every rule recording the series drops the label; a recording rule whose expression keeps its series' own labels says nothing. Keep the label in the recording rule's aggregation (`sum by (job, instance)`), or stop using it in the alert.",
};

/// The recording rules of the linted files, by the series they record.
struct Recorded<'a> {
    by_name: HashMap<&'a str, Vec<RuleRef<'a>>>,
}

impl<'a> Recorded<'a> {
    fn new(cx: &Cx<'a>) -> Self {
        let mut by_name: HashMap<&str, Vec<RuleRef<'a>>> = HashMap::new();
        for r in cx.all_rules() {
            if let Some(name) = r.rule.record.as_ref().filter(|_| r.rule.alert.is_none()) {
                by_name.entry(name.value.as_str()).or_default().push(r);
            }
        }
        Self { by_name }
    }

    /// The labels of the series a selector selects, when recording rules
    /// write them (None: unknown, any label).
    fn labels(&self, vs: &VectorSelector, depth: usize) -> Option<Labels> {
        let rules = self.by_name.get(metric_name(vs)?)?;
        if depth > 8 {
            return None;
        }
        let mut out: Option<Labels> = None;
        for r in rules {
            let expr = r.rule.expr()?;
            let own: Vec<String> = r.group.labels.iter().chain(&r.rule.labels).map(|(k, _)| k.value.clone()).collect();
            let labels = output_labels_with(expr, &|inner| self.labels(inner, depth + 1)).with(&own);
            out = Some(match out {
                None => labels,
                Some(prev) => prev.union(labels),
            });
        }
        out
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let recorded = Recorded::new(cx);
    if recorded.by_name.is_empty() {
        return;
    }
    for r in cx.alerts() {
        let Some(expr) = r.rule.expr() else { continue };
        let direct = output_labels(expr);
        let through = output_labels_with(expr, &|vs| recorded.labels(vs, 0));
        if through == direct {
            continue;
        }
        for (k, v) in r.rule.labels.iter().chain(&r.rule.annotations) {
            let Ok(usage) = template::check(&v.value, cx.settings.prometheus) else { continue };
            let mut seen = Vec::new();
            for (label, _) in usage.labels {
                // label-dropped reports what the alert's own expression drops.
                if !direct.may_have(&label) || through.may_have(&label) || seen.contains(&label) {
                    continue;
                }
                seen.push(label.clone());
                // Name the recorded series (and its rule) that lacks the label.
                let culprit = selectors(expr).into_iter().find_map(|vs| {
                    let labels = recorded.labels(vs, 0)?;
                    let name = metric_name(vs)?;
                    (!labels.may_have(&label)).then_some(name)
                });
                let Some(series) = culprit else { continue };
                let rule = &recorded.by_name[series][0];
                let source = &cx.ws.files[r.file].source;
                let (line, col) = source.locate(&v.pos.node(), &format!("$labels.{label}"));
                let at = format!("{}:{}", cx.ws.files[rule.file].display, rule.rule.pos.line);
                out.push(
                    r.finding(CHECK.id, v.pos, format!("{:?} uses $labels.{label}, but {series} has no {label:?} label: its recording rule ({at}) aggregates it away", k.value))
                        .at(line, col)
                        .help(format!("keep {label} in the recording rule's aggregation (e.g. `by (..., {label})`), or stop using it here")),
                );
            }
        }
    }
}
