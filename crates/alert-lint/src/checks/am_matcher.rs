//! `am-matcher`: route and inhibit matchers parse, and their regexes compile.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "am-matcher",
    severity: Severity::Error,
    summary: "A `matchers` entry (or legacy `match`/`match_re`) that does not parse or has an invalid regex.",
    explanation: "Matchers are written `label=\"value\"` with one of =, !=, =~, !~ (several may be combined as `{a=\"b\", c=~\"d|e\"}`); regexes are RE2 and fully anchored. Alertmanager refuses the config when one does not parse.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        for bad in &am.bad_matchers {
            out.push(Finding::new(CHECK.id, am.file, bad.pos, bad.message.clone()).help("write matchers as label=\"value\", label!=\"value\", label=~\"regex\" or label!~\"regex\""));
        }
    }
}
