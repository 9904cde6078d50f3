//! Splitting a user's command (`--pg-dump "docker exec -i db pg_dump"`,
//! `--on-success "curl -fsS https://hc.example/ping"`) into words the way a
//! POSIX shell would for plain words and quotes, without running a shell:
//! no variables, globs, pipes or redirections, so nothing in the string can
//! do more than name a program and its arguments.

use shipshape_core::UsageError;

/// Split `text` into words. Single quotes keep everything literally; double
/// quotes keep everything except `\"` and `\\`; outside quotes a backslash
/// escapes the next character.
pub fn split(text: &str, origin: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unterminated(origin, "'")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unterminated(origin, "\"")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unterminated(origin, "\"")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err(UsageError::new(format!("{origin} is empty")));
    }
    Ok(words)
}

fn unterminated(origin: &str, quote: &str) -> UsageError {
    UsageError::new(format!(
        "{origin} has an unterminated {quote} quote; the command is split into words without a shell"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_without_running_one() {
        assert_eq!(
            split("docker exec -i db pg_dump", "x").unwrap(),
            ["docker", "exec", "-i", "db", "pg_dump"]
        );
        assert_eq!(
            split(r#"curl -d 'a b' "c \"d\"" e\ f ''"#, "x").unwrap(),
            ["curl", "-d", "a b", "c \"d\"", "e f", ""]
        );
        assert_eq!(split("echo $HOME;rm", "x").unwrap(), ["echo", "$HOME;rm"]);
    }

    #[test]
    fn errors_name_the_origin() {
        assert!(
            split("  ", "--pg-dump")
                .unwrap_err()
                .message
                .contains("--pg-dump is empty")
        );
        assert!(
            split("a 'b", "--on-success")
                .unwrap_err()
                .message
                .contains("unterminated")
        );
    }
}
