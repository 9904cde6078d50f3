//! What a check reports, before configuration decides its severity and
//! comments may suppress it.

use std::time::Duration;

use crate::yaml::{Node, Source};

/// A position in a file: 1-based line and column, the last line the node
/// covers, and character offsets (to find text inside the node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub start: usize,
    pub end: usize,
}

impl Pos {
    pub fn of(node: &Node) -> Self {
        Self {
            line: node.line,
            col: node.col,
            end_line: node.end_line,
            start: node.start,
            end: node.end,
        }
    }

    pub fn node(self) -> Node {
        Node {
            kind: crate::yaml::Kind::Seq(Vec::new()),
            line: self.line,
            col: self.col,
            end_line: self.end_line,
            start: self.start,
            end: self.end,
        }
    }
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Sp<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        Self { value, pos }
    }
}

pub type SpStr = Sp<String>;
pub type SpDur = Sp<Duration>;

/// One finding of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub check: &'static str,
    pub message: String,
    /// Index into the linted files.
    pub file: usize,
    pub line: u32,
    pub col: u32,
    /// Group and rule (or receiver, route) the finding is about.
    pub subject: Option<String>,
    pub help: Option<String>,
    /// Lines of the enclosing rule or route: a `disable` comment anywhere
    /// inside it applies to the finding.
    pub scope: Option<(u32, u32)>,
}

impl Finding {
    pub fn new(check: &'static str, file: usize, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            check,
            message: message.into(),
            file,
            line: pos.line,
            col: pos.col,
            subject: None,
            help: None,
            scope: None,
        }
    }

    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn scope(mut self, scope: Option<(u32, u32)>) -> Self {
        self.scope = scope;
        self
    }

    #[must_use]
    pub fn at(mut self, line: u32, col: u32) -> Self {
        self.line = line;
        self.col = col;
        self
    }
}

/// Collects findings for one file while its model is built.
pub struct Sink<'a> {
    pub file: usize,
    pub source: &'a Source,
    pub findings: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    pub fn push(&mut self, check: &'static str, pos: Pos, message: impl Into<String>) {
        self.findings
            .push(Finding::new(check, self.file, pos, message));
    }

    pub fn push_finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }
}
