//! PromQL helpers over `promql-parser`'s AST: parsing without panics, a
//! visitor, and the label and filter analysis the checks share.

use std::collections::BTreeSet;
use std::time::Duration;

use promql_parser::label::MatchOp;
use promql_parser::parser::token::{self, TokenType};
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, VectorMatchCardinality, VectorSelector,
};

/// Parse an expression. The parser is not ours: a panic inside it becomes a
/// parse error rather than taking the whole run down.
pub fn parse(text: &str) -> Result<Expr, String> {
    let result = parse_guarded(text.to_owned());
    // promql-parser follows Prometheus 3, which renamed holt_winters to
    // double_exponential_smoothing (same arguments). Older targets still
    // have it: parse it under the new name; promql-syntax and
    // experimental-function look at the text to tell the two apart.
    match result {
        Err(e) if e.contains("'holt_winters'") => {
            parse_guarded(text.replace("holt_winters", "double_exponential_smoothing")).or(Err(e))
        }
        other => other,
    }
}

fn parse_guarded(text: String) -> Result<Expr, String> {
    std::panic::catch_unwind(move || promql_parser::parser::parse(&text))
        .unwrap_or_else(|_| Err("the PromQL parser failed on this expression".to_owned()))
}

/// Whether `double_exponential_smoothing` in the AST was written as
/// `holt_winters` (see [`parse`]).
pub fn written_as_holt_winters(text: &str) -> bool {
    text.contains("holt_winters") && !text.contains("double_exponential_smoothing")
}

/// The first range, subquery step or offset written without a unit
/// (`x[5]`, `x[5m:30]`, `offset 5`). `promql-parser` reads them as
/// seconds; Prometheus' own parser rejects them ("missing unit character in
/// duration").
pub fn unitless_duration(text: &str) -> Option<(usize, String)> {
    // Blank out string literals so label values cannot match.
    let mut plain = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    plain.push(c);
                    continue;
                }
                plain.push(if c.is_ascii() { ' ' } else { c });
            }
            None => {
                if matches!(c, '"' | '\'' | '`') {
                    quote = Some(c);
                }
                plain.push(c);
            }
        }
    }
    let re = unitless_regex();
    re.captures(&plain).and_then(|c| {
        let m = c.get(1)?;
        Some((m.start(), m.as_str().to_owned()))
    })
}

#[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
fn unitless_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:\[|:|\boffset\s+-?)\s*([0-9]+(?:\.[0-9]+)?)\s*(?:\]|:|\)|$|\s)")
            .unwrap()
    })
}

/// The first bracket that is never closed (or closed without being opened),
/// outside string literals and `#` comments: where "unclosed left
/// parenthesis" points. A byte offset into `text`.
pub fn unbalanced_bracket(text: &str) -> Option<usize> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    for (i, c) in text.char_indices() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '#' => comment = true,
            '(' | '{' | '[' => stack.push((c, i)),
            ')' | '}' | ']' => {
                let open = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    _ => return Some(i),
                }
            }
            _ => {}
        }
    }
    stack.last().map(|(_, i)| *i)
}

/// Where a PromQL parse error is, as a byte offset into `text`, when it can
/// be told from the text and the error message: promql-parser reports
/// grammar errors as a bare "invalid promql query" without a position, so
/// the usual culprits are found by scanning the tokens — an unbalanced
/// bracket, the token the message names, an unterminated string, an
/// operator with no right-hand side, two operators or two operands in a
/// row, `by`/`without`/`on`/`ignoring` without a label list.
pub fn error_offset(text: &str, message: &str) -> Option<usize> {
    if message.contains("unterminated quoted string") {
        return unterminated_quote(text);
    }
    if let Some(offset) = unbalanced_bracket(text) {
        return Some(offset);
    }
    // The token the message names ('rate2', '$').
    if let Some(token) = message.split('\'').nth(1).filter(|t| !t.is_empty())
        && let Some(found) = find_token(text, token)
    {
        return Some(found);
    }
    if message.contains("invalid promql query") {
        return grammar_error(&tokens(text));
    }
    None
}

