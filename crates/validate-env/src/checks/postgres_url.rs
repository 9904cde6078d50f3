//! `postgres-url`: PostgreSQL connection URLs, checked by hand. A WHATWG
//! URL parser takes `localhost:5432` as scheme `localhost` and accepts an
//! unescaped `@` or `#` in a password that libpq then splits wrongly.
//! Checked: scheme allow-list, percent-encoding of user info, host(s) and
//! ports (libpq multi-host `h1:5432,h2:5433`), database, `sslmode`.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};
use crate::schema::Format;

pub const RULE: Rule = Rule {
    id: "postgres-url",
    severity: Severity::Error,
    summary: "a PostgreSQL URL that libpq would reject or read differently",
    explanation: "percent-encode special characters in the user name and password (@ → %40, # → %23, / → %2F, : → %3A)",
};

const SSLMODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The parts of a PostgreSQL URL, percent-decoded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PgUrl {
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub hosts: Vec<(String, Option<u16>)>,
    pub database: Option<String>,
    pub params: Vec<(String, String)>,
}

fn decode(part: &str, what: &str) -> Result<String, String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = part
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => out.push(b),
                None => {
                    return Err(format!(
                        "the {what} has a '%' that is not followed by two hex digits"
                    ));
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {what} does not decode to UTF-8"))
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c)
}

/// Parse a URL the way libpq does, reporting what it would reject.
pub fn parse(value: &str, schemes: &[String]) -> Result<PgUrl, String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err("it is not a URL (postgresql://user:password@host:5432/database)".to_owned());
    };
    if !schemes.iter().any(|s| s == scheme) {
        return Err(format!(
            "its scheme {scheme}:// is not one of {}",
            schemes.join(", ")
        ));
    }
    if rest.contains('#') {
        return Err("it contains an unescaped '#' (write %23)".to_owned());
    }
    let mut url = PgUrl {
        scheme: scheme.to_owned(),
        ..PgUrl::default()
    };
    let (userinfo, hostpart) = match rest.rfind('@') {
        Some(at) if !rest[..at].contains('/') || rest[..at].contains(':') => {
            (Some(&rest[..at]), &rest[at + 1..])
        }
        _ => (None, rest),
    };
    if let Some(userinfo) = userinfo {
        if userinfo.contains('@') {
            return Err("the user info contains an unescaped '@' (write %40)".to_owned());
        }
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if let Some(bad) = user.chars().find(|c| !unreserved(*c)) {
            return Err(format!("the user name contains an unescaped {bad:?}"));
        }
        if let Some(p) = password
            && let Some(bad) = p.chars().find(|c| !unreserved(*c) && *c != ':')
        {
            let _ = bad;
            return Err(
                "the password contains a character that must be percent-encoded".to_owned(),
            );
        }
        url.user = Some(decode(user, "user name")?).filter(|u| !u.is_empty());
        url.password = password.map(|p| decode(p, "password")).transpose()?;
    }
    let (authority, path_query) = match hostpart.find(['/', '?']) {
        Some(i) => hostpart.split_at(i),
        None => (hostpart, ""),
    };
    if !authority.is_empty() {
        for item in authority.split(',') {
            let (host, port) = if let Some(v6) = item.strip_prefix('[') {
                let Some((h, after)) = v6.split_once(']') else {
                    return Err("an IPv6 host is missing its ']'".to_owned());
                };
                (h, after.strip_prefix(':'))
            } else {
                match item.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (item, None),
                }
            };
            if host.is_empty() && authority.contains(',') {
                return Err("a host in the multi-host list is empty".to_owned());
            }
            if let Some(bad) = host
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-._%:".contains(*c)))
            {
                return Err(format!("a host name contains {bad:?}"));
            }
            let port = match port {
                None | Some("") => None,
                Some(p) => match p.parse::<u16>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        return Err(format!(
                            "the port {p:?} is not a number between 1 and 65535"
                        ));
                    }
                },
            };
            url.hosts.push((decode(host, "host")?, port));
        }
    }
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    if let Some(db) = path.strip_prefix('/') {
        if db.contains('/') {
            return Err("the database name contains '/' (write %2F)".to_owned());
        }
        url.database = Some(decode(db, "database name")?).filter(|d| !d.is_empty());
    }
    for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let Some((k, v)) = param.split_once('=') else {
            return Err(format!("the query parameter {param:?} has no '='"));
        };
        let v = decode(v, "query parameter")?;
        if k == "sslmode" && !SSLMODES.contains(&v.as_str()) {
            return Err(format!("sslmode={v} is not one of {}", SSLMODES.join(", ")));
        }
        url.params.push((k.to_owned(), v));
    }
    if url.hosts.is_empty() && !url.params.iter().any(|(k, _)| k == "host") {
        return Err("it names no host".to_owned());
    }
    Ok(url)
}

pub fn default_schemes() -> Vec<String> {
    vec!["postgres".to_owned(), "postgresql".to_owned()]
}

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let is_pg = v.var.rules.format == Some(Format::PostgresUrl);
    if !is_pg {
        return Vec::new();
    }
    let schemes = v.var.rules.schemes.clone().unwrap_or_else(default_schemes);
    match parse(v.value, &schemes) {
        Ok(_) => Vec::new(),
        Err(e) => vec![Finding::new(format!(
            "{} is not a valid PostgreSQL URL: {e}",
            v.var.name
        ))],
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(v: &str) -> Result<PgUrl, String> {
        parse(v, &default_schemes())
    }

    #[test]
    fn reads_parts() {
        let u = p("postgresql://app:p%40ss@db:5432/app?sslmode=require").unwrap();
        assert_eq!(u.user.as_deref(), Some("app"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.hosts, [("db".to_owned(), Some(5432))]);
        assert_eq!(u.database.as_deref(), Some("app"));
        let multi = p("postgres://u@h1:5432,h2:5433/db").unwrap();
        assert_eq!(multi.hosts.len(), 2);
    }

    #[test]
    fn rejects_what_libpq_would_misread() {
        assert!(p("localhost:5432").is_err());
        assert!(p("postgres://u:p@ss@db/app").unwrap_err().contains('@'));
        assert!(p("postgres://u:p#ss@db/app").unwrap_err().contains('#'));
        assert!(p("postgres://u:p@db:99999/app").is_err());
        assert!(p("postgres://u:p@db/app?sslmode=on").is_err());
        assert!(p("mysql://u:p@db/app").is_err());
        assert!(p("postgres://u:p@db/a%2").is_err());
    }
}
