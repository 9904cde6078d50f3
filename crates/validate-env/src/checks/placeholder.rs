//! `placeholder`: a value that still holds an example placeholder
//! (`CHANGE_ME`, `your_..._here`, `replace-with-...`, `xxx`, example.com …).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "placeholder",
    severity: Severity::Error,
    summary: "a value that is an unreplaced placeholder",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(token) = crate::secrets::placeholder(v.value) else {
        return Vec::new();
    };
    // The token is dictionary text, but in a secret it is still part of the
    // value: name it only for non-secrets.
    let what = if v.secret {
        "a placeholder".to_owned()
    } else {
        format!("the placeholder {token:?}")
    };
    let mut help = format!("replace it with the real {}", v.var.name);
    if let Some(d) = &v.var.description {
        help = format!("replace it: {d}");
    }
    vec![Finding::new(format!("{} still contains {what}", v.var.name)).help(help)]
}
