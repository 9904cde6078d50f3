//! `group-name`: every group has a name, unique within its file.

use std::collections::HashMap;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "group-name",
    severity: Severity::Error,
    summary: "A rule group without a name, or with the name of another group in the same file.",
    explanation: "Prometheus identifies a group by file and name: it refuses a group with an empty name and a file with two groups of the same name (\"groupname must not be empty\", \"repeated in the same file\"). Give every group a distinct, descriptive name such as `api`, `database`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for rf in cx.rule_files() {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for g in &rf.groups {
            match &g.name {
                Some(name) if !name.value.is_empty() => {
                    if let Some(first) = seen.get(name.value.as_str()) {
                        out.push(
                            Finding::new(CHECK.id, rf.file, name.pos, format!("group {:?} is repeated in the same file (first on line {first})", name.value))
                                .subject(name.value.clone())
                                .help("rename one of the groups or merge their rules"),
                        );
                    } else {
                        seen.insert(&name.value, name.pos.line);
                    }
                }
                _ => out.push(
                    Finding::new(CHECK.id, rf.file, g.pos, "group name must not be empty")
                        .help("add `name: <group>` to the group"),
                ),
            }
        }
    }
}