/// The first occurrence of `token` outside string literals that is not part
/// of a longer identifier (for identifiers), else anywhere.
fn find_token(text: &str, token: &str) -> Option<usize> {
    let ident = token
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == ':');
    let exact = tokens(text)
        .into_iter()
        .find(|t| t.text == token && (ident || t.kind != TokKind::Str))
        .map(|t| t.start);
    exact.or_else(|| if ident { None } else { text.find(token) })
}

/// Where a number literal with value `value` is written in `text` (outside
/// selectors, ranges and strings), as a byte offset; the last one when it
/// appears more than once (thresholds come last).
pub fn number_offset(text: &str, value: f64) -> Option<usize> {
    tokens(text)
        .into_iter()
        .filter(|t| t.kind == TokKind::Number && !t.nested)
        .filter(|t| t.text.parse::<f64>().is_ok_and(|v| v == value))
        .map(|t| t.start)
        .next_back()
}

fn unterminated_quote(text: &str) -> Option<usize> {
    let mut open: Option<(char, usize)> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match open {
            Some((q, _)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q || (c == '\n' && q != '`') {
                    open = None;
                }
            }
            None if matches!(c, '"' | '\'' | '`') => open = Some((c, i)),
            None => {}
        }
    }
    open.map(|(_, i)| i)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokKind {
    Ident,
    Number,
    Str,
    Op,
    Open,
    Close,
    Comma,
    Other,
}

#[derive(Debug)]
struct Tok<'t> {
    kind: TokKind,
    text: &'t str,
    start: usize,
    /// Inside `{…}` or `[…]` (matchers, ranges), where the expression
    /// grammar does not apply.
    nested: bool,
}

/// A rough PromQL tokenizer, enough to find where a grammar error is.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut depth: Vec<char> = Vec::new();
    while i < bytes.len() {
        let (start, c) = bytes[i];
        let nested = depth.iter().any(|d| *d != '(');
        let end_of = |j: usize| bytes.get(j).map_or(text.len(), |(b, _)| *b);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < bytes.len() && bytes[i].1 != '\n' {
                i += 1;
            }
            continue;
        }
        let (kind, len) = if c.is_alphabetic() || c == '_' || c == ':' {
            let n = bytes[i..]
                .iter()
                .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
                .count();
            (TokKind::Ident, n)
        } else if c.is_ascii_digit()
            || (c == '.' && bytes.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit()))
        {
            let n = bytes[i..]
                .iter()
                .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '.' | '_'))
                .count();
            (TokKind::Number, n)
        } else if matches!(c, '"' | '\'' | '`') {
            let mut j = i + 1;
            let mut escaped = false;
            while j < bytes.len() {
                let d = bytes[j].1;
                if escaped {
                    escaped = false;
                } else if d == '\\' && c != '`' {
                    escaped = true;
                } else if d == c {
                    break;
                }
                j += 1;
            }
            (TokKind::Str, (j + 1).min(bytes.len()) - i)
        } else if matches!(c, '(' | '{' | '[') {
            depth.push(c);
            (TokKind::Open, 1)
        } else if matches!(c, ')' | '}' | ']') {
            depth.pop();
            (TokKind::Close, 1)
        } else if c == ',' {
            (TokKind::Comma, 1)
        } else if "+-*/%^=!<>~".contains(c) {
            let two = bytes.get(i + 1).map(|(_, d)| *d);
            let pair = two.map(|d| format!("{c}{d}"));
            let len = match pair.as_deref() {
                Some("==" | "!=" | ">=" | "<=" | "=~" | "!~") => 2,
                _ => 1,
            };
            (TokKind::Op, len)
        } else {
            (TokKind::Other, 1)
        };
        let end = end_of(i + len);
        out.push(Tok {
            kind,
            text: &text[start..end],
            start,
            nested: nested || (kind == TokKind::Close && depth.iter().any(|d| *d != '(')),
        });
        i += len;
    }
    out
}

