//! `duplicate-rule`: two rules of a group with the same name and labels.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "duplicate-rule",
    severity: Severity::Warning,
    summary: "Two rules in one group with the same name and the same labels.",
    explanation: "promtool reports \"duplicate rule(s) found\" for rules of one group that share `alert`/`record` and labels: they produce the same series (or the same alert), so one silently overwrites the other. Give them different names or labels, or delete the copy.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for rf in cx.rule_files() {
        for g in &rf.groups {
            let mut seen: HashMap<(String, Vec<(String, String)>), u32> = HashMap::new();
            for rule in &g.rules {
                let mut labels: Vec<(String, String)> = rule.labels.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect();
                labels.sort();
                let key = (rule.name().to_owned(), labels);
                if let Some(first) = seen.get(&key) {
                    let r = super::RuleRef { file: rf.file, group: g, rule };
                    out.push(r.finding(CHECK.id, rule.alert.as_ref().or(rule.record.as_ref()).map_or(rule.pos, |n| n.pos), format!("rule {:?} duplicates the rule on line {first} (same name and labels)", rule.name())));
                } else {
                    seen.insert(key, rule.pos.line);
                }
            }
        }
    }
}
