//! Just enough of Go's `text/template` to check what Prometheus checks when
//! it loads alerting rules: actions are closed, strings terminated, control
//! structures balanced, functions defined (the template builtins plus the
//! Prometheus ones) and variables declared. Along the way it records what
//! the lint checks need: `$labels.X`, `$externalLabels.X` and `$value`.

/// Functions of Go's text/template itself.
const GO_BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Functions Prometheus adds for alert templates (template/template.go), with
/// the first version that has them (read from each release tag's source).
const PROMETHEUS_FUNCS: &[(&str, (u32, u32))] = &[
    ("query", (2, 0)),
    ("first", (2, 0)),
    ("label", (2, 0)),
    ("value", (2, 0)),
    ("strvalue", (2, 0)),
    ("args", (2, 0)),
    ("reReplaceAll", (2, 0)),
    ("safeHtml", (2, 0)),
    ("match", (2, 0)),
    ("title", (2, 0)),
    ("toUpper", (2, 0)),
    ("toLower", (2, 0)),
    ("graphLink", (2, 0)),
    ("tableLink", (2, 0)),
    ("sortByLabel", (2, 0)),
    ("humanize", (2, 0)),
    ("humanize1024", (2, 0)),
    ("humanizeDuration", (2, 0)),
    ("humanizePercentage", (2, 0)),
    ("humanizeTimestamp", (2, 0)),
    ("pathPrefix", (2, 0)),
    ("externalURL", (2, 0)),
    ("stripPort", (2, 0)),
    ("toTime", (2, 0)),
    ("parseDuration", (2, 0)),
    ("stripDomain", (2, 36)),
    ("toDuration", (3, 6)),
    ("now", (3, 6)),
    ("urlQueryEscape", (3, 8)),
];

/// Variables Prometheus declares before every alert template.
const PREDECLARED: &[&str] = &["$", "$labels", "$externalLabels", "$externalURL", "$value"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the template text.
    pub offset: usize,
    pub message: String,
}

/// What a template refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Usage {
    /// `$labels.X` (and `.Labels.X`), with byte offsets.
    pub labels: Vec<(String, usize)>,
    pub external_labels: Vec<(String, usize)>,
    /// Offset of the first `$value`/`.Value` use.
    pub value: Option<usize>,
}

/// Functions Alertmanager adds for notification templates
/// (template/template.go of 0.34; the functions newer than 0.25 — `date`,
/// `tz`, `since`, `now`, `toJson`, `dict`, … — are accepted for every
/// version).
const ALERTMANAGER_FUNCS: &[&str] = &[
    "toUpper",
    "toLower",
    "title",
    "trimSpace",
    "join",
    "match",
    "safeHtml",
    "safeUrl",
    "urlUnescape",
    "reReplaceAll",
    "stringSlice",
    "date",
    "tz",
    "since",
    "humanizeDuration",
    "toJson",
    "routeLabels",
    "now",
    "toDate",
    "mustToDate",
    "base64encode",
    "base64decode",
    "list",
    "append",
    "dict",
];

/// Whose template functions and variables apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// An alerting rule's label or annotation, for this Prometheus version.
    Prometheus((u32, u32)),
    /// An Alertmanager template file.
    Alertmanager,
}

/// Parse `text` as Prometheus would (for Prometheus `version`).
pub fn check(text: &str, version: (u32, u32)) -> Result<Usage, TemplateError> {
    check_flavor(text, Flavor::Prometheus(version))
}

