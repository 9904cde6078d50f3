//! Strict schema helpers: the loaders of Prometheus and Alertmanager reject
//! unknown fields and values of the wrong type, so these report both (every
//! one, with its position) while the typed model is built.

use std::time::Duration;

use crate::checks::ids;
use crate::duration;
use crate::finding::{Pos, Sink, Sp, SpDur, SpStr};
use crate::yaml::{Kind, Node};

/// A field a mapping may have, and from which version on.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub since: Option<(u32, u32)>,
}

pub const fn f(name: &'static str) -> Field {
    Field { name, since: None }
}

pub const fn since(name: &'static str, major: u32, minor: u32) -> Field {
    Field {
        name,
        since: Some((major, minor)),
    }
}

impl Sink<'_> {
    /// The entries of a mapping; unknown fields (for `version` of `product`)
    /// are reported, with a suggestion when one is close.
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[Field],
        version: (u32, u32),
        product: &str,
    ) -> &'n [(Node, Node)] {
        let Some(entries) = self.mapping(node, what) else {
            return &[];
        };
        for (key, _) in entries {
            let Some(name) = key.as_str() else { continue };
            match allowed.iter().find(|f| f.name == name) {
                Some(Field {
                    since: Some(min), ..
                }) if version < *min => {
                    self.push(
                        ids::UNKNOWN_FIELD,
                        Pos::of(key),
                        format!(
                            "field `{name}` in {what} needs {product} {}.{} or later (target is {}.{})",
                            min.0, min.1, version.0, version.1
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    let mut message = format!("unknown field `{name}` in {what}");
                    if let Some(best) = closest(name, allowed.iter().map(|f| f.name)) {
                        message.push_str(&format!("; did you mean `{best}`?"));
                    }
                    self.push(ids::UNKNOWN_FIELD, Pos::of(key), message);
                }
            }
        }
        entries
    }

    /// A mapping (null counts as empty); anything else is a type error.
    pub fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
        match &node.kind {
            Kind::Map(entries) => Some(entries),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.push(
                    ids::WRONG_TYPE,
                    Pos::of(node),
                    format!("{what} must be a mapping, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A list (null counts as empty).
    pub fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            _ if node.is_null() => &[],
            _ => {
                self.push(
                    ids::WRONG_TYPE,
                    Pos::of(node),
                    format!("{what} must be a list, found a {}", node.type_name()),
                );
                &[]
            }
        }
    }

    /// A string scalar, as written. Null is `None` (Go's zero value).
    pub fn string(&mut self, node: &Node, what: &str) -> Option<SpStr> {
        if node.is_null() {
            return None;
        }
        match &node.kind {
            Kind::Scalar { value, .. } => Some(Sp::new(value.clone(), Pos::of(node))),
            _ => {
                self.push(
                    ids::WRONG_TYPE,
                    Pos::of(node),
                    format!("{what} must be a string, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A list of strings.
    pub fn strings(&mut self, node: &Node, what: &str) -> Vec<SpStr> {
        self.list(node, what)
            .iter()
            .filter_map(|item| self.string(item, what))
            .collect()
    }

    /// A mapping of strings to strings (labels, annotations).
    pub fn string_map(&mut self, node: &Node, what: &str) -> Vec<(SpStr, SpStr)> {
        let Some(entries) = self.mapping(node, what) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(key) = self.string(k, &format!("a key of {what}")) else {
                continue;
            };
            let value = self
                .string(v, &format!("{what}.{}", key.value))
                .unwrap_or_else(|| Sp::new(String::new(), Pos::of(v)));
            out.push((key, value));
        }
        out
    }

    /// A Prometheus duration.
    pub fn duration(&mut self, node: &Node, what: &str) -> Option<SpDur> {
        let text = self.string(node, what)?;
        match duration::parse(&text.value) {
            Ok(d) => Some(Sp::new(d, text.pos)),
            Err(message) => {
                self.push(
                    ids::INVALID_DURATION,
                    text.pos,
                    format!("{what}: {message}"),
                );
                None
            }
        }
    }

    /// An integer.
    pub fn integer(&mut self, node: &Node, what: &str) -> Option<Sp<i64>> {
        let text = self.string(node, what)?;
        if let Ok(v) = text.value.parse::<i64>() {
            return Some(Sp::new(v, text.pos));
        }
        self.push(
            ids::WRONG_TYPE,
            text.pos,
            format!("{what} must be an integer, found {:?}", text.value),
        );
        None
    }

    /// A boolean (go-yaml v2 also reads yes/no/on/off).
    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<Sp<bool>> {
        let text = self.string(node, what)?;
        let value = match text.value.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => true,
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => false,
            other => {
                self.push(
                    ids::WRONG_TYPE,
                    text.pos,
                    format!("{what} must be true or false, found {other:?}"),
                );
                return None;
            }
        };
        Some(Sp::new(value, text.pos))
    }
}

/// The closest candidate by edit distance, when it is plausibly a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < name.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Zero durations mean "unset" in several Prometheus fields.
pub fn nonzero(d: &Option<SpDur>) -> Option<Duration> {
    d.as_ref().map(|d| d.value).filter(|d| !d.is_zero())
}
