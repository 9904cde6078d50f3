//! Walking Alertmanager's routing tree with the labels of an alerting rule.
//!
//! An alert's labels are only partly known before it fires: the rule's own
//! labels (unless templated), `alertname`, the group's labels and
//! Prometheus' external labels are certain; labels of the series are known
//! only as "may be present" from the expression. Matchers are therefore
//! evaluated three-valued, and the walk returns every possible outcome.

use std::collections::{BTreeMap, BTreeSet};

use promql_parser::parser::{Expr, LabelModifier};

use crate::alertmanager::{Matcher, Route};
use crate::checks::{Cx, RuleRef};
use crate::finding::Pos;
use crate::promql::{Labels, output_labels, walk as walk_expr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

/// What is known about the labels of the alerts a rule sends.
#[derive(Debug, Clone)]
pub struct AlertLabels {
    pub name: String,
    pub fixed: BTreeMap<String, String>,
    /// Labels whose value is a template (present, value unknown).
    pub templated: Vec<String>,
    pub series: Labels,
    /// Series labels the expression names (matchers, `by`, `on`, …) plus
    /// `job` and `instance`. Other target labels (added by relabelling) are
    /// invisible offline and assumed absent, or every routing question would
    /// be "maybe".
    pub mentioned: BTreeSet<String>,
}

impl AlertLabels {
    pub fn of(cx: &Cx<'_>, r: &RuleRef<'_>) -> Self {
        let mut fixed = BTreeMap::new();
        let mut templated = Vec::new();
        for prom in &cx.ws.prometheus {
            for (k, v) in &prom.external_labels {
                fixed.insert(k.value.clone(), v.value.clone());
            }
        }
        for (k, v) in r.group.labels.iter().chain(&r.rule.labels) {
            if v.value.contains("{{") {
                templated.push(k.value.clone());
                fixed.remove(&k.value);
            } else {
                fixed.insert(k.value.clone(), v.value.clone());
            }
        }
        fixed.insert("alertname".to_owned(), r.rule.name().to_owned());
        let series = r.rule.expr().map_or(
            Labels::Any {
                removed: Default::default(),
            },
            output_labels,
        );
        let mut mentioned: BTreeSet<String> = ["job", "instance"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if let Some(expr) = r.rule.expr() {
            mentioned_labels(expr, &mut mentioned);
        }
        Self {
            name: r.rule.name().to_owned(),
            fixed,
            templated,
            series,
            mentioned,
        }
    }

    /// Could the alert carry `label`, counting every label of the selected
    /// series (not only those the expression names)? False only when the
    /// label is certainly absent: no rule or group label sets it and the
    /// expression's aggregation or matching drops it. For claims that a
    /// label is missing, where the exporter's own labels (`mountpoint` on
    /// node_filesystem_*) are invisible offline.
    pub fn can_carry(&self, label: &str) -> bool {
        self.fixed.contains_key(label)
            || self.templated.iter().any(|t| t == label)
            || (label != "__name__" && self.series.may_have(label))
    }

    /// Could the alert carry `label` at all?
    pub fn may_have(&self, label: &str) -> bool {
        self.fixed.contains_key(label)
            || self.templated.iter().any(|t| t == label)
            || self.may_come_from_series(label)
    }

    fn may_come_from_series(&self, label: &str) -> bool {
        label != "__name__" && self.mentioned.contains(label) && self.series.may_have(label)
    }

    pub fn matcher(&self, m: &Matcher) -> Tri {
        if let Some(v) = self.fixed.get(&m.name) {
            return if m.matches(v) { Tri::Yes } else { Tri::No };
        }
        if self.templated.contains(&m.name) || self.may_come_from_series(&m.name) {
            return Tri::Maybe;
        }
        // Absent labels match as the empty string, as in Alertmanager.
        if m.matches("") { Tri::Yes } else { Tri::No }
    }

    pub fn all(&self, matchers: &[Matcher]) -> Tri {
        let mut result = Tri::Yes;
        for m in matchers {
            match self.matcher(m) {
                Tri::No => return Tri::No,
                Tri::Maybe => result = Tri::Maybe,
                Tri::Yes => {}
            }
        }
        result
    }

    /// A short description for messages: `{alertname="X", severity="critical"}`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .fixed
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }
}

/// Labels an expression names explicitly.
fn mentioned_labels(expr: &Expr, out: &mut BTreeSet<String>) {
    walk_expr(expr, &mut |e, _| match e {
        Expr::VectorSelector(vs) => out.extend(vs.matchers.matchers.iter().map(|m| m.name.clone())),
        Expr::MatrixSelector(ms) => {
            out.extend(ms.vs.matchers.matchers.iter().map(|m| m.name.clone()));
        }
        Expr::Aggregate(a) => {
            if let Some(m) = &a.modifier {
                out.extend(m.labels().labels.iter().cloned());
            }
        }
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier {
                if let Some(LabelModifier::Include(l) | LabelModifier::Exclude(l)) = &m.matching {
                    out.extend(l.labels.iter().cloned());
                }
                if let Some(l) = m.card.labels() {
                    out.extend(l.labels.iter().cloned());
                }
            }
        }
        Expr::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
            if let Some(Expr::StringLiteral(s)) = c.args.args.get(1).map(|a| a.as_ref()) {
                out.insert(s.val.clone());
            }
        }
        _ => {}
    });
}

