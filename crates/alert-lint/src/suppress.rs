//! `# alert-lint: disable=ID[,ID…]` comments.
//!
//! - In the header of a file (before any YAML content), or written as
//!   `disable-file=`, a comment silences the checks for the whole file.
//! - Anywhere else it silences them on its own line, on the next line, and
//!   inside the rule (or route) that contains the comment.
//!
//! `all` stands for every check.

use crate::yaml::Source;

#[derive(Debug, Default, Clone)]
pub struct Suppressions {
    file: Vec<String>,
    /// (line of the comment, ids)
    lines: Vec<(u32, Vec<String>)>,
}

const MARKER: &str = "alert-lint:";

impl Suppressions {
    pub fn scan(source: &Source) -> Self {
        let mut out = Self::default();
        let mut header = true;
        for (line, text) in source.lines() {
            let trimmed = text.trim_start();
            let is_comment = trimmed.starts_with('#');
            if !trimmed.is_empty() && !is_comment && trimmed != "---" {
                header = false;
            }
            // The marker may follow a `#` inside a quoted value on the same
            // line (`summary: "see #12"  # alert-lint: ...`): try each `#`.
            let Some(rest) = text
                .match_indices('#')
                .find_map(|(hash, _)| text[hash + 1..].trim_start().strip_prefix(MARKER))
            else {
                continue;
            };
            let rest = rest.trim();
            let (file_wide, ids) = if let Some(ids) = rest.strip_prefix("disable-file=") {
                (true, ids)
            } else if let Some(ids) = rest.strip_prefix("disable=") {
                (header, ids)
            } else {
                continue;
            };
            let ids: Vec<String> = ids
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if file_wide {
                out.file.extend(ids);
            } else {
                out.lines.push((line, ids));
            }
        }
        out
    }

    /// Is a finding of `check` at `line` (inside `scope`) silenced?
    pub fn silences(&self, check: &str, line: u32, scope: Option<(u32, u32)>) -> bool {
        let hit = |ids: &Vec<String>| ids.iter().any(|id| id == check || id == "all");
        if hit(&self.file) {
            return true;
        }
        self.lines.iter().any(|(at, ids)| {
            hit(ids)
                && (*at == line
                    || *at + 1 == line
                    || scope.is_some_and(|(start, end)| *at + 1 >= start && *at <= end))
        })
    }

    /// Every id named in a comment (to warn about typos).
    pub fn named(&self) -> impl Iterator<Item = &str> {
        self.file
            .iter()
            .chain(self.lines.iter().flat_map(|(_, ids)| ids))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let src = Source::new(
            "# alert-lint: disable=alert-name-case\ngroups:\n- name: a\n  rules:\n  - alert: x # alert-lint: disable=missing-for\n    expr: up\n".to_owned(),
        );
        let s = Suppressions::scan(&src);
        assert!(s.silences("alert-name-case", 5, None));
        assert!(s.silences("missing-for", 5, Some((5, 6))));
        assert!(s.silences("missing-for", 6, Some((5, 6))));
        assert!(!s.silences("missing-for", 9, Some((8, 9))));
        assert!(!s.silences("always-firing", 5, Some((5, 6))));
        let src = Source::new("a: \"see #12\"  # alert-lint: disable=x\n".to_owned());
        assert!(Suppressions::scan(&src).silences("x", 1, None));
    }
}
