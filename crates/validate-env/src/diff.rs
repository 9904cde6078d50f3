//! `validate-env diff A B`: keys missing, extra or empty on each side, in a
//! stable (sorted) order. Values never appear, so secrets stay out of it.

use std::collections::BTreeSet;

use shipshape_core::{Diagnostic, ExitCode, Printer, Report, Rule, Severity};

use crate::TOOL;
use crate::checks::syntax;
use crate::dialect::Dialect;
use crate::input::{self, Input, Place};

#[derive(Debug, Default, serde::Serialize, PartialEq, Eq)]
pub struct Differences {
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub empty_in_a: Vec<String>,
    pub empty_in_b: Vec<String>,
}

/// compose's nameless value is a line that does not parse (`invalid-key`
/// reports it), so it is in neither key set.
fn keys(input: &Input) -> BTreeSet<String> {
    input
        .values
        .iter()
        .filter(|v| !v.key.is_empty())
        .map(|v| v.key.clone())
        .collect()
}

/// Keys empty in `input` but set to something in `other`: empty on both
/// sides is not a difference.
fn empty(input: &Input, other: &Input) -> Vec<String> {
    let set: BTreeSet<String> = input
        .values
        .iter()
        .filter(|v| v.value.is_empty() && other.get(&v.key).is_some_and(|o| !o.value.is_empty()))
        .map(|v| v.key.clone())
        .collect();
    set.into_iter().collect()
}

pub fn compare(a: &Input, b: &Input) -> Differences {
    let (ka, kb) = (keys(a), keys(b));
    Differences {
        only_in_a: ka.difference(&kb).cloned().collect(),
        only_in_b: kb.difference(&ka).cloned().collect(),
        empty_in_a: empty(a, b),
        empty_in_b: empty(b, a),
    }
}

const ONLY_IN_A: Rule = Rule {
    id: "only-in-a",
    severity: Severity::Error,
    summary: "a key only the first file has",
    explanation: "add the key to the second file, or remove it from the first",
};
const ONLY_IN_B: Rule = Rule {
    id: "only-in-b",
    severity: Severity::Error,
    summary: "a key only the second file has",
    explanation: "add the key to the first file, or remove it from the second",
};
const EMPTY_IN_A: Rule = Rule {
    id: "empty-in-a",
    severity: Severity::Error,
    summary: "a key that is empty in the first file",
    explanation: "give the key a value in the first file",
};
const EMPTY_IN_B: Rule = Rule {
    id: "empty-in-b",
    severity: Severity::Error,
    summary: "a key that is empty in the second file",
    explanation: "give the key a value in the second file",
};

// What `validate-env diff` reports: the two files' syntax errors and their
// differences.
shipshape_core::rules! {
    static REGISTRY = [
        syntax::INVALID_KEY,
        syntax::NOT_AN_ASSIGNMENT,
        syntax::UNTERMINATED_QUOTE,
        syntax::TEXT_AFTER_QUOTE,
        syntax::INVALID_UTF8,
        ONLY_IN_A,
        ONLY_IN_B,
        EMPTY_IN_A,
        EMPTY_IN_B,
    ];
}

fn diagnostic(rule: &Rule, key: &str, message: String, at: Place) -> Diagnostic {
    let mut diag = Diagnostic::from_rule(rule, message).with_subject(key);
    if let Some(file) = at.file {
        diag = diag.at(file, at.line, at.column);
    }
    diag
}

pub fn run(printer: &Printer, a: &str, b: &str) -> anyhow::Result<ExitCode> {
    let mut docs = input::read_documents(&[a.to_owned(), b.to_owned()])?.into_iter();
    let (Some(da), Some(db)) = (docs.next(), docs.next()) else {
        return Ok(ExitCode::Runtime);
    };
    let ia = Input::from_documents(vec![da], Dialect::Compose);
    let ib = Input::from_documents(vec![db], Dialect::Compose);
    let d = compare(&ia, &ib);
    let mut report = Report::with_rules(TOOL, env!("CARGO_PKG_VERSION"), &REGISTRY);
    // Lines that do not parse are not in either key set: say so.
    for input in [&ia, &ib] {
        let mut syntax = crate::checks::Findings::default();
        crate::checks::syntax::check(
            &crate::checks::Ctx::new(input, None, &[], None, None, false),
            &mut syntax,
        );
        report.diagnostics.extend(syntax.list);
    }
    for key in &d.only_in_a {
        let message = format!("{key} is in {a} but not in {b}");
        report.push(diagnostic(&ONLY_IN_A, key, message, ia.key_place(key)));
    }
    for key in &d.only_in_b {
        let message = format!("{key} is in {b} but not in {a}");
        report.push(diagnostic(&ONLY_IN_B, key, message, ib.key_place(key)));
    }
    for key in &d.empty_in_a {
        let message = format!("{key} is empty in {a}");
        report.push(diagnostic(&EMPTY_IN_A, key, message, ia.key_place(key)));
    }
    for key in &d.empty_in_b {
        let message = format!("{key} is empty in {b}");
        report.push(diagnostic(&EMPTY_IN_B, key, message, ib.key_place(key)));
    }
    report.insert("a", a);
    report.insert("b", b);
    report.insert("differences", &d);
    printer.report(&report)?;
    Ok(report.exit_code())
}
