//! `label-value-typo`: an alert label value one or two letters (or only the
//! case) away from a value the routes or other alerts use.

use std::collections::{BTreeMap, BTreeSet};

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::{Matcher, Op};
use crate::finding::Finding;
use crate::routing::all_routes;

pub const CHECK: Check = Check {
    id: "label-value-typo",
    severity: Severity::Warning,
    summary: "An alert label value that differs from a value routes or other alerts use only by case or by one or two letters.",
    explanation: "Alertmanager matches label values exactly: `team: databse` or `severity: Critical` on an alert slips past every route for `team=\"database\"` or `severity=\"critical\"` and lands at the default receiver. A value no route matcher accepts is compared with the values route matchers name (`=` and plain `a|b` alternations) that other alerts carry too (a route value no alert carries is as likely the typo: `dead-route` reports it), and with values more other alerts use for the same label; it is reported, with the suggestion, when it differs only by case, or by one letter (values of 4 characters or more) or two (6 or more). Values that differ only in digits (`p1`/`p2`, `eu-west-1`/`eu-west-2`) or in a short segment (`team-a`/`team-b`) are taken as distinct on purpose.",
};

/// The literal values a matcher names: `=` and plain alternations.
fn literals(m: &Matcher) -> Vec<String> {
    match m.op {
        Op::Eq => vec![m.value.clone()],
        Op::Re if m.value.chars().all(|c| c.is_alphanumeric() || matches!(c, '|' | '_' | '-' | '.' | ' ')) => {
            m.value.split('|').filter(|v| !v.is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    }
}

/// Values that are different on purpose: only digits differ, or a short
/// segment (`team-a`/`team-b`).
fn distinct_by_design(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    if strip(a) == strip(b) && a.to_lowercase() != b.to_lowercase() {
        return true;
    }
    let seg = |s: &str| s.split(['-', '_', '.', ':', '/', ' ']).map(str::to_owned).collect::<Vec<_>>();
    let (sa, sb) = (seg(a), seg(b));
    sa.len() > 1 && sa.len() == sb.len() && sa.iter().zip(&sb).any(|(x, y)| x != y && (x.chars().count() <= 2 || y.chars().count() <= 2))
}

/// A probable intended value for `value` among `known`.
fn suggestion<'k>(value: &str, known: impl Iterator<Item = &'k String>) -> Option<&'k String> {
    let len = value.chars().count();
    let mut best: Option<(usize, &String)> = None;
    for k in known {
        if k == value || distinct_by_design(value, k) {
            continue;
        }
        let distance = if k.to_lowercase() == value.to_lowercase() {
            0
        } else {
            let d = strsim::levenshtein(value, k);
            let shortest = len.min(k.chars().count());
            if (d == 1 && shortest >= 4) || (d == 2 && shortest >= 6) { d } else { continue }
        };
        if best.is_none_or(|(b, _)| distance < b) {
            best = Some((distance, k));
        }
    }
    best.map(|(_, k)| k)
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    // Label → values route matchers name, and every matcher on the label.
    let mut routed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut matchers: BTreeMap<&str, Vec<&Matcher>> = BTreeMap::new();
    for am in &cx.ws.alertmanager {
        let Some(root) = &am.route else { continue };
        for (route, _) in all_routes(root) {
            for m in &route.matchers {
                routed.entry(&m.name).or_default().extend(literals(m));
                matchers.entry(&m.name).or_default().push(m);
            }
        }
    }
    // Label → value → how many alerts carry it.
    let mut used: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let static_labels = |r: &super::RuleRef<'_>| -> Vec<(crate::finding::SpStr, crate::finding::SpStr)> {
        let mut labels: Vec<_> = r.rule.labels.clone();
        for (k, v) in &r.group.labels {
            if r.rule.label(&k.value).is_none() {
                labels.push((k.clone(), v.clone()));
            }
        }
        labels.retain(|(_, v)| !v.value.contains("{{") && !v.value.is_empty());
        labels
    };
    for r in cx.alerts() {
        for (k, v) in static_labels(&r) {
            *used.entry(k.value).or_default().entry(v.value).or_default() += 1;
        }
    }
    let mut reported = BTreeSet::new();
    for r in cx.alerts() {
        for (k, v) in static_labels(&r) {
            let label = k.value.as_str();
            // A group label is reported once, not for every alert.
            if !reported.insert((r.file, v.pos.line, v.pos.col)) {
                continue;
            }
            // A value some route matcher accepts is routed as intended.
            if matchers.get(label).is_some_and(|ms| ms.iter().any(|m| m.op != Op::Ne && m.op != Op::NotRe && m.matches(&v.value))) {
                continue;
            }
            let counts = used.get(label);
            let mine = counts.and_then(|c| c.get(&v.value)).copied().unwrap_or(0);
            // A route value no alert carries and that differs by more than
            // case is as likely the typo (dead-route reports it there).
            let carried = |s: &String| counts.and_then(|c| c.get(s)).is_some_and(|n| *n > 0) || s.to_lowercase() == v.value.to_lowercase();
            let from_routes = routed.get(label).and_then(|known| suggestion(&v.value, known.iter().filter(|s| carried(s))));
            let from_alerts = || counts.and_then(|c| suggestion(&v.value, c.iter().filter(|(_, n)| **n > mine).map(|(k, _)| k)));
            let (intended, source) = match (from_routes, from_alerts()) {
                (Some(s), _) => (s, "a route matcher uses".to_owned()),
                (None, Some(s)) => {
                    let n = counts.and_then(|c| c.get(s)).copied().unwrap_or(0);
                    (s, format!("{n} other alerts use"))
                }
                (None, None) => continue,
            };
            out.push(
                r.finding(CHECK.id, v.pos, format!("label {label}={:?} is probably a typo of {intended:?}, which {source}", v.value))
                    .help(format!("write `{label}: {intended}`")),
            );
        }
    }
}
