//! Turning command-line paths into files: plain files, directories (walked
//! for `*.yml`/`*.yaml`), globs, and `-` for stdin.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use shipshape_core::UsageError;

/// One input to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    /// A file; `explicit` when the user named it (not found by walking).
    File {
        path: PathBuf,
        explicit: bool,
    },
}

fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

/// The inputs so far and the paths among them: a set, because comparing
/// each new path with every earlier one made expanding a large directory
/// quadratic (Path equality walks components).
#[derive(Default)]
struct Expanded {
    out: Vec<Input>,
    seen: std::collections::HashSet<std::path::PathBuf>,
    stdin: bool,
}

fn push(input: Input, acc: &mut Expanded) {
    let new = match &input {
        Input::File { path, .. } => acc.seen.insert(path.clone()),
        Input::Stdin => !std::mem::replace(&mut acc.stdin, true),
    };
    if new {
        acc.out.push(input);
    }
}

/// Expand the paths, in order, without duplicates.
pub fn expand(paths: &[String]) -> anyhow::Result<Vec<Input>> {
    let mut out = Expanded::default();
    for arg in paths {
        if arg == "-" {
            push(Input::Stdin, &mut out);
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut files = Vec::new();
            for entry in walkdir::WalkDir::new(path)
                .follow_links(true)
                .sort_by_file_name()
            {
                let entry =
                    entry.with_context(|| format!("cannot read directory {}", path.display()))?;
                if entry.file_type().is_file() && is_yaml(entry.path()) {
                    files.push(entry.into_path());
                }
            }
            for file in files {
                push(
                    Input::File {
                        path: file,
                        explicit: false,
                    },
                    &mut out,
                );
            }
        } else if path.exists() {
            push(
                Input::File {
                    path: path.to_owned(),
                    explicit: true,
                },
                &mut out,
            );
        } else if is_glob(arg) {
            let matches = glob_matches(Path::new(""), arg);
            if matches.is_empty() {
                return Err(UsageError::new(format!("{arg}: the glob matches no file")).into());
            }
            for file in matches {
                push(
                    Input::File {
                        path: file,
                        explicit: true,
                    },
                    &mut out,
                );
            }
        } else {
            return Err(UsageError::new(format!("{arg}: no such file or directory")).into());
        }
    }
    Ok(out.out)
}

/// Files matching a Go-style glob (`*` does not cross `/`), relative to `dir`
/// unless the pattern is absolute. A pattern without glob characters
/// matches the file itself when it exists.
pub fn glob_matches(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let full = if Path::new(pattern).is_absolute() || dir.as_os_str().is_empty() {
        PathBuf::from(pattern)
    } else {
        dir.join(pattern)
    };
    if !is_glob(pattern) {
        return if full.is_file() {
            vec![full]
        } else {
            Vec::new()
        };
    }
    let Ok(glob) = globset::GlobBuilder::new(&full.to_string_lossy())
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    // Walk from the longest directory prefix without glob characters, only
    // as deep as the pattern has components.
    let mut root = PathBuf::new();
    let mut depth = 0;
    let mut in_glob = false;
    for component in full.components() {
        let text = component.as_os_str().to_string_lossy();
        if in_glob || is_glob(&text) {
            in_glob = true;
            depth += 1;
        } else {
            root.push(component);
        }
    }
    let relative_root = root.as_os_str().is_empty();
    let start = if relative_root {
        PathBuf::from(".")
    } else {
        root.clone()
    };
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&start)
        .max_depth(depth)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let path = entry.path();
        let candidate = if relative_root {
            path.strip_prefix(".").unwrap_or(path).to_owned()
        } else {
            path.to_owned()
        };
        if entry.file_type().is_file() && matcher.is_match(&candidate) {
            out.push(candidate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn globs_and_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("rules")).unwrap();
        std::fs::write(d.join("rules/a.yml"), "").unwrap();
        std::fs::write(d.join("rules/b.yaml"), "").unwrap();
        std::fs::write(d.join("rules/c.txt"), "").unwrap();
        assert_eq!(glob_matches(d, "rules/*.yml").len(), 1);
        assert_eq!(glob_matches(d, "*.yml").len(), 0);
        assert_eq!(glob_matches(d, "rules/a.yml").len(), 1);
        let inputs = expand(&[d.join("rules").to_string_lossy().into_owned()]).unwrap();
        assert_eq!(inputs.len(), 2);
        assert!(expand(&[d.join("nope").to_string_lossy().into_owned()]).is_err());
    }
}
