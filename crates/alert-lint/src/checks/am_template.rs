//! `am-template`: Alertmanager template files parse.

use std::path::Path;

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::input::glob_matches;
use crate::template::{Flavor, check_flavor};

pub const CHECK: Check = Check {
    id: "am-template",
    severity: Severity::Error,
    summary: "An Alertmanager template file (from `templates`) that does not parse.",
    explanation: "Alertmanager parses every file its `templates` globs match when it loads the config, as Go text/template with its own functions (toUpper, toLower, title, join, match, safeHtml, reReplaceAll, stringSlice, …), and refuses the config if one fails: an unclosed {{ }}, an unbalanced define/if/range/end, an unknown function or an undefined variable. The finding points at the `templates` entry and names the template file and line.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let Some(path) = &cx.ws.files[am.file].path else { continue };
        let dir = path.parent().unwrap_or(Path::new(""));
        for pattern in &am.templates {
            for file in glob_matches(dir, &pattern.value) {
                let Ok(text) = fs_err::read_to_string(&file) else {
                    out.push(Finding::new(CHECK.id, am.file, pattern.pos, format!("cannot read template file {}", file.display())));
                    continue;
                };
                if let Err(e) = check_flavor(&text, Flavor::Alertmanager) {
                    let line = text[..e.offset.min(text.len())].matches('\n').count() + 1;
                    out.push(Finding::new(CHECK.id, am.file, pattern.pos, format!("template {}:{line}: {}", file.display(), e.message)).help("fix the template file; Alertmanager refuses the config until it parses"));
                }
            }
        }
    }
}
