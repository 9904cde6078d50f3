//! `template-syntax`: alert labels and annotations parse as Prometheus templates.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;
use crate::template;

pub const CHECK: Check = Check {
    id: "template-syntax",
    severity: Severity::Error,
    summary: "A label or annotation of an alert is not a valid Go template with Prometheus' functions.",
    explanation: "Prometheus parses every label and annotation of an alerting rule as a Go text/template when it loads the file, with the template builtins plus its own functions (humanize, humanizePercentage, humanizeDuration, humanize1024, printf, query, first, value, label, title, toUpper, toLower, reReplaceAll, match, args, tmpl, safeHtml, externalURL, pathPrefix, …) and the variables $labels, $value, $externalLabels and $externalURL. An unclosed {{ }}, an unbalanced if/range/end, an undefined variable or an unknown function (e.g. humanizeBytes) makes it refuse the file.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for r in cx.alerts() {
        for (kind, items) in [("label", &r.rule.labels), ("annotation", &r.rule.annotations)] {
            for (k, v) in items {
                if let Err(e) = template::check(&v.value, cx.settings.prometheus) {
                    let source = &cx.ws.files[r.file].source;
                    let needle = v.value.get(e.offset..).map(|s| s.chars().take(8).collect::<String>()).unwrap_or_default();
                    let (line, col) = source.locate(&v.pos.node(), &needle);
                    out.push(r.finding(CHECK.id, v.pos, format!("{kind} {:?}: template error: {}", k.value, e.message)).at(line, col));
                }
            }
        }
    }
}
