//! Finding `pg_dump`, `pg_restore` and `psql`, and the one rule for which
//! version a run needs ([`Needs`]): a major at least the server's (pg_dump
//! refuses an older one; psql and pg_restore may not understand what a newer
//! server's dump holds) and, when pg_restore reads an archive, at least the
//! major of the pg_dump that wrote it (pg_restore refuses archives from a
//! newer pg_dump; psql loads plain SQL of any pg_dump, which keeps restoring
//! into an older server possible). pg-backup and pg-restore ask [`find`];
//! migrate-check runs no client program. A plain dump's `\restrict` needs a
//! psql that knows it ([`check_restrict`]).
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

/// What a run's client programs must be able to handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The major version of the server the run talks to (`None` before it
    /// has connected, e.g. while reading a file).
    pub server_major: Option<u32>,
    /// The major version of the pg_dump that wrote the dump being restored.
    pub dump_major: Option<u32>,
}

impl Needs {
    /// Talking to a server of this major version.
    pub fn server(major: u32) -> Self {
        Self {
            server_major: Some(major),
            dump_major: None,
        }
    }

    /// Also reading a dump written by pg_dump of this major version.
    #[must_use]
    pub fn with_dump(self, dump_major: Option<u32>) -> Self {
        Self { dump_major, ..self }
    }

    /// Also reading a dump whose producer printed this version (a
    /// manifest's `pg_dump_version`, a plain dump's `Dumped by` line).
    #[must_use]
    pub fn with_dump_version(self, version: Option<&str>) -> Self {
        self.with_dump(version.and_then(major_of))
    }

    /// The oldest major version that will do.
    pub fn min_major(&self) -> u32 {
        self.server_major.max(self.dump_major).unwrap_or(0)
    }

    /// Why that version, for messages.
    pub fn reason(&self) -> String {
        match (self.server_major, self.dump_major) {
            (Some(server), Some(dump)) if dump > server => {
                format!("the dump was written by pg_dump {dump}")
            }
            (Some(server), Some(_)) | (Some(server), None) => {
                format!("the server is PostgreSQL {server}")
            }
            (None, Some(dump)) => format!("the dump was written by pg_dump {dump}"),
            (None, None) => "any version".to_owned(),
        }
    }

    /// Check a program found some other way (pg-backup's `--pg-dump`
    /// command): `label` is how the user named it.
    pub fn check(&self, label: &str, version: &str, major: u32) -> Result<(), PgError> {
        if major >= self.min_major() {
            return Ok(());
        }
        Err(PgError::ProgramTooOld {
            program: label.to_owned(),
            version: version.to_owned(),
            needed: self.min_major(),
            why: self.reason(),
        })
    }
}

/// Find `name` whose major version meets `needs`. With `bin_dir`, only that
/// directory is considered: an explicit choice is never second-guessed.
pub fn find(name: &str, needs: Needs, bin_dir: Option<&Path>) -> Result<ClientProgram, PgError> {
    let min_major = needs.min_major();
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
        why: needs.reason(),
        found,
    })
}

/// The first release of each major line whose psql knows `\restrict` and
/// `\unrestrict`, the commands pg_dump writes around a plain dump since the
/// releases of 2025-08-14 (CVE-2025-8714): 13.22, 14.19, 15.14, 16.10,
/// 17.6; 18.0 came later and has them. An older psql stops at the dump's
/// first line with `invalid command \restrict`.
const RESTRICT_SINCE: [(u32, u32); 5] = [(13, 22), (14, 19), (15, 14), (16, 10), (17, 6)];

/// The oldest psql of `major`'s line that knows `\restrict` (`None`: no
/// release of that line does, 12 and older having reached end of life first).
pub fn restrict_since(major: u32) -> Option<(u32, u32)> {
    if major >= 18 {
        return Some((major, 0));
    }
    RESTRICT_SINCE.iter().copied().find(|(m, _)| *m == major)
}

/// Does this psql (`17.5`, `16.10 (Debian …)`, `18.1`) know `\restrict`?
pub fn knows_restrict(version: &str) -> bool {
    let mut numbers = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    let (Some(Some(major)), minor) = (numbers.next(), numbers.next().flatten()) else {
        return false;
    };
    // A pre-release (`18beta1`) counts as the line's first release.
    restrict_since(major).is_some_and(|since| (major, minor.unwrap_or(0)) >= since)
}

