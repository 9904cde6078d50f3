//! `am-missing-file`: template globs and relative `_file` paths point at files.

use std::path::Path;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::{Finding, Pos};
use crate::yaml::{Kind, Node};

pub const CHECK: Check = Check {
    id: "am-missing-file",
    severity: Severity::Warning,
    summary: "A `templates` glob or a relative `*_file` path that matches no file next to the config.",
    explanation: "Alertmanager resolves relative paths against the directory of its config file. A template glob that matches nothing silently drops custom templates; a missing `_file` (password_file, routing_key_file, …) breaks the integration at send time. Absolute paths (e.g. /run/secrets/…) are deployment paths and are not checked.",
};

fn file_refs<'n>(node: &'n Node, out: &mut Vec<(&'n str, &'n Node)>) {
    match &node.kind {
        Kind::Map(entries) => {
            for (k, v) in entries {
                if let (Some(key), Some(value)) = (k.as_str(), v.as_str())
                    && key.ends_with("_file")
                    && !value.is_empty()
                {
                    out.push((value, v));
                } else {
                    file_refs(v, out);
                }
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| file_refs(i, out)),
        Kind::Scalar { .. } => {}
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(path) = &cx.ws.files[am.file].path else { continue };
        let dir = path.parent().unwrap_or(Path::new("."));
        for t in &am.templates {
            if Path::new(&t.value).is_absolute() {
                continue;
            }
            if crate::input::glob_matches(dir, &t.value).is_empty() {
                out.push(Finding::new(CHECK.id, am.file, t.pos, format!("template glob {:?} matches no file in {}", t.value, dir.display())));
            }
        }
        let mut refs = Vec::new();
        if let Some(g) = &am.global {
            file_refs(g, &mut refs);
        }
        for r in &am.receivers {
            for (_, _, node) in &r.integrations {
                file_refs(node, &mut refs);
            }
        }
        for (value, node) in refs {
            if !Path::new(value).is_absolute() && !dir.join(value).exists() {
                out.push(Finding::new(CHECK.id, am.file, Pos::of(node), format!("file {value:?} does not exist (relative to {})", dir.display())));
            }
        }
    }
}
