//! `am-duplicate-receiver`: receiver names are present and unique.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "am-duplicate-receiver",
    severity: Severity::Error,
    summary: "A receiver without a name, or two receivers with the same name.",
    explanation: "Routes refer to receivers by name; Alertmanager refuses a receiver without a name (\"missing name in receiver\") and duplicate names (\"notification config name is not unique\").",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for r in &am.receivers {
            if r.name.value.is_empty() {
                out.push(Finding::new(CHECK.id, am.file, r.pos, "missing name in receiver"));
            } else if let Some(first) = seen.get(r.name.value.as_str()) {
                out.push(Finding::new(CHECK.id, am.file, r.name.pos, format!("receiver name {:?} is not unique (first on line {first})", r.name.value)).subject(r.name.value.clone()));
            } else {
                seen.insert(&r.name.value, r.name.pos.line);
            }
        }
    }
}