/// A plain dump that uses `\restrict` needs a psql that knows it: say so
/// before anything is changed, rather than when psql stops at line 5.
/// `dumped_by` is the dump's `-- Dumped by pg_dump version` value.
pub fn check_restrict(psql: &ClientProgram, dumped_by: Option<&str>) -> Result<(), PgError> {
    if knows_restrict(&psql.version) {
        return Ok(());
    }
    let needed = match restrict_since(psql.major) {
        Some((major, minor)) => format!("psql {major}.{minor} or newer"),
        None => {
            "psql 13.22, 14.19, 15.14, 16.10, 17.6, 18.0 or newer of a line at least the dump's"
                .to_owned()
        }
    };
    Err(PgError::RestrictUnknown {
        path: psql.path.clone(),
        version: psql.version.clone(),
        dumped_by: dumped_by.unwrap_or("a 2025-08 or later release").to_owned(),
        needed,
    })
}

/// The major version of `17.6`, `17.6 (Debian 17.6-1)`, `9.6.24`, `18beta1`.
pub fn major_of(version: &str) -> Option<u32> {
    let digits: String = version
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
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
    let major = major_of(&version)?;
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
    fn needs_the_newer_of_server_and_dump() {
        let needs = Needs::server(16).with_dump(Some(17));
        assert_eq!(needs.min_major(), 17);
        assert_eq!(needs.reason(), "the dump was written by pg_dump 17");
        let needs = Needs::server(17).with_dump(Some(15));
        assert_eq!(needs.min_major(), 17);
        assert_eq!(needs.reason(), "the server is PostgreSQL 17");
        assert_eq!(Needs::default().with_dump(Some(18)).min_major(), 18);
        assert_eq!(Needs::default().min_major(), 0);
        let err = Needs::server(17)
            .check("docker exec db pg_dump", "16.4", 16)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pg_dump is version 16.4")
                && err.contains("need major version 17")
                && err.contains("--pg-bin-dir"),
            "{err}"
        );
        assert!(Needs::server(17).check("x", "17.0", 17).is_ok());
    }

    /// Real `--version` lines: the releases of 2025-08-14 (and 18.0) were
    /// the first to write and understand `\restrict`.
    #[test]
    fn which_psql_knows_restrict() {
        let version = |line: &str| parse_version(line).unwrap().0;
        for old in [
            "psql (PostgreSQL) 17.5",
            "psql (PostgreSQL) 16.9 (Debian 16.9-1.pgdg120+1)",
            "psql (PostgreSQL) 15.13 (Ubuntu 15.13-0ubuntu0.23.10.1)",
            "psql (PostgreSQL) 14.18",
            "psql (PostgreSQL) 13.21",
            "psql (PostgreSQL) 12.22",
            "psql (PostgreSQL) 9.6.24",
        ] {
            assert!(!knows_restrict(&version(old)), "{old}");
        }
        for new in [
            "psql (PostgreSQL) 17.6",
            "psql (PostgreSQL) 17.11",
            "psql (PostgreSQL) 16.10 (Debian 16.10-1.pgdg120+1)",
            "psql (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)",
            "psql (PostgreSQL) 14.19",
            "psql (PostgreSQL) 13.22",
            "psql (PostgreSQL) 18.0",
            "psql (PostgreSQL) 19devel",
        ] {
            assert!(knows_restrict(&version(new)), "{new}");
        }
        let psql = ClientProgram {
            path: PathBuf::from("/usr/lib/postgresql/17/bin/psql"),
            version: "17.5".into(),
            major: 17,
        };
        let err = check_restrict(&psql, Some("17.6 (Debian 17.6-1.pgdg120+1)"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("psql 17.5")
                && err.contains("psql 17.6 or newer")
                && err.contains("pg_dump 17.6")
                && err.contains("--pg-bin-dir"),
            "{err}"
        );
        let newer = ClientProgram {
            version: "17.6".into(),
            ..psql
        };
        assert!(check_restrict(&newer, None).is_ok());
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
