//! Rules: what a tool can report, declared once. A rule's id is the `code`
//! of its findings; the tool's [`Registry`] (built with [`rules!`](crate::rules))
//! is what `--explain`, `--list-checks`, SARIF's rule descriptions and the
//! validation of `--select`/`--ignore` read, so none of them keeps its own list.

use crate::diagnostic::Severity;

/// One rule: a stable id, the severity its findings have unless the
/// configuration says otherwise, and its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier, e.g. `forbidden-value` or `rate-window`.
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what the rule looks for (SARIF's short description).
    pub summary: &'static str,
    /// Why it matters and how to fix a finding: what `--explain` prints and
    /// SARIF's help text.
    pub explanation: &'static str,
}

/// Every rule of one tool, in the order the tool lists them.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    rules: &'static [&'static Rule],
}

impl Registry {
    /// Prefer the [`rules!`](crate::rules) macro, which also checks the ids
    /// are unique at compile time.
    pub const fn new(rules: &'static [&'static Rule]) -> Self {
        Self { rules }
    }

    pub fn all(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied()
    }

    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.all().map(|r| r.id)
    }

    pub fn find(&self, id: &str) -> Option<&'static Rule> {
        self.all().find(|r| r.id == id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.find(id).is_some()
    }

    /// The rule named `id`, or a message saying there is none, with the
    /// closest id when `id` looks like a typo of it. `what` names where the
    /// id came from (`--ignore`, `select in [validate-env]`).
    pub fn lookup(&self, id: &str, what: &str) -> Result<&'static Rule, String> {
        self.find(id).ok_or_else(|| {
            let mut message = format!("{what}: unknown rule {id:?}");
            if let Some(best) = closest(id, self.ids()) {
                message.push_str(&format!("; did you mean {best:?}?"));
            }
            message
        })
    }

    /// `--list-checks`: one line per rule, id, default severity and summary.
    pub fn listing(&self) -> String {
        let width = self.ids().map(str::len).max().unwrap_or(0);
        self.all()
            .map(|r| {
                format!(
                    "{:<width$}  {:<7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                )
            })
            .collect()
    }

    /// `--explain ID`: the rule's id, default severity, summary and
    /// explanation, and how to turn it off in `table` of shipshape.toml.
    pub fn explain(&self, id: &str, table: &str) -> Result<String, crate::UsageError> {
        let rule = self
            .lookup(id, "--explain")
            .map_err(|m| crate::UsageError::new(format!("{m} (see --list-checks)")))?;
        let mut text = format!(
            "{} ({} by default)\n\n{}\n",
            rule.id, rule.severity, rule.summary
        );
        if !rule.explanation.is_empty() {
            text.push('\n');
            text.push_str(&wrap(rule.explanation, 78));
            text.push('\n');
        }
        text.push_str(&format!(
            "\nTurn it off with --ignore {id}, or in shipshape.toml:\n  [{table}]\n  ignore = [\"{id}\"]\n",
            id = rule.id
        ));
        Ok(text)
    }

    /// Compile-time check used by [`rules!`](crate::rules): no id twice.
    #[doc(hidden)]
    pub const fn assert_unique(rules: &[&Rule]) {
        let mut i = 0;
        while i < rules.len() {
            let mut j = i + 1;
            while j < rules.len() {
                assert!(!str_eq(rules[i].id, rules[j].id), "two rules share an id");
                j += 1;
            }
            i += 1;
        }
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Words of `text` on lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// The closest candidate by edit distance, when it is plausibly a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < name.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Declare a tool's rules once, as a [`Registry`] static.
///
/// Either list rules defined elsewhere (one file per check):
///
/// ```
/// mod a {
///     use shipshape_core::{Rule, Severity};
///     pub const RULE: Rule = Rule { id: "a", severity: Severity::Error, summary: "", explanation: "" };
/// }
/// shipshape_core::rules! {
///     pub static RULES = [a::RULE];
/// }
/// assert!(RULES.contains("a"));
/// ```
///
/// or declare them in place, each becoming a `Rule` constant:
///
/// ```
/// shipshape_core::rules! {
///     pub static RULES {
///         /// Doc comment of the constant.
///         pub CORRUPT = ("corrupt", Error, "summary", "explanation");
///     }
/// }
/// assert_eq!(RULES.find("corrupt"), Some(&CORRUPT));
/// ```
///
/// A duplicate id fails to compile.
#[macro_export]
macro_rules! rules {
    ($(#[$smeta:meta])* $vis:vis static $registry:ident = [ $($rule:path),* $(,)? ];) => {
        $(#[$smeta])*
        $vis static $registry: $crate::rule::Registry = {
            const LIST: &[&$crate::rule::Rule] = &[ $(&$rule),* ];
            const _: () = $crate::rule::Registry::assert_unique(LIST);
            $crate::rule::Registry::new(LIST)
        };
    };
    ($(#[$smeta:meta])* $vis:vis static $registry:ident {
        $( $(#[$meta:meta])* $cvis:vis $name:ident = ($id:literal, $severity:ident, $summary:expr, $explanation:expr $(,)?); )*
    }) => {
        $(
            $(#[$meta])*
            $cvis const $name: $crate::rule::Rule = $crate::rule::Rule {
                id: $id,
                severity: $crate::diagnostic::Severity::$severity,
                summary: $summary,
                explanation: $explanation,
            };
        )*
        $crate::rules! { $(#[$smeta])* $vis static $registry = [ $($name),* ]; }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::rules! {
        static RULES {
            FORBIDDEN = ("forbidden-value", Error, "a forbidden value", "change it");
            WEAK = ("weak-secret", Warning, "a weak secret", "make it longer");
        }
    }

    #[test]
    fn lookup_finds_ids_and_suggests_close_ones() {
        assert_eq!(RULES.lookup("weak-secret", "--ignore"), Ok(&WEAK));
        assert_eq!(
            RULES.lookup("forbiden-value", "--ignore").unwrap_err(),
            "--ignore: unknown rule \"forbiden-value\"; did you mean \"forbidden-value\"?"
        );
        assert_eq!(
            RULES.lookup("nonsense", "--select").unwrap_err(),
            "--select: unknown rule \"nonsense\""
        );
    }

    #[test]
    fn listing_aligns_ids() {
        assert_eq!(
            RULES.listing(),
            "forbidden-value  error    a forbidden value\nweak-secret      warning  a weak secret\n"
        );
    }

    #[test]
    fn duplicate_ids_are_caught() {
        let dup: &[&Rule] = &[&FORBIDDEN, &WEAK, &FORBIDDEN];
        let result = std::panic::catch_unwind(|| Registry::assert_unique(dup));
        assert!(result.is_err());
        Registry::assert_unique(&[&FORBIDDEN, &WEAK]);
    }
}
