//! How each reader reads a file: docker compose (the default, it deploys
//! the file), python-dotenv (pydantic-settings in the backend) and
//! @next/env (dotenv + dotenv-expand, the Next.js build). Each has its own
//! grammar, so python-dotenv and @next/env read the whole text again rather
//! than compose's entries; a reading is tied to the compose entry at the
//! same place, when there is one, for positions and `portability`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::expand::{self, Expansion};
use crate::parse::{Document, Entry, Quote};
use crate::{next_env, python_dotenv};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// docker compose (compose-go v2.13's dotenv parser)
    #[default]
    Compose,
    /// python-dotenv 1.2.4 (pydantic-settings, uvicorn --env-file)
    PythonDotenv,
    /// @next/env 16.5: dotenv plus dotenv-expand (Next.js)
    Nextjs,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Compose, Dialect::PythonDotenv, Dialect::Nextjs];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Compose => "docker compose",
            Dialect::PythonDotenv => "python-dotenv",
            Dialect::Nextjs => "Next.js",
        }
    }
}

/// One statement as one dialect reads it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub key: String,
    /// Byte offset of the name in the document's text.
    pub offset: usize,
    /// The compose entry at the same place with the same name, if any.
    pub entry: Option<usize>,
    /// `None`: python-dotenv's name without `=` (it unsets the variable).
    pub value: Option<Expansion>,
}

/// Every statement of `doc` as `dialect` reads it, in file order.
/// `earlier` gives the values of the files read before this one.
pub fn read_document(
    dialect: Dialect,
    doc: &Document,
    earlier: &dyn Fn(&str) -> Option<String>,
) -> Vec<Reading> {
    match dialect {
        Dialect::Compose => compose_document(doc, earlier),
        Dialect::PythonDotenv => python_document(doc, earlier),
        Dialect::Nextjs => next_document(doc, earlier),
    }
}

/// Index of the compose entry named `key` whose name starts at `offset`.
fn entry_index(doc: &Document) -> HashMap<(usize, &str), usize> {
    doc.entries
        .iter()
        .enumerate()
        .map(|(i, e)| ((e.key_span.start, e.key.as_str()), i))
        .collect()
}

fn compose_document(doc: &Document, earlier: &dyn Fn(&str) -> Option<String>) -> Vec<Reading> {
    let mut statements: Vec<(Option<usize>, &Entry)> = doc
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (Some(i), e))
        .chain(doc.nameless.iter().map(|e| (None, e)))
        .collect();
    statements.sort_by_key(|(_, e)| e.key_span.start);
    let mut local: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(statements.len());
    for (index, entry) in statements {
        let lookup = |n: &str| local.get(n).cloned().or_else(|| earlier(n));
        let value = compose(entry, &lookup);
        local.insert(entry.key.clone(), value.value.clone());
        out.push(Reading {
            key: entry.key.clone(),
            offset: entry.key_span.start,
            entry: index,
            value: Some(value),
        });
    }
    out
}

fn python_document(doc: &Document, earlier: &dyn Fn(&str) -> Option<String>) -> Vec<Reading> {
    let entries = entry_index(doc);
    // A name without `=` is None in python-dotenv: `${NAME}` and
    // `${NAME:-d}` both read it as empty.
    let mut local: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for statement in python_dotenv::statements(&doc.text) {
        let lookup = |n: &str| local.get(n).cloned().or_else(|| earlier(n));
        let value = statement
            .value
            .as_deref()
            .map(|raw| expand::python(raw, &lookup));
        local.insert(
            statement.key.clone(),
            value.as_ref().map(|v| v.value.clone()).unwrap_or_default(),
        );
        out.push(Reading {
            entry: entries
                .get(&(statement.offset, statement.key.as_str()))
                .copied(),
            key: statement.key,
            offset: statement.offset,
            value,
        });
    }
    out
}

/// dotenv parses the whole file into an object first; dotenv-expand then
/// expands it key by key in the object's order, each value seeing the
/// already expanded values of the keys before it and the raw ones after.
fn next_document(doc: &Document, earlier: &dyn Fn(&str) -> Option<String>) -> Vec<Reading> {
    let entries = entry_index(doc);
    let statements = next_env::statements(&doc.text);
    let mut keys: Vec<String> = Vec::new();
    let mut parsed: HashMap<String, String> = HashMap::new();
    for s in &statements {
        if !parsed.contains_key(&s.key) {
            keys.push(s.key.clone());
        }
        parsed.insert(s.key.clone(), s.value.clone());
    }
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in statements.iter().enumerate() {
        by_key.entry(s.key.as_str()).or_default().push(i);
    }
    let mut values: Vec<Option<Expansion>> = vec![None; statements.len()];
    for k in next_env::key_order(&keys) {
        let key = &keys[k];
        let indices = by_key.get(key.as_str()).map_or(&[][..], Vec::as_slice);
        for &i in indices {
            let lookup = |n: &str| parsed.get(n).cloned();
            values[i] = Some(expand::nextjs(&statements[i].value, earlier, &lookup));
        }
        // The last assignment of a name is the one dotenv kept.
        if let Some(last) = indices.last().and_then(|&i| values[i].as_ref()) {
            parsed.insert(key.clone(), last.value.clone());
        }
    }
    // The stack overflow is caught by @next/env, which then loads nothing
    // from this file.
    if values.iter().flatten().any(|v| v.runaway) {
        return Vec::new();
    }
    statements
        .into_iter()
        .zip(values)
        .map(|(s, value)| Reading {
            entry: entries.get(&(s.offset, s.key.as_str())).copied(),
            key: s.key,
            offset: s.offset,
            value,
        })
        .collect()
}

