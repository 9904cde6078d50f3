//! `public-secret`: a browser-exposed variable (`exposure = "public"`, the
//! default for `NEXT_PUBLIC_*`) holding a secret-looking value. Next.js
//! inlines it into the JavaScript every visitor downloads.

use shipshape_core::Severity;

use super::{Finding, Rule, VarCheck};

pub const RULE: Rule = Rule {
    id: "public-secret",
    severity: Severity::Error,
    summary: "a browser-exposed variable holds a secret",
    help: "move the secret to a server-only variable (without NEXT_PUBLIC_) and rotate it: it has been shipped to browsers",
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

pub fn check(v: &VarCheck<'_>) -> Vec<Finding> {
    if !v.var.is_public() {
        return Vec::new();
    }
    if let Some(prefix) = SECRET_PREFIXES.iter().find(|p| v.value.starts_with(**p)) {
        return vec![Finding::new(format!(
            "{} is exposed to browsers but holds a secret-looking value ({prefix}…)",
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
