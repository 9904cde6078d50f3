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
    explanation: "Alertmanager refuses integrations that cannot work: email needs `to`, and `smarthost` and `from` either on the integration or as global smtp_smarthost/smtp_from; PagerDuty needs `routing_key` or `service_key` (or their `_file` forms); Slack needs `api_url`/`api_url_file` or global slack_api_url; webhook needs `url` or `url_file`; OpsGenie needs an API key; VictorOps an API key and `routing_key`; Pushover `user_key` and `token`; Telegram `bot_token` and `chat_id`; Discord and Microsoft Teams a webhook URL; Webex a `room_id` and `http_config.authorization`; Jira `project`, `issue_type` and an API URL (or global jira_api_url); Rocket.Chat a token and token id (or the global ones); Mattermost a webhook URL (or global mattermost_webhook_url); incident.io `url` or `url_file`, and a token or `http_config.authorization` when it has an `http_config`. A global secret and its `_file` form (slack_api_url, opsgenie_api_key, smtp_auth_password, telegram_bot_token, …) may not both be set. Inside `http_config`, at most one authentication method, OAuth2 with `client_id`, a client secret and `token_url`, no `proxy_connect_header` without `proxy_url`, and TLS versions TLS10 to TLS13. A setting and its `_file` form may not both be set; SNS takes exactly one of `target_arn`, `topic_arn`, `phone_number` (or all three); Telegram `parse_mode` is Markdown, MarkdownV2 or HTML; WeChat `message_type` text or markdown; OpsGenie responders need an id, name or username and a known type; VictorOps `custom_fields` may not reuse a fixed field; email headers must be unique ignoring case; Slack actions need `type`, `text` and `url` or `name` (and a confirm its `text`), Slack fields `title` and `value`; Pushover `retry`/`expire`/`ttl` are Go durations. URLs (webhook `url`, Slack `api_url`, global `slack_api_url`, …) must be absolute http or https URLs with a host, and an email smarthost must be `host:port`.",
};

fn has(node: &Node, keys: &[&str]) -> bool {
    keys.iter().any(|k| node.get(k).and_then(Node::as_str).is_some_and(|v| !v.is_empty()))
}

fn global(am: &Config, keys: &[&str]) -> bool {
    keys.iter().any(|k| am.global_str(k).is_some())
}

/// Where the value of `key` is written in an integration (or item).
fn at(node: &Node, key: &str) -> Option<Pos> {
    node.get(key).map(Pos::of)
}

/// What is wrong with one integration: for each missing requirement or bad
/// setting, (message, the offending setting when there is one); None points
/// at the integration.
type Problems = Vec<(&'static str, Option<Pos>)>;

/// Every problem of one integration: what its kind requires, then the
/// settings given both inline and as a file.
fn problems(am: &Config, kind: &str, node: &Node) -> Problems {
    let mut out = Vec::new();
    match kind {
        "email" => email(am, node, &mut out),
        "pagerduty" => pagerduty(node, &mut out),
        "slack" => slack(am, node, &mut out),
        "webhook" => webhook(node, &mut out),
        "opsgenie" => opsgenie(am, node, &mut out),
        "victorops" => victorops(am, node, &mut out),
        "pushover" => pushover(node, &mut out),
        "telegram" => telegram(am, node, &mut out),
        "discord" | "msteams" | "msteamsv2" => discord_or_teams(node, &mut out),
        "sns" => sns(node, &mut out),
        "wechat" => wechat(am, node, &mut out),
        "webex" => webex(node, &mut out),
        "jira" => jira(am, node, &mut out),
        "rocketchat" => rocketchat(am, node, &mut out),
        "mattermost" => mattermost(am, node, &mut out),
        "incidentio" => incidentio(node, &mut out),
        _ => {}
    }
    file_form_conflicts(node, &mut out);
    out
}

/// An email integration: a recipient, unique headers (ignoring case), and a
/// smarthost and sender of its own or from `global`.
fn email(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["to"]) {
        out.push(("missing `to` address in email config", None));
    }
    let headers: Vec<String> = node.get("headers").and_then(Node::as_map).unwrap_or_default().iter().filter_map(|(k, _)| k.as_str().map(str::to_ascii_lowercase)).collect();
    if headers.iter().enumerate().any(|(i, h)| headers[..i].contains(h)) {
        let dup = node.get("headers").and_then(Node::as_map).unwrap_or_default().iter().filter(|(k, _)| k.as_str().is_some_and(|k| headers.iter().filter(|h| **h == k.to_ascii_lowercase()).count() > 1)).nth(1).map(|(k, _)| Pos::of(k));
        out.push(("duplicate header in email config (header names are case-insensitive)", dup));
    }
    if !has(node, &["smarthost"]) && !global(am, &["smtp_smarthost"]) {
        out.push(("no `smarthost` in email config and no global smtp_smarthost", None));
    }
    if !has(node, &["from"]) && !global(am, &["smtp_from"]) {
        out.push(("no `from` in email config and no global smtp_from", None));
    }
}