const BINARY_WORDS: &[&str] = &["and", "or", "unless", "atan2"];
const MODIFIER_WORDS: &[&str] = &["by", "without", "on", "ignoring"];
const OTHER_WORDS: &[&str] = &[
    "offset",
    "bool",
    "group_left",
    "group_right",
    "start",
    "end",
];

fn is_word(t: &Tok<'_>, words: &[&str]) -> bool {
    t.kind == TokKind::Ident && words.iter().any(|w| t.text.eq_ignore_ascii_case(w))
}

/// Ends an operand: a name, number, string or closing bracket.
fn ends_operand(t: &Tok<'_>) -> bool {
    matches!(t.kind, TokKind::Number | TokKind::Str | TokKind::Close)
        || (t.kind == TokKind::Ident
            && !is_word(t, BINARY_WORDS)
            && !is_word(t, MODIFIER_WORDS)
            && !is_word(t, OTHER_WORDS))
}

fn is_binary(t: &Tok<'_>) -> bool {
    (t.kind == TokKind::Op && !matches!(t.text, "=" | "!" | "~")) || is_word(t, BINARY_WORDS)
}

fn grammar_error(toks: &[Tok<'_>]) -> Option<usize> {
    let top: Vec<&Tok<'_>> = toks.iter().filter(|t| !t.nested).collect();
    // Closing parens of label lists (`by (a)`, `group_left (b)`): an
    // operand may follow them.
    let mut label_list_close = vec![false; top.len()];
    let mut stack: Vec<bool> = Vec::new();
    for (i, t) in top.iter().enumerate() {
        match t.text {
            "(" | "{" | "[" => stack.push(
                t.text == "("
                    && i > 0
                    && (is_word(top[i - 1], MODIFIER_WORDS)
                        || is_word(top[i - 1], &["group_left", "group_right"])),
            ),
            ")" | "}" | "]" => label_list_close[i] = stack.pop().unwrap_or(false),
            _ => {}
        }
    }
    for (i, pair) in top.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        if label_list_close[i] {
            continue;
        }
        // `sum(x) by job`: a label list must follow.
        if is_word(a, MODIFIER_WORDS) && b.text != "(" {
            return Some(b.start);
        }
        // `x > > 1` (a sign may follow an operator: `x > -1`).
        if is_binary(a) && is_binary(b) && !matches!(b.text, "-" | "+") {
            return Some(b.start);
        }
        // `foo bar`, `sum(x) 5`: two operands with nothing between them.
        if ends_operand(a)
            && matches!(b.kind, TokKind::Ident | TokKind::Number | TokKind::Str)
            && ends_operand(b)
        {
            return Some(b.start);
        }
        // `(x >)`, `f(x, )`.
        if is_binary(a) && matches!(b.kind, TokKind::Close | TokKind::Comma) {
            return Some(a.start);
        }
    }
    // `x >`: an operator with nothing after it.
    match top.last() {
        Some(t) if is_binary(t) || is_word(t, MODIFIER_WORDS) || is_word(t, OTHER_WORDS) => {
            Some(t.start)
        }
        _ => None,
    }
}

/// Every sub-expression, depth first, with the name of the function call
/// it is an argument of (for range selectors).
pub fn walk<'e>(expr: &'e Expr, f: &mut dyn FnMut(&'e Expr, Option<&'e Call>)) {
    walk_in(expr, None, f);
}

fn walk_in<'e>(
    expr: &'e Expr,
    parent: Option<&'e Call>,
    f: &mut dyn FnMut(&'e Expr, Option<&'e Call>),
) {
    f(expr, parent);
    match expr {
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk_in(p, None, f);
            }
            walk_in(&a.expr, None, f);
        }
        Expr::Unary(u) => walk_in(&u.expr, None, f),
        Expr::Binary(b) => {
            walk_in(&b.lhs, None, f);
            walk_in(&b.rhs, None, f);
        }
        Expr::Paren(p) => walk_in(&p.expr, parent, f),
        Expr::Subquery(s) => walk_in(&s.expr, None, f),
        Expr::Call(c) => {
            for arg in &c.args.args {
                walk_in(arg, Some(c), f);
            }
        }
        Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::Extension(_) => {}
    }
}

