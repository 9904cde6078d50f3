//! `validate-env diff A B`: keys missing, extra or empty on each side, in a
//! stable (sorted) order. Values never appear, so secrets stay out of it.

use std::collections::BTreeSet;

use shipshape_core::{Diagnostic, ExitCode, Printer, Report};

use crate::TOOL;
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

fn diagnostic(code: &str, key: &str, message: String, at: Place) -> Diagnostic {
    let mut diag = Diagnostic::error(code, message).with_subject(key);
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
    let mut report = Report::new(TOOL, env!("CARGO_PKG_VERSION"));
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
        report.push(diagnostic("only-in-a", key, message, ia.key_place(key)));
    }
    for key in &d.only_in_b {
        let message = format!("{key} is in {b} but not in {a}");
        report.push(diagnostic("only-in-b", key, message, ib.key_place(key)));
    }
    for key in &d.empty_in_a {
        let message = format!("{key} is empty in {a}");
        report.push(diagnostic("empty-in-a", key, message, ia.key_place(key)));
    }
    for key in &d.empty_in_b {
        let message = format!("{key} is empty in {b}");
        report.push(diagnostic("empty-in-b", key, message, ib.key_place(key)));
    }
    report.describe_rule("only-in-a", "a key only the first file has", None);
    report.describe_rule("only-in-b", "a key only the second file has", None);
    report.describe_rule("empty-in-a", "a key that is empty in the first file", None);
    report.describe_rule("empty-in-b", "a key that is empty in the second file", None);
    report.insert("a", a);
    report.insert("b", b);
    report.insert("differences", &d);
    printer.report(&report)?;
    Ok(report.exit_code())
}