/// A PagerDuty integration: a routing or service key, inline or in a file.
fn pagerduty(node: &Node, out: &mut Problems) {
    if !has(node, &["routing_key", "service_key", "routing_key_file", "service_key_file"]) {
        out.push(("missing `routing_key` or `service_key` in PagerDuty config", None));
    }
}

/// A Slack integration: a webhook URL or app token (not both), chat.postMessage
/// for `update_message`, and complete actions and fields.
fn slack(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["api_url", "api_url_file", "app_token", "app_token_file"]) && !global(am, &["slack_api_url", "slack_api_url_file", "slack_app_token", "slack_app_token_file"]) {
        out.push(("no `api_url` in Slack config and no global slack_api_url", None));
    }
    if has(node, &["api_url", "api_url_file"]) && has(node, &["app_token", "app_token_file"]) {
        out.push(("at most one of api_url/api_url_file & app_token/app_token_file must be configured", at(node, "app_token").or_else(|| at(node, "app_token_file"))));
    }
    let update = node.get("update_message").and_then(Node::as_str).is_some_and(|v| matches!(v, "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y"));
    if update && node.get("api_url").and_then(Node::as_str) != Some("https://slack.com/api/chat.postMessage") {
        out.push(("update_message can only be used with bot tokens: api_url must be https://slack.com/api/chat.postMessage", at(node, "update_message")));
    }
    for action in node.get("actions").and_then(Node::as_seq).unwrap_or_default() {
        if !has(action, &["type"]) {
            out.push(("missing type in Slack action configuration", Some(Pos::of(action))));
        }
        if !has(action, &["text"]) {
            out.push(("missing text in Slack action configuration", Some(Pos::of(action))));
        }
        if !has(action, &["url", "name"]) {
            out.push(("missing name or url in Slack action configuration", Some(Pos::of(action))));
        }
        if action.get("confirm").is_some_and(|c| !c.is_null() && !has(c, &["text"])) {
            out.push(("missing text in Slack confirmation configuration", at(action, "confirm")));
        }
    }
    for field in node.get("fields").and_then(Node::as_seq).unwrap_or_default() {
        if !has(field, &["title"]) {
            out.push(("missing title in Slack field configuration", Some(Pos::of(field))));
        }
        if !has(field, &["value"]) {
            out.push(("missing value in Slack field configuration", Some(Pos::of(field))));
        }
    }
}

/// A webhook integration: a URL, inline or in a file.
fn webhook(node: &Node, out: &mut Problems) {
    if !has(node, &["url", "url_file"]) {
        out.push(("one of `url` or `url_file` must be configured in webhook config", None));
    }
}

/// An OpsGenie integration: an API key, and responders that name someone and
/// have a known type.
fn opsgenie(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["api_key", "api_key_file"]) && !global(am, &["opsgenie_api_key", "opsgenie_api_key_file"]) {
        out.push(("no `api_key` in OpsGenie config and no global opsgenie_api_key", None));
    }
    for r in node.get("responders").and_then(Node::as_seq).unwrap_or_default() {
        if !has(r, &["id", "username", "name"]) {
            out.push(("an OpsGenie responder needs at least one of id, username or name", Some(Pos::of(r))));
        }
        let kind = r.get("type").and_then(Node::as_str).unwrap_or("");
        if !kind.contains("{{") && !matches!(kind.to_ascii_lowercase().as_str(), "team" | "teams" | "user" | "escalation" | "schedule") {
            out.push(("an OpsGenie responder's type must be team, teams, user, escalation or schedule (or a template)", at(r, "type").or(Some(Pos::of(r)))));
        }
    }
}

