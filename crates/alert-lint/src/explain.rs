//! `--explain ID` and `--list-checks`.

use shipshape_core::UsageError;

use crate::{checks, schema};

pub fn explain(id: &str) -> anyhow::Result<String> {
    let Some(check) = checks::find(id) else {
        let mut message = format!("--explain: unknown check id {id:?}");
        if let Some(best) = schema::closest(id, checks::ALL.iter().map(|(c, _)| c.id)) {
            message.push_str(&format!("; did you mean {best:?}?"));
        }
        message.push_str(" (alert-lint --list-checks shows them all)");
        return Err(UsageError::new(message).into());
    };
    Ok(format!(
        "{} ({} by default)\n\n{}\n\n{}\n\nDisable it in shipshape.toml ([alert-lint] disable = [\"{}\"]), re-level it\n([alert-lint.severity] {} = \"warning\"), or silence one place with a comment:\n  # alert-lint: disable={}\n",
        check.id,
        check.severity,
        check.summary,
        wrap(check.explain, 78),
        check.id,
        quote_key(check.id),
        check.id
    ))
}

fn quote_key(id: &str) -> String {
    format!("\"{id}\"")
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

pub fn list_checks() -> String {
    let mut out = String::new();
    for (check, _) in checks::ALL {
        out.push_str(&format!(
            "{:<26} {:<8} {}\n",
            check.id,
            check.severity.as_str(),
            check.summary
        ));
    }
    out
}
