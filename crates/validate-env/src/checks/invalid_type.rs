//! `invalid-type`: a value that is not of the declared type. Types are
//! checked on the value as the dialect reads it, so `PORT="8080"` is an
//! integer (dotenv-linter checks the raw text and says it is not).

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};
use crate::schema::Type;
use crate::values;

pub const RULE: Rule = Rule {
    id: "invalid-type",
    severity: Severity::Error,
    summary: "a value that is not of the declared type",
    explanation: "",
};

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let kind = v.var.kind();
    if kind == Type::List {
        let items = match values::list(v.value, v.var.rules.separator.as_deref()) {
            Ok(items) => items,
            Err(e) => return vec![Finding::new(format!("{} = {}: {e}", v.var.name, v.shown()))],
        };
        let item_kind = v.var.rules.items.unwrap_or(Type::String);
        return items
            .iter()
            .filter_map(|item| {
                values::scalar(item_kind, item).err().map(|e| {
                    Finding::new(format!("{}: item {} is {e}", v.var.name, v.show_item(item)))
                })
            })
            .collect();
    }
    match values::scalar(kind, v.value) {
        Ok(_) => Vec::new(),
        Err(e) => vec![
            Finding::new(format!("{} = {} is {e}", v.var.name, v.shown())).help(format!(
                "{} must be of type {}",
                v.var.name,
                kind.name()
            )),
        ],
    }
}