/// Every vector selector (including those inside range selectors).
pub fn selectors(expr: &Expr) -> Vec<&VectorSelector> {
    let mut out = Vec::new();
    walk(expr, &mut |e, _| match e {
        Expr::VectorSelector(vs) => out.push(vs),
        Expr::MatrixSelector(ms) => out.push(&ms.vs),
        _ => {}
    });
    out
}

/// The metric name a selector selects (`foo` or `{__name__="foo"}`).
pub fn metric_name(vs: &VectorSelector) -> Option<&str> {
    vs.name.as_deref().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
            .map(|m| m.value.as_str())
    })
}

/// The value an equality matcher pins `label` to.
pub fn pinned<'v>(vs: &'v VectorSelector, label: &str) -> Option<&'v str> {
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == label && m.op == MatchOp::Equal)
        .map(|m| m.value.as_str())
}

/// Range-vector functions whose window must span several scrapes.
pub const RATE_FUNCS: &[&str] = &["rate", "irate", "increase", "deriv", "delta", "idelta"];

/// Range selectors that are the argument of a rate-like function:
/// (function, selector, range).
pub fn rate_windows(expr: &Expr) -> Vec<(&'static str, &VectorSelector, Duration)> {
    let mut out = Vec::new();
    walk(expr, &mut |e, parent| {
        if let (Expr::MatrixSelector(ms), Some(call)) = (e, parent)
            && RATE_FUNCS.contains(&call.func.name)
        {
            out.push((call.func.name, &ms.vs, ms.range));
        }
    });
    out
}

fn is_comparison(op: TokenType) -> bool {
    matches!(
        op.id(),
        token::T_EQLC | token::T_NEQ | token::T_GTR | token::T_LSS | token::T_GTE | token::T_LTE
    )
}

/// True when the expression only returns series that meet a condition: a
/// comparison (without `bool`), `absent()`, or a set operation. An alert
/// without one fires for every series it selects.
pub fn filters(expr: &Expr) -> bool {
    match expr {
        Expr::Binary(b) => binary_filters(b),
        Expr::Paren(p) => filters(&p.expr),
        Expr::Unary(u) => filters(&u.expr),
        Expr::Subquery(s) => filters(&s.expr),
        Expr::Aggregate(a) => filters(&a.expr),
        Expr::Call(c) => {
            matches!(c.func.name, "absent" | "absent_over_time")
                || c.args.args.iter().any(|a| filters(a))
        }
        Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::Extension(_) => false,
    }
}

fn binary_filters(b: &BinaryExpr) -> bool {
    let op = b.op.id();
    if is_comparison(b.op) {
        return !b.return_bool() || filters(&b.lhs) || filters(&b.rhs);
    }
    match op {
        token::T_LAND | token::T_LUNLESS => true,
        token::T_LOR => filters(&b.lhs) && filters(&b.rhs),
        _ => filters(&b.lhs) || filters(&b.rhs),
    }
}

/// True when the expression uses `absent()`/`absent_over_time()`.
pub fn uses_absent(expr: &Expr) -> bool {
    let mut found = false;
    walk(expr, &mut |e, _| {
        if let Expr::Call(c) = e
            && matches!(c.func.name, "absent" | "absent_over_time")
        {
            found = true;
        }
    });
    found
}

/// Which labels the result of an expression can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// Any label of the selected series, except these.
    Any { removed: BTreeSet<String> },
    /// Only these labels.
    Only(BTreeSet<String>),
}

impl Labels {
    pub fn any() -> Self {
        Self::Any {
            removed: BTreeSet::new(),
        }
    }

    pub fn none() -> Self {
        Self::Only(BTreeSet::new())
    }

