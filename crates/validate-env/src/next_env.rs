//! @next/env's reading of a whole file: the dotenv parser it bundles (one
//! multi-line regular expression run over the text, after `\r\n` and a lone
//! `\r` became `\n`) and then dotenv-expand over the parsed object in its
//! key order (version 16.5.0, pinned in scripts/deps/validate-env.sh).
//!
//! The pattern is dotenv's, with JavaScript's character classes spelled
//! out: `regex` picks the same match a backtracking engine does (leftmost
//! first), so it finds what JavaScript finds. Not modelled: U+2028 and
//! U+2029, which JavaScript's `^`, `$` and `.` treat as line breaks.

use std::sync::LazyLock;

use regex::Regex;

use crate::line_breaks::Translated;

/// One statement dotenv reads, before expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub key: String,
    /// Byte offset of the name in the original text.
    pub offset: usize,
    pub value: String,
}

/// JavaScript's `\s`.
const SPACE: &str = r"[\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]";

static LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let pattern = [
        r"(?m)^\s*(?:export\s+)?([A-Za-z0-9_.\-]+)(?:\s*=\s*?|:\s+?)",
        r#"(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?"#,
        r"\s*(?:#[^\n\r\x{2028}\x{2029}]*)?$",
    ]
    .concat()
    .replace(r"\s", SPACE);
    Regex::new(&pattern).ok()
});

/// JavaScript's white space (`\s`, `trim`): Unicode's, less U+0085, plus
/// U+FEFF.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Every assignment dotenv reads, in file order (a name may repeat; the
/// last one wins).
pub fn statements(text: &str) -> Vec<Statement> {
    let Some(line) = LINE.as_ref() else {
        return Vec::new();
    };
    let translated = Translated::new(text, 0);
    line.captures_iter(&translated.text)
        .filter_map(|caps| {
            let key = caps.get(1)?;
            let raw = caps.get(2).map_or("", |m| m.as_str());
            let offset = translated.original_offset(key.start());
            Some(Statement {
                key: key.as_str().to_owned(),
                offset,
                value: value(raw),
            })
        })
        .collect()
}

/// dotenv's value: trimmed, one pair of surrounding quotes removed, and
/// `\n`, `\r` decoded when it started with a double quote.
fn value(raw: &str) -> String {
    let trimmed = raw.trim_matches(is_js_space);
    let first = trimmed.chars().next();
    let mut value = match first {
        Some(q @ ('\'' | '"' | '`')) if trimmed.len() >= 2 && trimmed.ends_with(q) => {
            trimmed[1..trimmed.len() - 1].to_owned()
        }
        _ => trimmed.to_owned(),
    };
    if first == Some('"') {
        value = value.replace("\\n", "\n").replace("\\r", "\r");
    }
    value
}

/// The order in which a JavaScript object lists its keys: integer-like
/// keys first, ascending, then the others in insertion order. dotenv-expand
/// expands in this order, so it decides which references are already
/// expanded.
pub fn key_order(keys: &[String]) -> Vec<usize> {
    let index = |k: &str| -> Option<u32> {
        let canonical = k == "0" || (!k.starts_with('0') && k.bytes().all(|b| b.is_ascii_digit()));
        if !canonical || k.is_empty() {
            return None;
        }
        k.parse::<u32>().ok().filter(|&n| n != u32::MAX)
    };
    let mut numeric: Vec<(u32, usize)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| index(k).map(|n| (n, i)))
        .collect();
    numeric.sort_unstable();
    let mut order: Vec<usize> = numeric.into_iter().map(|(_, i)| i).collect();
    order.extend((0..keys.len()).filter(|&i| index(&keys[i]).is_none()));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, String)> {
        statements(text)
            .into_iter()
            .map(|s| (s.key, s.value))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn lines_and_quotes() {
        assert_eq!(read("A=1\rB=2\r"), [pair("A", "1"), pair("B", "2")]);
        assert_eq!(read("A=a#b\nB='x' # c\n"), [pair("A", "a"), pair("B", "x")]);
        assert_eq!(read("A=\"abc\"def\n"), [pair("A", "\"abc\"def")]);
        assert_eq!(
            read("A=\"a\\nb\"\nB: v\n"),
            [pair("A", "a\nb"), pair("B", "v")]
        );
        assert_eq!(read("'a'=b\n=c\n"), []);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "A=1\r\nBB=2\n";
        let offsets: Vec<usize> = statements(text).iter().map(|s| s.offset).collect();
        assert_eq!(offsets, [0, 5]);
    }

    #[test]
    fn integer_keys_come_first() {
        let keys = ["B", "10", "A", "2", "02"].map(str::to_owned);
        assert_eq!(key_order(&keys), [3, 1, 0, 2, 4]);
    }
}