/// A VictorOps integration: an API key, a routing key, and custom fields that
/// leave the fixed ones alone.
fn victorops(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["api_key", "api_key_file"]) && !global(am, &["victorops_api_key", "victorops_api_key_file"]) {
        out.push(("no `api_key` in VictorOps config and no global victorops_api_key", None));
    }
    if !has(node, &["routing_key"]) {
        out.push(("missing `routing_key` in VictorOps config", None));
    }
    let reserved = ["routing_key", "message_type", "state_message", "entity_display_name", "monitoring_tool", "entity_id", "entity_state"];
    if let Some((k, _)) = node.get("custom_fields").and_then(Node::as_map).unwrap_or_default().iter().find(|(k, _)| k.as_str().is_some_and(|k| reserved.contains(&k))) {
        out.push(("VictorOps custom_fields may not use a fixed field (routing_key, message_type, state_message, entity_display_name, monitoring_tool, entity_id, entity_state)", Some(Pos::of(k))));
    }
}

/// A Pushover integration: a user key and token, and Go durations for the
/// timing settings.
fn pushover(node: &Node, out: &mut Problems) {
    if !has(node, &["user_key", "user_key_file"]) {
        out.push(("missing `user_key` in Pushover config", None));
    }
    if !has(node, &["token", "token_file"]) {
        out.push(("missing `token` in Pushover config", None));
    }
    for key in ["retry", "expire", "ttl"] {
        if node.get(key).and_then(Node::as_str).is_some_and(|d| !d.is_empty() && !go_duration(d)) {
            out.push(("Pushover retry, expire and ttl must be Go durations such as 30s, 1m or 1h30m", at(node, key)));
        }
    }
}

/// A Telegram integration: a bot token, one chat id (inline or in a file), and
/// a parse mode Telegram knows.
fn telegram(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["bot_token", "bot_token_file"]) && !global(am, &["telegram_bot_token", "telegram_bot_token_file"]) {
        out.push(("missing `bot_token` in Telegram config (and no global telegram_bot_token)", None));
    }
    let chat_id = has(node, &["chat_id"]) && node.get("chat_id").and_then(Node::as_str).and_then(crate::schema::go_yaml_int) != Some(0);
    if !chat_id && !has(node, &["chat_id_file"]) {
        out.push(("missing `chat_id` or `chat_id_file` in Telegram config", None));
    }
    if chat_id && has(node, &["chat_id_file"]) {
        out.push(("at most one of chat_id & chat_id_file must be configured", at(node, "chat_id_file")));
    }
    if node.get("parse_mode").and_then(Node::as_str).is_some_and(|m| !matches!(m, "" | "Markdown" | "MarkdownV2" | "HTML")) {
        out.push(("unknown parse_mode in Telegram config, must be Markdown, MarkdownV2, HTML or empty", at(node, "parse_mode")));
    }
}

/// Discord and Microsoft Teams (both versions): a webhook URL.
fn discord_or_teams(node: &Node, out: &mut Problems) {
    if !has(node, &["webhook_url", "webhook_url_file"]) {
        out.push(("missing `webhook_url` in config", None));
    }
}

/// An SNS integration: where to publish.
fn sns(node: &Node, out: &mut Problems) {
    // Alertmanager's test is `(target == "") != (topic == "") != (phone == "")`:
    // none or two of them set is an error (all three passes).
    let set = ["target_arn", "topic_arn", "phone_number"].iter().filter(|k| has(node, &[**k])).count();
    if set == 0 || set == 2 {
        out.push(("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config", None));
    }
}