fn compose(entry: &Entry, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
    match entry.quote {
        Quote::Single => Expansion {
            value: entry.content.clone(),
            ..Expansion::default()
        },
        Quote::Double => expand::compose(&compose_escapes(&entry.content), lookup),
        Quote::None => expand::compose(&entry.content, lookup),
    }
}

/// compose's escapes in double quotes: `\a \b \f \n \r \t \v \\ \"`, octal
/// `\0NNN`, and `\$` (a literal dollar, written back as `$$` for the
/// interpolation step). Anything else keeps its backslash.
pub fn compose_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(e @ ('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"' | '$')) => {
                chars.next();
                out.push_str(match e {
                    'a' => "\u{7}",
                    'b' => "\u{8}",
                    'f' => "\u{c}",
                    'n' => "\n",
                    'r' => "\r",
                    't' => "\t",
                    'v' => "\u{b}",
                    '\\' => "\\",
                    '"' => "\"",
                    _ => "$$",
                });
            }
            Some('0') => {
                chars.next();
                out.push_str(&octal(&mut chars));
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// compose's `\0` escape: up to three digits after it; exactly three
/// octal digits worth at most 255 make one character, anything else stays
/// as written (Go's `UnquoteChar` refuses it).
fn octal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut digits = String::new();
    while digits.len() < 3 {
        match chars.peek() {
            Some(d) if d.is_ascii_digit() => {
                digits.push(*d);
                chars.next();
            }
            _ => break,
        }
    }
    let decoded = (digits.len() == 3)
        .then(|| u32::from_str_radix(&digits, 8).ok())
        .flatten()
        .filter(|&v| v <= 255)
        .and_then(char::from_u32);
    match decoded {
        Some(c) => c.to_string(),
        None => format!("\\0{digits}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::parse;

    fn readings(text: &str) -> [Option<String>; 3] {
        let doc = parse("t", text);
        let lookup = |n: &str| (n == "A").then(|| "a".to_owned());
        Dialect::ALL.map(|d| {
            read_document(d, &doc, &lookup)
                .into_iter()
                .rfind(|r| r.key == "P")
                .and_then(|r| r.value)
                .map(|e| e.value)
        })
    }

    #[test]
    fn readers_disagree_where_documented() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(readings("P=pa$word"), [s("pa"), s("pa$word"), s("pa")]);
        assert_eq!(readings("P=a#b"), [s("a#b"), s("a#b"), s("a")]);
        assert_eq!(readings("P=a\t#b"), [s("a\t#b"), s("a"), s("a")]);
        assert_eq!(readings("P=${X:-d}"), [s("d"), s("d"), s("d")]);
        assert_eq!(readings("P=${X-d}"), [s("d"), s(""), s("-d}")]);
        assert_eq!(readings("P='$A'"), [s("$A"), s("$A"), s("a")]);
        assert_eq!(readings("P=\"x\\ty\""), [s("x\ty"), s("x\ty"), s("x\\ty")]);
        assert_eq!(readings("P: v"), [s("v"), None, s("v")]);
        assert_eq!(
            readings("P='${A} $A $$'"),
            [s("${A} $A $$"), s("a $A $$"), s("${A} $A $$")]
        );
        assert_eq!(readings("P=1\rQ=2\r"), [s("1\rQ=2"), s("1"), s("1")]);
        assert_eq!(
            readings("P=\"abc\"def\n"),
            [s("abc"), None, s("\"abc\"def")]
        );
        assert_eq!(readings("P=${Q}\nQ=q\n"), [s(""), s(""), s("q")]);
    }

    #[test]
    fn compose_escapes_decode_the_documented_set() {
        assert_eq!(compose_escapes(r"a\nb\\c\$d\q\0101"), "a\nb\\c$$d\\qA");
        assert_eq!(
            compose_escapes(r"\0|\01|\0400|\01234|\089"),
            r"\0|\01|\0400|S4|\089"
        );
    }
}
