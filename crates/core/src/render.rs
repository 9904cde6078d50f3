//! Turning a [`Report`](crate::Report) into text, one module per format.
//!
//! Renderers are pure functions returning a `String`. Human output always
//! contains ANSI styles; the stream it is written to (an `anstream`
//! `AutoStream`) strips them when that stream should not be coloured, so the
//! colour decision is made per stream, at the last moment.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// Options that change what a renderer shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// `--quiet`: errors only.
    pub quiet: bool,
}

/// `n thing` or `n things`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Diagnostic, Report};

    crate::rules! {
        static SAMPLE_RULES {
            FORBIDDEN_VALUE = ("forbidden-value", Error,
                "A variable holds a forbidden placeholder value",
                "Replace the placeholder with a real value");
        }
    }

    /// A report whose first code is registered and the others not (SARIF's
    /// fallback for those is tested too).
    fn sample() -> Report {
        let mut report = Report::with_rules("validate-env", "0.1.0", &SAMPLE_RULES);
        report.push(
            Diagnostic::from_rule(
                &FORBIDDEN_VALUE,
                "POSTGRES_USER holds the forbidden default \"postgres\"",
            )
            .with_subject("POSTGRES_USER")
            .at(".env.production", 5, 15)
            .with_help("choose a dedicated application role, e.g. app_owner"),
        );
        report.push(
            Diagnostic::warning("lowercase-key", "key debug_mode should be upper case")
                .with_subject("debug_mode")
                .at(".env.production", 9, 1),
        );
        report.push(
            Diagnostic::error("missing-required", "SENTRY_DSN is required in production")
                .with_subject("SENTRY_DSN"),
        );
        report.push(
            Diagnostic::info("note", "50% of values, a: b, c\nsecond line").at(
                "dir, with: comma/x.env",
                1,
                1,
            ),
        );
        report.insert("environment", "production");
        report
    }

    fn plain(text: &str) -> String {
        anstream::adapter::strip_str(text).to_string()
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(plain(&human::render(&sample(), RenderOptions::default())));
    }

    #[test]
    fn human_output_quiet_shows_only_errors() {
        let text = plain(&human::render(&sample(), RenderOptions { quiet: true }));
        assert!(!text.contains("lowercase-key"));
        assert!(text.contains("forbidden-value"));
    }

    #[test]
    fn human_output_is_styled_before_the_stream_decides() {
        let text = human::render(&sample(), RenderOptions::default());
        assert!(text.contains("\x1b["), "renderers always emit styles");
    }

    #[test]
    fn human_output_without_findings() {
        let report = Report::new("alert-lint", "0.1.0");
        insta::assert_snapshot!(plain(&human::render(&report, RenderOptions::default())), @"alert-lint: no problems found (ok)");
    }

    #[test]
    fn json_output() {
        insta::assert_snapshot!(json::render(&sample()));
    }

    #[test]
    fn github_output() {
        insta::assert_snapshot!(github::render(&sample(), RenderOptions::default()));
    }

    #[test]
    fn github_step_summary() {
        insta::assert_snapshot!(github::step_summary(&sample()));
    }

    #[test]
    fn github_escaping() {
        assert_eq!(github::escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(github::escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn sarif_output() {
        let text = sarif::render(&sample());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], "2.1.0");
        assert_eq!(sarif::render(&sample()), text, "deterministic");
        insta::assert_snapshot!(text);
    }
}