/// Parse `text` with the functions and variables of `flavor`.
pub fn check_flavor(text: &str, flavor: Flavor) -> Result<Usage, TemplateError> {
    let predeclared: &[&str] = match flavor {
        Flavor::Prometheus(_) => PREDECLARED,
        Flavor::Alertmanager => &["$"],
    };
    let mut parser = TemplateParser {
        text,
        flavor,
        usage: Usage::default(),
        scopes: vec![predeclared.iter().map(|s| (*s).to_owned()).collect()],
        define_scopes: Vec::new(),
        blocks: Vec::new(),
    };
    parser.run()?;
    Ok(parser.usage)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Field(&'a str),
    Var(&'a str),
    Dot,
    Str,
    Number,
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    If,
    With,
    Range,
    Define,
}

struct TemplateParser<'a> {
    text: &'a str,
    flavor: Flavor,
    usage: Usage,
    scopes: Vec<Vec<String>>,
    /// Indexes into `scopes` where {{define}} bodies start.
    define_scopes: Vec<usize>,
    blocks: Vec<(Block, usize, bool)>,
}

fn err(offset: usize, message: impl Into<String>) -> TemplateError {
    TemplateError {
        offset,
        message: message.into(),
    }
}

impl<'a> TemplateParser<'a> {
    fn run(&mut self) -> Result<(), TemplateError> {
        let text = self.text;
        let mut pos = 0;
        while let Some(found) = text[pos..].find("{{") {
            let open = pos + found;
            let mut start = open + 2;
            if text[start..].starts_with("- ")
                || text[start..].starts_with("-\t")
                || text[start..].starts_with("-\n")
            {
                start += 1;
            }
            let rest = &text[start..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with("/*") {
                let comment_start = start + (rest.len() - trimmed.len());
                let Some(close) = text[comment_start..].find("*/") else {
                    return Err(err(open, "unclosed comment"));
                };
                let after = comment_start + close + 2;
                let tail = text[after..].trim_start();
                let tail = tail.strip_prefix('-').unwrap_or(tail).trim_start();
                if !tail.starts_with("}}") {
                    return Err(err(open, "comment ends before closing delimiter"));
                }
                pos = text.len() - tail.len() + 2;
                continue;
            }
            let (tokens, end) = self.lex_action(start, open)?;
            self.action(&tokens, open)?;
            pos = end;
        }
        if let Some((block, offset, _)) = self.blocks.last() {
            return Err(err(
                *offset,
                format!(
                    "unexpected EOF: {{{{{}}}}} has no matching {{{{end}}}}",
                    name(*block)
                ),
            ));
        }
        Ok(())
    }

    /// Tokens of one action starting at byte `start`; returns them and the
    /// offset just past `}}`.
    #[allow(clippy::type_complexity)]
    fn lex_action(
        &self,
        start: usize,
        open: usize,
    ) -> Result<(Vec<(Tok<'a>, usize)>, usize), TemplateError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = start;
        let mut tokens = Vec::new();
        loop {
            let Some(&c) = bytes.get(i) else {
                return Err(err(open, "unclosed action"));
            };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    // ` -}}` trims; a bare `-` elsewhere starts a number.
                    if bytes.get(i + 1) == Some(&b'-') && bytes.get(i + 2..i + 4) == Some(b"}}") {
                        return Ok((tokens, i + 4));
                    }
                    i += 1;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => return Ok((tokens, i + 2)),
                b'(' => {
                    tokens.push((Tok::LParen, i));
                    i += 1;
                }
                b')' => {
                    tokens.push((Tok::RParen, i));
                    i += 1;
                }
                b'|' => {
                    tokens.push((Tok::Pipe, i));
                    i += 1;
                }
                b',' => {
                    tokens.push((Tok::Comma, i));
                    i += 1;
                }
                b':' if bytes.get(i + 1) == Some(&b'=') => {
                    tokens.push((Tok::Declare, i));
                    i += 2;
                }
                b'=' => {
                    tokens.push((Tok::Assign, i));
                    i += 1;
                }
                b'"' => {
                    let s = i;
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None | Some(b'\n') => return Err(err(s, "unterminated quoted string")),
                            Some(b'\\') => i += 2,
                            Some(b'"') => break,
                            _ => i += 1,
                        }
                    }
                    i += 1;
                    tokens.push((Tok::Str, s));
                }
                b'`' => {
                    let s = i;
                    let Some(close) = text[i + 1..].find('`') else {
                        return Err(err(s, "unterminated raw quoted string"));
                    };
                    i += close + 2;
                    tokens.push((Tok::Str, s));
                }
                b'\'' => {
                    let s = i;
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None | Some(b'\n') => {
                                return Err(err(s, "unterminated character constant"));
                            }
                            Some(b'\\') => i += 2,
                            Some(b'\'') => break,
                            _ => i += 1,
                        }
                    }
                    i += 1;
                    tokens.push((Tok::Str, s));
                }
                b'$' => {
                    let s = i;
                    i += 1;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    tokens.push((Tok::Var(&text[s..i]), s));
                    i = self.fields(i, &mut tokens);
                }
                b'.' => {
                    if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        let s = i;
                        i = number_end(bytes, i);
                        tokens.push((Tok::Number, s));
                    } else if bytes
                        .get(i + 1)
                        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                    {
                        i = self.fields(i, &mut tokens);
                    } else {
                        tokens.push((Tok::Dot, i));
                        i += 1;
                    }
                }
                b'0'..=b'9' | b'-' | b'+' => {
                    let s = i;
                    i = number_end(bytes, i + 1);
                    tokens.push((Tok::Number, s));
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let s = i;
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric()
                            || bytes[i] == b'_'
                            || bytes[i] >= 0x80)
                    {
                        i += 1;
                    }
                    tokens.push((Tok::Ident(&text[s..i]), s));
                    i = self.fields(i, &mut tokens);
                }
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(err(i, format!("unexpected {ch:?} in command")));
                }
            }
        }
    }

    /// `.A.B` chains directly after an operand.
    fn fields(&self, mut i: usize, tokens: &mut Vec<(Tok<'a>, usize)>) -> usize {
        let bytes = self.text.as_bytes();
        while bytes.get(i) == Some(&b'.')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            let s = i + 1;
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((Tok::Field(&self.text[s..i]), s));
        }
        i
    }

    fn action(&mut self, tokens: &[(Tok<'a>, usize)], open: usize) -> Result<(), TemplateError> {
        let Some((first, _)) = tokens.first() else {
            return Err(err(open, "missing value for command"));
        };
        let rest = &tokens[1..];
        match first {
            Tok::Ident("if") => self.open_block(Block::If, rest, open, false),
            Tok::Ident("with") => self.open_block(Block::With, rest, open, false),
            Tok::Ident("range") => self.open_block(Block::Range, rest, open, true),
            Tok::Ident("define" | "block") => {
                if !matches!(rest.first(), Some((Tok::Str, _))) {
                    return Err(err(open, "define/block needs a quoted template name"));
                }
                if matches!(first, Tok::Ident("block")) {
                    self.pipeline(&rest[1..], open, false)?;
                }
                self.blocks.push((Block::Define, open, false));
                // A defined template sees only `$` (the dot), not the outer variables.
                self.define_scopes.push(self.scopes.len());
                self.scopes.push(vec!["$".to_owned()]);
                Ok(())
            }
            Tok::Ident("else") => {
                let Some((block, _, _)) = self.blocks.last() else {
                    return Err(err(open, "unexpected {{else}}"));
                };
                if *block == Block::Define {
                    return Err(err(open, "unexpected {{else}}"));
                }
                match rest.first() {
                    Some((Tok::Ident("if" | "with"), _)) => {
                        self.scopes.pop();
                        self.scopes.push(Vec::new());
                        self.pipeline(&rest[1..], open, true)
                    }
                    Some(_) => Err(err(open, "unexpected token in {{else}}")),
                    None => {
                        self.scopes.pop();
                        self.scopes.push(Vec::new());
                        Ok(())
                    }
                }
            }
            Tok::Ident("end") => {
                if !rest.is_empty() {
                    return Err(err(open, "unexpected token in {{end}}"));
                }
                let Some((block, _, _)) = self.blocks.pop() else {
                    return Err(err(open, "unexpected {{end}}"));
                };
                if block == Block::Define {
                    self.define_scopes.pop();
                }
                self.scopes.pop();
                Ok(())
            }
            Tok::Ident("template") => {
                if !matches!(rest.first(), Some((Tok::Str, _))) {
                    return Err(err(open, "{{template}} needs a quoted template name"));
                }
                if rest.len() > 1 {
                    self.pipeline(&rest[1..], open, false)?;
                }
                Ok(())
            }
            Tok::Ident("break" | "continue") => {
                if !self.blocks.iter().any(|(b, _, _)| *b == Block::Range) {
                    return Err(err(open, "{{break}}/{{continue}} outside {{range}}"));
                }
                Ok(())
            }
            _ => self.pipeline(tokens, open, true),
        }
    }

    fn open_block(
        &mut self,
        block: Block,
        rest: &[(Tok<'a>, usize)],
        open: usize,
        range: bool,
    ) -> Result<(), TemplateError> {
        if rest.is_empty() {
            return Err(err(open, format!("missing value for {}", name(block))));
        }
        self.scopes.push(Vec::new());
        self.blocks.push((block, open, range));
        self.pipeline(rest, open, true)
    }

    fn declared(&self, var: &str) -> bool {
        // A {{define}} body starts a fresh variable space (only `$`): look no
        // further out than the innermost one.
        let first = self.define_scopes.last().copied().unwrap_or(0);
        self.scopes[first..]
            .iter()
            .rev()
            .any(|s| s.iter().any(|v| v == var))
    }

    /// `[$x :=] command | command ...`
    fn pipeline(
        &mut self,
        tokens: &[(Tok<'a>, usize)],
        open: usize,
        allow_decl: bool,
    ) -> Result<(), TemplateError> {
        let mut tokens = tokens;
        // Declarations: `$x :=`, `$x =`, `$i, $x :=` (range).
        if allow_decl {
            let decl_end = tokens
                .iter()
                .position(|(t, _)| matches!(t, Tok::Declare | Tok::Assign));
            if let Some(end) = decl_end {
                let vars = &tokens[..end];
                let all_vars = !vars.is_empty()
                    && vars
                        .iter()
                        .all(|(t, _)| matches!(t, Tok::Var(_) | Tok::Comma));
                if all_vars {
                    let declare = matches!(tokens[end].0, Tok::Declare);
                    for (t, off) in vars {
                        if let Tok::Var(v) = t {
                            if declare {
                                if let Some(scope) = self.scopes.last_mut() {
                                    scope.push((*v).to_owned());
                                }
                            } else if !self.declared(v) {
                                return Err(err(*off, format!("undefined variable {v:?}")));
                            }
                        }
                    }
                    tokens = &tokens[end + 1..];
                }
            }
        }
        if tokens.is_empty() {
            return Err(err(open, "missing value for command"));
        }
        let commands: Vec<_> = tokens.split(|(t, _)| *t == Tok::Pipe).collect();
        for (i, command) in commands.iter().enumerate() {
            // Go's parser tolerates a trailing `|` (`{{ $value | }}`).
            if command.is_empty() && i + 1 == commands.len() && i > 0 {
                continue;
            }
            if command.is_empty() {
                return Err(err(open, "missing command in pipeline"));
            }
            self.command(command, open)?;
        }
        Ok(())
    }

    fn command(&mut self, tokens: &[(Tok<'a>, usize)], open: usize) -> Result<(), TemplateError> {
        let mut i = 0;
        while i < tokens.len() {
            let (tok, off) = &tokens[i];
            match tok {
                Tok::LParen => {
                    let mut depth = 0;
                    let mut j = i;
                    while j < tokens.len() {
                        match tokens[j].0 {
                            Tok::LParen => depth += 1,
                            Tok::RParen => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    if j >= tokens.len() {
                        return Err(err(*off, "unclosed left paren"));
                    }
                    self.pipeline(&tokens[i + 1..j], open, false)?;
                    i = j + 1;
                    continue;
                }
                Tok::RParen => return Err(err(*off, "unexpected right paren")),
                Tok::Ident(name) => {
                    if !matches!(*name, "true" | "false" | "nil") && !self.function_known(name) {
                        return Err(err(*off, format!("function {name:?} not defined")));
                    }
                }
                Tok::Var(v) => {
                    if !self.declared(v) {
                        return Err(err(*off, format!("undefined variable {v:?}")));
                    }
                    let field = match tokens.get(i + 1) {
                        Some((Tok::Field(f), _)) => Some(*f),
                        _ => None,
                    };
                    match (*v, field) {
                        ("$labels", Some(f)) => self.usage.labels.push((f.to_owned(), *off)),
                        ("$externalLabels", Some(f)) => {
                            self.usage.external_labels.push((f.to_owned(), *off));
                        }
                        ("$value", _) => {
                            self.usage.value.get_or_insert(*off);
                        }
                        _ => {}
                    }
                }
                Tok::Field(f) => {
                    // `.Labels.x` / `.Value` on the dot at top level.
                    let prev_is_operand = i > 0
                        && matches!(tokens[i - 1].0, Tok::Var(_) | Tok::Field(_) | Tok::Ident(_));
                    if !prev_is_operand {
                        if *f == "Value" {
                            self.usage.value.get_or_insert(*off);
                        } else if *f == "Labels"
                            && let Some((Tok::Field(label), _)) = tokens.get(i + 1)
                        {
                            self.usage.labels.push(((*label).to_owned(), *off));
                        }
                    }
                }
                Tok::Declare | Tok::Assign => {
                    return Err(err(*off, "unexpected declaration in command"));
                }
                Tok::Comma => return Err(err(*off, "unexpected comma in command")),
                Tok::Number => {
                    let text = number_text(self.text, *off);
                    if !valid_number(text) {
                        return Err(err(*off, format!("bad number syntax: {text:?}")));
                    }
                }
                Tok::Dot | Tok::Str | Tok::Pipe => {}
            }
            i += 1;
        }
        Ok(())
    }

    fn function_known(&self, name: &str) -> bool {
        GO_BUILTINS.contains(&name)
            || match self.flavor {
                Flavor::Prometheus(version) => PROMETHEUS_FUNCS
                    .iter()
                    .any(|(f, since)| *f == name && version >= *since),
                Flavor::Alertmanager => ALERTMANAGER_FUNCS.contains(&name),
            }
    }
}

fn number_text(text: &str, start: usize) -> &str {
    let end = number_end(text.as_bytes(), start + 1);
    text.get(start..end).unwrap_or("")
}

/// Go's number syntax, as far as templates use it: integers (decimal, 0x,
/// 0o, 0b, with `_`), floats, and a leading sign.
fn valid_number(text: &str) -> bool {
    let t = text
        .strip_prefix(['+', '-'])
        .unwrap_or(text)
        .replace('_', "");
    if t.is_empty() {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find(|(p, _)| lower.starts_with(p));
    if let Some((prefix, radix)) = radix {
        return u64::from_str_radix(&lower[prefix.len()..], *radix).is_ok()
            || (*radix == 16 && lower.contains('p'));
    }
    let t = t.strip_suffix('i').unwrap_or(&t);
    t.parse::<f64>().is_ok() && !t.ends_with(['e', 'E', '+', '-'])
}

fn number_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_' | b'+' | b'-'))
    {
        // A sign after the first character only follows an exponent.
        if matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P') {
            break;
        }
        i += 1;
    }
    i
}

fn name(block: Block) -> &'static str {
    match block {
        Block::If => "if",
        Block::With => "with",
        Block::Range => "range",
        Block::Define => "define",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const V3: (u32, u32) = (3, 5);

    #[test]
    fn valid_templates() {
        for t in [
            "{{ $labels.instance }} is down",
            "{{ $value | humanizePercentage }}",
            "{{ printf \"%.2f\" $value }}",
            "{{- if gt $value 1.0 -}}high{{ else }}low{{ end }}",
            "{{ range $i, $x := query \"up\" }}{{ $x.Labels.job }}{{ end }}",
            "{{ with query \"up\" }}{{ . | first | value | humanize }}{{ end }}",
            "{{/* comment */}}plain",
            "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
            "{{ reReplaceAll \"(.*)\" \"$1\" $labels.x }}",
            "{{ .Labels.job }} {{ .Value }}",
            "{{ humanizeDuration -1.5e3 }}",
        ] {
            check(t, V3).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        }
    }

    #[test]
    fn invalid_templates() {
        for (t, msg) in [
            ("{{ $value | humanizeBytes }}", "humanizeBytes"),
            ("{{ $labels.job ", "unclosed action"),
            ("{{ if $value }}x", "no matching"),
            ("x{{ end }}", "unexpected {{end}}"),
            ("{{ $foo }}", "undefined variable"),
            ("{{ \"abc }}", "unterminated"),
            ("{{ }}", "missing value"),
            ("{{ printf \"%s\" ( $value }}", "unclosed left paren"),
        ] {
            let e = check(t, V3).unwrap_err();
            assert!(e.message.contains(msg), "{t}: {e:?}");
        }
    }

    #[test]
    fn usage_is_recorded() {
        let u = check(
            "{{ $labels.job }} {{ $externalLabels.cluster }} {{ $value }}",
            V3,
        )
        .unwrap();
        assert_eq!(u.labels, vec![("job".to_owned(), 3)]);
        assert_eq!(u.external_labels[0].0, "cluster");
        assert!(u.value.is_some());
    }

    #[test]
    fn alertmanager_templates() {
        let ok = r#"{{ define "slack.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ end }}
{{ define "slack.text" }}{{ range .Alerts }}{{ .Annotations.summary }} {{ join "," .Labels.Values }}{{ end }}{{ end }}"#;
        check_flavor(ok, Flavor::Alertmanager).unwrap();
        assert!(check_flavor("{{ $labels.x }}", Flavor::Alertmanager).is_err());
        assert!(check_flavor("{{ humanize 1 }}", Flavor::Alertmanager).is_err());
    }

    #[test]
    fn version_gated_functions() {
        assert!(check("{{ now }}", (2, 42)).is_err());
        assert!(check("{{ now }}", (3, 5)).is_err());
        assert!(check("{{ now | toTime }}", (3, 6)).is_ok());
        assert!(check("{{ toDuration 60 }}", (3, 6)).is_ok());
        assert!(check(r#"{{ urlQueryEscape "a b" }}"#, (3, 7)).is_err());
        assert!(check(r#"{{ urlQueryEscape "a b" }}"#, (3, 8)).is_ok());
        assert!(check(r#"{{ "a.b" | stripDomain }}"#, (2, 42)).is_ok());
    }
}
