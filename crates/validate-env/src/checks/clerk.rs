//! `clerk-key`: Clerk keys have structure. A publishable key is
//! `pk_live_`/`pk_test_` + base64 of the Frontend API host followed by `$`;
//! in production that host must not be a `*.clerk.accounts.dev` development
//! host, and the publishable and secret keys must both be live or both test.

use base64::Engine as _;
use shipshape_core::Severity;

use super::{Ctx, Finding, Findings, Rule, VarCheck};
use crate::schema::Format;

pub const RULE: Rule = Rule {
    id: "clerk-key",
    severity: Severity::Error,
    summary: "a Clerk key that is malformed, a development key in production, or keys of different modes",
    explanation: "copy both keys from the same Clerk instance (Dashboard → API keys)",
};

/// `live` or `test`, and the decoded Frontend API host of a publishable key.
pub fn publishable(value: &str) -> Result<(&'static str, String), String> {
    let (mode, encoded) = if let Some(rest) = value.strip_prefix("pk_live_") {
        ("live", rest)
    } else if let Some(rest) = value.strip_prefix("pk_test_") {
        ("test", rest)
    } else {
        return Err("does not start with pk_live_ or pk_test_".to_owned());
    };
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let bytes = engines
        .iter()
        .find_map(|e| e.decode(encoded).ok())
        .ok_or_else(|| "the part after the prefix is not base64".to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| "does not decode to text".to_owned())?;
    let host = text
        .strip_suffix('$')
        .ok_or_else(|| "does not decode to a host followed by '$'".to_owned())?;
    let host_ok = host.contains('.')
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !host_ok {
        return Err("does not decode to a Frontend API host name".to_owned());
    }
    Ok((mode, host.to_owned()))
}

pub fn secret_mode(value: &str) -> Result<&'static str, String> {
    let (mode, rest) = if let Some(rest) = value.strip_prefix("sk_live_") {
        ("live", rest)
    } else if let Some(rest) = value.strip_prefix("sk_test_") {
        ("test", rest)
    } else {
        return Err("does not start with sk_live_ or sk_test_".to_owned());
    };
    if rest.len() < 20 || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("is not a Clerk secret key (letters and digits after the prefix)".to_owned());
    }
    Ok(mode)
}

fn is_dev_host(host: &str) -> bool {
    host.ends_with(".clerk.accounts.dev") || host.ends_with(".accounts.dev")
}

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    let name = &v.var.name;
    match v.var.rules.format {
        Some(Format::ClerkPublishableKey) => match publishable(v.value) {
            Err(e) => vec![Finding::new(format!(
                "{name} is not a Clerk publishable key: it {e}"
            ))],
            Ok((mode, host))
                if is_dev_host(&host) && (mode == "live" || v.env() == "production") =>
            {
                vec![Finding::new(format!(
                    "{name} points at the development Frontend API host {host}{}",
                    if v.env() == "production" { " in production" } else { " but is a live key" }
                ))
                .help("use the production instance's publishable key (its host is clerk.<your domain>)")]
            }
            Ok(_) => Vec::new(),
        },
        Some(Format::ClerkSecretKey) => match secret_mode(v.value) {
            Err(e) => vec![Finding::new(format!(
                "{name} is not a Clerk secret key: it {e}"
            ))],
            Ok(_) => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The publishable and secret keys must come from the same mode.
pub fn check_pair(ctx: &Ctx<'_>, out: &mut Findings) {
    let find = |format: Format| {
        ctx.vars
            .iter()
            .filter(|v| v.rules.format == Some(format))
            .find_map(|v| ctx.value(&v.name).map(|value| (v.name.as_str(), value)))
    };
    let (Some((pk_name, pk)), Some((sk_name, sk))) = (
        find(Format::ClerkPublishableKey),
        find(Format::ClerkSecretKey),
    ) else {
        return;
    };
    if let (Ok((pk_mode, _)), Ok(sk_mode)) = (publishable(pk), secret_mode(sk))
        && pk_mode != sk_mode
    {
        out.push(
            &RULE,
            Some(sk_name),
            format!("{pk_name} is a {pk_mode} key but {sk_name} is a {sk_mode} key"),
            &ctx.input.value_place(sk_name),
            None,
        );
    }
}
