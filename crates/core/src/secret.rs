//! Secrets: a wrapper that never shows its value, and URL redaction.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret looks like wherever it would otherwise be shown.
pub const REDACTED: &str = "<redacted>";

/// A value that must never be printed. `Display`, `Debug` and `Serialize`
/// all show [`REDACTED`]; the value is reachable only through
/// [`Secret::expose`], which makes every use greppable.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value. Call only to hand it to the thing that needs it
    /// (a connection, a child's environment), never to print it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

/// Replace the password in a connection URL (`postgres://user:pw@host/db`,
/// `redis://:pw@host`) and any `password=` query parameter with
/// [`REDACTED`].
///
/// This works on the raw text rather than through a URL parser on purpose: a
/// password with an unescaped `@`, `#` or `/` makes the URL invalid (or
/// parses into the wrong parts), and a malformed URL is exactly the kind of
/// value that ends up in an error message. Everything between the first `:`
/// of the user info and the *last* `@` is treated as the password, so the
/// redaction errs towards hiding too much.
pub fn redact_url(text: &str) -> String {
    let redacted = redact_userinfo(text);
    redact_password_params(&redacted)
}

fn redact_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let rest = &text[scheme_end + 3..];
    let Some(at) = rest.rfind('@') else {
        return text.to_owned();
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return text.to_owned();
    };
    format!(
        "{}{}:{}{}",
        &text[..scheme_end + 3],
        &userinfo[..colon],
        REDACTED,
        &rest[at..]
    )
}

fn redact_password_params(text: &str) -> String {
    let Some(query_start) = text.find('?') else {
        return text.to_owned();
    };
    let (base, query) = text.split_at(query_start + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("password")
                    || key.eq_ignore_ascii_case("sslpassword") =>
            {
                format!("{key}={REDACTED}")
            }
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}{}", params.join("&"))
}

/// Parts of a setting's name that say its value is a secret
/// (`POSTGRES_PASSWORD`, `api_key`, `SECRET_KEY`, `slack_token`, …).
const SECRET_NAME_PARTS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "private_key",
    "passphrase",
    "credential",
    "access_key",
];

/// Does a setting called `name` hold a secret?
pub fn name_looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part))
}

/// A hint that identifies a secret without revealing it: the first
/// `shown` characters (at most a quarter of the value) and the length, e.g.
/// `sk_l…(48 chars)`.
pub fn mask(value: &str, shown: usize) -> String {
    let len = value.chars().count();
    let shown = shown.min(len / 4);
    let prefix: String = value.chars().take(shown).collect();
    format!("{prefix}…({len} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_displays_its_value() {
        let s = Secret::new("hunter2-very-secret".to_owned());
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{REDACTED}\"")
        );
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redacts_url_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cr3t@db:5432/app"),
            "postgres://app:<redacted>@db:5432/app"
        );
        assert_eq!(
            redact_url("redis://:pw@cache:6379/0"),
            "redis://:<redacted>@cache:6379/0"
        );
        assert_eq!(
            redact_url("postgresql://app@db/app?password=pw&sslmode=require"),
            "postgresql://app@db/app?password=<redacted>&sslmode=require"
        );
    }

    #[test]
    fn leaves_urls_without_passwords_alone() {
        assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(redact_url("https://example.com/x"), "https://example.com/x");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn redacts_malformed_urls_by_hand() {
        // An unescaped '#' and '@' in the password make this an invalid URL.
        let text = "postgres://app:p@ss#word@db:5432/app";
        let redacted = redact_url(text);
        assert!(!redacted.contains("ss#word"), "{redacted}");
        assert!(
            redacted.starts_with("postgres://app:<redacted>@db"),
            "{redacted}"
        );
    }

    #[test]
    fn mask_shows_a_short_prefix_and_the_length() {
        assert_eq!(mask("sk_live_abcdefghijklmnop", 4), "sk_l…(24 chars)");
        assert_eq!(mask("short", 4), "s…(5 chars)");
        assert_eq!(mask("", 4), "…(0 chars)");
    }
}
