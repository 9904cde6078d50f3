//! Which values are secret, how they are shown (never), and what makes one
//! weak.

use shipshape_core::secret::{mask, redact_url};

/// Names that hold secrets: `*PASSWORD*`, `*SECRET*`, `*_KEY`, `*TOKEN*`.
pub fn name_looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.contains("PASSWORD")
        || upper.contains("PASSWD")
        || upper.contains("SECRET")
        || upper.ends_with("_KEY")
        || upper == "KEY"
        || upper.contains("TOKEN")
        || upper.contains("PRIVATE_KEY")
}

/// How a value may appear in output: secrets as a masked hint
/// (`sk_l…(48 chars)`), anything else with URL passwords redacted.
pub fn display(value: &str, secret: bool) -> String {
    if secret {
        mask(value, 4)
    } else {
        let shown = redact_url(value);
        let shown: String = shown.chars().take(120).collect();
        format!("{shown:?}")
    }
}

/// True when a piece of text that is not known to be a value (a line that
/// failed to parse, a name) looks like a pasted credential, so error
/// messages must not echo it.
pub fn looks_like_credential(text: &str) -> bool {
    const PREFIXES: [&str; 10] = [
        "sk_",
        "pk_",
        "rk_",
        "whsec_",
        "ghp_",
        "gho_",
        "xox",
        "AKIA",
        "eyJ",
        "-----BEGIN",
    ];
    if PREFIXES.iter().any(|p| text.starts_with(p)) {
        return true;
    }
    let long = text.chars().count() >= 16;
    let mixed =
        text.chars().any(|c| c.is_ascii_digit()) && text.chars().any(|c| c.is_ascii_alphabetic());
    long && mixed && !text.contains(char::is_whitespace) && weakness(text).is_none()
}

/// Placeholder tokens that mark a value nobody replaced. Entropy alone
/// cannot tell `replace-with-a-long-random-key` from a real key, so these
/// are matched as text.
const PLACEHOLDER_WORDS: [&str; 14] = [
    "change_me",
    "change-me",
    "changeme",
    "changethis",
    "change_this",
    "replace_me",
    "replace-me",
    "replaceme",
    "yourdomain",
    "your-domain",
    "your_domain",
    "todo",
    "fixme",
    "placeholder",
];

/// If `value` looks like an unreplaced placeholder, say which part.
pub fn placeholder(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    for word in PLACEHOLDER_WORDS {
        if let Some(i) = lower.find(word) {
            // `todo` and `fixme` only as whole words, not inside `mastodon`.
            let whole = |w: &str| {
                let before = lower[..i].chars().next_back();
                let after = lower[i + w.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric())
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric())
            };
            if (word == "todo" || word == "fixme") && !whole(word) {
                continue;
            }
            return Some(value[i..i + word.len()].to_owned());
        }
    }
    for (start, end) in [("your_", "_here"), ("your-", "-here"), ("<", ">")] {
        if let Some(i) = lower.find(start)
            && let Some(j) = lower[i + start.len()..].find(end)
        {
            let stop = i + start.len() + j + end.len();
            return Some(value[i..stop].to_owned());
        }
    }
    for start in [
        "replace-with-",
        "replace_with_",
        "insert-",
        "insert_",
        "put-your-",
    ] {
        if lower.starts_with(start) {
            return Some(value.to_owned());
        }
    }
    if lower.contains("xxxx") || lower.chars().all(|c| c == 'x') && lower.len() >= 3 {
        return Some("xxx".to_owned());
    }
    for host in ["example.com", "example.org", "example.net"] {
        if lower.contains(host) {
            return Some(host.to_owned());
        }
    }
    if matches!(
        lower.as_str(),
        "example" | "sample" | "dummy" | "test" | "none" | "null" | "..."
    ) {
        return Some(value.to_owned());
    }
    None
}

/// A small list of passwords every cracking dictionary starts with.
const COMMON_PASSWORDS: [&str; 40] = [
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "123456789012",
    "password",
    "password1",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword123",
    "qwerty",
    "qwerty123",
    "qwertyuiop",
    "qwertyuiop123",
    "letmein",
    "letmein123",
    "welcome",
    "welcome123",
    "welcome12345",
    "admin",
    "admin123",
    "administrator",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "trustno1",
    "abc123",
    "abcdefghijkl",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "superman",
    "postgres123",
    "secretpassword",
    "supersecret",
];

