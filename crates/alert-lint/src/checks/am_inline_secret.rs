//! `am-inline-secret`: secrets written inline where a `_file` form exists.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::{Finding, Pos};
use crate::yaml::{Kind, Node};

pub const CHECK: Check = Check {
    id: "am-inline-secret",
    severity: Severity::Warning,
    summary: "A secret written inline in the Alertmanager config where a `_file` form exists.",
    explanation: "Inline secrets end up in version control, in `amtool config show` and in support bundles. Alertmanager can read them from files instead (smtp_auth_password_file, routing_key_file, api_url_file, url_file, password_file, credentials_file, …); mount the secret and point at it. A webhook `url` counts as a secret when it is a chat or paging service's incoming webhook (Slack, Discord, Teams, Google Chat, …), carries credentials or a token-like query parameter, or has a long random path segment; an internal address such as http://alert-router:8080/hook does not. A setting given both inline and as a file is an `am-integration` error instead.",
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
    ("user_key", "user_key_file", (0, 26)),
    ("token", "token_file", (0, 26)),
    ("token_id", "token_id_file", (0, 28)),
    ("rocketchat_token", "rocketchat_token_file", (0, 28)),
    ("rocketchat_token_id", "rocketchat_token_id_file", (0, 28)),
    ("alert_source_token", "alert_source_token_file", (0, 29)),
    ("app_token", "app_token_file", (0, 30)),
    ("slack_app_token", "slack_app_token_file", (0, 30)),
    ("api_secret", "api_secret_file", (0, 31)),
    ("wechat_api_secret", "wechat_api_secret_file", (0, 31)),
    ("telegram_bot_token", "telegram_bot_token_file", (0, 31)),
    ("auth_secret", "auth_secret_file", (0, 31)),
    ("smtp_auth_secret", "smtp_auth_secret_file", (0, 31)),
    ("mattermost_webhook_url", "mattermost_webhook_url_file", (0, 32)),
];

/// Whether a generic webhook URL carries a secret: a chat service's incoming
/// webhook (the URL is the credential), credentials in the URL, a token-like
/// query parameter or a long random path segment. An internal
/// `http://alert-router:8080/hook` is an address, not a secret.
pub fn url_is_secret(url: &str) -> bool {
    const SECRET_HOSTS: &[&str] = &[
        "hooks.slack.com",
        "discord.com",
        "discordapp.com",
        "webhook.office.com",
        "outlook.office.com",
        "chat.googleapis.com",
        "api.telegram.org",
        "hooks.zapier.com",
        "events.pagerduty.com",
        "api.opsgenie.com",
        "alert.victorops.com",
        "maker.ifttt.com",
    ];
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return true;
    }
    let host = authority.split(':').next().unwrap_or("").to_ascii_lowercase();
    if SECRET_HOSTS.iter().any(|h| host == *h || host.ends_with(&format!(".{h}"))) {
        return true;
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let secret_param = query.split('&').any(|p| {
        let name = p.split('=').next().unwrap_or("").to_ascii_lowercase();
        ["token", "key", "secret", "sig", "signature", "password", "auth", "code"]
            .iter()
            .any(|s| name.contains(s))
    });
    let random_segment = path.split('/').any(|seg| {
        seg.len() >= 24
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && seg.chars().any(|c| c.is_ascii_digit())
    });
    secret_param || random_segment
}

fn scan(node: &Node, kind: &str, version: (u32, u32), out: &mut Vec<(String, Pos)>) {
    match &node.kind {
        Kind::Map(entries) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else { continue };
                // VictorOps' routing_key is a routing name, not a secret; a
                // plain webhook URL is only an address; a setting that also
                // has its file form is an am-integration error instead.
                let not_secret = (kind == "victorops" && key == "routing_key")
                    || (key == "url" && !matches!(kind, "webhook" | "incidentio"))
                    || (key == "url" && v.as_str().is_some_and(|u| !url_is_secret(u)))
                    || entries.iter().any(|(k, f)| SECRETS.iter().any(|(s, file, _)| *s == key && k.as_str() == Some(file)) && !f.is_null());
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
