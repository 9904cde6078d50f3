//! Strict schema helpers: the loaders of Prometheus and Alertmanager reject
//! unknown fields and values of the wrong type, so these report both (every
//! one, with its position) while the typed model is built.

use std::time::Duration;

use crate::checks;
use crate::duration;
use crate::finding::{Pos, Sink, Sp, SpDur, SpStr};
use crate::yaml::{Kind, Node, Style};

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
                        checks::unknown_field::CHECK.id,
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
                    self.push(checks::unknown_field::CHECK.id, Pos::of(key), message);
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
                    checks::wrong_type::CHECK.id,
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
                    checks::wrong_type::CHECK.id,
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
                    checks::wrong_type::CHECK.id,
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
                    checks::invalid_duration::CHECK.id,
                    text.pos,
                    format!("{what}: {message}"),
                );
                None
            }
        }
    }

    /// An integer, as go-yaml decodes one into a Go `int`: a plain scalar
    /// (see [`go_yaml_int`]); a quoted or block scalar is a string, which
    /// go-yaml refuses.
    pub fn integer(&mut self, node: &Node, what: &str) -> Option<Sp<i64>> {
        let text = self.string(node, what)?;
        let plain = matches!(
            &node.kind,
            Kind::Scalar {
                style: Style::Plain,
                ..
            }
        );
        if let Some(v) = go_yaml_int(&text.value).filter(|_| plain) {
            return Some(Sp::new(v, text.pos));
        }
        self.push(
            checks::wrong_type::CHECK.id,
            text.pos,
            format!(
                "{what} must be an integer, found {}{:?}",
                if plain { "" } else { "the string " },
                text.value
            ),
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
                    checks::wrong_type::CHECK.id,
                    text.pos,
                    format!("{what} must be true or false, found {other:?}"),
                );
                return None;
            }
        };
        Some(Sp::new(value, text.pos))
    }
}

pub use shipshape_core::rule::closest;

/// Zero durations mean "unset" in several Prometheus fields.
pub fn nonzero(d: &Option<SpDur>) -> Option<Duration> {
    d.as_ref().map(|d| d.value).filter(|d| !d.is_zero())
}

/// The value go-yaml (v2 and v3 alike) stores in a Go `int` for a plain
/// scalar: `_` separators dropped, then an integer in Go's base-0 syntax
/// (`42`, `+5`, `-1`, `0x10`, `0o17`, `0b101`, legacy octal `010`), else a
/// YAML float (`1.5`, `1e3`) truncated toward zero when it fits — go-yaml
/// accepts `limit: 1.5` as 1, and so does promtool.
pub fn go_yaml_int(text: &str) -> Option<i64> {
    let plain = text.replace('_', "");
    if let Some(v) = go_int_base0(&plain) {
        return Some(v);
    }
    let float = regex_lite_float(&plain)?;
    // NaN fails both comparisons; infinities are not YAML-style floats.
    (float <= i64::MAX as f64 && float >= i64::MIN as f64).then(|| float.trunc() as i64)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (without `_`, already removed).
fn go_int_base0(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn regex_lite_float(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        None => !int.is_empty() && digits(int),
        Some(f) if int.is_empty() => !f.is_empty() && digits(f),
        Some(f) => digits(int) && digits(f),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::go_yaml_int;

    #[test]
    fn integers_as_go_yaml_reads_them() {
        for (text, value) in [
            ("10", 10),
            ("+5", 5),
            ("-1", -1),
            ("0x10", 16),
            ("0o17", 15),
            ("0b101", 5),
            ("010", 8),
            ("08", 8),
            ("1_000", 1000),
            ("1.5", 1),
            ("-1.5", -1),
            ("5.0", 5),
            ("1e3", 1000),
            (".5", 0),
        ] {
            assert_eq!(go_yaml_int(text), Some(value), "{text}");
        }
        for text in [
            "ten",
            "",
            "-",
            "0x",
            "1.2.3",
            "1e",
            ".inf",
            ".nan",
            "true",
            "9999999999999999999",
            "1e30",
        ] {
            assert_eq!(go_yaml_int(text), None, "{text}");
        }
    }
}
