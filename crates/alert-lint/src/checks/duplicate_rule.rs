//! `duplicate-rule`: two rules of a group with the same name, labels and expression.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "duplicate-rule",
    severity: Severity::Warning,
    summary: "Two rules in one group with the same name, labels and expression.",
    explanation: "A rule written twice (same `alert`/`record`, labels and `expr`) evaluates twice and produces the same series or alert: a copy left behind by an edit. Delete the copy. Rules that share a name and labels but differ in their expression are left alone: upstream rule sets do it on purpose (kubernetes-mixin records `code_verb:apiserver_request_total:increase1h` once per status class, with selectors that never overlap), although promtool's lint reports them as \"duplicate rule(s)\" too.",
};

/// What makes two rules the same: name, sorted labels, expression with
/// whitespace collapsed.
type RuleKey = (String, Vec<(String, String)>, String);

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for rf in cx.rule_files() {
        for g in &rf.groups {
            let mut seen: HashMap<RuleKey, u32> = HashMap::new();
            for rule in &g.rules {
                let mut labels: Vec<(String, String)> = rule.labels.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect();
                labels.sort();
                let expr = rule.expr.as_ref().map(|e| e.value.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
                let key = (rule.name().to_owned(), labels, expr);
                if let Some(first) = seen.get(&key) {
                    let r = super::RuleRef { file: rf.file, group: g, rule };
                    out.push(r.finding(CHECK.id, rule.alert.as_ref().or(rule.record.as_ref()).map_or(rule.pos, |n| n.pos), format!("rule {:?} duplicates the rule on line {first} (same name, labels and expression)", rule.name())));
                } else {
                    seen.insert(key, rule.pos.line);
                }
            }
        }
    }
}
