//! Where the variables come from: `.env` files (merged in order, later wins,
//! as docker compose merges several `env_file`s), stdin, or the process
//! environment; and how the chosen dialect reads them.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

use crate::dialect::{self, Dialect, Reading};
use crate::parse::{self, Document, Span};

/// One assignment as the chosen dialect reads it.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub doc: usize,
    /// The compose entry at the same place, when compose reads one there
    /// (python-dotenv also reads `'quoted'=names`, for instance).
    pub entry: Option<usize>,
    pub key: String,
    pub key_span: Span,
    pub value_span: Span,
    pub undefined: Vec<String>,
    pub errors: Vec<String>,
}

/// What each reader gets for one compose entry, for `portability`.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub doc: usize,
    pub entry: usize,
    /// compose, python-dotenv, Next.js (in [`Dialect::ALL`] order); `None`
    /// when that reader has no value there.
    pub readings: [Option<String>; 3],
}

/// A variable's final value and where it was set.
#[derive(Debug, Clone)]
pub struct Value {
    pub key: String,
    pub value: String,
    /// The occurrence that won (None for the process environment).
    pub occurrence: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Input {
    pub docs: Vec<Document>,
    pub occurrences: Vec<Occurrence>,
    pub comparisons: Vec<Comparison>,
    pub values: Vec<Value>,
    index: HashMap<String, usize>,
    pub from_env: bool,
}

/// Where a finding about a variable points.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
}

impl Input {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.index.get(key).map(|&i| &self.values[i])
    }

    pub fn set(&mut self, value: Value) {
        match self.index.get(&value.key) {
            Some(&i) => self.values[i] = value,
            None => {
                self.index.insert(value.key.clone(), self.values.len());
                self.values.push(value);
            }
        }
    }

    /// python-dotenv's `NAME` without `=` unsets what an earlier line set.
    pub fn unset(&mut self, key: &str) {
        if self.index.remove(key).is_some() {
            self.values.retain(|v| v.key != key);
            self.index = self
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| (v.key.clone(), i))
                .collect();
        }
    }

    fn place(&self, key: &str, span: fn(&Occurrence) -> Span) -> Place {
        match self.get(key).and_then(|v| v.occurrence) {
            Some(o) => {
                let occurrence = &self.occurrences[o];
                let span = span(occurrence);
                Place {
                    file: Some(self.docs[occurrence.doc].name.clone()),
                    line: span.line,
                    column: span.column,
                }
            }
            None => Place::default(),
        }
    }

    /// The position of a variable's value (or its file, or nothing).
    pub fn value_place(&self, key: &str) -> Place {
        self.place(key, |o| o.value_span)
    }

    pub fn key_place(&self, key: &str) -> Place {
        self.place(key, |o| o.key_span)
    }

    /// Read documents in order with `dialect`'s reading (a later file
    /// wins), and every reader's value of each compose entry.
    pub fn from_documents(docs: Vec<Document>, dialect: Dialect) -> Input {
        let mut input = Input {
            docs,
            ..Input::default()
        };
        let readings = Dialect::ALL.map(|dl| read_all(dl, &input.docs));
        input.comparisons = compare(&input.docs, &readings);
        let chosen = Dialect::ALL.iter().position(|d| *d == dialect).unwrap_or(0);
        for (d, doc_readings) in readings[chosen].iter().enumerate() {
            for reading in doc_readings {
                input.add(d, reading);
            }
        }
        input
    }

    fn add(&mut self, doc: usize, reading: &Reading) {
        let (key_span, value_span) = match reading.entry {
            Some(e) => {
                let entry = &self.docs[doc].entries[e];
                (entry.key_span, entry.value_span)
            }
            None => {
                let (line, column) = self.docs[doc].position(reading.offset);
                let span = Span {
                    start: reading.offset,
                    end: reading.offset + reading.key.len(),
                    line,
                    column,
                };
                (span, span)
            }
        };
        let (undefined, errors) = reading
            .value
            .as_ref()
            .map(|v| (v.undefined.clone(), v.errors.clone()))
            .unwrap_or_default();
        self.occurrences.push(Occurrence {
            doc,
            entry: reading.entry,
            key: reading.key.clone(),
            key_span,
            value_span,
            undefined,
            errors,
        });
        match &reading.value {
            Some(v) => self.set(Value {
                key: reading.key.clone(),
                value: v.value.clone(),
                occurrence: Some(self.occurrences.len() - 1),
            }),
            None => self.unset(&reading.key),
        }
    }

    /// The process environment (the container / GitHub Actions case).
    pub fn from_process_env() -> Input {
        let mut input = Input {
            from_env: true,
            ..Input::default()
        };
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        vars.sort();
        for (key, value) in vars {
            input.set(Value {
                key,
                value,
                occurrence: None,
            });
        }
        input
    }
}