    /// False when the result certainly lacks `label`.
    pub fn may_have(&self, label: &str) -> bool {
        match self {
            Self::Any { removed } => !removed.contains(label),
            Self::Only(set) => set.contains(label),
        }
    }

    fn without(self, labels: &[String]) -> Self {
        match self {
            Self::Any { mut removed } => {
                removed.extend(labels.iter().cloned());
                Self::Any { removed }
            }
            Self::Only(mut set) => {
                for l in labels {
                    set.remove(l);
                }
                Self::Only(set)
            }
        }
    }

    fn keep(self, labels: &[String]) -> Self {
        let wanted: BTreeSet<String> = labels.iter().cloned().collect();
        match self {
            Self::Any { removed } => Self::Only(wanted.difference(&removed).cloned().collect()),
            Self::Only(set) => Self::Only(set.intersection(&wanted).cloned().collect()),
        }
    }

    pub fn with(self, labels: &[String]) -> Self {
        match self {
            Self::Any { mut removed } => {
                for l in labels {
                    removed.remove(l);
                }
                Self::Any { removed }
            }
            Self::Only(mut set) => {
                set.extend(labels.iter().cloned());
                Self::Only(set)
            }
        }
    }

    pub fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Only(a), Self::Only(b)) => Self::Only(a.union(&b).cloned().collect()),
            (Self::Any { removed: a }, Self::Any { removed: b }) => Self::Any {
                removed: a.intersection(&b).cloned().collect(),
            },
            (Self::Any { removed }, Self::Only(set)) | (Self::Only(set), Self::Any { removed }) => {
                Self::Any {
                    removed: removed.difference(&set).cloned().collect(),
                }
            }
        }
    }
}

/// The labels the result of `expr` can carry.
pub fn output_labels(expr: &Expr) -> Labels {
    output_labels_with(expr, &|_| None)
}

/// What is known about the labels of the series a selector selects (from
/// the recording rule that writes them); None: any label.
pub type Resolve<'r> = dyn Fn(&VectorSelector) -> Option<Labels> + 'r;

/// The labels the result of `expr` can carry, with the labels of selected
/// series taken from `resolve` where it knows them.
pub fn output_labels_with(expr: &Expr, resolve: &Resolve<'_>) -> Labels {
    match expr {
        Expr::VectorSelector(vs) => resolve(vs).unwrap_or_else(Labels::any),
        Expr::MatrixSelector(ms) => resolve(&ms.vs).unwrap_or_else(Labels::any),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Labels::none(),
        Expr::Paren(p) => output_labels_with(&p.expr, resolve),
        Expr::Unary(u) => output_labels_with(&u.expr, resolve),
        Expr::Subquery(s) => output_labels_with(&s.expr, resolve),
        Expr::Aggregate(a) => aggregate_labels(a, resolve),
        Expr::Binary(b) => binary_labels(b, resolve),
        Expr::Call(c) => call_labels(c, resolve),
    }
}

fn label_list(modifier: &LabelModifier) -> Vec<String> {
    modifier.labels().labels.clone()
}

/// Every label name an expression writes outside selectors: `by`/`without`,
/// `on`/`ignoring` and `group_left`/`group_right` lists.
pub fn grouping_labels(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    walk(expr, &mut |e, _| match e {
        Expr::Aggregate(a) => out.extend(a.modifier.iter().flat_map(label_list)),
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier {
                out.extend(m.matching.iter().flat_map(label_list));
                if let VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) =
                    &m.card
                {
                    out.extend(l.labels.iter().cloned());
                }
            }
        }
        _ => {}
    });
    out
}

fn aggregate_labels(a: &AggregateExpr, resolve: &Resolve<'_>) -> Labels {
    let inner = output_labels_with(&a.expr, resolve);
    let op = a.op.id();
    if matches!(op, token::T_TOPK | token::T_BOTTOMK) || a.op.to_string().starts_with("limit") {
        return inner;
    }
    let grouped = match &a.modifier {
        Some(LabelModifier::Include(l)) => inner.keep(&l.labels),
        Some(m @ LabelModifier::Exclude(_)) => inner.without(&label_list(m)),
        None => Labels::none(),
    };
    if op == token::T_COUNT_VALUES
        && let Some(Expr::StringLiteral(s)) = a.param.as_deref()
    {
        return grouped.with(std::slice::from_ref(&s.val));
    }
    grouped
}

