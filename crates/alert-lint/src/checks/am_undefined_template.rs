//! `am-undefined-template`: integrations call templates no template file defines.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::{Finding, Pos};
use crate::input::glob_matches;
use crate::yaml::{Kind, Node};

pub const CHECK: Check = Check {
    id: "am-undefined-template",
    severity: Severity::Warning,
    summary: "A notification field calls `{{ template \"name\" . }}` but no template file defines that name.",
    explanation: "Alertmanager only executes the templates in notification fields when it sends, so a call to a template that no file in `templates` defines passes `amtool check-config` and fails at 3 a.m. with an empty or error notification. Define it in a template file (and list that file under `templates`), or fix the name. Alertmanager's built-in names (`__subject`, `slack.default.title`, `email.default.html`, …) are always defined.",
};

#[allow(clippy::unwrap_used)] // constant patterns
fn patterns() -> &'static (regex::Regex, regex::Regex) {
    static RE: OnceLock<(regex::Regex, regex::Regex)> = OnceLock::new();
    RE.get_or_init(|| {
        (
            regex::Regex::new(r#"\{\{-?\s*(?:define|block)\s+"([^"]+)""#).unwrap(),
            regex::Regex::new(r#"\{\{-?\s*template\s+"([^"]+)""#).unwrap(),
        )
    })
}

/// Names Alertmanager's own default template defines.
fn builtin(name: &str) -> bool {
    name.starts_with("__") || name.contains(".default.")
}

fn calls<'n>(node: &'n Node, out: &mut Vec<(String, &'n Node)>) {
    match &node.kind {
        Kind::Scalar { value, .. } => {
            for c in patterns().1.captures_iter(value) {
                out.push((c[1].to_owned(), node));
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| calls(i, out)),
        Kind::Map(entries) => entries.iter().for_each(|(_, v)| calls(v, out)),
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let mut used = Vec::new();
        for r in &am.receivers {
            for (_, _, node) in &r.integrations {
                calls(node, &mut used);
            }
        }
        if used.is_empty() {
            continue;
        }
        // Without the config's directory the template files are unknown.
        let Some(path) = &cx.ws.files[am.file].path else { continue };
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut defined = BTreeSet::new();
        for pattern in &am.templates {
            for file in glob_matches(dir, &pattern.value) {
                if let Ok(text) = fs_err::read_to_string(&file) {
                    defined.extend(patterns().0.captures_iter(&text).map(|c| c[1].to_owned()));
                }
            }
        }
        // A field may define a template and use it right away.
        for (_, node) in &used {
            if let Some(text) = node.as_str() {
                defined.extend(patterns().0.captures_iter(text).map(|c| c[1].to_owned()));
            }
        }
        for (name, node) in used {
            if builtin(&name) || defined.contains(&name) {
                continue;
            }
            let (line, col) = cx.ws.files[am.file].source.locate(node, &name);
            out.push(Finding::new(CHECK.id, am.file, Pos::of(node), format!("template {name:?} is not defined by any file in `templates`")).at(line, col).help("define it in a template file listed under `templates`, or fix the name"));
        }
    }
}
