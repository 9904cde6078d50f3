//! A YAML tree that remembers where every node came from.
//!
//! Built from `saphyr-parser` events (the parser under `serde-saphyr`) rather
//! than through serde, because a linter needs what a deserializer throws
//! away: every duplicate key (not just the first), the scalar exactly as
//! written and whether it was quoted, and the line and column of each node.
//! Merge keys (`<<`) and aliases are resolved the way go-yaml resolves them
//! for Prometheus and Alertmanager: explicit keys win over merged ones.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    /// `|` or `>` block scalar.
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar { value: String, style: Style },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// One YAML node and its position (1-based line and column of its first
/// character; `end_line` is the last line it covers).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    /// Character offsets of the node in the source (for locating text inside it).
    pub start: usize,
    pub end: usize,
}

/// A problem reading YAML: a syntax error, or a duplicate key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub duplicate_key: bool,
    pub message: String,
    pub line: u32,
    pub col: u32,
}

/// Every document of a YAML stream, plus the problems found on the way.
/// A syntax error ends the stream: the documents before it are kept.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Node>,
    pub problems: Vec<YamlProblem>,
    pub syntax_error: bool,
}

/// Guard against alias bombs: Prometheus' go-yaml also caps alias expansion.
const MAX_ALIAS_NODES: usize = 1_000_000;

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// An empty (null) node at the start of the file.
    pub fn null() -> Node {
        Node {
            kind: Kind::Scalar {
                value: String::new(),
                style: Style::Plain,
            },
            line: 1,
            col: 1,
            end_line: 1,
            start: 0,
            end: 0,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, style: Style::Plain } if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<Style> {
        match &self.kind {
            Kind::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A short name of the node's type for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "null",
            Kind::Scalar { .. } => "scalar",
            Kind::Seq(_) => "list",
            Kind::Map(_) => "mapping",
        }
    }
}

/// Parse a YAML stream.
pub fn parse(text: &str) -> Stream {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => {
                if let Err(message) = builder.event(event, span) {
                    let (line, col) = marker(span.start);
                    builder.stream.problems.push(YamlProblem {
                        duplicate_key: false,
                        message,
                        line,
                        col,
                    });
                    builder.stream.syntax_error = true;
                    break;
                }
            }
            Some(Err(err)) => {
                let (line, col) = marker(*err.marker());
                builder.stream.problems.push(YamlProblem {
                    duplicate_key: false,
                    message: err.info().to_owned(),
                    line,
                    col,
                });
                builder.stream.syntax_error = true;
                break;
            }
        }
    }
    builder.stream
}

