//! python-dotenv's reading of a whole file, statement by statement, as its
//! parser does it (version 1.2.4, pinned in scripts/deps/validate-env.sh).
//!
//! It is a different grammar from compose's, so it cannot be a re-reading of
//! compose's entries: python-dotenv opens files with universal newlines (a
//! lone `\r` ends a line, `\r\n` in a quoted value reads as `\n`), accepts
//! `'quoted'` names and names with `%`, `[`, `$`…, and skips a statement it
//! cannot parse from the point where it failed to the end of that line.

use crate::line_breaks::Translated;

/// One statement python-dotenv reads, before interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub key: String,
    /// Byte offset of the name (or its opening quote) in the original text.
    pub offset: usize,
    /// `None`: a name without `=` (python-dotenv's `None` value).
    pub value: Option<String>,
}

/// Python's `\s` on text: Unicode white space plus the separators
/// U+001C–U+001F, which `str.isspace()` also counts.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `[^\S\r\n]`: white space within a line.
fn is_inline_space(c: char) -> bool {
    c != '\n' && c != '\r' && is_space(c)
}

fn skip(s: &str, pos: usize, class: fn(char) -> bool) -> usize {
    s[pos..].find(|c| !class(c)).map_or(s.len(), |i| pos + i)
}

/// Every statement python-dotenv reads from `text`, in file order.
pub fn statements(text: &str) -> Vec<Statement> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let translated = Translated::new(text, bom);
    let s = translated.text.as_str();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        pos = skip(s, pos, is_space);
        if pos >= s.len() {
            break;
        }
        match binding(s, &mut pos) {
            Ok(Some(mut statement)) => {
                statement.offset = translated.original_offset(statement.offset);
                out.push(statement);
            }
            Ok(None) => {}
            // python-dotenv logs "could not parse statement" and goes on
            // after the rest of the line where parsing stopped.
            Err(Unparsable) => pos = rest_of_line(s, pos),
        }
    }
    out
}

struct Unparsable;

/// One binding from `pos` (at a non-space character); `None` for a comment.
fn binding(s: &str, pos: &mut usize) -> Result<Option<Statement>, Unparsable> {
    if let Some(after) = s[*pos..].strip_prefix("export") {
        let spaces = after.len() - after.trim_start_matches(is_inline_space).len();
        if spaces > 0 {
            *pos += "export".len() + spaces;
        }
    }
    let offset = *pos;
    let key = key(s, pos)?;
    *pos = skip(s, *pos, is_inline_space);
    let value = if s[*pos..].starts_with('=') {
        let after = skip(s, *pos + 1, is_inline_space);
        let spaced = after > *pos + 1;
        *pos = after;
        // 1.2.4: `KEY= #comment` is an empty value; `KEY=#x` is `#x`.
        if spaced && s[*pos..].starts_with('#') {
            Some(String::new())
        } else {
            Some(value(s, pos)?)
        }
    } else {
        None
    };
    comment(s, pos);
    end_of_line(s, pos)?;
    Ok(key.map(|key| Statement { key, offset, value }))
}

fn key(s: &str, pos: &mut usize) -> Result<Option<String>, Unparsable> {
    let rest = &s[*pos..];
    if rest.starts_with('#') {
        return Ok(None);
    }
    if let Some(body) = rest.strip_prefix('\'') {
        let end = body.find('\'').filter(|&e| e > 0).ok_or(Unparsable)?;
        *pos += end + 2;
        return Ok(Some(body[..end].to_owned()));
    }
    let len = rest
        .find(|c: char| c == '=' || c == '#' || is_space(c))
        .unwrap_or(rest.len());
    if len == 0 {
        return Err(Unparsable);
    }
    *pos += len;
    Ok(Some(rest[..len].to_owned()))
}

fn value(s: &str, pos: &mut usize) -> Result<String, Unparsable> {
    let rest = &s[*pos..];
    match rest.chars().next() {
        Some(quote @ ('\'' | '"')) => {
            let len = quoted_len(&rest[1..], quote).ok_or(Unparsable)?;
            *pos += len + 2;
            let inner = &rest[1..=len];
            Ok(if quote == '"' {
                double_quote_escapes(inner)
            } else {
                single_quote_escapes(inner)
            })
        }
        None | Some('\n') => Ok(String::new()),
        Some(_) => {
            let len = rest.find('\n').unwrap_or(rest.len());
            *pos += len;
            Ok(unquoted(&rest[..len]))
        }
    }
}

