//! dbmate: `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down`
//! sections; `transaction:false` on a marker line runs that section outside
//! a transaction.

use std::path::Path;

use anyhow::Context as _;

use super::{Loaded, Migration, Problem, Script, display, order, split_version};
use crate::checks::Check;

/// A parsed dbmate file: (up, down) sections with their first line and options.
struct Sections {
    up: Option<(u32, String, bool)>,
    down: Option<(u32, String, bool)>,
}

fn parse(text: &str) -> Sections {
    let mut sections = Sections {
        up: None,
        down: None,
    };
    let mut current: Option<(bool, u32, String, bool)> = None; // (is_up, first_line, text, no_tx)
    let close = |current: &mut Option<(bool, u32, String, bool)>, sections: &mut Sections| {
        if let Some((is_up, line, body, no_tx)) = current.take() {
            if is_up {
                sections.up = Some((line, body, no_tx));
            } else {
                sections.down = Some((line, body, no_tx));
            }
        }
    };
    for (n, line) in text.lines().enumerate() {
        let lineno = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        let marker = trimmed
            .strip_prefix("-- migrate:up")
            .map(|rest| (true, rest))
            .or_else(|| {
                trimmed
                    .strip_prefix("-- migrate:down")
                    .map(|rest| (false, rest))
            });
        if let Some((is_up, options)) = marker {
            close(&mut current, &mut sections);
            let no_tx = options.split_whitespace().any(|o| o == "transaction:false");
            current = Some((is_up, lineno + 1, String::new(), no_tx));
            continue;
        }
        if let Some((_, _, body, _)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    close(&mut current, &mut sections);
    sections
}

pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let shown = display(&path);
        let Some((version, _)) = split_version(stem) else {
            loaded.problems.push(
                Problem::new(
                    Check::Prerequisites,
                    format!("{name}: the file name does not start with a version"),
                )
                .file(shown)
                .help("dbmate files are named <version>_<name>.sql"),
            );
            continue;
        };
        let text =
            fs_err::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let sections = parse(&text);
        let Some((up_line, up_sql, up_no_tx)) = sections.up else {
            loaded.problems.push(
                Problem::new(
                    Check::Prerequisites,
                    format!("{name} has no -- migrate:up section"),
                )
                .file(shown)
                .help("dbmate migrations start with a line `-- migrate:up`"),
            );
            continue;
        };
        let reason = "dbmate option transaction:false";
        let up = Script::new(shown.clone(), up_line, up_sql, up_no_tx.then_some(reason));
        let down = sections
            .down
            .map(|(line, sql, no_tx)| {
                Script::new(shown.clone(), line, sql, no_tx.then_some(reason))
            })
            .filter(|d| !d.is_empty());
        loaded.migrations.push(Migration {
            version,
            id: stem.to_owned(),
            file: shown,
            has_down: down.is_some(),
            up: Some(up),
            down,
            parents: Vec::new(),
        });
    }
    order(&mut loaded.migrations, &mut loaded.problems);
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_and_options() {
        let s = parse(
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down\nDROP INDEX i;\n",
        );
        let (line, sql, no_tx) = s.up.unwrap();
        assert_eq!((line, no_tx), (2, true));
        assert!(sql.contains("CONCURRENTLY"));
        let (line, sql, no_tx) = s.down.unwrap();
        assert_eq!((line, no_tx), (5, false));
        assert_eq!(sql, "DROP INDEX i;\n");
    }
}
