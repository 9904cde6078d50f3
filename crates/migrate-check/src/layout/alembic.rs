//! Alembic: an `alembic.ini` project. The revision graph is read from the
//! revision files' `revision` / `down_revision`; the migrations themselves
//! run through the real `alembic` command (see `crate::driver`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Context as _;
use regex::Regex;

use super::{Loaded, Migration, Problem, display};
use crate::checks::Check;

static REVISION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^revision\s*(?::\s*[^=]+)?=\s*['"]([^'"]+)['"]"#).expect("static regex")
});
static DOWN_REVISION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^down_revision\s*(?::\s*[^=]+)?=\s*(.+)$").expect("static regex")
});
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"]([^'"]+)['"]"#).expect("static regex"));

/// Find `alembic.ini` for `dir`: in it, or in its parent when `dir` is the
/// script location itself.
pub fn find_ini(dir: &Path) -> Option<PathBuf> {
    [dir.join("alembic.ini"), dir.join("..").join("alembic.ini")]
        .into_iter()
        .find(|p| p.is_file())
}

/// The `[alembic]` value of `key` in an ini file, if set.
fn ini_value(ini: &Path, key: &str) -> anyhow::Result<Option<String>> {
    let text = fs_err::read_to_string(ini)?;
    let mut in_alembic = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_alembic = line == "[alembic]";
            continue;
        }
        if in_alembic
            && let Some((k, value)) = line.split_once('=')
            && k.trim() == key
        {
            return Ok(Some(value.trim().to_owned()).filter(|v| !v.is_empty()));
        }
    }
    Ok(None)
}

/// Where revision files live: `version_locations` (split on spaces, commas
/// or `version_path_separator`'s usual `os`/`:`), else `<script_location>/versions`.
pub fn version_dirs(ini: &Path, scripts: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let root = ini.parent().unwrap_or(Path::new("."));
    let Some(value) = ini_value(ini, "version_locations")? else {
        return Ok(vec![scripts.join("versions")]);
    };
    let separator = ini_value(ini, "version_path_separator")?;
    let here = root.display().to_string();
    let value = value.replace("%(here)s", &here);
    let parts: Vec<&str> = match separator.as_deref() {
        Some(":") => value.split(':').collect(),
        Some(";") => value.split(';').collect(),
        Some("os") => value.split(':').collect(),
        Some(",") => value.split(',').collect(),
        _ => value.split([' ', ',']).collect(),
    };
    Ok(parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let path = PathBuf::from(p);
            if path.is_absolute() || p.starts_with(&here) {
                path
            } else {
                root.join(path)
            }
        })
        .collect())
}

/// `script_location` of an ini file, resolved against the ini's directory.
pub fn script_location(ini: &Path) -> anyhow::Result<PathBuf> {
    let text = fs_err::read_to_string(ini)?;
    let root = ini.parent().unwrap_or(Path::new("."));
    let mut in_alembic = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_alembic = line == "[alembic]";
            continue;
        }
        if !in_alembic {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "script_location"
        {
            let value = value.trim();
            if value.contains("%(here)s") {
                return Ok(PathBuf::from(
                    value.replace("%(here)s", &root.display().to_string()),
                ));
            }
            // Alembic resolves a plain relative script_location against the
            // working directory, which is the ini's directory when we run it.
            let path = PathBuf::from(value);
            return Ok(if path.is_absolute() {
                path
            } else {
                root.join(path)
            });
        }
    }
    anyhow::bail!(
        "{} has no script_location in its [alembic] section",
        ini.display()
    )
}

/// True when a revision file's `downgrade()` does nothing (only `pass`,
/// docstrings and comments).
fn downgrade_is_empty(text: &str) -> bool {
    let Some(start) = text.find("def downgrade(") else {
        return true;
    };
    let body = &text[start..];
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    for line in body.lines() {
        if !line.starts_with(' ') && !line.starts_with('\t') && !line.trim().is_empty() {
            break; // the next top-level statement
        }
        let code = line.trim();
        if code.is_empty()
            || code.starts_with('#')
            || code == "pass"
            || code.starts_with("\"\"\"")
            || code.starts_with("'''")
        {
            continue;
        }
        return false;
    }
    true
}