/// A WeChat integration: an API secret and corp id (or the global ones), and a
/// message type WeChat knows.
fn wechat(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["api_secret", "api_secret_file"]) && !global(am, &["wechat_api_secret", "wechat_api_secret_file"]) {
        out.push(("no `api_secret` in WeChat config and no global wechat_api_secret", None));
    }
    if !has(node, &["corp_id"]) && !global(am, &["wechat_api_corp_id"]) {
        out.push(("no `corp_id` in WeChat config and no global wechat_api_corp_id", None));
    }
    if node.get("message_type").and_then(Node::as_str).is_some_and(|t| !matches!(t, "" | "text" | "markdown")) {
        out.push(("WeChat message_type must be text or markdown", at(node, "message_type")));
    }
}

/// A Webex integration: a room and an authorization.
fn webex(node: &Node, out: &mut Problems) {
    if !has(node, &["room_id"]) {
        out.push(("missing `room_id` in Webex config", None));
    }
    // prometheus/common turns bearer_token(_file) into an authorization.
    let http = node.get("http_config");
    if !http.is_some_and(|h| h.get("authorization").is_some_and(|a| !a.is_null()) || has(h, &["bearer_token", "bearer_token_file"])) {
        out.push(("missing webex_configs.http_config.authorization", None));
    }
}

/// A Jira integration: an API URL, project and issue type, and a known API type.
fn jira(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["api_url"]) && !global(am, &["jira_api_url"]) {
        out.push(("no `api_url` in Jira config and no global jira_api_url", None));
    }
    if !has(node, &["project"]) {
        out.push(("missing `project` in Jira config", None));
    }
    if !has(node, &["issue_type"]) {
        out.push(("missing `issue_type` in Jira config", None));
    }
    if node.get("api_type").and_then(Node::as_str).is_some_and(|t| !matches!(t, "auto" | "cloud" | "datacenter")) {
        out.push(("unknown api_type in Jira config, must be auto, cloud or datacenter", at(node, "api_type")));
    }
}

/// A Rocket.Chat integration: a token and token id (or the global ones).
fn rocketchat(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["token_id", "token_id_file"]) && !global(am, &["rocketchat_token_id", "rocketchat_token_id_file"]) {
        out.push(("no `token_id` in Rocket.Chat config and no global rocketchat_token_id", None));
    }
    if !has(node, &["token", "token_file"]) && !global(am, &["rocketchat_token", "rocketchat_token_file"]) {
        out.push(("no `token` in Rocket.Chat config and no global rocketchat_token", None));
    }
}

/// A Mattermost integration: a webhook URL, and complete fields (on the
/// message and in its attachments).
fn mattermost(am: &Config, node: &Node, out: &mut Problems) {
    if !has(node, &["webhook_url", "webhook_url_file"]) && !global(am, &["mattermost_webhook_url", "mattermost_webhook_url_file"]) {
        out.push(("missing `webhook_url` in Mattermost config and no global mattermost_webhook_url", None));
    }
    let attachments = node.get("attachments").and_then(Node::as_seq).unwrap_or_default();
    let fields = std::iter::once(node).chain(attachments).flat_map(|n| n.get("fields").and_then(Node::as_seq).unwrap_or_default());
    for field in fields {
        if !has(field, &["title"]) {
            out.push(("missing title in Mattermost field configuration", Some(Pos::of(field))));
        }
        if !has(field, &["value"]) {
            out.push(("missing value in Mattermost field configuration", Some(Pos::of(field))));
        }
    }
}

/// An incident.io integration: a URL, and one way to authenticate.
fn incidentio(node: &Node, out: &mut Problems) {
    if !has(node, &["url", "url_file"]) {
        out.push(("one of `url` or `url_file` must be configured in incident.io config", None));
    }
    // A non-null http_config replaces the default, so it must carry
    // the authorization when no alert source token is given.
    let token = has(node, &["alert_source_token", "alert_source_token_file"]);
    let http = node.get("http_config").filter(|h| !h.is_null());
    let authorization = http.is_some_and(|h| h.get("authorization").is_some_and(|a| !a.is_null()));
    if authorization && token {
        out.push(("cannot specify alert_source_token or alert_source_token_file when using http_config.authorization", at(node, "alert_source_token").or_else(|| at(node, "alert_source_token_file"))));
    }
    if http.is_some() && !authorization && !token {
        out.push(("at least one of alert_source_token, alert_source_token_file or http_config.authorization must be configured", None));
    }
}