pub fn is_common_password(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    COMMON_PASSWORDS.contains(&lower.as_str())
}

/// Shannon entropy in bits per character.
pub fn entropy_per_char(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let total = total as f64;
    counts
        .values()
        .map(|&n| {
            #[allow(clippy::cast_precision_loss)]
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// The largest entropy per character a value of this length over its
/// character classes could have.
pub fn max_entropy_per_char(value: &str) -> f64 {
    let mut size = 0u32;
    if value.chars().any(|c| c.is_ascii_lowercase()) {
        size += 26;
    }
    if value.chars().any(|c| c.is_ascii_uppercase()) {
        size += 26;
    }
    if value.chars().any(|c| c.is_ascii_digit()) {
        size += 10;
    }
    if value.chars().any(|c| !c.is_ascii_alphanumeric()) {
        size += 33;
    }
    let len = value.chars().count();
    #[allow(clippy::cast_precision_loss)]
    let by_len = (len.max(1) as f64).log2();
    f64::from(size.max(2)).log2().min(by_len)
}

/// Why a secret value is weak, if it is.
pub fn weakness(value: &str) -> Option<String> {
    if is_common_password(value) {
        return Some("it is on the list of common passwords".to_owned());
    }
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len();
    if len >= 4 {
        for unit in 1..=4.min(len / 2) {
            if len.is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit]) {
                return Some(format!("it repeats a {unit}-character pattern"));
            }
        }
        let mut run = 1;
        let mut longest = 1;
        for w in chars.windows(2) {
            run = if w[0] == w[1] { run + 1 } else { 1 };
            longest = longest.max(run);
        }
        if longest >= 6 || (longest >= 4 && longest * 4 >= len) {
            return Some(format!("it repeats one character {longest} times in a row"));
        }
    }
    if len >= 8 {
        let ratio = entropy_per_char(value) / max_entropy_per_char(value);
        if ratio < 0.6 {
            return Some(format!(
                "its entropy is low for its character set ({:.0}% of what random characters would give)",
                ratio * 100.0
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "POSTGRES_PASSWORD",
            "SECRET_KEY",
            "MISTRAL_API_KEY",
            "GITHUB_TOKEN",
            "CSRF_SECRET",
        ] {
            assert!(name_looks_secret(name), "{name}");
        }
        for name in ["PINECONE_INDEX", "DEBUG", "KEYCLOAK_URL"] {
            assert!(!name_looks_secret(name), "{name}");
        }
    }

    #[test]
    fn placeholders() {
        for v in [
            "CHANGE_ME",
            "your_api_key_here",
            "replace-with-a-long-random-key",
            "sk_live_xxxxxxxx",
            "https://api.yourdomain.com",
            "<your key>",
        ] {
            assert!(placeholder(v).is_some(), "{v}");
        }
        for v in ["production", "mastodon", "k8Jf2xQ9vLp3"] {
            assert!(placeholder(v).is_none(), "{v}");
        }
    }

    #[test]
    fn weak_secrets() {
        assert!(weakness("password1234").is_some());
        assert!(weakness("abababababababab").is_some());
        assert!(weakness("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab").is_some());
        // No pattern of up to 4 characters, no long run: only the entropy
        // against the character set gives these away.
        for low in ["abbaabbaabababbbaaab", "Kq7Kq7Kq8Kq7Kq7Kq8Kq7Kq9"] {
            let why = weakness(low).unwrap_or_default();
            assert!(why.contains("entropy"), "{low}: {why:?}");
        }
        assert!(weakness("Jq7vN2pXc9LwR4tZ8mKd3sHf6yBg1aVe").is_none());
        assert!(weakness("3f9a1c7e5b2d8046af1c9e7b3d5a2c80").is_none());
    }

    #[test]
    fn display_never_shows_a_secret() {
        let shown = display("sk_live_0123456789abcdef0123456789abcdef0123", true);
        assert_eq!(shown, "sk_l…(44 chars)");
    }
}
