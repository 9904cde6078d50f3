//! Where the variables come from: `.env` files (merged in order, later wins,
//! as docker compose merges several `env_file`s), stdin, or the process
//! environment; and how the chosen dialect reads them.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

use crate::dialect::{self, Dialect};
use crate::parse::{self, Document};

/// One assignment as read, with every dialect's reading.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub doc: usize,
    pub entry: usize,
    /// compose, python-dotenv, Next.js (in [`Dialect::ALL`] order).
    pub readings: [Option<String>; 3],
    /// From the chosen dialect's reading.
    pub undefined: Vec<String>,
    pub errors: Vec<String>,
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

    pub fn entry(&self, occurrence: usize) -> (&Document, &parse::Entry) {
        let o = &self.occurrences[occurrence];
        let doc = &self.docs[o.doc];
        (doc, &doc.entries[o.entry])
    }

    /// The position of a variable's value (or its file, or nothing).
    pub fn value_place(&self, key: &str) -> Place {
        match self.get(key).and_then(|v| v.occurrence) {
            Some(o) => {
                let (doc, entry) = self.entry(o);
                Place {
                    file: Some(doc.name.clone()),
                    line: entry.value_span.line,
                    column: entry.value_span.column,
                }
            }
            None => Place::default(),
        }
    }

    pub fn key_place(&self, key: &str) -> Place {
        match self.get(key).and_then(|v| v.occurrence) {
            Some(o) => {
                let (doc, entry) = self.entry(o);
                Place {
                    file: Some(doc.name.clone()),
                    line: entry.key_span.line,
                    column: entry.key_span.column,
                }
            }
            None => Place::default(),
        }
    }

    /// Parse and merge documents in order with `dialect`'s reading.
    pub fn from_documents(docs: Vec<Document>, dialect: Dialect) -> Input {
        let mut input = Input {
            docs,
            ..Input::default()
        };
        for d in 0..input.docs.len() {
            for e in 0..input.docs[d].entries.len() {
                let (readings, undefined, errors) = {
                    let entry = &input.docs[d].entries[e];
                    let lookup = |name: &str| input.get(name).map(|v| v.value.clone());
                    let mut undefined = Vec::new();
                    let mut errors = Vec::new();
                    let readings = Dialect::ALL.map(|dl| {
                        let reading = dialect::read(dl, entry, &lookup);
                        if dl == dialect
                            && let Some(r) = &reading
                        {
                            undefined.clone_from(&r.undefined);
                            errors.clone_from(&r.errors);
                        }
                        reading.map(|r| r.value)
                    });
                    (readings, undefined, errors)
                };
                let chosen = Dialect::ALL
                    .iter()
                    .position(|d| *d == dialect)
                    .and_then(|i| readings[i].clone());
                let key = input.docs[d].entries[e].key.clone();
                input.occurrences.push(Occurrence {
                    doc: d,
                    entry: e,
                    readings,
                    undefined,
                    errors,
                });
                if let Some(value) = chosen {
                    let occurrence = Some(input.occurrences.len() - 1);
                    input.set(Value {
                        key,
                        value,
                        occurrence,
                    });
                }
            }
        }
        input
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