/// Settings given both inline and as a file (`EXCLUSIVE`), each at the file
/// form, with the message Alertmanager prints for that pair.
fn file_form_conflicts(node: &Node, out: &mut Problems) {
    for (a, b) in EXCLUSIVE {
        if has(node, &[a]) && has(node, &[b]) {
            let message = match *a {
                "api_key" => "at most one of api_key & api_key_file must be configured",
                "routing_key" => "at most one of routing_key & routing_key_file must be configured",
                "service_key" => "at most one of service_key & service_key_file must be configured",
                "api_url" => "at most one of api_url & api_url_file must be configured",
                "url" => "at most one of url & url_file must be configured",
                "webhook_url" => "at most one of webhook_url & webhook_url_file must be configured",
                "user_key" => "at most one of user_key & user_key_file must be configured",
                "token" => "at most one of token & token_file must be configured",
                "bot_token" => "at most one of bot_token & bot_token_file must be configured",
                _ => "a setting and its `_file` form are both configured",
            };
            out.push((message, at(node, b)));
        }
    }
}

/// A setting and its `_file` form, of which Alertmanager accepts at most one.
const EXCLUSIVE: &[(&str, &str)] = &[
    ("api_key", "api_key_file"),
    ("routing_key", "routing_key_file"),
    ("service_key", "service_key_file"),
    ("api_url", "api_url_file"),
    ("url", "url_file"),
    ("webhook_url", "webhook_url_file"),
    ("user_key", "user_key_file"),
    ("token", "token_file"),
    ("bot_token", "bot_token_file"),
    ("token_id", "token_id_file"),
    ("app_token", "app_token_file"),
    ("api_secret", "api_secret_file"),
    ("alert_source_token", "alert_source_token_file"),
];

/// Global settings and their `_file` forms, of which Alertmanager accepts at
/// most one (config.go), and the version that first refuses both.
const GLOBAL_EXCLUSIVE: &[(&str, &str, (u32, u32))] = &[
    ("slack_api_url", "slack_api_url_file", (0, 22)),
    ("opsgenie_api_key", "opsgenie_api_key_file", (0, 24)),
    ("victorops_api_key", "victorops_api_key_file", (0, 25)),
    ("smtp_auth_password", "smtp_auth_password_file", (0, 25)),
    ("rocketchat_token", "rocketchat_token_file", (0, 28)),
    ("rocketchat_token_id", "rocketchat_token_id_file", (0, 28)),
    ("slack_app_token", "slack_app_token_file", (0, 30)),
    ("telegram_bot_token", "telegram_bot_token_file", (0, 31)),
    ("smtp_auth_secret", "smtp_auth_secret_file", (0, 31)),
    ("wechat_api_secret", "wechat_api_secret_file", (0, 31)),
    ("mattermost_webhook_url", "mattermost_webhook_url_file", (0, 32)),
];

/// A global setting given both inline and as a file.
fn global_conflicts(cx: &Cx<'_>, am: &Config, out: &mut Vec<Finding>) {
    let Some(g) = &am.global else { return };
    for (inline, file, since) in GLOBAL_EXCLUSIVE {
        if cx.settings.alertmanager < *since || !(has(g, &[inline]) && has(g, &[file])) {
            continue;
        }
        let pos = g.get(file).map_or(Pos::of(g), Pos::of);
        out.push(Finding::new(CHECK.id, am.file, pos, format!("at most one of {inline} & {file} must be configured")).subject("global".to_owned()).help(format!("keep `{file}` and remove `{inline}`")));
    }
    // 0.30: a Slack app token replaces the webhook URL, unless the URL is the
    // app URL itself (the transition Alertmanager still allows).
    let app_url = am.global_str("slack_app_url").unwrap_or("https://slack.com/api/chat.postMessage");
    if cx.settings.alertmanager >= (0, 30) && has(g, &["slack_app_token", "slack_app_token_file"]) && has(g, &["slack_api_url", "slack_api_url_file"]) && am.global_str("slack_api_url") != Some(app_url) {
        let pos = g.get("slack_app_token").or_else(|| g.get("slack_app_token_file")).map_or(Pos::of(g), Pos::of);
        out.push(Finding::new(CHECK.id, am.file, pos, "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured").subject("global".to_owned()));
    }
}

