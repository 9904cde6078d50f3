//! Records what `--version` prints besides the version (see src/version.rs):
//! the commit and the build date, in release builds only.
//!
//! - Commit: `$SHIPSHAPE_COMMIT` if set (packagers building from a tarball),
//!   else `git rev-parse HEAD`, else the hash `git archive` wrote into
//!   `commit.txt` (export-subst), else unknown. Never an error.
//! - Date: `$SOURCE_DATE_EPOCH` if set (reproducible builds), else today (UTC).
//! - Debug builds record neither and do not watch `.git`: a commit would
//!   otherwise rebuild this crate, and with it every tool and test binary.
//!   Release builds watch only this worktree's HEAD and the branch it names.

#![allow(clippy::print_stdout)] // cargo reads a build script's stdout

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=commit.txt");
    println!("cargo::rerun-if-env-changed=SHIPSHAPE_COMMIT");
    println!("cargo::rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let (commit, date) = if release {
        (commit().unwrap_or_default(), date())
    } else {
        (String::new(), String::new())
    };
    println!("cargo::rustc-env=SHIPSHAPE_BUILD_COMMIT={commit}");
    println!("cargo::rustc-env=SHIPSHAPE_BUILD_DATE={date}");
}

fn commit() -> Option<String> {
    let short = |hash: &str| -> Option<String> {
        let hash = hash.trim();
        let ok = hash.len() >= 7 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| hash.chars().take(12).collect())
    };
    if let Ok(hash) = std::env::var("SHIPSHAPE_COMMIT") {
        return short(&hash);
    }
    if let Some(hash) = git(&["rev-parse", "HEAD"]).as_deref().and_then(short) {
        watch_head();
        return Some(hash);
    }
    // `git archive` (and GitHub's source downloads) replace the placeholder.
    std::fs::read_to_string("commit.txt")
        .ok()
        .as_deref()
        .and_then(short)
}

/// Rerun when this worktree's HEAD moves: its HEAD file and the branch ref.
fn watch_head() {
    let path = |args: &[&str]| git(args).map(|p| PathBuf::from(p.trim()));
    let (Some(git_dir), Some(common)) = (
        path(&["rev-parse", "--absolute-git-dir"]),
        path(&["rev-parse", "--git-common-dir"]),
    ) else {
        return;
    };
    let common = if common.is_absolute() {
        common
    } else {
        // Relative to the working directory (this crate).
        std::env::current_dir().unwrap_or_default().join(common)
    };
    watch(&git_dir.join("HEAD"));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        let loose = common.join(branch.trim());
        if loose.exists() {
            watch(&loose);
        } else {
            watch(&common.join("packed-refs"));
        }
    }
}

fn watch(path: &Path) {
    if path.exists() {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// YYYY-MM-DD (UTC) of $SOURCE_DATE_EPOCH, else of now.
fn date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
