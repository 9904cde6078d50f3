//! A lossless, position-tracking reader of `.env` files in docker compose's
//! dialect (compose-go's `dotenv` package, which is what deploys the file).
//!
//! Unlike compose, which stops at the first error, this parser records every
//! problem and resynchronises at the next line, so one run reports all of a
//! file's errors. It keeps the raw text of every value so the other dialects
//! (python-dotenv, Next.js) can read the same bytes their own way.

/// Where something is: byte range in the file text and 1-based line/column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
}

/// One `KEY=value` statement, as written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub export: bool,
    /// `=`, or `:` (compose's YAML-style `KEY: value`).
    pub separator: char,
    pub separator_span: Span,
    pub space_before_separator: bool,
    pub space_after_separator: bool,
    pub quote: Quote,
    /// The value as compose sees it before interpolation: the text between
    /// the quotes with escaped quotes resolved, or the unquoted text with
    /// its inline comment and trailing whitespace removed.
    pub content: String,
    /// The value as written, quotes included (no comment).
    pub value_span: Span,
    /// The text from the start of the value to the end of the statement's
    /// last line (comment and trailing whitespace included); other dialects
    /// re-read this.
    pub rest_raw: String,
    pub inline_comment: bool,
    pub trailing_whitespace: Option<Span>,
    /// Last line the statement occupies (multi-line quoted values).
    pub end_line: u32,
}

/// A problem the parser found. `code` is a stable check id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

/// A parsed file.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub name: String,
    pub text: String,
    pub entries: Vec<Entry>,
    pub errors: Vec<ParseError>,
    /// The file started with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The raw bytes were not valid UTF-8 (they were read lossily).
    pub invalid_utf8: bool,
    /// Statements compose reads with an empty name (`="value"`, or a lone
    /// word on the last line when no line break follows it): syntax errors
    /// here, but `dump --dialect compose` shows what compose reads.
    pub nameless: Vec<Entry>,
    /// Lines that belong to a statement or a comment (1-based, inclusive
    /// ranges); every other line is blank.
    pub comment_lines: Vec<u32>,
    line_starts: Vec<usize>,
}

impl Document {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        position(&self.text, &self.line_starts, self.bom, offset)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of line `line` (1-based) without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

fn position(text: &str, line_starts: &[usize], bom: bool, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let index = match line_starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    let start = line_starts.get(index).copied().unwrap_or(0);
    let mut column = text
        .get(start..offset)
        .map_or(offset - start, |s| s.chars().count())
        + 1;
    if bom && index == 0 && column > 1 {
        column -= 1;
    }
    (
        u32::try_from(index + 1).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// compose-go's "space": whitespace that is not a line break.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Characters compose accepts in a variable name.
pub fn is_compose_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphanumeric()
}

/// Parse raw bytes (lossily, reporting invalid UTF-8).
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Document {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(name, text),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let mut doc = parse(name, &text);
            doc.invalid_utf8 = true;
            doc
        }
    }
}

/// Parse a file's text.
pub fn parse(name: &str, text: &str) -> Document {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let bom = text.starts_with('\u{feff}');
    let mut parser = Parser {
        text,
        line_starts: &line_starts,
        bom,
        entries: Vec::new(),
        nameless: Vec::new(),
        errors: Vec::new(),
        comment_lines: Vec::new(),
    };
    parser.run(if bom { '\u{feff}'.len_utf8() } else { 0 });
    let Parser {
        entries,
        nameless,
        errors,
        comment_lines,
        ..
    } = parser;
    Document {
        name: name.to_owned(),
        text: text.to_owned(),
        entries,
        errors,
        bom,
        invalid_utf8: false,
        nameless,
        comment_lines,
        line_starts,
    }
}

