//! `portability`: the same file is read by docker compose, by python-dotenv
//! (pydantic-settings in the backend) and by @next/env at build time. Where
//! they read a value differently, say what each gets (secrets masked).

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, at};
use crate::dialect::Dialect;
use crate::input::Place;
use crate::parse::{Entry, Quote};

pub const RULE: Rule = Rule {
    id: "portability",
    severity: Severity::Warning,
    summary: "docker compose, python-dotenv and Next.js read a value differently",
    explanation: "",
};

fn why(entry: &Entry, python: Option<&String>) -> &'static str {
    let (raw, quote) = (entry.rest_raw.as_str(), entry.quote);
    let lone_cr = raw
        .match_indices('\r')
        .any(|(i, _)| !raw[i + 1..].starts_with('\n') && i + 1 < raw.trim_end().len());
    if lone_cr {
        return "a lone carriage return ends the line for python-dotenv and Next.js, not for docker compose; save the file with LF (or CRLF) line ends";
    }
    if python.is_none() && entry.separator == ':' {
        return "python-dotenv skips a KEY: value line; write KEY=value";
    }
    if python.is_none() {
        return "python-dotenv cannot parse this line and skips it (text after the closing quote); put everything inside the quotes";
    }
    if raw.starts_with('#') {
        return "python-dotenv (1.2.4) and Next.js read '#' after white space as a comment (an empty value), docker compose reads it as the value; quote the value";
    }
    let dollar_digit = raw
        .match_indices('$')
        .any(|(i, _)| raw[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
    if raw.contains(":-") {
        "Next.js (@next/env) takes a non-empty default even when the variable is set in the same file"
    } else if raw.contains("${") && (raw.contains('-') || raw.contains('+') || raw.contains('?')) {
        "python-dotenv and Next.js only know ${VAR} and ${VAR:-default}"
    } else if raw.contains("$$") {
        "$$ is a literal $ for docker compose, stays $$ for python-dotenv, and expands again (to nothing) for Next.js"
    } else if raw.contains("${") && quote == Quote::Single {
        "python-dotenv and Next.js expand ${VAR} even in single quotes; docker compose does not"
    } else if raw.contains('$') && quote == Quote::Single {
        "Next.js (dotenv-expand) expands $ even in single quotes; write \\$ for a literal dollar there"
    } else if dollar_digit {
        "Next.js expands $1…$9 as variables (empty); docker compose and python-dotenv keep them"
    } else if raw.contains('$') {
        "'$' starts an interpolation for docker compose and Next.js but not for python-dotenv; write $$ (compose) or use single quotes"
    } else if raw.contains("\t#") {
        "python-dotenv and Next.js start a comment at a tab before '#', docker compose only at ' #'"
    } else if raw.contains('#') {
        "Next.js (dotenv) ends an unquoted value at any '#'; quote the value"
    } else if raw.contains('\\') {
        "the readers decode different backslash escapes (Next.js only \\n and \\r); avoid escapes or use single quotes"
    } else {
        "quote the value so every reader agrees"
    }
}

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    for doc in &ctx.input.docs {
        if doc.bom
            && let Some(first) = doc.entries.first()
        {
            let place = Place {
                file: Some(doc.name.clone()),
                line: 1,
                column: 1,
            };
            out.push(
                &RULE,
                Some(&first.key),
                format!(
                    "the file starts with a byte-order mark: docker compose, python-dotenv 1.x and Next.js skip it, but a shell that sources the file (and python-dotenv before 1.0) reads the first name as \"\\u{{feff}}{}\"",
                    first.key
                ),
                &place,
                Some("save the file as UTF-8 without BOM".to_owned()),
            );
        }
    }
    for comparison in &ctx.input.comparisons {
        let [compose, python, next] = &comparison.readings;
        if compose == python && compose == next {
            continue;
        }
        let doc = &ctx.input.docs[comparison.doc];
        let entry = &doc.entries[comparison.entry];
        let show = |reading: &Option<String>| match reading {
            Some(v) => ctx.show(&entry.key, v),
            None => "(no value)".to_owned(),
        };
        let readings = Dialect::ALL
            .iter()
            .zip([compose, python, next])
            .map(|(d, r)| format!("{}: {}", d.name(), show(r)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            &RULE,
            Some(&entry.key),
            format!("{} reads differently: {readings}", entry.key),
            &at(doc, entry.value_span),
            Some(why(entry, python.as_ref()).to_owned()),
        );
    }
}