fn is_scalar(expr: &Expr) -> bool {
    matches!(
        expr.value_type(),
        promql_parser::parser::value::ValueType::Scalar
    )
}

fn binary_labels(b: &BinaryExpr, resolve: &Resolve<'_>) -> Labels {
    match (is_scalar(&b.lhs), is_scalar(&b.rhs)) {
        (true, true) => return Labels::none(),
        (true, false) => return output_labels_with(&b.rhs, resolve),
        (false, true) => return output_labels_with(&b.lhs, resolve),
        (false, false) => {}
    }
    let lhs = output_labels_with(&b.lhs, resolve);
    let rhs = output_labels_with(&b.rhs, resolve);
    let op = b.op.id();
    if op == token::T_LOR {
        return lhs.union(rhs);
    }
    if matches!(op, token::T_LAND | token::T_LUNLESS) {
        return lhs;
    }
    let Some(modifier) = &b.modifier else {
        return lhs;
    };
    match &modifier.card {
        VectorMatchCardinality::OneToOne | VectorMatchCardinality::ManyToMany => {
            match &modifier.matching {
                Some(LabelModifier::Include(l)) => lhs.keep(&l.labels),
                Some(m @ LabelModifier::Exclude(_)) => lhs.without(&label_list(m)),
                None => lhs,
            }
        }
        VectorMatchCardinality::ManyToOne(extra) => lhs.with(&extra.labels),
        VectorMatchCardinality::OneToMany(extra) => rhs.with(&extra.labels),
    }
}

fn call_labels(c: &Call, resolve: &Resolve<'_>) -> Labels {
    let args = &c.args.args;
    let first = || {
        args.first()
            .map_or_else(Labels::none, |a| output_labels_with(a, resolve))
    };
    let string_arg = |i: usize| match args.get(i).map(|a| a.as_ref()) {
        Some(Expr::StringLiteral(s)) => Some(s.val.clone()),
        _ => None,
    };
    match c.func.name {
        "absent" | "absent_over_time" => {
            let mut set = BTreeSet::new();
            if let Some(arg) = args.first() {
                for vs in selectors(arg) {
                    for m in &vs.matchers.matchers {
                        if m.op == MatchOp::Equal && m.name != "__name__" {
                            set.insert(m.name.clone());
                        }
                    }
                }
            }
            Labels::Only(set)
        }
        "vector" | "time" | "scalar" | "pi" => Labels::none(),
        "label_replace" | "label_join" => match string_arg(1) {
            Some(dst) => first().with(&[dst]),
            None => first(),
        },
        "histogram_quantile" | "histogram_fraction" => args
            .iter()
            .find(|a| !is_scalar(a))
            .map_or_else(Labels::none, |a| output_labels_with(a, resolve))
            .without(&["le".to_owned()]),
        _ => args
            .iter()
            .find(|a| !is_scalar(a) && !matches!(a.as_ref(), Expr::StringLiteral(_)))
            .map_or_else(Labels::none, |a| output_labels_with(a, resolve)),
    }
}