struct Parser<'a> {
    text: &'a str,
    line_starts: &'a [usize],
    bom: bool,
    entries: Vec<Entry>,
    nameless: Vec<Entry>,
    errors: Vec<ParseError>,
    comment_lines: Vec<u32>,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        let (line, column) = position(self.text, self.line_starts, self.bom, start);
        Span {
            start,
            end,
            line,
            column,
        }
    }

    fn line(&self, offset: usize) -> u32 {
        position(self.text, self.line_starts, self.bom, offset).0
    }

    /// Index of the `\n` ending the line that holds `pos`, or the text length.
    fn line_end(&self, pos: usize) -> usize {
        self.text[pos..]
            .find('\n')
            .map_or(self.text.len(), |i| pos + i)
    }

    fn error(&mut self, code: &'static str, message: String, span: Span, help: Option<&str>) {
        self.errors.push(ParseError {
            code,
            message,
            span,
            help: help.map(str::to_owned),
        });
    }

    fn run(&mut self, mut pos: usize) {
        let len = self.text.len();
        loop {
            // Statements start after any whitespace, line breaks included.
            pos = self.text[pos..]
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(len, |(i, _)| pos + i);
            if pos >= len {
                break;
            }
            if self.text[pos..].starts_with('#') {
                let line = self.line(pos);
                self.comment_lines.push(line);
                pos = self.line_end(pos);
                continue;
            }
            pos = self.statement(pos);
        }
    }

    /// Parse one statement starting at `start`; returns where to continue.
    fn statement(&mut self, start: usize) -> usize {
        let text = self.text;
        let line_end = self.line_end(start);
        let mut pos = start;
        let mut export = false;
        if let Some(after) = text[pos..line_end].strip_prefix("export")
            && after.starts_with(is_space)
        {
            export = true;
            pos += "export".len();
            pos += after.len() - after.trim_start_matches(is_space).len();
        }
        let key_start = pos;
        let mut separator = None;
        for (i, c) in text[pos..line_end].char_indices() {
            if is_space(c) {
                continue;
            }
            if c == '=' || c == ':' {
                separator = Some((pos + i, c));
                break;
            }
            if !is_compose_key_char(c) {
                let span = self.span(pos + i, pos + i + c.len_utf8());
                let key = text[key_start..pos + i].trim_end_matches(is_space);
                let rest = text[key_start..line_end].trim_end();
                // Never echo what may be a pasted credential.
                let quiet = key.is_empty() || crate::secrets::looks_like_credential(rest);
                self.error(
                    "invalid-key",
                    format!(
                        "unexpected character {c:?} in variable name{}",
                        if quiet {
                            String::new()
                        } else {
                            format!(" after {key:?}")
                        }
                    ),
                    span,
                    Some("names may contain letters, digits and _ (docker compose also accepts . - [ ]); docker compose refuses the whole file"),
                );
                return line_end;
            }
        }
        let Some((sep_pos, sep)) = separator else {
            let key = text[key_start..line_end].trim_end_matches(is_space);
            let span = self.span(key_start, key_start + key.len());
            // A lone token on a line is often a pasted secret: do not echo it.
            let shown = if crate::secrets::looks_like_credential(key) {
                "this line".to_owned()
            } else {
                format!("{key:?}")
            };
            if key.contains(is_space) {
                self.error(
                    "invalid-key",
                    format!("{shown} is not an assignment: a name cannot contain spaces"),
                    span,
                    Some("write KEY=value; docker compose refuses the whole file"),
                );
            } else {
                self.error(
                    "not-an-assignment",
                    format!("{shown} has no '=': not an assignment"),
                    span,
                    Some("write KEY=value (docker compose would copy KEY from the shell environment, python-dotenv sets it to None)"),
                );
            }
            if line_end == text.len() {
                self.last_word(key_start, line_end);
            }
            return line_end;
        };
        let raw_key = &text[key_start..sep_pos];
        let key = raw_key.trim_end_matches(|c: char| c.is_whitespace());
        let key_span = self.span(key_start, key_start + key.len());
        if key.is_empty() {
            self.error(
                "invalid-key",
                "assignment without a name".to_owned(),
                self.span(sep_pos, sep_pos + 1),
                Some("write KEY=value (docker compose reads a variable with an empty name)"),
            );
        }
        // compose refuses only a space: a tab or another blank inside a
        // name is part of it (`non-portable-key` warns).
        if key.contains(' ') {
            self.error(
                "invalid-key",
                format!("variable name {key:?} contains a space"),
                key_span,
                Some("names may contain letters, digits and _; docker compose refuses the whole file"),
            );
            return line_end;
        }
        let space_before_separator = key.len() < raw_key.len();
        let after_sep = sep_pos + 1;
        let value_start = after_sep
            + (text[after_sep..line_end].len()
                - text[after_sep..line_end].trim_start_matches(is_space).len());
        let has_value = value_start < line_end
            && !text[value_start..line_end]
                .trim_end_matches('\r')
                .is_empty();
        let space_after_separator = value_start > after_sep && has_value;
        let separator_span = self.span(sep_pos, after_sep);
        let first = text[value_start..].chars().next();
        let quote = match first {
            Some('"') => Quote::Double,
            Some('\'') => Quote::Single,
            _ => Quote::None,
        };
        let mut entry = Entry {
            key: key.to_owned(),
            key_span,
            export,
            separator: sep,
            separator_span,
            space_before_separator,
            space_after_separator,
            quote,
            content: String::new(),
            value_span: self.span(value_start, value_start),
            rest_raw: String::new(),
            inline_comment: false,
            trailing_whitespace: None,
            end_line: key_span.line,
        };
        let next = if quote == Quote::None {
            self.unquoted(&mut entry, value_start, line_end)
        } else {
            match self.quoted(&mut entry, value_start) {
                Some(next) => next,
                None => return line_end,
            }
        };
        if entry.key.is_empty() {
            self.nameless.push(entry);
        } else {
            self.entries.push(entry);
        }
        next
    }

    /// compose-go reads a last line without `=` and without a line break
    /// after it as a value with an empty name (its name scan runs off the
    /// end of the text before it finds a separator).
    fn last_word(&mut self, start: usize, end: usize) {
        let mut entry = Entry {
            key: String::new(),
            key_span: self.span(start, start),
            export: false,
            separator: '=',
            separator_span: self.span(start, start),
            space_before_separator: false,
            space_after_separator: false,
            quote: Quote::None,
            content: String::new(),
            value_span: self.span(start, start),
            rest_raw: String::new(),
            inline_comment: false,
            trailing_whitespace: None,
            end_line: self.line(start),
        };
        self.unquoted(&mut entry, start, end);
        self.nameless.push(entry);
    }

    fn unquoted(&mut self, entry: &mut Entry, value_start: usize, line_end: usize) -> usize {
        let line = &self.text[value_start..line_end];
        // compose cuts the value at the first " #" (a space, not a tab).
        let (value, comment) = match line.find(" #") {
            Some(i) => (&line[..i], true),
            None => (line, false),
        };
        let trimmed = value.trim_end();
        entry.content = trimmed.to_owned();
        entry.inline_comment = comment;
        entry.value_span = self.span(value_start, value_start + trimmed.len());
        entry.rest_raw = line.to_owned();
        if !comment {
            let without_cr = line.strip_suffix('\r').unwrap_or(line);
            let body = without_cr.trim_end_matches([' ', '\t']);
            if body.len() < without_cr.len() {
                let start = value_start + body.len();
                entry.trailing_whitespace = Some(self.span(start, value_start + without_cr.len()));
            }
        }
        entry.end_line = self.line(value_start);
        line_end
    }

    /// Returns where to continue, or None when the quote is unterminated.
    fn quoted(&mut self, entry: &mut Entry, value_start: usize) -> Option<usize> {
        let text = self.text;
        let quote = if entry.quote == Quote::Double {
            '"'
        } else {
            '\''
        };
        let mut content = String::new();
        let mut escaped = false;
        let mut close = None;
        for (i, c) in text[value_start + 1..].char_indices() {
            if escaped {
                escaped = false;
                // An escaped quote drops its backslash; any other escaped
                // character keeps it (double quotes decode it later).
                if c != quote {
                    content.push('\\');
                }
                content.push(c);
                continue;
            }
            if c == '\\' {
                escaped = true;
            } else if c == quote {
                close = Some(value_start + 1 + i);
                break;
            } else {
                content.push(c);
            }
        }
        let Some(close) = close else {
            self.error(
                "unterminated-quote",
                format!(
                    "the value of {} opens a {} quote that is never closed",
                    entry.key,
                    if quote == '"' { "double" } else { "single" }
                ),
                self.span(value_start, value_start + 1),
                Some("add the closing quote; docker compose refuses the whole file"),
            );
            // The caller resynchronises at the next line, so later errors
            // are reported too.
            return None;
        };
        let end = close + 1;
        let line_end = self.line_end(end);
        entry.content = content;
        entry.value_span = self.span(value_start, end);
        entry.rest_raw = text[value_start..line_end].to_owned();
        entry.end_line = self.line(close);
        let after = &text[end..line_end];
        let after_trim = after.trim_start_matches(is_space);
        if after_trim.starts_with('#') {
            entry.inline_comment = true;
        } else if !after_trim.is_empty() {
            let start = end + (after.len() - after_trim.len());
            self.error(
                "text-after-quote",
                format!(
                    "text after the closing quote of {}: docker compose reads it as another statement",
                    entry.key
                ),
                self.span(start, line_end),
                Some("put everything inside the quotes, or start a comment with ' #'"),
            );
        } else {
            let without_cr = after.strip_suffix('\r').unwrap_or(after);
            if !without_cr.is_empty() {
                entry.trailing_whitespace = Some(self.span(end, end + without_cr.len()));
            }
        }
        Some(line_end)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn one(text: &str) -> Entry {
        let doc = parse("t", text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        assert_eq!(doc.entries.len(), 1, "{:?}", doc.entries);
        doc.entries.into_iter().next().unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(one("A=b").content, "b");
        assert_eq!(one("export A=b").key, "A");
        assert!(one("export A=b").export);
        assert_eq!(one("A = b ").content, "b");
        assert_eq!(one("A=b # c").content, "b");
        assert_eq!(one("A=b#c").content, "b#c");
        assert_eq!(one("A=b\t#c").content, "b\t#c");
        assert_eq!(one("A='b # c'").content, "b # c");
        assert_eq!(one("A=\"b\\\"c\"").content, "b\"c");
        assert_eq!(one("A=\"b\nc\"").content, "b\nc");
        assert_eq!(one("A: b").content, "b");
        assert_eq!(one("\u{feff}A=b").key, "A");
        assert_eq!(one("A=b\r\n").content, "b");
        assert_eq!(one("A=").content, "");
    }

    #[test]
    fn positions() {
        let doc = parse("t", "# c\n\nA=1\n  B = \"x\"\n");
        assert_eq!(doc.entries[0].key_span.line, 3);
        assert_eq!(doc.entries[1].key_span.line, 4);
        assert_eq!(doc.entries[1].key_span.column, 3);
        assert_eq!(doc.entries[1].value_span.column, 7);
    }

    #[test]
    fn all_errors_are_reported() {
        let doc = parse("t", "A=1\nbad key\nB='open\nC@=1\nD=2\n");
        let codes: Vec<_> = doc.errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["invalid-key", "unterminated-quote", "invalid-key"]);
        let keys: Vec<_> = doc.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "D"]);
    }
}
