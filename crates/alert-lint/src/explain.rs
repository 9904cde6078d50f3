//! `--explain ID`: the shared text, plus how else alert-lint tunes a check.

use crate::checks;

/// The shared explanation, plus alert-lint's other ways to tune a check.
pub fn explain(id: &str) -> anyhow::Result<String> {
    let mut text = checks::RULES.explain(id, "alert-lint")?;
    if let Some(check) = checks::find(id) {
        text.push_str(&format!(
            "Re-level it with [alert-lint.severity] \"{id}\" = \"warning\",\nor silence one place with a comment: # alert-lint: disable={id}\n",
            id = check.id
        ));
    }
    Ok(text)
}