/// Prometheus' legacy metric-name syntax (before UTF-8 names in 3.0).
pub fn is_legacy_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Prometheus' legacy label-name syntax.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn labels(q: &str) -> Labels {
        output_labels(&parse(q).unwrap())
    }

    #[test]
    fn filter_detection() {
        for (q, expected) in [
            ("up == 0", true),
            ("up", false),
            ("rate(x[5m]) * 100", false),
            ("sum(rate(x[5m])) > 1", true),
            ("absent(up{job=\"a\"})", true),
            ("up == bool 0", false),
            ("a and b", true),
            ("(a > 1) or b", false),
        ] {
            assert_eq!(filters(&parse(q).unwrap()), expected, "{q}");
        }
    }

    #[test]
    fn label_analysis() {
        assert!(!labels("sum(rate(x[5m])) > 1").may_have("instance"));
        assert!(labels("sum by (instance) (rate(x[5m])) > 1").may_have("instance"));
        assert!(!labels("sum without (instance) (x)").may_have("instance"));
        assert!(labels("sum without (instance) (x)").may_have("job"));
        assert!(labels("up == 0").may_have("instance"));
        assert!(!labels("histogram_quantile(0.95, sum by (le) (rate(x[5m])))").may_have("job"));
        assert!(labels("absent(up{job=\"a\"})").may_have("job"));
        assert!(!labels("absent(up{job=\"a\"})").may_have("instance"));
        assert!(labels("label_replace(sum(x), \"dst\", \"$1\", \"a\", \"(.*)\")").may_have("dst"));
    }

    #[test]
    fn rate_window_detection() {
        let e = parse("rate(x{job=\"a\"}[1m]) + increase(y[10m]) + avg_over_time(z[1m])").unwrap();
        let w = rate_windows(&e);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].2, Duration::from_secs(60));
        assert_eq!(pinned(w[0].1, "job"), Some("a"));
    }

    #[test]
    fn unitless_durations_are_found_outside_strings() {
        assert_eq!(
            unitless_duration("rate(x[5])").map(|d| d.1),
            Some("5".to_owned())
        );
        assert_eq!(
            unitless_duration("x[5m:30]").map(|d| d.1),
            Some("30".to_owned())
        );
        assert_eq!(
            unitless_duration("x offset 5").map(|d| d.1),
            Some("5".to_owned())
        );
        assert_eq!(unitless_duration("rate(x[5m]) offset 1h"), None);
        assert_eq!(unitless_duration("x{a=\"[5]\"}"), None);
        assert_eq!(unitless_duration("max_over_time(x[1h:])"), None);
    }

    #[test]
    fn unbalanced_brackets() {
        assert_eq!(unbalanced_bracket("sum(rate(x[5m])"), Some(3));
        assert_eq!(unbalanced_bracket("sum(x) > 1)"), Some(10));
        assert_eq!(unbalanced_bracket("x{a=\"(\"}"), None);
        assert_eq!(unbalanced_bracket("# (\nsum(x)"), None);
        assert_eq!(unbalanced_bracket("up{job=\"a\""), Some(2));
    }

    #[test]
    fn grammar_errors_are_located() {
        let at = |q: &str| {
            let message = parse(q).unwrap_err();
            error_offset(q, &message)
        };
        assert_eq!(at("sum(rate(x[5m])) >"), Some(17));
        assert_eq!(at("foo bar"), Some(4));
        assert_eq!(at("x > > 1"), Some(4));
        assert_eq!(at("sum(x) by job"), Some(10));
        assert_eq!(at("1 +"), Some(2));
        assert_eq!(at("rate2(x[5m])"), Some(0));
        assert_eq!(at("up{job=\"a\"} $ 1"), Some(12));
        assert_eq!(at("sum(rate(x[5m])"), Some(3));
        assert_eq!(at("x{a=\"b}"), Some(4));
        assert_eq!(at("(x >) + 1"), Some(3));
        // Valid neighbours are not taken for errors.
        assert_eq!(
            grammar_error(&tokens("x > -1 and on (a) y offset 5m")),
            None
        );
        assert_eq!(
            grammar_error(&tokens("sum by (job) (x{a=\"b c\"}[5m:1m])")),
            None
        );
        assert_eq!(grammar_error(&tokens("a * on (x) group_left (y) b")), None);
        assert_eq!(grammar_error(&tokens("a * on (x) group_left b")), None);
    }

    #[test]
    fn garbage_does_not_panic() {
        for q in [
            "", "(((", "sum by (", "x[", "{}", "1 +", "\"abc", "x offset",
        ] {
            let _ = parse(q);
        }
    }
}