/// Read an Alembic project: find `alembic.ini`, its revision files, and
/// order the revisions parents first; problems are findings.
pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    let Some(files) = revision_files(dir, &mut loaded)? else {
        return Ok(loaded);
    };
    let by_id = read_revisions(files, &mut loaded.problems)?;
    let (ordered, placed) = parents_first(&by_id);
    graph_problems(&by_id, &placed, &mut loaded.problems);
    let roots = ordered.iter().filter(|m| m.parents.is_empty()).count();
    if roots > 1 {
        loaded.problems.push(Problem::new(
            Check::History,
            format!("{roots} revisions have down_revision = None; there must be one base"),
        ));
    }
    loaded.migrations = ordered;
    Ok(loaded)
}

/// The `.py` files of every version directory, sorted; None (with the
/// problem recorded) when the ini or a directory is missing.
fn revision_files(dir: &Path, loaded: &mut Loaded) -> anyhow::Result<Option<Vec<PathBuf>>> {
    let Some(ini) = find_ini(dir) else {
        loaded.problems.push(
            Problem::new(
                Check::Prerequisites,
                format!("no alembic.ini in {} or its parent", display(dir)),
            )
            .help("point migrate-check at the directory holding alembic.ini"),
        );
        return Ok(None);
    };
    let root = ini
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let scripts = match script_location(&ini) {
        Ok(path) => path,
        Err(err) => {
            loaded
                .problems
                .push(Problem::new(Check::Prerequisites, err.to_string()).file(display(&ini)));
            return Ok(None);
        }
    };
    let version_dirs = version_dirs(&ini, &scripts)?;
    loaded.alembic_ini = Some(ini);
    loaded.alembic_root = Some(root);
    let mut files: Vec<PathBuf> = Vec::new();
    for versions in &version_dirs {
        if !versions.is_dir() {
            loaded.problems.push(
                Problem::new(
                    Check::Prerequisites,
                    format!("{} does not exist", display(versions)),
                )
                .help("alembic keeps revisions in <script_location>/versions or the version_locations of alembic.ini"),
            );
            continue;
        }
        files.extend(
            fs_err::read_dir(versions)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "py")),
        );
    }
    if loaded
        .problems
        .iter()
        .any(|p| p.check == Check::Prerequisites)
    {
        return Ok(None);
    }
    files.sort();
    Ok(Some(files))
}

