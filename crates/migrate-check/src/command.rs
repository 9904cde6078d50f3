//! Helpers for the output of migration commands (which run through core's
//! runner, `shipshape_core::command`).

/// The last `n` non-empty lines of a child's output, for messages.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}
