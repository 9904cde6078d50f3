//! `<version>_<name>.up.sql` + `<version>_<name>.down.sql` (sqlx reversible
//! migrations, golang-migrate).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use super::{Loaded, Migration, Problem, Script, display, order, split_version};
use crate::checks::Check;

pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    // stem -> (up, down)
    let mut pairs: BTreeMap<String, (Option<std::path::PathBuf>, Option<std::path::PathBuf>)> =
        BTreeMap::new();
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".up.sql") {
            pairs.entry(stem.to_owned()).or_default().0 = Some(path);
        } else if let Some(stem) = name.strip_suffix(".down.sql") {
            pairs.entry(stem.to_owned()).or_default().1 = Some(path);
        } else if name.ends_with(".sql") {
            loaded.problems.push(
                Problem::new(
                    Check::Prerequisites,
                    format!("{name} is neither <version>_<name>.up.sql nor .down.sql"),
                )
                .file(display(&path))
                .help("rename it, or choose the layout it was written for with --layout"),
            );
        }
    }
    for (stem, (up, down)) in pairs {
        let shown = up
            .as_deref()
            .or(down.as_deref())
            .map(display)
            .unwrap_or_default();
        let Some((version, _)) = split_version(&stem) else {
            loaded.problems.push(
                Problem::new(Check::Prerequisites, format!("{stem}: the file name does not start with a version"))
                    .file(shown)
                    .help("name migrations <version>_<name>.up.sql, e.g. 20240311080000_create_accounts.up.sql"),
            );
            continue;
        };
        let read = |path: &Path| -> anyhow::Result<Script> {
            let sql = fs_err::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let marker = Script::has_no_transaction_marker(&sql)
                .then_some("the file says -- no-transaction");
            Ok(Script::new(display(path), 1, sql, marker))
        };
        let Some(up_path) = up else {
            loaded.problems.push(
                Problem::new(
                    Check::History,
                    format!("{stem}.down.sql has no matching {stem}.up.sql"),
                )
                .file(shown),
            );
            continue;
        };
        let up = read(&up_path)?;
        let down = down.as_deref().map(read).transpose()?;
        loaded.migrations.push(Migration {
            version,
            id: stem,
            file: display(&up_path),
            has_down: down.as_ref().is_some_and(|d| !d.is_empty()),
            up: Some(up),
            down,
            parents: Vec::new(),
        });
    }
    order(&mut loaded.migrations, &mut loaded.problems);
    Ok(loaded)
}