/// Go's `time.ParseDuration`: an optional sign, then one or more decimal
/// numbers (fractions allowed) each with a unit (ns, us, µs, ms, s, m, h);
/// a bare `0` is allowed.
pub fn go_duration(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if body == "0" {
        return true;
    }
    let mut rest = body;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        if !matches!(&rest[..unit], "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h") {
            return false;
        }
        rest = &rest[unit..];
    }
    true
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
        global_conflicts(cx, am, out);
        let global_http = am.global.as_ref().and_then(|g| g.get("http_config"));
        let integration_http = am.receivers.iter().flat_map(|r| r.integrations.iter().filter_map(|(_, _, n)| n.get("http_config")));
        for http in global_http.into_iter().chain(integration_http) {
            if auth_conflict(http) {
                out.push(Finding::new(CHECK.id, am.file, Pos::of(http), "at most one of basic_auth, oauth2, authorization and bearer_token/bearer_token_file may be configured in http_config"));
            }
        }
        let global_smarthost = am.global.as_ref().and_then(|g| g.get("smtp_smarthost"));
        let email_smarthosts = am.receivers.iter().flat_map(|r| r.integrations.iter().filter(|(kind, _, _)| kind == "email").filter_map(|(_, _, n)| n.get("smarthost")));
        for node in global_smarthost.into_iter().chain(email_smarthosts) {
            if let Some(problem) = node.as_str().and_then(host_port_problem) {
                out.push(Finding::new(CHECK.id, am.file, Pos::of(node), format!("smarthost {problem}")).help("write it as host:port, e.g. smtp.example.com:587"));
            }
        }
        let global_urls = GLOBAL_URLS.iter().filter_map(|k| am.global.as_ref().and_then(|g| g.get(k)));
        // From 0.31 a webhook `url` may be a template (checked when sent).
        let templated = |kind: &str, n: &Node| kind == "webhook" && cx.settings.alertmanager >= (0, 31) && n.as_str().is_some_and(|u| u.contains("{{") || u == "<secret>");
        let integration_urls = am.receivers.iter().flat_map(|r| r.integrations.iter().filter_map(|(kind, _, n)| URLS.iter().find(|(k, _)| k == kind).and_then(|(_, key)| n.get(key)).filter(|u| !templated(kind, u))));
        for node in global_urls.chain(integration_urls) {
            if let Some(problem) = node.as_str().and_then(url_problem) {
                out.push(Finding::new(CHECK.id, am.file, Pos::of(node), problem).help("write an absolute http:// or https:// URL"));
            }
        }
        for r in &am.receivers {
            for (kind, pos, node) in &r.integrations {
                for (message, at) in problems(am, kind, node) {
                    out.push(Finding::new(CHECK.id, am.file, at.unwrap_or(*pos), format!("receiver {:?}: {message}", r.name.value)).subject(r.name.value.clone()).scope(Some((pos.line, Pos::of(node).end_line))));
                }
            }
        }
    }
}

/// Global settings Alertmanager parses as URLs (http or https, with a host).
const GLOBAL_URLS: &[&str] = &["slack_api_url", "pagerduty_url", "opsgenie_api_url", "wechat_api_url", "victorops_api_url", "telegram_api_url", "webex_api_url", "jira_api_url", "rocketchat_api_url", "mattermost_webhook_url", "slack_app_url"];

/// The URL field of each integration kind.
const URLS: &[(&str, &str)] = &[
    ("webhook", "url"),
    ("slack", "api_url"),
    ("pagerduty", "url"),
    ("opsgenie", "api_url"),
    ("victorops", "api_url"),
    ("wechat", "api_url"),
    ("telegram", "api_url"),
    ("discord", "webhook_url"),
    ("webex", "api_url"),
    ("msteams", "webhook_url"),
    ("msteamsv2", "webhook_url"),
    ("jira", "api_url"),
    ("rocketchat", "api_url"),
    ("mattermost", "webhook_url"),
    ("incidentio", "url"),
];

