//! `public-secret`: a browser-exposed variable (`exposure = "public"`, the
//! default for `NEXT_PUBLIC_*`, declared or not) holding a secret-looking
//! value: a secret-key prefix, a URL with a password, or another secret's
//! value. Next.js inlines it into the JavaScript every visitor downloads.

use shipshape_core::Severity;

use super::{Ctx, Finding, Findings, Rule, VarCheck};
use crate::schema::{Rules, Var};

pub const RULE: Rule = Rule {
    id: "public-secret",
    severity: Severity::Error,
    summary: "a browser-exposed variable holds a secret",
    explanation: "move the secret to a server-only variable (without NEXT_PUBLIC_) and rotate it: it has been shipped to browsers",
};

const SECRET_PREFIXES: [&str; 7] = [
    "sk_",
    "whsec_",
    "rk_live_",
    "rk_test_",
    "-----BEGIN",
    "ghp_",
    "xoxb-",
];

/// The secret-key prefix a value starts with, if any.
pub fn secret_prefix(value: &str) -> Option<&'static str> {
    SECRET_PREFIXES
        .iter()
        .find(|p| value.starts_with(**p))
        .copied()
}

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    if !v.var.is_public() {
        return Vec::new();
    }
    if let Some(prefix) = secret_prefix(v.value) {
        return vec![Finding::new(format!(
            "{} is exposed to browsers but holds a secret-looking value ({prefix}…)",
            v.var.name
        ))];
    }
    if url_has_password(v.value) {
        return vec![Finding::new(format!(
            "{} is exposed to browsers but holds a URL with a password",
            v.var.name
        ))];
    }
    let same = v.ctx.vars.iter().find(|other| {
        other.name != v.var.name && other.is_secret() && v.ctx.value(&other.name) == Some(v.value)
    });
    match same {
        Some(other) => vec![Finding::new(format!(
            "{} is exposed to browsers but holds the same value as the secret {}",
            v.var.name, other.name
        ))],
        None => Vec::new(),
    }
}

/// `scheme://user:password@host…` with a non-empty password.
fn url_has_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty())
}

/// Browser-exposed variables the schema does not declare (`NEXT_PUBLIC_*`):
/// they are unknown keys, but a secret in one is still shipped to browsers.
pub fn check_undeclared(ctx: &Ctx<'_>, out: &mut Findings) {
    for value in &ctx.input.values {
        if !value.key.starts_with("NEXT_PUBLIC_")
            || value.value.is_empty()
            || ctx.var(&value.key).is_some()
        {
            continue;
        }
        let var = Var {
            name: value.key.clone(),
            description: None,
            category: None,
            rules: Rules::default(),
            pattern: None,
        };
        let v = VarCheck {
            ctx,
            var: &var,
            value: &value.value,
            secret: false,
        };
        let place = ctx.input.value_place(&value.key);
        for f in check(&v) {
            out.push(&RULE, Some(&value.key), f.message, &place, f.help);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_has_password;

    #[test]
    fn urls_with_passwords() {
        assert!(url_has_password("postgres://u:pw@db/app"));
        assert!(url_has_password("redis://:pw@redis:6379/0"));
        assert!(!url_has_password("https://key@o1.ingest.sentry.io/2"));
        assert!(!url_has_password("https://api.test/a:b@c"));
        assert!(!url_has_password("https://u:@host/"));
        assert!(!url_has_password("plain:text@x"));
    }
}