/// One dialect's readings of each document, each seeing the values of the
/// documents before it.
fn read_all(dialect: Dialect, docs: &[Document]) -> Vec<Vec<Reading>> {
    let mut merged: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let readings = dialect::read_document(dialect, doc, &|n| merged.get(n).cloned());
        for r in &readings {
            match &r.value {
                Some(v) => merged.insert(r.key.clone(), v.value.clone()),
                None => merged.remove(&r.key),
            };
        }
        out.push(readings);
    }
    out
}

fn compare(docs: &[Document], readings: &[Vec<Vec<Reading>>; 3]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        // Per dialect: compose entry -> its (last) reading there.
        let by_entry = readings.each_ref().map(|dialect| {
            dialect[d]
                .iter()
                .filter_map(|r| Some((r.entry?, r.value.as_ref().map(|v| v.value.clone()))))
                .collect::<HashMap<usize, Option<String>>>()
        });
        for e in 0..doc.entries.len() {
            out.push(Comparison {
                doc: d,
                entry: e,
                readings: by_entry.each_ref().map(|m| m.get(&e).cloned().flatten()),
            });
        }
    }
    out
}

/// Read and parse the named files (`-` is stdin).
pub fn read_documents(paths: &[String]) -> anyhow::Result<Vec<Document>> {
    let mut docs = Vec::new();
    let mut stdin_used = false;
    for path in paths {
        if path == "-" {
            if stdin_used {
                return Err(
                    shipshape_core::UsageError::new("stdin ('-') can be read only once").into(),
                );
            }
            stdin_used = true;
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            docs.push(parse::parse_bytes("<stdin>", &bytes));
        } else {
            // A path that does not exist is a usage error (2); a file that
            // exists but cannot be read is a runtime failure (3).
            let bytes = fs_err::read(Path::new(path)).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    anyhow::Error::new(shipshape_core::UsageError::new(format!(
                        "{e}; check the path, or use --from-env to validate the process environment"
                    )))
                } else {
                    anyhow::Error::new(e)
                }
            })?;
            docs.push(parse::parse_bytes(path, &bytes));
        }
    }
    Ok(docs)
}

/// The environment profile a file name implies: `.env.production`,
/// `.env.staging.example`, `production.env`.
pub fn env_from_file_name(path: &str) -> Option<String> {
    let name = Path::new(path).file_name()?.to_str()?;
    if name.starts_with('<') {
        return None;
    }
    let parts: Vec<&str> = name
        .split('.')
        .filter(|p| {
            !p.is_empty()
                && !matches!(
                    *p,
                    "env" | "example" | "sample" | "template" | "dist" | "local"
                )
        })
        .collect();
    match parts.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_from_files() {
        assert_eq!(
            env_from_file_name(".env.production").as_deref(),
            Some("production")
        );
        assert_eq!(
            env_from_file_name("x/.env.staging.example").as_deref(),
            Some("staging")
        );
        assert_eq!(
            env_from_file_name("production.env").as_deref(),
            Some("production")
        );
        assert_eq!(env_from_file_name(".env"), None);
        assert_eq!(env_from_file_name("<stdin>"), None);
    }

    #[test]
    fn later_files_win_and_interpolate_earlier_values() {
        let a = parse::parse("a", "A=1\nB=x\n");
        let b = parse::parse("b", "B=${A}2\n");
        let input = Input::from_documents(vec![a, b], Dialect::Compose);
        assert_eq!(input.get("B").map(|v| v.value.as_str()), Some("12"));
    }
}