/// What Go's `url.Parse` alone says about `text` (any scheme, host optional,
/// as for `proxy_url`); `None` when it parses or is empty.
pub fn go_url_parse_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Some(format!("invalid URL {text:?}: control character in URL"));
    }
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)) {
            return Some(format!("invalid URL {text:?}: invalid URL escape"));
        }
    }
    text.starts_with(':').then(|| format!("invalid URL {text:?}: missing protocol scheme"))
}

/// What Alertmanager's URL parsing (Go's `url.Parse`, then an http or https
/// scheme and a host) says about `text`; `None` when it is fine or empty.
pub fn url_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    // What `url.Parse` itself rejects (control characters, bad escapes, no
    // scheme before `:`), then Alertmanager's own rules.
    if let Some(problem) = go_url_parse_problem(text) {
        return Some(problem);
    }
    let (scheme, rest) = match text.split_once(':') {
        Some((scheme, rest)) if scheme.starts_with(|c: char| c.is_ascii_alphabetic()) && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) => (scheme.to_ascii_lowercase(), rest),
        _ => (String::new(), text),
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!("unsupported scheme {scheme:?} for URL {text:?}"));
    }
    let Some(authority) = rest.strip_prefix("//") else {
        return Some(format!("missing host for URL {text:?}"));
    };
    let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() {
        return Some(format!("missing host for URL {text:?}"));
    }
    if let Some(c) = host.chars().find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:[]%".contains(*c))) {
        return Some(format!("invalid URL {text:?}: invalid character {c:?} in host name"));
    }
    let port = if host.starts_with('[') { host.rsplit_once(']').and_then(|(_, p)| p.strip_prefix(':')) } else { host.rsplit_once(':').map(|(_, p)| p) };
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("invalid URL {text:?}: invalid port"));
    }
    None
}

/// What Alertmanager's `HostPort` (Go's `net.SplitHostPort`, then a
/// non-empty port) says about a smarthost; `None` when it is fine or empty.
pub fn host_port_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let port = if let Some(rest) = text.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Some(format!("address {text:?}: missing ']' in address"));
        };
        match rest[end + 1..].strip_prefix(':') {
            Some(port) => port,
            None if rest[end + 1..].is_empty() => return Some(format!("address {text:?}: missing port in address")),
            None => return Some(format!("address {text:?}: unexpected text after ']'")),
        }
    } else {
        let Some((host, port)) = text.rsplit_once(':') else {
            return Some(format!("address {text:?}: missing port in address"));
        };
        if host.contains(':') {
            return Some(format!("address {text:?}: too many colons in address"));
        }
        port
    };
    if port.contains(['[', ']']) {
        return Some(format!("address {text:?}: unexpected bracket in port"));
    }
    port.is_empty().then(|| format!("address {text:?}: port cannot be empty"))
}

#[cfg(test)]
mod tests {
    use super::{go_duration, host_port_problem, url_problem};

    #[test]
    fn go_durations() {
        for ok in ["1m", "1h30m", "1.5h", "0", "-1s", "300ms", "2us"] {
            assert!(go_duration(ok), "{ok}");
        }
        for bad in ["", "1d", "5", "m", "1.2.3s", "1m5", "1w"] {
            assert!(!go_duration(bad), "{bad}");
        }
    }

    #[test]
    fn urls_as_alertmanager_parses_them() {
        for ok in ["HTTP://x", "http://x:99999", "http://user:pw@host/p?q#f", "http://[::1]:80/", "https://hooks.slack.com/services/T0/B0/x", "http://x/a b", ""] {
            assert_eq!(url_problem(ok), None, "{ok}");
        }
        for bad in ["http://", "https://a b", "ftp://x", "<secret>", "//x", "http:x", "http://x/%zz", "::", "not a url", "http://x:abc/"] {
            assert!(url_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn smarthosts_need_a_port() {
        for ok in ["smtp.example.com:587", "[::1]:25", "localhost:25", ""] {
            assert_eq!(host_port_problem(ok), None, "{ok}");
        }
        for bad in ["smtp.example.com", "smtp.example.com:", "::1:25", "[::1]", "[::1", "[::1]x"] {
            assert!(host_port_problem(bad).is_some(), "{bad}");
        }
    }
}
