//! `am-integration`: each integration carries the settings it needs.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::alertmanager::Config;
use crate::finding::{Finding, Pos};
use crate::yaml::Node;

pub const CHECK: Check = Check {
    id: "am-integration",
    severity: Severity::Error,
    summary: "A notification integration missing a required setting (from itself or `global`).",
    explain: "Alertmanager refuses integrations that cannot work: email needs `to`, and `smarthost` and `from` either on the integration or as global smtp_smarthost/smtp_from; PagerDuty needs `routing_key` or `service_key` (or their `_file` forms); Slack needs `api_url`/`api_url_file` or global slack_api_url; webhook needs `url` or `url_file`; OpsGenie needs an API key; VictorOps an API key and `routing_key`; Pushover `user_key` and `token`; Telegram `bot_token` and `chat_id`; Discord, Microsoft Teams and Webex a webhook URL or room.",
};

fn has(node: &Node, keys: &[&str]) -> bool {
    keys.iter().any(|k| node.get(k).and_then(Node::as_str).is_some_and(|v| !v.is_empty()))
}

fn global(am: &Config, keys: &[&str]) -> bool {
    keys.iter().any(|k| am.global_str(k).is_some())
}

/// (message) for each missing requirement.
// Arms list independent requirements side by side; collapsing the single
// ones into match guards would hide that symmetry.
#[allow(clippy::collapsible_match)]
fn missing(am: &Config, kind: &str, node: &Node) -> Vec<&'static str> {
    let mut out = Vec::new();
    match kind {
        "email" => {
            if !has(node, &["to"]) {
                out.push("missing `to` address in email config");
            }
            if !has(node, &["smarthost"]) && !global(am, &["smtp_smarthost"]) {
                out.push("no `smarthost` in email config and no global smtp_smarthost");
            }
            if !has(node, &["from"]) && !global(am, &["smtp_from"]) {
                out.push("no `from` in email config and no global smtp_from");
            }
        }
        "pagerduty" => {
            if !has(node, &["routing_key", "service_key", "routing_key_file", "service_key_file"]) {
                out.push("missing `routing_key` or `service_key` in PagerDuty config");
            }
        }
        "slack" => {
            if !has(node, &["api_url", "api_url_file", "app_token", "app_token_file"]) && !global(am, &["slack_api_url", "slack_api_url_file"]) {
                out.push("no `api_url` in Slack config and no global slack_api_url");
            }
        }
        "webhook" => {
            if !has(node, &["url", "url_file"]) {
                out.push("one of `url` or `url_file` must be configured in webhook config");
            }
        }
        "opsgenie" => {
            if !has(node, &["api_key", "api_key_file"]) && !global(am, &["opsgenie_api_key", "opsgenie_api_key_file"]) {
                out.push("no `api_key` in OpsGenie config and no global opsgenie_api_key");
            }
        }
        "victorops" => {
            if !has(node, &["api_key", "api_key_file"]) && !global(am, &["victorops_api_key", "victorops_api_key_file"]) {
                out.push("no `api_key` in VictorOps config and no global victorops_api_key");
            }
            if !has(node, &["routing_key"]) {
                out.push("missing `routing_key` in VictorOps config");
            }
        }
        "pushover" => {
            if !has(node, &["user_key", "user_key_file"]) {
                out.push("missing `user_key` in Pushover config");
            }
            if !has(node, &["token", "token_file"]) {
                out.push("missing `token` in Pushover config");
            }
        }
        "telegram" => {
            if !has(node, &["bot_token", "bot_token_file"]) {
                out.push("missing `bot_token` in Telegram config");
            }
            if !has(node, &["chat_id"]) {
                out.push("missing `chat_id` in Telegram config");
            }
        }
        "discord" | "msteams" | "msteamsv2" => {
            if !has(node, &["webhook_url", "webhook_url_file"]) {
                out.push("missing `webhook_url` in config");
            }
        }
        "sns" => {
            if !has(node, &["target_arn", "topic_arn", "phone_number"]) {
                out.push("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config");
            }
        }
        "wechat" => {
            if !has(node, &["api_secret"]) && !global(am, &["wechat_api_secret"]) {
                out.push("no `api_secret` in WeChat config and no global wechat_api_secret");
            }
            if !has(node, &["corp_id"]) && !global(am, &["wechat_api_corp_id"]) {
                out.push("no `corp_id` in WeChat config and no global wechat_api_corp_id");
            }
        }
        "webex" => {
            if !has(node, &["room_id"]) {
                out.push("missing `room_id` in Webex config");
            }
        }
        _ => {}
    }
    out
}

/// More than one authentication method in an `http_config`.
fn auth_conflict(http: &Node) -> bool {
    let methods = ["basic_auth", "oauth2", "authorization"]
        .iter()
        .filter(|k| http.get(k).is_some_and(|v| !v.is_null()))
        .count()
        + usize::from(has(http, &["bearer_token", "bearer_token_file"]));
    methods > 1
}

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for am in &cx.ws.alertmanager {
        let global_http = am.global.as_ref().and_then(|g| g.get("http_config"));
        let integration_http = am.receivers.iter().flat_map(|r| r.integrations.iter().filter_map(|(_, _, n)| n.get("http_config")));
        for http in global_http.into_iter().chain(integration_http) {
            if auth_conflict(http) {
                out.push(Finding::new(CHECK.id, am.file, Pos::of(http), "at most one of basic_auth, oauth2, authorization and bearer_token/bearer_token_file may be configured in http_config"));
            }
        }
        for r in &am.receivers {
            for (kind, pos, node) in &r.integrations {
                for message in missing(am, kind, node) {
                    out.push(Finding::new(CHECK.id, am.file, *pos, format!("receiver {:?}: {message}", r.name.value)).subject(r.name.value.clone()).scope(Some((pos.line, Pos::of(node).end_line))));
                }
            }
        }
    }
}