/// Length of a quoted value's body: a backslash escapes any character (a
/// line break too), the first bare quote ends it.
fn quoted_len(body: &str, quote: char) -> Option<usize> {
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next()?;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

/// An unquoted value: cut where white space is followed by `#`, then
/// trailing white space dropped.
fn unquoted(line: &str) -> String {
    let mut cut = line.len();
    let mut run_start = None;
    for (i, c) in line.char_indices() {
        if is_space(c) {
            run_start.get_or_insert(i);
        } else {
            if c == '#'
                && let Some(start) = run_start
            {
                cut = start;
                break;
            }
            run_start = None;
        }
    }
    line[..cut].trim_end_matches(is_space).to_owned()
}

/// `[^\S\r\n]*#[^\r\n]*`, optional.
fn comment(s: &str, pos: &mut usize) {
    let after = skip(s, *pos, is_inline_space);
    if s[after..].starts_with('#') {
        *pos = s[after..].find('\n').map_or(s.len(), |i| after + i);
    }
}

fn end_of_line(s: &str, pos: &mut usize) -> Result<(), Unparsable> {
    let after = skip(s, *pos, is_inline_space);
    if after == s.len() {
        *pos = after;
        Ok(())
    } else if s[after..].starts_with('\n') {
        *pos = after + 1;
        Ok(())
    } else {
        Err(Unparsable)
    }
}

fn rest_of_line(s: &str, pos: usize) -> usize {
    s[pos..].find('\n').map_or(s.len(), |i| pos + i + 1)
}

/// Single quotes decode `\\` and `\'` only.
fn single_quote_escapes(s: &str) -> String {
    decode(s, |c| matches!(c, '\\' | '\'').then_some(c))
}

/// Double quotes decode `\\ \' \" \a \b \f \n \r \t \v`.
fn double_quote_escapes(s: &str) -> String {
    decode(s, |c| {
        Some(match c {
            '\\' | '\'' | '"' => c,
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            _ => return None,
        })
    })
}

/// Left to right, like `re.sub`: a decoded pair is not looked at again.
fn decode(s: &str, escape: impl Fn(char) -> Option<char>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied().and_then(&escape)) {
            ('\\', Some(decoded)) => {
                chars.next();
                out.push(decoded);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, Option<String>)> {
        statements(text)
            .into_iter()
            .map(|s| (s.key, s.value))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, Option<String>) {
        (k.to_owned(), Some(v.to_owned()))
    }

    #[test]
    fn comments_after_spaced_equals_are_empty_values() {
        assert_eq!(
            read("A= #c\nB=\t#c\nC=#c\n"),
            [pair("A", ""), pair("B", ""), pair("C", "#c")]
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        assert_eq!(read("A=1\rB=2\r"), [pair("A", "1"), pair("B", "2")]);
        assert_eq!(read("A=\"x\r\ny\"\r\n"), [pair("A", "x\ny")]);
    }

    #[test]
    fn quoted_and_unusual_names() {
        assert_eq!(
            read("'a'=b\nexport 'c'=d\n%x[$]=1\n"),
            [pair("a", "b"), pair("c", "d"), pair("%x[$]", "1")]
        );
    }

    #[test]
    fn an_unparsable_line_is_skipped() {
        assert_eq!(
            read("A=\"abc\"def\nB=\"abc\" \"def\"\nC=1\n"),
            [pair("C", "1")]
        );
        assert_eq!(read("A\nB: v\n"), [("A".to_owned(), None)]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "\u{feff}A=1\r\nB=2\r\n";
        let offsets: Vec<usize> = statements(text).iter().map(|s| s.offset).collect();
        assert_eq!(offsets, [3, 8]);
        assert_eq!(&text[8..9], "B");
    }

    #[test]
    fn escapes() {
        assert_eq!(read(r#"A="\\n\n\q""#), [pair("A", "\\n\n\\q")]);
        assert_eq!(read(r"A='\\\'\n'"), [pair("A", "\\'\\n")]);
    }
}
