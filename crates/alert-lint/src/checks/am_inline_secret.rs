//! `am-inline-secret`: secrets written inline where a `_file` form exists.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::{Finding, Pos};
use crate::yaml::{Kind, Node};

pub const CHECK: Check = Check {
    id: "am-inline-secret",
    severity: Severity::Warning,
    summary: "A secret written inline in the Alertmanager config where a `_file` form exists.",
    explain: "Inline secrets end up in version control, in `amtool config show` and in support bundles. Alertmanager can read them from files instead (smtp_auth_password_file, routing_key_file, api_url_file, url_file, password_file, credentials_file, …); mount the secret and point at it.",
};

/// (key, file form, first Alertmanager version with the file form)
const SECRETS: &[(&str, &str, (u32, u32))] = &[
    ("smtp_auth_password", "smtp_auth_password_file", (0, 25)),
    ("auth_password", "auth_password_file", (0, 25)),
    ("slack_api_url", "slack_api_url_file", (0, 22)),
    ("api_url", "api_url_file", (0, 22)),
    ("opsgenie_api_key", "opsgenie_api_key_file", (0, 24)),
    ("victorops_api_key", "victorops_api_key_file", (0, 25)),
    ("api_key", "api_key_file", (0, 24)),
    ("routing_key", "routing_key_file", (0, 25)),
    ("service_key", "service_key_file", (0, 25)),
    ("url", "url_file", (0, 26)),
    ("bot_token", "bot_token_file", (0, 26)),
    ("webhook_url", "webhook_url_file", (0, 27)),
    ("password", "password_file", (0, 22)),
    ("credentials", "credentials_file", (0, 22)),
    ("bearer_token", "bearer_token_file", (0, 22)),
];

fn scan(node: &Node, kind: &str, version: (u32, u32), out: &mut Vec<(String, Pos)>) {
    match &node.kind {
        Kind::Map(entries) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else { continue };
                // VictorOps' routing_key is a routing name, not a secret.
                let not_secret = kind == "victorops" && key == "routing_key";
                if let Some((_, file, since)) = SECRETS.iter().find(|(s, _, _)| *s == key)
                    && !not_secret
                    && version >= *since
                    && v.as_str().is_some_and(|s| !s.is_empty())
                {
                    out.push((format!("`{key}` is written inline; use `{file}`"), Pos::of(v)));
                } else {
                    scan(v, kind, version, out);
                }
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| scan(i, kind, version, out)),
        Kind::Scalar { .. } => {}
    }
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let version = cx.settings.alertmanager;
    for am in &cx.ws.alertmanager {
        let mut found = Vec::new();
        if let Some(g) = &am.global {
            scan(g, "global", version, &mut found);
        }
        for r in &am.receivers {
            for (kind, _, node) in &r.integrations {
                scan(node, kind, version, &mut found);
            }
        }
        for (message, pos) in found {
            out.push(Finding::new(CHECK.id, am.file, pos, message).help("keep secrets out of the config file"));
        }
    }
}
