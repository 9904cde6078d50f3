//! What `--version` prints: the workspace version, and in release builds the
//! commit and build date that build.rs recorded.

use std::sync::LazyLock;

static VERSION: LazyLock<String> = LazyLock::new(|| {
    describe(
        env!("CARGO_PKG_VERSION"),
        env!("SHIPSHAPE_BUILD_COMMIT"),
        env!("SHIPSHAPE_BUILD_DATE"),
    )
});

/// `0.1.0 (commit 3eed7df1a2b3, built 2026-12-06)`; `0.1.0 (debug build)`.
pub fn version() -> &'static str {
    VERSION.as_str()
}

fn describe(version: &str, commit: &str, date: &str) -> String {
    if date.is_empty() {
        return format!("{version} (debug build)");
    }
    let commit = if commit.is_empty() { "unknown" } else { commit };
    format!("{version} (commit {commit}, built {date})")
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn release_builds_name_the_commit_and_the_date() {
        assert_eq!(
            describe("0.1.0", "3eed7df1a2b3", "2026-12-06"),
            "0.1.0 (commit 3eed7df1a2b3, built 2026-12-06)"
        );
        assert_eq!(
            describe("0.1.0", "", "2026-12-06"),
            "0.1.0 (commit unknown, built 2026-12-06)"
        );
        assert_eq!(describe("0.1.0", "", ""), "0.1.0 (debug build)");
    }

    #[test]
    fn the_version_starts_with_the_workspace_version() {
        assert!(super::version().starts_with(env!("CARGO_PKG_VERSION")));
    }
}
