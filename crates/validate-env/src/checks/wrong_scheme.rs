//! `wrong-scheme`: a URL (or list item) whose scheme is not in `schemes`
//! (e.g. http where production requires https).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "wrong-scheme",
    severity: Severity::Error,
    summary: "a URL whose scheme is not allowed",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let Some(schemes) = &v.var.rules.schemes else {
        return Vec::new();
    };
    let env = v.env();
    v.items()
        .iter()
        .filter_map(|item| {
            let scheme = item.split_once("://").map_or("", |(s, _)| s);
            if schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
                return None;
            }
            Some(
                Finding::new(format!(
                    "{} = {} uses {} but {} requires {}",
                    v.var.name,
                    v.show_item(item),
                    if scheme.is_empty() {
                        "no scheme".to_owned()
                    } else {
                        format!("{scheme}://")
                    },
                    if env.is_empty() { "the schema" } else { env },
                    schemes
                        .iter()
                        .map(|s| format!("{s}://"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ))
                .help(format!("use a {} URL", schemes.join("/"))),
            )
        })
        .collect()
}
