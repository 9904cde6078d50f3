//! Reading typed values: numbers, booleans, durations, URLs, e-mail
//! addresses and lists. Each returns why a value is not of the type.

use crate::schema::Type;

pub fn int(v: &str) -> Result<i64, String> {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("not an integer".to_owned());
    }
    v.parse::<i64>()
        .map_err(|_| "an integer out of range".to_owned())
}

pub fn float(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && !v.contains(char::is_whitespace) => Ok(f),
        _ => Err("not a number".to_owned()),
    }
}

pub fn bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("not a boolean (true/false, 1/0, yes/no, on/off)".to_owned()),
    }
}

pub fn port(v: &str) -> Result<i64, String> {
    match int(v) {
        Ok(p) if (1..=65535).contains(&p) => Ok(p),
        Ok(_) => Err("not a port (1-65535)".to_owned()),
        Err(_) => Err("not a port number".to_owned()),
    }
}

/// `30`, `30s`, `500ms`, `5m`, `1h30m`, `2d`: seconds.
pub fn duration(v: &str) -> Result<f64, String> {
    let err = || "not a duration (e.g. 30s, 5m, 1h30m, 500ms)".to_owned();
    if let Ok(n) = v.parse::<f64>() {
        return if n.is_finite() && n >= 0.0 {
            Ok(n)
        } else {
            Err(err())
        };
    }
    let mut total = 0.0;
    let mut rest = v;
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let n_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if n_len == 0 {
            return Err(err());
        }
        let n: f64 = rest[..n_len].parse().map_err(|_| err())?;
        rest = &rest[n_len..];
        let u_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let factor = match &rest[..u_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "w" => 604_800.0,
            _ => return Err(err()),
        };
        total += n * factor;
        rest = &rest[u_len..];
    }
    Ok(total)
}

/// A URL split by hand: `scheme://authority/path`. A WHATWG parser would
/// take `localhost:5432` as scheme `localhost`; this requires `://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub authority: &'a str,
    pub host: &'a str,
    pub rest: &'a str,
}

pub fn url(v: &str) -> Result<UrlParts<'_>, String> {
    let Some((scheme, after)) = v.split_once("://") else {
        return Err("not a URL (scheme://host…)".to_owned());
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    if !scheme_ok {
        return Err("not a URL: invalid scheme".to_owned());
    }
    if v.chars().any(char::is_whitespace) {
        return Err("not a URL: it contains whitespace".to_owned());
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        hostport.find(']').map_or(hostport, |i| &hostport[..=i])
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() && !scheme.starts_with("file") {
        return Err("not a URL: no host".to_owned());
    }
    if let Some(port) = hostport
        .strip_prefix(host)
        .and_then(|p| p.strip_prefix(':'))
        && !port.is_empty()
        && !port.contains(',')
        && self::port(port).is_err()
    {
        return Err("not a URL: invalid port".to_owned());
    }
    Ok(UrlParts {
        scheme,
        authority,
        host,
        rest: &after[end..],
    })
}

pub fn email(v: &str) -> Result<(), String> {
    let err = || "not an e-mail address".to_owned();
    let (local, domain) = v.rsplit_once('@').ok_or_else(err)?;
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.contains(char::is_whitespace) || local.contains('@') || !domain_ok
    {
        return Err(err());
    }
    Ok(())
}

/// The items of a list: a JSON array (`["a","b"]`, as pydantic-settings
/// reads lists) or text split on `separator` (default `,`), trimmed.
pub fn list(v: &str, separator: Option<&str>) -> Result<Vec<String>, String> {
    let trimmed = v.trim();
    if trimmed.starts_with('[') {
        let parsed: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| format!("not a JSON array: {e}"))?;
        return parsed
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Ok(s),
                other => Ok(other.to_string()),
            })
            .collect();
    }
    let sep = separator.unwrap_or(",");
    Ok(v.split(sep)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Check one scalar against a type; for numbers return the number.
pub fn scalar(kind: Type, v: &str) -> Result<Option<f64>, String> {
    #[allow(clippy::cast_precision_loss)]
    match kind {
        Type::String | Type::Enum | Type::List => Ok(None),
        Type::Int => int(v).map(|n| Some(n as f64)),
        Type::Float => float(v).map(Some),
        Type::Bool => bool(v).map(|_| None),
        Type::Url => url(v).map(|_| None),
        Type::Email => email(v).map(|_| None),
        Type::Port => port(v).map(|n| Some(n as f64)),
        Type::Duration => duration(v).map(Some),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn types() {
        assert_eq!(int("8080"), Ok(8080));
        assert!(int("8080.0").is_err());
        assert!(bool("False").is_ok());
        assert!(bool("nope").is_err());
        assert!(port("0").is_err());
        assert_eq!(duration("1h30m"), Ok(5400.0));
        assert_eq!(duration("500ms"), Ok(0.5));
        assert!(duration("5 minutes").is_err());
        assert!(url("localhost:5432").is_err());
        assert_eq!(url("https://a.b:8443/x").unwrap().host, "a.b");
        assert!(email("ops@shipshape.test").is_ok());
        assert!(email("ops@localhost").is_err());
        assert_eq!(list("[\"a\", \"b\"]", None).unwrap(), ["a", "b"]);
        assert_eq!(list("a, b,", None).unwrap(), ["a", "b"]);
    }
}