fn marker(m: saphyr_parser::Marker) -> (u32, u32) {
    (
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Node>,
        span: Span,
    },
    Map {
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        span: Span,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    stream: Stream,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), String> {
        match event {
            Event::Scalar(value, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let line = marker(span.start).0;
                // A block scalar's span runs over trailing blank lines; its
                // node starts at its first content line and ends as many lines later.
                let end = if style == Style::Block {
                    let lines = value.trim_end_matches('\n').lines().count().max(1);
                    line.saturating_add(u32::try_from(lines - 1).unwrap_or(u32::MAX))
                } else {
                    end_line(span)
                };
                let node = Node {
                    kind: Kind::Scalar {
                        value: value.into_owned(),
                        style,
                    },
                    line,
                    col: marker(span.start).1,
                    end_line: end.max(line),
                    start: span.start.index(),
                    end: span.end.index(),
                };
                self.finish(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err("unknown anchor".to_owned());
                };
                self.alias_nodes += count(&node);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err("document contains excessive aliasing".to_owned());
                }
                self.finish(node, 0)?;
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                anchor,
                items: Vec::new(),
                span,
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                anchor,
                entries: Vec::new(),
                pending_key: None,
                span,
            }),
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    anchor,
                    items,
                    span: start,
                }) = self.stack.pop()
                {
                    let node = container(Kind::Seq(items), start, span);
                    self.finish(node, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    anchor,
                    entries,
                    span: start,
                    ..
                }) = self.stack.pop()
                {
                    let entries = self.resolve_map(entries);
                    let node = container(Kind::Map(entries), start, span);
                    self.finish(node, anchor)?;
                }
            }
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    /// Attach a finished node to its parent (or make it a document).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), String> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.stream.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }

    /// Report duplicate keys and expand `<<` merge keys (explicit keys win).
    fn resolve_map(&mut self, entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
        let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        let mut merges = Vec::new();
        let mut seen: HashMap<String, (u32, u32)> = HashMap::new();
        for (key, value) in entries {
            if let Kind::Scalar {
                value: k,
                style: Style::Plain,
            } = &key.kind
                && k == "<<"
            {
                merges.push(value);
                continue;
            }
            if let Some(text) = key.as_str() {
                if let Some((line, _)) = seen.get(text) {
                    self.stream.problems.push(YamlProblem {
                        duplicate_key: true,
                        message: format!("duplicate key `{text}` (first defined on line {line})"),
                        line: key.line,
                        col: key.col,
                    });
                    // go-yaml rejects the file; keep the first value so later
                    // checks still see a consistent mapping.
                    continue;
                }
                seen.insert(text.to_owned(), (key.line, key.col));
            }
            out.push((key, value));
        }
        for merge in merges {
            let sources: Vec<Node> = match merge.kind {
                Kind::Map(_) => vec![merge],
                Kind::Seq(items) => items,
                Kind::Scalar { .. } => Vec::new(),
            };
            for source in sources {
                if let Kind::Map(merged) = source.kind {
                    for (key, value) in merged {
                        let known = key.as_str().is_some_and(|k| seen.contains_key(k));
                        if !known {
                            if let Some(k) = key.as_str() {
                                seen.insert(k.to_owned(), (key.line, key.col));
                            }
                            out.push((key, value));
                        }
                    }
                }
            }
        }
        out
    }
}

fn end_line(span: Span) -> u32 {
    // An end marker at column 0 means the node ended with the previous line.
    let line = u32::try_from(span.end.line()).unwrap_or(u32::MAX);
    if span.end.col() == 0 && line > 1 && span.end.index() > span.start.index() {
        line - 1
    } else {
        line
    }
}

fn container(kind: Kind, start: Span, end: Span) -> Node {
    let (line, col) = marker(start.start);
    // The end event of a block collection sits at the next token (often the
    // next item's line), so the last line is taken from the last child.
    let last = match &kind {
        Kind::Seq(items) => items.last().map(|n| n.end_line),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| k.end_line.max(v.end_line))
            .max(),
        Kind::Scalar { .. } => None,
    };
    Node {
        kind,
        line,
        col,
        end_line: last.map_or(line, |l| l.max(line)),
        start: start.start.index(),
        end: end.end.index(),
    }
}

fn count(node: &Node) -> usize {
    match &node.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
    }
}

