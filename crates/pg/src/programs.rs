//! Finding `pg_dump`, `pg_restore` and `psql` whose major version is at least
//! the server's: a pg_dump older than the server refuses to dump it.
//!
//! Order: `--pg-bin-dir`, then each `PATH` entry, then
//! `/usr/lib/postgresql/*/bin` (Debian's side-by-side installs, newest first).
//! A hit that is Debian's `pg_wrapper` is replaced by the real program of the
//! version the wrapper reports.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::PgError;

/// A client program and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProgram {
    pub path: PathBuf,
    /// As printed, e.g. `15.19`.
    pub version: String,
    pub major: u32,
}

/// Find `name` with major version ≥ `min_major`. With `bin_dir`, only that
/// directory is considered: an explicit choice is never second-guessed.
pub fn find(name: &str, min_major: u32, bin_dir: Option<&Path>) -> Result<ClientProgram, PgError> {
    let candidates = match bin_dir {
        Some(dir) => vec![dir.join(name)],
        None => candidates(
            name,
            std::env::var_os("PATH").as_deref(),
            Path::new("/usr/lib/postgresql"),
        ),
    };
    let mut seen = Vec::new();
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        let Some(program) = probe(&path) else {
            seen.push(format!("{} (version unreadable)", path.display()));
            continue;
        };
        if program.major >= min_major {
            return Ok(past_debian_wrapper(
                program,
                name,
                Path::new("/usr/lib/postgresql"),
            ));
        }
        seen.push(format!("{} is {}", path.display(), program.version));
    }
    let found = if seen.is_empty() {
        match bin_dir {
            Some(dir) => format!("{} has no {name}", dir.display()),
            None => "none on PATH or in /usr/lib/postgresql/*/bin".to_owned(),
        }
    } else {
        format!("found: {}", seen.join("; "))
    };
    Err(PgError::ProgramMissing {
        program: name.to_owned(),
        needed: min_major.max(1),
        found,
    })
}

/// Every place `name` might be, in order of preference, without duplicates.
pub fn candidates(
    name: &str,
    path_var: Option<&std::ffi::OsStr>,
    versioned_root: &Path,
) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = Vec::new();
    if let Some(path_var) = path_var {
        list.extend(std::env::split_paths(path_var).map(|dir| dir.join(name)));
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(versioned_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, entry.path().join("bin").join(name)))
        })
        .collect();
    versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    list.extend(versioned.into_iter().map(|(_, path)| path));
    let mut unique = Vec::new();
    for path in list {
        if !unique.contains(&path) {
            unique.push(path);
        }
    }
    unique
}

/// Debian's `/usr/bin/pg_dump`, `psql` … are links to `pg_wrapper`, a Perl
/// script that picks a version and execs the real program: about 0.1 s of
/// interpreter start-up on every call, paid again by each psql worker of a
/// parallel restore. Once the wrapper has told us the version, run that
/// version's program directly (same program, same version).
fn past_debian_wrapper(program: ClientProgram, name: &str, versioned_root: &Path) -> ClientProgram {
    let is_wrapper = std::fs::canonicalize(&program.path)
        .ok()
        .is_some_and(|real| real.file_name().is_some_and(|f| f == "pg_wrapper"));
    let direct = versioned_root
        .join(program.major.to_string())
        .join("bin")
        .join(name);
    if is_wrapper && direct.is_file() {
        ClientProgram {
            path: direct,
            ..program
        }
    } else {
        program
    }
}

/// Run `path --version` and parse it.
pub fn probe(path: &Path) -> Option<ClientProgram> {
    let output = Command::new(path).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (version, major) = parse_version(&text)?;
    Some(ClientProgram {
        path: path.to_owned(),
        version,
        major,
    })
}

/// `pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)` → (`15.19`, 15).
/// Also handles `9.6.24` (major 9) and `17beta1`.
pub fn parse_version(text: &str) -> Option<(String, u32)> {
    let after = text.split(')').nth(1)?.trim_start();
    let version: String = after.chars().take_while(|c| !c.is_whitespace()).collect();
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().ok()?;
    Some((version, major))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            parse_version("pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n"),
            Some(("15.19".into(), 15))
        );
        assert_eq!(
            parse_version("psql (PostgreSQL) 17beta1\n"),
            Some(("17beta1".into(), 17))
        );
        assert_eq!(
            parse_version("pg_dump (PostgreSQL) 9.6.24\n"),
            Some(("9.6.24".into(), 9))
        );
        assert_eq!(parse_version("garbage"), None);
    }

    #[test]
    fn debian_wrapper_is_replaced_by_the_versioned_program() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("lib/15/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("pg_dump"), "").unwrap();
        let common = root.path().join("share");
        std::fs::create_dir_all(&common).unwrap();
        std::fs::write(common.join("pg_wrapper"), "").unwrap();
        let link = root.path().join("pg_dump");
        std::os::unix::fs::symlink(common.join("pg_wrapper"), &link).unwrap();
        let found = |path: &Path, major| ClientProgram {
            path: path.to_owned(),
            version: format!("{major}.1"),
            major,
        };
        let lib = root.path().join("lib");
        assert_eq!(
            past_debian_wrapper(found(&link, 15), "pg_dump", &lib).path,
            bin.join("pg_dump")
        );
        // No program for the wrapper's version: keep the wrapper.
        assert_eq!(
            past_debian_wrapper(found(&link, 16), "pg_dump", &lib).path,
            link
        );
        // Not a wrapper: keep it.
        let plain = common.join("pg_wrapper_not");
        std::fs::write(&plain, "").unwrap();
        assert_eq!(
            past_debian_wrapper(found(&plain, 15), "pg_dump", &lib).path,
            plain
        );
    }

    #[test]
    fn candidates_prefer_path_then_newest_versioned() {
        let root = tempfile::tempdir().unwrap();
        for v in ["13", "16", "notaversion"] {
            std::fs::create_dir_all(root.path().join(v).join("bin")).unwrap();
        }
        let path = std::env::join_paths(["/opt/a", "/opt/b"]).unwrap();
        let list = candidates("pg_dump", Some(&path), root.path());
        assert_eq!(list[0], PathBuf::from("/opt/a/pg_dump"));
        assert_eq!(list[1], PathBuf::from("/opt/b/pg_dump"));
        assert_eq!(list[2], root.path().join("16/bin/pg_dump"));
        assert_eq!(list[3], root.path().join("13/bin/pg_dump"));
        assert_eq!(list.len(), 4);
    }
}
