//! diesel: folders `<version>_<name>/` holding `up.sql` and `down.sql`
//! (and optionally `metadata.toml` with `run_in_transaction = false`).

use std::path::Path;

use anyhow::Context as _;

use super::{Loaded, Migration, Problem, Script, display, order, split_version};
use crate::checks::Check;

pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let up_path = path.join("up.sql");
        if !up_path.is_file() {
            loaded.problems.push(
                Problem::new(Check::Prerequisites, format!("{name}/ has no up.sql"))
                    .file(display(&path))
                    .help("diesel migrations are folders holding up.sql and down.sql"),
            );
            continue;
        }
        let Some((version, _)) = split_version(&name) else {
            loaded.problems.push(
                Problem::new(
                    Check::Prerequisites,
                    format!("{name}/: the folder name does not start with a version"),
                )
                .file(display(&path)),
            );
            continue;
        };
        let metadata = path.join("metadata.toml");
        let no_tx = metadata.is_file()
            && fs_err::read_to_string(&metadata)
                .with_context(|| format!("reading {}", metadata.display()))?
                .lines()
                .any(|l| l.replace(' ', "") == "run_in_transaction=false");
        let reason = no_tx.then_some("metadata.toml says run_in_transaction = false");
        let read = |p: &Path| -> anyhow::Result<Script> {
            let sql =
                fs_err::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let marker = reason.or_else(|| {
                Script::has_no_transaction_marker(&sql).then_some("the file says -- no-transaction")
            });
            Ok(Script::new(display(p), 1, sql, marker))
        };
        let up = read(&up_path)?;
        let down_path = path.join("down.sql");
        let down = if down_path.is_file() {
            Some(read(&down_path)?)
        } else {
            None
        };
        loaded.migrations.push(Migration {
            version,
            id: name,
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