/// Maps character offsets of the source back to lines and columns, and
/// slices the source by character offsets.
#[derive(Debug)]
pub struct Source {
    pub text: String,
    /// Byte offset of each line start.
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Self { text, line_starts }
    }

    /// Byte offset of a 1-based line and column. Line and column from the
    /// parser are exact; its running `index` mixes byte and character counts
    /// on non-ASCII input, so node starts are computed from line and column.
    fn byte_at(&self, line: u32, col: u32) -> usize {
        let Some(&start) = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| self.line_starts.get(l))
        else {
            return self.text.len();
        };
        let rest = self.text.get(start..).unwrap_or("");
        let skip = usize::try_from(col.saturating_sub(1)).unwrap_or(0);
        start + rest.char_indices().nth(skip).map_or(rest.len(), |(b, _)| b)
    }

    /// The byte range of a node: from its line and column to its end index
    /// (treated as bytes, moved back to a character boundary).
    fn range(&self, node: &Node) -> (usize, usize) {
        let start = self.byte_at(node.line, node.col);
        let mut end = node.end.min(self.text.len());
        while end > 0 && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        (start, end.max(start))
    }

    /// The source text of a node (as written, quotes and all).
    pub fn slice(&self, node: &Node) -> &str {
        let (start, end) = self.range(node);
        self.text.get(start..end).unwrap_or("")
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, byte: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..byte)
            .map_or(1, |s| s.chars().count() + 1);
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }

    /// Where `needle` first appears inside `node` as written, else the node's start.
    pub fn locate(&self, node: &Node, needle: &str) -> (u32, u32) {
        let (start, end) = self.range(node);
        if !needle.is_empty()
            && let Some(found) = self.text.get(start..end).and_then(|s| s.find(needle))
        {
            return self.position(start + found);
        }
        (node.line, node.col)
    }

    /// Where byte `offset` of a scalar's value is in the file, for the
    /// layouts where that is exact: literal blocks (`|`) and single-line
    /// plain or quoted scalars (before any escape). Else the scalar's start.
    pub fn position_in_scalar(
        &self,
        line: u32,
        col: u32,
        end_line: u32,
        style: Option<Style>,
        value: &str,
        offset: usize,
    ) -> (u32, u32) {
        let Some(before) = value.get(..offset) else {
            return (line, col);
        };
        let chars = |s: &str| u32::try_from(s.chars().count()).unwrap_or(u32::MAX);
        match style {
            Some(Style::Block) => {
                let row = u32::try_from(before.matches('\n').count()).unwrap_or(0);
                let in_line = before.rsplit('\n').next().unwrap_or("");
                (line.saturating_add(row), col.saturating_add(chars(in_line)))
            }
            Some(Style::Plain) if end_line == line && !value.contains('\n') => {
                (line, col.saturating_add(chars(before)))
            }
            Some(Style::Quoted) if end_line == line && !before.contains(['\\', '\'']) => {
                (line, col.saturating_add(1 + chars(before)))
            }
            _ => (line, col),
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = (u32, &str)> {
        self.text
            .lines()
            .enumerate()
            .map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), l))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn positions_and_styles() {
        let s = parse("a: 1\nb:\n  - 'x'\n  - |\n    y\n");
        let doc = &s.documents[0];
        let b = doc.get("b").unwrap();
        assert_eq!((b.line, b.col), (3, 3));
        let items = b.as_seq().unwrap();
        assert_eq!(items[0].style(), Some(Style::Quoted));
        assert_eq!((items[0].line, items[0].col), (3, 5));
        assert_eq!(items[1].as_str(), Some("y\n"));
        // Block scalars start at their first content line.
        assert_eq!((items[1].line, items[1].col), (5, 5));
        assert!(s.problems.is_empty());
    }

    #[test]
    fn every_duplicate_key_is_reported() {
        let s = parse("a: 1\na: 2\nb: 1\nb: 3\n");
        let dups: Vec<_> = s.problems.iter().map(|p| (p.line, p.col)).collect();
        assert_eq!(dups, vec![(2, 1), (4, 1)]);
        assert_eq!(s.documents[0].get("a").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn merge_keys_explicit_wins() {
        let s = parse("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n");
        let c = s.documents[0].get("c").unwrap();
        assert_eq!(c.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(c.get("y").unwrap().as_str(), Some("3"));
        assert!(s.problems.is_empty(), "{:?}", s.problems);
    }

    #[test]
    fn syntax_error_has_position() {
        let s = parse("a:\n\tb: 1\n");
        assert!(s.syntax_error);
        assert_eq!(s.problems[0].line, 2);
    }

    #[test]
    fn block_collections_end_on_their_last_line() {
        let s = parse("a:\n  - x: 1\n    y: 2\n  - x: 3\n    y: |\n      z\n\nb: 1\n");
        let items = s.documents[0].get("a").unwrap().as_seq().unwrap();
        assert_eq!((items[0].line, items[0].end_line), (2, 3));
        assert_eq!((items[1].line, items[1].end_line), (4, 6));
    }

    #[test]
    fn locate_in_non_ascii_text() {
        let text = "é: ü\nexpr: \"rate(x[1m])\"\n".to_owned();
        let stream = parse(&text);
        let node = stream.documents[0].get("expr").unwrap().clone();
        let source = Source::new(text);
        assert_eq!(source.locate(&node, "[1m]"), (2, 14));
        assert_eq!(source.slice(&node), "\"rate(x[1m])\"");
    }

    #[test]
    fn multi_document() {
        let s = parse("a: 1\n---\nb: 2\n");
        assert_eq!(s.documents.len(), 2);
    }
}