/// Each file's `revision` and `down_revision`, by revision id.
fn read_revisions(
    files: Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) -> anyhow::Result<BTreeMap<String, Migration>> {
    let mut by_id: BTreeMap<String, Migration> = BTreeMap::new();
    for path in files {
        let text =
            fs_err::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let shown = display(&path);
        let Some(revision) = REVISION.captures(&text).map(|c| c[1].to_owned()) else {
            if path.file_name().is_none_or(|n| n != "__init__.py") {
                problems.push(
                    Problem::new(
                        Check::Prerequisites,
                        "no `revision = \"…\"` line in this revision file",
                    )
                    .file(shown),
                );
            }
            continue;
        };
        if let Some(existing) = by_id.get(&revision) {
            problems.push(
                Problem::new(
                    Check::History,
                    format!(
                        "revision {revision} is declared twice: {} and {shown}",
                        existing.file
                    ),
                )
                .file(shown),
            );
            continue;
        }
        let parents: Vec<String> = DOWN_REVISION
            .captures(&text)
            .map(|c| {
                QUOTED
                    .captures_iter(&c[1])
                    .map(|q| q[1].to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let migration = Migration {
            version: revision.clone(),
            id: stem,
            file: shown,
            up: None,
            down: None,
            parents,
            has_down: !downgrade_is_empty(&text),
        };
        by_id.insert(revision, migration);
    }
    Ok(by_id)
}

/// Parents before children (Kahn's algorithm, ties by revision id), and
/// the set of revisions placed (a cycle leaves some out).
fn parents_first(by_id: &BTreeMap<String, Migration>) -> (Vec<Migration>, BTreeSet<String>) {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::new();
    loop {
        let ready: Vec<String> = by_id
            .values()
            .filter(|m| !placed.contains(&m.version))
            .filter(|m| {
                m.parents
                    .iter()
                    .all(|p| placed.contains(p) || !by_id.contains_key(p))
            })
            .map(|m| m.version.clone())
            .collect();
        if ready.is_empty() {
            return (ordered, placed);
        }
        for id in ready {
            placed.insert(id.clone());
            if let Some(m) = by_id.get(&id) {
                ordered.push(m.clone());
            }
        }
    }
}

/// Parents that do not exist, and revisions in a cycle.
fn graph_problems(
    by_id: &BTreeMap<String, Migration>,
    placed: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    for m in by_id.values() {
        for parent in &m.parents {
            if !by_id.contains_key(parent) {
                problems.push(
                    Problem::new(
                        Check::History,
                        format!(
                            "revision {} follows {parent}, which does not exist",
                            m.version
                        ),
                    )
                    .file(m.file.clone()),
                );
            }
        }
        if !placed.contains(&m.version) {
            problems.push(
                Problem::new(
                    Check::History,
                    format!("revision {} is part of a cycle", m.version),
                )
                .file(m.file.clone()),
            );
        }
    }
}

/// Revisions no other revision follows.
pub fn heads(migrations: &[Migration]) -> Vec<&Migration> {
    migrations
        .iter()
        .filter(|m| !migrations.iter().any(|o| o.parents.contains(&m.version)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_revision_lines_in_both_styles() {
        let text = "revision: str = 'abc'\ndown_revision: Union[str, None] = ('x', \"y\")\n";
        assert_eq!(&REVISION.captures(text).unwrap()[1], "abc");
        let parents: Vec<String> = QUOTED
            .captures_iter(&DOWN_REVISION.captures(text).unwrap()[1])
            .map(|q| q[1].to_owned())
            .collect();
        assert_eq!(parents, ["x", "y"]);
        assert!(DOWN_REVISION.captures("down_revision = None\n").is_some());
    }

    #[test]
    fn empty_downgrade_is_recognised() {
        assert!(downgrade_is_empty(
            "def upgrade():\n    op.x()\n\n\ndef downgrade():\n    pass\n"
        ));
        assert!(!downgrade_is_empty(
            "def downgrade() -> None:\n    # undo\n    op.drop_table('t')\n"
        ));
    }
}

/// A copy of `ini` whose `sqlalchemy.url` names the throwaway database
/// (`url` carries no password: libpq-based drivers read `PGPASSWORD`), so an
/// `env.py` that reads the URL from the ini — as `alembic init` writes it —
/// can never migrate the database the project's own ini names. `%(here)s`
/// is replaced by the real directory because the copy lives elsewhere.
pub fn throwaway_ini(ini: &Path, url: &str) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let text = fs_err::read_to_string(ini)?;
    let here = fs_err::canonicalize(ini.parent().unwrap_or(Path::new(".")))?;
    let mut out = String::new();
    let mut in_alembic = false;
    let mut written = false;
    // Without a driver in the ini, SQLAlchemy's `postgresql://` means
    // psycopg2; a project on psycopg 3 names its driver in env.py instead.
    let mut driver = script_location(ini)
        .ok()
        .and_then(|scripts| fs_err::read_to_string(scripts.join("env.py")).ok())
        .and_then(|env_py| driver_named_in(&env_py))
        .unwrap_or_else(|| "postgresql".to_owned());
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if in_alembic && !written {
                out.push_str(&format!("sqlalchemy.url = {}\n", url_for(&driver, url)));
                written = true;
            }
            in_alembic = trimmed == "[alembic]";
        }
        if in_alembic
            && let Some((key, value)) = trimmed.split_once('=')
            && key.trim() == "sqlalchemy.url"
        {
            // Keep the project's driver (postgresql+psycopg, +asyncpg …).
            if let Some((scheme, _)) = value.trim().split_once("://")
                && scheme.starts_with("postgres")
            {
                driver = scheme.replace("postgres+", "postgresql+");
                if driver == "postgres" {
                    driver = "postgresql".to_owned();
                }
            }
            out.push_str(&format!("sqlalchemy.url = {}\n", url_for(&driver, url)));
            written = true;
            continue;
        }
        out.push_str(&line.replace("%(here)s", &here.display().to_string().replace('%', "%%")));
        out.push('\n');
    }
    if in_alembic && !written {
        out.push_str(&format!("sqlalchemy.url = {}\n", url_for(&driver, url)));
    }
    let dir = tempfile::Builder::new()
        .prefix("migrate-check-alembic")
        .tempdir()?;
    let path = dir.path().join("alembic.ini");
    fs_err::write(&path, out)?;
    Ok((dir, path))
}

/// The first `postgresql+<driver>` an env.py names (in a URL it builds or a
/// scheme it rewrites to), e.g. `postgresql+psycopg`.
fn driver_named_in(env_py: &str) -> Option<String> {
    let at = env_py.find("postgresql+")?;
    let name: String = env_py[at + "postgresql+".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then(|| format!("postgresql+{name}"))
}

fn url_for(driver: &str, url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    // configparser interpolation: a literal % is written %%.
    format!("{driver}://{rest}").replace('%', "%%")
}

#[cfg(test)]
mod ini_tests {
    use super::*;

    #[test]
    fn the_copy_points_at_the_throwaway_and_keeps_the_driver() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("alembic.ini");
        std::fs::write(
            &ini,
            "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = postgresql+asyncpg://app:pw@prod/app\n\n[loggers]\nkeys = root\n",
        )
        .unwrap();
        let (_keep, copy) =
            throwaway_ini(&ini, "postgresql://u@127.0.0.1:5432/migrate_check_x").unwrap();
        let text = std::fs::read_to_string(copy).unwrap();
        assert!(
            text.contains(
                "sqlalchemy.url = postgresql+asyncpg://u@127.0.0.1:5432/migrate_check_x\n"
            ),
            "{text}"
        );
        assert!(!text.contains("prod"), "{text}");
        assert!(!text.contains("%(here)s"), "{text}");
        assert!(text.contains("[loggers]"), "{text}");
    }

    #[test]
    fn without_a_driver_in_the_ini_the_one_env_py_names_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("alembic.ini");
        std::fs::write(&ini, "[alembic]\nscript_location = %(here)s/m\n").unwrap();
        std::fs::create_dir(dir.path().join("m")).unwrap();
        std::fs::write(
            dir.path().join("m/env.py"),
            "url = url.replace('postgresql://', 'postgresql+psycopg://')\n",
        )
        .unwrap();
        let (_keep, copy) = throwaway_ini(&ini, "postgresql://u@h:5432/migrate_check_x").unwrap();
        let text = std::fs::read_to_string(copy).unwrap();
        assert!(
            text.contains("sqlalchemy.url = postgresql+psycopg://u@h:5432/migrate_check_x\n"),
            "{text}"
        );
        assert_eq!(driver_named_in("no driver here"), None);
    }

    #[test]
    fn version_locations_are_read_from_the_ini() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("alembic.ini");
        std::fs::write(&ini, "[alembic]\nscript_location = m\n").unwrap();
        assert_eq!(
            version_dirs(&ini, &dir.path().join("m")).unwrap(),
            [dir.path().join("m/versions")]
        );
        std::fs::write(
            &ini,
            "[alembic]\nscript_location = m\nversion_locations = %(here)s/a extra/b\n",
        )
        .unwrap();
        let here = dir.path().display().to_string();
        assert_eq!(
            version_dirs(&ini, &dir.path().join("m")).unwrap(),
            [
                PathBuf::from(format!("{here}/a")),
                dir.path().join("extra/b")
            ]
        );
    }
}
