//! `redis-url`: `redis://` or `rediss://` (TLS), `[user][:password]@host
//! [:port][/db]` with a numeric database.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};
use crate::schema::Format;

pub const RULE: Rule = Rule {
    id: "redis-url",
    severity: Severity::Error,
    summary: "a Redis URL that is not redis://[:password@]host[:port][/db]",
    explanation: "percent-encode special characters in the password",
};

pub fn problem(value: &str) -> Option<String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Some("it is not a URL".to_owned());
    };
    if scheme != "redis" && scheme != "rediss" {
        return Some(format!(
            "its scheme {scheme}:// is not redis:// or rediss://"
        ));
    }
    let hostpart = match rest.rfind('@') {
        Some(at) => {
            if rest[..at].contains('@') {
                return Some("the password contains an unescaped '@' (write %40)".to_owned());
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    let (authority, path) = match hostpart.find('/') {
        Some(i) => hostpart.split_at(i),
        None => (hostpart, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Some("it names no host".to_owned());
    }
    if let Some(p) = port
        && !matches!(p.parse::<u16>(), Ok(n) if n > 0)
    {
        return Some(format!(
            "the port {p:?} is not a number between 1 and 65535"
        ));
    }
    let db = path.trim_start_matches('/').split('?').next().unwrap_or("");
    if !db.is_empty() && db.parse::<u32>().is_err() {
        return Some("the database after '/' is not a number".to_owned());
    }
    None
}

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    if v.var.rules.format != Some(Format::RedisUrl) {
        return Vec::new();
    }
    match problem(v.value) {
        Some(p) => vec![Finding::new(format!(
            "{} is not a valid Redis URL: {p}",
            v.var.name
        ))],
        None => Vec::new(),
    }
}
