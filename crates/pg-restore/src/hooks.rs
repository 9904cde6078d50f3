//! `--pre-swap` / `--post-swap`: commands split into words and run without
//! a shell (no quoting surprises, nothing interpreted), with the names
//! involved in the environment.

use anyhow::Context as _;

/// Split a command line on whitespace, honouring simple '…' and "…" quotes.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Run a hook; a failing hook is an error.
pub fn run(which: &str, command: &str, env: &[(&str, &str)]) -> anyhow::Result<()> {
    let words = split_words(command);
    let Some((program, args)) = words.split_first() else {
        return Ok(());
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    // stdout belongs to pg-restore's report; a hook's chatter goes to stderr.
    cmd.stdout(std::io::stderr());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("running the {which} hook {program:?}"))?;
    let status = crate::load::wait(&mut child)?;
    if !status.success() {
        anyhow::bail!("the {which} hook {program:?} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_quotes() {
        assert_eq!(
            split_words("systemctl stop 'my app'"),
            vec!["systemctl", "stop", "my app"]
        );
        assert_eq!(split_words("  a  \"\" b "), vec!["a", "", "b"]);
    }
}
