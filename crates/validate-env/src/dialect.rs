//! How each reader turns an entry's raw text into a value: docker compose
//! (the default, it deploys the file), python-dotenv (pydantic-settings in
//! the backend) and @next/env (dotenv + dotenv-expand, the Next.js build).

use serde::{Deserialize, Serialize};

use crate::expand::{self, Expansion};
use crate::parse::{Entry, Quote};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// docker compose (compose-go's dotenv parser)
    #[default]
    Compose,
    /// python-dotenv (pydantic-settings, uvicorn --env-file)
    PythonDotenv,
    /// @next/env: dotenv plus dotenv-expand (Next.js)
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

/// An entry as one dialect reads it. `None`: this reader does not see a
/// value at all (python-dotenv and `KEY: value`).
pub fn read(
    dialect: Dialect,
    entry: &Entry,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<Expansion> {
    match dialect {
        Dialect::Compose => Some(compose(entry, lookup)),
        Dialect::PythonDotenv => python(entry, lookup),
        Dialect::Nextjs => Some(nextjs(entry, lookup)),
    }
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
                let mut digits = String::new();
                while digits.len() < 3 {
                    match chars.peek() {
                        Some(d @ '0'..='7') => {
                            digits.push(*d);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                let code = u32::from_str_radix(if digits.is_empty() { "0" } else { &digits }, 8)
                    .ok()
                    .and_then(char::from_u32);
                match code {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\0");
                        out.push_str(&digits);
                    }
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// The opening-quote-delimited part of `raw` for a reader whose quoted
/// values end at the first quote not preceded by a backslash. Returns the
/// inner text and what follows the closing quote.
fn quoted_part(raw: &str, quote: char) -> Option<(&str, &str)> {
    let body = raw.strip_prefix(quote)?;
    let mut prev_backslash = false;
    for (i, c) in body.char_indices() {
        if c == quote && !prev_backslash {
            return Some((&body[..i], &body[i + 1..]));
        }
        prev_backslash = c == '\\' && !prev_backslash;
    }
    None
}

fn python(entry: &Entry, lookup: &dyn Fn(&str) -> Option<String>) -> Option<Expansion> {
    if entry.separator != '=' {
        return None;
    }
    let raw = entry.rest_raw.as_str();
    let first_line = raw.split('\n').next().unwrap_or("");
    if let Some((inner, _)) = raw.strip_prefix('\'').and(quoted_part(raw, '\'')) {
        let value = inner.replace("\\'", "'").replace("\\\\", "\\");
        return Some(Expansion {
            value,
            ..Expansion::default()
        });
    }
    if let Some((inner, _)) = raw.strip_prefix('"').and(quoted_part(raw, '"')) {
        return Some(expand::python(&python_escapes(inner), lookup));
    }
    // Unquoted: the rest of the line, cut at whitespace followed by '#'.
    let line = first_line.trim_end_matches('\r');
    let mut cut = line.len();
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'#' && (bytes[i - 1] as char).is_ascii_whitespace() {
            cut = i;
            break;
        }
    }
    let value = line[..cut].trim_end();
    Some(expand::python(value, lookup))
}

/// python-dotenv decodes `\\ \' \" \a \b \f \n \r \t \v` in double quotes.
fn python_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.peek() {
            Some('\\') => '\\',
            Some('\'') => '\'',
            Some('"') => '"',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\u{b}',
            _ => {
                out.push('\\');
                continue;
            }
        };
        chars.next();
        out.push(decoded);
    }
    out
}

fn nextjs(entry: &Entry, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
    let raw = entry.rest_raw.as_str();
    for quote in ['\'', '"', '`'] {
        if let Some((inner, _)) = raw.strip_prefix(quote).and(quoted_part_plain(raw, quote)) {
            let value = if quote == '"' {
                inner.replace("\\n", "\n").replace("\\r", "\r")
            } else {
                inner.to_owned()
            };
            return expand::nextjs(&value, lookup);
        }
    }
    // Unquoted: everything up to the first '#', trimmed.
    let line = raw.split('\n').next().unwrap_or("");
    let value = line.split('#').next().unwrap_or("").trim();
    expand::nextjs(value, lookup)
}

/// dotenv (npm) ends a quoted value at the first quote not directly
/// preceded by a backslash (its pattern is `"(?:\\"|[^"])*"`), keeping the
/// escapes.
fn quoted_part_plain(raw: &str, quote: char) -> Option<(&str, &str)> {
    let body = raw.strip_prefix(quote)?;
    let mut prev = None;
    for (i, c) in body.char_indices() {
        if c == quote && prev != Some('\\') {
            return Some((&body[..i], &body[i + 1..]));
        }
        prev = Some(c);
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::parse;

    fn readings(line: &str) -> [Option<String>; 3] {
        let doc = parse("t", line);
        let entry = &doc.entries[0];
        let lookup = |n: &str| (n == "A").then(|| "a".to_owned());
        Dialect::ALL.map(|d| read(d, entry, &lookup).map(|e| e.value))
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
    }

    #[test]
    fn compose_escapes_decode_the_documented_set() {
        assert_eq!(compose_escapes(r"a\nb\\c\$d\q\0101"), "a\nb\\c$$d\\qA");
    }
}
