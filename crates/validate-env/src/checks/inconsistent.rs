//! `inconsistent`: the user, password, database (and host, port) inside a
//! PostgreSQL URL must equal the variables that create the database
//! (`POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_DB`).

use shipshape_core::Severity;

use super::{Ctx, Findings, Rule, postgres_url};

pub const RULE: Rule = Rule {
    id: "inconsistent",
    severity: Severity::Error,
    summary: "a part of a URL differs from the variable it must equal",
    explanation: "",
};

/// Placeholders are reported once, by the placeholder check.
fn usable(value: Option<&str>) -> Option<&str> {
    value.filter(|v| crate::secrets::placeholder(v).is_none())
}

pub fn check(ctx: &Ctx<'_>, out: &mut Findings) {
    let Some(schema) = ctx.schema else {
        return;
    };
    for rule in &schema.consistent {
        let url_name = rule.url.get_ref();
        let Some(url_value) = usable(ctx.value(url_name)) else {
            continue;
        };
        let schemes = ctx
            .var(url_name)
            .and_then(|v| v.rules.schemes.clone())
            .unwrap_or_else(postgres_url::default_schemes);
        let Ok(url) = postgres_url::parse(url_value, &schemes) else {
            continue;
        };
        let host = url.hosts.first().map(|(h, _)| h.clone());
        let port = url
            .hosts
            .first()
            .and_then(|(_, p)| p.map(|p| p.to_string()));
        let parts = [
            ("user", &rule.user, url.user.clone()),
            ("password", &rule.password, url.password.clone()),
            ("database", &rule.database, url.database.clone()),
            ("host", &rule.host, host),
            ("port", &rule.port, port),
        ];
        for (part, var, in_url) in parts {
            let Some(var) = var else { continue };
            let Some(expected) = usable(ctx.value(var)) else {
                continue;
            };
            if in_url.as_deref() != Some(expected) {
                let message = match in_url {
                    None => format!("{url_name} has no {part}, but {var} is set"),
                    Some(_) => format!("the {part} in {url_name} differs from {var}"),
                };
                out.push(
                    &RULE,
                    Some(url_name),
                    message,
                    &ctx.input.value_place(url_name),
                    Some(format!(
                        "make the {part} in {url_name} equal {var} (percent-encoded)"
                    )),
                );
            }
        }
    }
}