/// A route an alert ends in.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub receiver: Option<String>,
    pub pos: Pos,
    pub is_root: bool,
}

/// Cap on the outcomes explored per alert (each Maybe doubles them).
const MAX_OUTCOMES: usize = 64;

/// Every possible set of routes the alert is delivered by.
pub fn outcomes(root: &Route, alert: &AlertLabels) -> Vec<Vec<Leaf>> {
    walk(
        root,
        alert,
        root.receiver.as_ref().map(|r| r.value.clone()),
        true,
    )
}

fn walk(
    route: &Route,
    alert: &AlertLabels,
    receiver: Option<String>,
    is_root: bool,
) -> Vec<Vec<Leaf>> {
    // (leaves so far, stopped by a match without `continue`)
    let mut states: Vec<(Vec<Leaf>, bool)> = vec![(Vec::new(), false)];
    for child in &route.routes {
        let child_receiver = child
            .receiver
            .as_ref()
            .map(|r| r.value.clone())
            .or_else(|| receiver.clone());
        let tri = alert.all(&child.matchers);
        if tri == Tri::No {
            continue;
        }
        let child_outcomes = walk(child, alert, child_receiver, false);
        let mut next = Vec::new();
        for (leaves, stopped) in states {
            if stopped {
                next.push((leaves, true));
                continue;
            }
            if tri == Tri::Maybe {
                next.push((leaves.clone(), false));
            }
            for outcome in &child_outcomes {
                let mut l = leaves.clone();
                l.extend(outcome.iter().cloned());
                next.push((l, !child.continue_));
            }
        }
        next.truncate(MAX_OUTCOMES);
        states = next;
    }
    states
        .into_iter()
        .map(|(mut leaves, _)| {
            if leaves.is_empty() {
                leaves.push(Leaf {
                    receiver: receiver.clone(),
                    pos: route.pos,
                    is_root,
                });
            }
            leaves
        })
        .collect()
}

/// Every route of the tree, depth first, with its depth (root = 0).
pub fn all_routes(root: &Route) -> Vec<(&Route, usize)> {
    let mut out = Vec::new();
    fn go<'r>(r: &'r Route, depth: usize, out: &mut Vec<(&'r Route, usize)>) {
        out.push((r, depth));
        for c in &r.routes {
            go(c, depth + 1, out);
        }
    }
    go(root, 0, &mut out);
    out
}
