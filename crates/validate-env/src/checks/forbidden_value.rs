//! `forbidden-value`: a value on the variable's `forbidden` list or the
//! schema's global list of defaults (`postgres`, `admin`, `CHANGE_ME` …).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "forbidden-value",
    severity: Severity::Error,
    summary: "a value that is on a forbidden list (defaults, placeholders)",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let global = v
        .ctx
        .schema
        .map(|s| s.forbidden.as_slice())
        .unwrap_or_default();
    let own = v.var.rules.forbidden.as_deref().unwrap_or_default();
    let mut out = Vec::new();
    for item in v.items() {
        let hit = own
            .iter()
            .find(|f| **f == item)
            .or_else(|| global.iter().find(|f| f.eq_ignore_ascii_case(&item)));
        if let Some(f) = hit {
            let what = if v.secret {
                "a forbidden value".to_owned()
            } else {
                format!("the forbidden value {f:?}")
            };
            out.push(
                Finding::new(format!("{} holds {what}", v.var.name)).help(format!(
                    "set {} to a real value{}",
                    v.var.name,
                    v.var
                        .description
                        .as_ref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )),
            );
        }
    }
    out
}
