//! The Alertmanager configuration model: routing tree, receivers, inhibit
//! rules, with strict-schema findings while it is built, and the label
//! matchers (`matchers:` syntax and legacy `match`/`match_re`).

use crate::finding::{Pos, Sink, Sp, SpDur, SpStr};
use crate::schema::{Field, f, since};
use crate::settings::Settings;
use crate::yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Re,
    NotRe,
}

/// One label matcher of a route or inhibit rule.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    /// Compiled, fully anchored (None when invalid: reported separately).
    pub regex: Option<regex::Regex>,
    pub pos: Pos,
}

impl Matcher {
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            Op::Eq => self.value == value,
            Op::Ne => self.value != value,
            Op::Re => self.regex.as_ref().is_some_and(|r| r.is_match(value)),
            Op::NotRe => !self.regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }

    pub fn display(&self) -> String {
        let op = match self.op {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Re => "=~",
            Op::NotRe => "!~",
        };
        format!("{}{op}{:?}", self.name, self.value)
    }
}

/// A matcher text that did not parse, with where it was written.
#[derive(Debug, Clone)]
pub struct BadMatcher {
    pub message: String,
    pub pos: Pos,
}

#[derive(Debug, Default)]
pub struct Route {
    pub pos: Pos,
    pub receiver: Option<SpStr>,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    /// Where `continue:` is written (findings about it point there).
    pub continue_pos: Option<Pos>,
    /// Some matcher did not parse (its meaning is unknown).
    pub bad_matchers: bool,
    pub group_wait: Option<SpDur>,
    pub group_interval: Option<SpDur>,
    pub repeat_interval: Option<SpDur>,
    pub routes: Vec<Route>,
    /// Names in `mute_time_intervals` and `active_time_intervals`.
    pub time_intervals: Vec<SpStr>,
    /// Which of those two lists are set (not empty), at their keys.
    pub interval_lists: Vec<(&'static str, Pos)>,
}

#[derive(Debug)]
pub struct Receiver {
    pub name: SpStr,
    pub pos: Pos,
    /// (integration kind such as `email`, its position, its settings node).
    pub integrations: Vec<(String, Pos, Node)>,
}

#[derive(Debug)]
pub struct Inhibit {
    pub pos: Pos,
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<SpStr>,
}

#[derive(Debug)]
pub struct Config {
    pub file: usize,
    pub global: Option<Node>,
    pub route: Option<Route>,
    pub route_key: Option<Pos>,
    pub receivers: Vec<Receiver>,
    pub inhibit_rules: Vec<Inhibit>,
    pub templates: Vec<SpStr>,
    pub bad_matchers: Vec<BadMatcher>,
    /// Names defined under `time_intervals` / `mute_time_intervals`.
    pub time_interval_names: Vec<SpStr>,
}

impl Config {
    pub fn global_str(&self, key: &str) -> Option<&str> {
        self.global
            .as_ref()
            .and_then(|g| g.get(key))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
    }
}

const TOP: &[Field] = &[
    f("global"),
    f("route"),
    f("inhibit_rules"),
    f("receivers"),
    f("templates"),
    f("mute_time_intervals"),
    since("time_intervals", 0, 24),
    since("tracing", 0, 30),
    since("event_recorder", 0, 33),
];
const ROUTE: &[Field] = &[
    f("receiver"),
    f("group_by"),
    f("continue"),
    f("matchers"),
    f("match"),
    f("match_re"),
    f("group_wait"),
    f("group_interval"),
    f("repeat_interval"),
    f("mute_time_intervals"),
    since("active_time_intervals", 0, 24),
    f("routes"),
    since("labels", 0, 34),
];
const TIME_INTERVAL: &[Field] = &[f("name"), f("time_intervals")];
const INHIBIT: &[Field] = &[
    since("name", 0, 30),
    f("source_match"),
    f("source_match_re"),
    f("source_matchers"),
    f("target_match"),
    f("target_match_re"),
    f("target_matchers"),
    f("equal"),
];
/// Integration lists a receiver may have, and since which version.
pub const INTEGRATIONS: &[Field] = &[
    f("email_configs"),
    f("pagerduty_configs"),
    f("slack_configs"),
    f("webhook_configs"),
    f("opsgenie_configs"),
    f("wechat_configs"),
    f("pushover_configs"),
    f("victorops_configs"),
    f("sns_configs"),
    since("telegram_configs", 0, 24),
    since("webex_configs", 0, 25),
    since("discord_configs", 0, 25),
    since("msteams_configs", 0, 26),
    since("jira_configs", 0, 28),
    since("rocketchat_configs", 0, 28),
    since("msteamsv2_configs", 0, 28),
    since("incidentio_configs", 0, 29),
    since("mattermost_configs", 0, 30),
];
pub const GLOBAL: &[Field] = &[
    f("resolve_timeout"),
    f("http_config"),
    f("smtp_from"),
    f("smtp_hello"),
    f("smtp_smarthost"),
    f("smtp_auth_username"),
    f("smtp_auth_password"),
    since("smtp_auth_password_file", 0, 25),
    f("smtp_auth_secret"),
    since("smtp_auth_secret_file", 0, 31),
    f("smtp_auth_identity"),
    f("smtp_require_tls"),
    since("smtp_tls_config", 0, 28),
    since("smtp_force_implicit_tls", 0, 31),
    f("slack_api_url"),
    f("slack_api_url_file"),
    since("slack_app_token", 0, 30),
    since("slack_app_token_file", 0, 30),
    since("slack_app_url", 0, 30),
    f("pagerduty_url"),
    f("opsgenie_api_url"),
    f("opsgenie_api_key"),
    f("opsgenie_api_key_file"),
    f("wechat_api_url"),
    f("wechat_api_secret"),
    since("wechat_api_secret_file", 0, 31),
    f("wechat_api_corp_id"),
    f("victorops_api_url"),
    f("victorops_api_key"),
    f("victorops_api_key_file"),
    since("telegram_api_url", 0, 24),
    since("telegram_bot_token", 0, 31),
    since("telegram_bot_token_file", 0, 31),
    since("webex_api_url", 0, 25),
    since("jira_api_url", 0, 28),
    since("rocketchat_api_url", 0, 28),
    since("rocketchat_token", 0, 28),
    since("rocketchat_token_file", 0, 28),
    since("rocketchat_token_id", 0, 28),
    since("rocketchat_token_id_file", 0, 28),
    since("mattermost_webhook_url", 0, 32),
    since("mattermost_webhook_url_file", 0, 32),
];

const EMAIL: &[Field] = &[
    f("to"),
    f("from"),
    f("smarthost"),
    f("hello"),
    f("auth_username"),
    f("auth_password"),
    since("auth_password_file", 0, 25),
    f("auth_secret"),
    since("auth_secret_file", 0, 31),
    f("auth_identity"),
    f("require_tls"),
    f("tls_config"),
    since("force_implicit_tls", 0, 31),
    since("threading", 0, 30),
    f("html"),
    f("text"),
    f("headers"),
    f("send_resolved"),
];
const PAGERDUTY: &[Field] = &[
    f("routing_key"),
    since("routing_key_file", 0, 25),
    f("service_key"),
    since("service_key_file", 0, 25),
    f("url"),
    f("client"),
    f("client_url"),
    f("description"),
    f("details"),
    f("images"),
    f("links"),
    f("source"),
    f("severity"),
    f("class"),
    f("component"),
    f("group"),
    f("http_config"),
    f("send_resolved"),
    since("timeout", 0, 30),
];
const SLACK: &[Field] = &[
    f("api_url"),
    f("api_url_file"),
    f("channel"),
    f("username"),
    f("color"),
    f("title"),
    f("title_link"),
    f("pretext"),
    f("text"),
    f("fields"),
    f("short_fields"),
    f("footer"),
    f("fallback"),
    f("callback_id"),
    f("icon_emoji"),
    f("icon_url"),
    f("image_url"),
    f("thumb_url"),
    f("link_names"),
    f("mrkdwn_in"),
    f("actions"),
    f("http_config"),
    f("send_resolved"),
    since("timeout", 0, 30),
    since("app_token", 0, 30),
    since("app_token_file", 0, 30),
    since("app_url", 0, 30),
    since("message_text", 0, 31),
    since("update_message", 0, 32),
];
const WEBHOOK: &[Field] = &[
    f("url"),
    since("url_file", 0, 26),
    f("http_config"),
    f("max_alerts"),
    f("send_resolved"),
    since("timeout", 0, 28),
    since("payload", 0, 32),
];

// The other integrations. Fields Alertmanager 0.25 accepts were checked
// against the real amtool 0.25; the release that added each later field was
// read from the config structs of each tag (0.26 to 0.34). Only webhook
// (0.28), incident.io (0.29), PagerDuty and Slack (0.30) have `timeout`.
const OPSGENIE: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_key"),
    f("api_key_file"),
    f("api_url"),
    f("message"),
    f("description"),
    f("source"),
    f("details"),
    f("entity"),
    f("responders"),
    f("actions"),
    f("tags"),
    f("note"),
    f("priority"),
    f("update_alerts"),
];
const WECHAT: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_secret"),
    since("api_secret_file", 0, 31),
    f("corp_id"),
    f("api_url"),
    f("message"),
    f("to_user"),
    f("to_party"),
    f("to_tag"),
    f("agent_id"),
    f("message_type"),
];
const PUSHOVER: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("user_key"),
    since("user_key_file", 0, 26),
    f("token"),
    since("token_file", 0, 26),
    f("title"),
    f("message"),
    f("url"),
    f("url_title"),
    since("device", 0, 26),
    f("sound"),
    f("priority"),
    f("retry"),
    f("expire"),
    since("ttl", 0, 27),
    f("html"),
    since("monospace", 0, 29),
];
const VICTOROPS: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_key"),
    f("api_key_file"),
    f("api_url"),
    f("routing_key"),
    f("message_type"),
    f("state_message"),
    f("entity_display_name"),
    f("monitoring_tool"),
    f("custom_fields"),
];
const SNS: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_url"),
    f("sigv4"),
    f("topic_arn"),
    f("phone_number"),
    f("target_arn"),
    f("subject"),
    f("message"),
    f("attributes"),
    since("use_aws_http_client", 0, 33),
];
const TELEGRAM: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_url"),
    f("bot_token"),
    since("bot_token_file", 0, 26),
    f("chat_id"),
    since("chat_id_file", 0, 31),
    since("message_thread_id", 0, 28),
    f("message"),
    f("disable_notifications"),
    f("parse_mode"),
];
const WEBEX: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_url"),
    f("message"),
    f("room_id"),
];
const DISCORD: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("webhook_url"),
    since("webhook_url_file", 0, 27),
    f("title"),
    f("message"),
    since("content", 0, 28),
    since("username", 0, 28),
    since("avatar_url", 0, 28),
];
const MSTEAMS: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("webhook_url"),
    since("webhook_url_file", 0, 27),
    f("title"),
    since("summary", 0, 27),
    f("text"),
];
const MSTEAMSV2: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("webhook_url"),
    f("webhook_url_file"),
    f("title"),
    f("text"),
];
const JIRA: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_url"),
    since("api_type", 0, 29),
    f("project"),
    f("summary"),
    f("description"),
    f("labels"),
    f("priority"),
    f("issue_type"),
    f("reopen_transition"),
    f("resolve_transition"),
    f("wont_fix_resolution"),
    f("reopen_duration"),
    f("fields"),
];
const ROCKETCHAT: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("api_url"),
    f("token_id"),
    f("token_id_file"),
    f("token"),
    f("token_file"),
    f("channel"),
    f("color"),
    f("title"),
    f("title_link"),
    f("text"),
    f("fields"),
    f("short_fields"),
    f("emoji"),
    f("icon_url"),
    f("image_url"),
    f("thumb_url"),
    f("link_names"),
    f("actions"),
];
const INCIDENTIO: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("url"),
    f("url_file"),
    f("alert_source_token"),
    f("alert_source_token_file"),
    f("max_alerts"),
    f("timeout"),
];
const MATTERMOST: &[Field] = &[
    f("send_resolved"),
    f("http_config"),
    f("webhook_url"),
    f("webhook_url_file"),
    f("channel"),
    f("username"),
    f("text"),
    since("fallback", 0, 32),
    since("color", 0, 32),
    since("pretext", 0, 32),
    since("author_name", 0, 32),
    since("author_link", 0, 32),
    since("author_icon", 0, 32),
    since("title", 0, 32),
    since("title_link", 0, 32),
    since("fields", 0, 32),
    since("thumb_url", 0, 32),
    since("footer", 0, 32),
    since("footer_icon", 0, 32),
    since("image_url", 0, 32),
    f("icon_url"),
    f("icon_emoji"),
    f("attachments"),
    f("type"),
    f("props"),
    f("priority"),
];

/// The fields of each integration.
pub fn integration_fields(kind: &str) -> Option<&'static [Field]> {
    match kind {
        "email" => Some(EMAIL),
        "pagerduty" => Some(PAGERDUTY),
        "slack" => Some(SLACK),
        "webhook" => Some(WEBHOOK),
        "opsgenie" => Some(OPSGENIE),
        "wechat" => Some(WECHAT),
        "pushover" => Some(PUSHOVER),
        "victorops" => Some(VICTOROPS),
        "sns" => Some(SNS),
        "telegram" => Some(TELEGRAM),
        "webex" => Some(WEBEX),
        "discord" => Some(DISCORD),
        "msteams" => Some(MSTEAMS),
        "msteamsv2" => Some(MSTEAMSV2),
        "jira" => Some(JIRA),
        "rocketchat" => Some(ROCKETCHAT),
        "incidentio" => Some(INCIDENTIO),
        "mattermost" => Some(MATTERMOST),
        _ => None,
    }
}

// prometheus/common's HTTP client settings, as amtool 0.25 reads them
// (fields it rejects but later releases accept are marked 0.26).
const HTTP_CONFIG: &[Field] = &[
    f("basic_auth"),
    f("authorization"),
    f("oauth2"),
    f("bearer_token"),
    f("bearer_token_file"),
    f("tls_config"),
    f("follow_redirects"),
    f("enable_http2"),
    f("proxy_url"),
    f("proxy_connect_header"),
    since("no_proxy", 0, 26),
    since("proxy_from_environment", 0, 26),
    since("http_headers", 0, 26),
];
const BASIC_AUTH: &[Field] = &[
    f("username"),
    since("username_file", 0, 26),
    since("username_ref", 0, 26),
    f("password"),
    f("password_file"),
    since("password_ref", 0, 26),
];
const AUTHORIZATION: &[Field] = &[
    f("type"),
    f("credentials"),
    f("credentials_file"),
    since("credentials_ref", 0, 26),
];
const OAUTH2: &[Field] = &[
    f("client_id"),
    f("client_secret"),
    f("client_secret_file"),
    since("client_secret_ref", 0, 26),
    f("scopes"),
    f("token_url"),
    f("endpoint_params"),
    f("tls_config"),
    f("proxy_url"),
    f("proxy_connect_header"),
    since("no_proxy", 0, 26),
    since("proxy_from_environment", 0, 26),
    since("grant_type", 0, 26),
    since("client_certificate_key_id", 0, 26),
    since("client_certificate_key", 0, 26),
    since("client_certificate_key_file", 0, 26),
    since("client_certificate_key_ref", 0, 26),
    since("iss", 0, 26),
    since("audience", 0, 26),
    since("claims", 0, 26),
];
const TLS_CONFIG: &[Field] = &[
    f("ca_file"),
    f("cert_file"),
    f("key_file"),
    since("ca", 0, 26),
    since("cert", 0, 26),
    since("key", 0, 26),
    since("ca_ref", 0, 26),
    since("cert_ref", 0, 26),
    since("key_ref", 0, 26),
    f("server_name"),
    f("insecure_skip_verify"),
    f("min_version"),
    f("max_version"),
];
const SIGV4: &[Field] = &[
    f("region"),
    f("access_key"),
    f("secret_key"),
    f("profile"),
    f("role_arn"),
    since("use_fips_sts_endpoint", 0, 26),
    since("external_id", 0, 34),
];
const SLACK_ACTION: &[Field] = &[
    f("type"),
    f("text"),
    f("url"),
    f("style"),
    f("name"),
    f("value"),
    f("confirm"),
];
const SLACK_CONFIRM: &[Field] = &[f("text"), f("title"), f("ok_text"), f("dismiss_text")];
const SLACK_FIELD: &[Field] = &[f("title"), f("value"), f("short")];
const PAGERDUTY_IMAGE: &[Field] = &[f("src"), f("alt"), f("href")];
const PAGERDUTY_LINK: &[Field] = &[f("href"), f("text")];
const OPSGENIE_RESPONDER: &[Field] = &[f("id"), f("name"), f("username"), f("type")];
const JIRA_FIELD: &[Field] = &[f("template"), f("enable_update")];
const EMAIL_THREADING: &[Field] = &[f("enabled"), f("thread_by_date")];
const MATTERMOST_FIELD: &[Field] = &[f("title"), f("value"), f("short")];
const MATTERMOST_ATTACHMENT: &[Field] = &[
    f("fallback"),
    f("color"),
    f("pretext"),
    f("text"),
    f("author_name"),
    f("author_link"),
    f("author_icon"),
    f("title"),
    f("title_link"),
    f("fields"),
    f("thumb_url"),
    f("footer"),
    f("footer_icon"),
    f("image_url"),
];
const MATTERMOST_PRIORITY: &[Field] = &[
    f("priority"),
    f("requested_ack"),
    f("persistent_notifications"),
];
const TRACING: &[Field] = &[
    f("client_type"),
    f("endpoint"),
    f("sampling_fraction"),
    f("insecure"),
    f("tls_config"),
    f("headers"),
    f("compression"),
    f("timeout"),
];
const EVENT_RECORDER: &[Field] = &[
    f("file_outputs"),
    f("webhook_outputs"),
    f("kafka_outputs"),
    since("stdout_outputs", 0, 34),
];

/// An `http_config` (global or of an integration): its fields and nested
/// settings, with the conflicts prometheus/common refuses.
fn load_http_config(sink: &mut Sink<'_>, node: &Node, version: (u32, u32)) {
    for (key, value) in sink.fields(node, "http_config", HTTP_CONFIG, version, AM) {
        if let Some(name) = key.as_str() {
            value_type(sink, "http_config", name, value);
        }
        match key.as_str() {
            Some("basic_auth") => {
                sink.fields(value, "basic_auth", BASIC_AUTH, version, AM);
                if has_value(value, "password") && has_value(value, "password_file") {
                    sink.push(
                        crate::checks::am_integration::CHECK.id,
                        Pos::of(value),
                        "at most one of basic_auth password & password_file must be configured",
                    );
                }
            }
            Some("authorization") => {
                sink.fields(value, "authorization", AUTHORIZATION, version, AM);
                if value
                    .get("type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("basic"))
                {
                    sink.push(
                        crate::checks::am_integration::CHECK.id,
                        Pos::of(value),
                        "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
                    );
                }
                if has_value(value, "credentials") && has_value(value, "credentials_file") {
                    sink.push(
                        crate::checks::am_integration::CHECK.id,
                        Pos::of(value),
                        "at most one of authorization credentials & credentials_file must be configured",
                    );
                }
            }
            Some("oauth2") => {
                for (k, v) in sink.fields(value, "oauth2", OAUTH2, version, AM) {
                    if k.as_str() == Some("tls_config") {
                        load_tls_config(sink, v, version);
                    }
                }
                if !value.is_null() {
                    let missing = [
                        (
                            !has_value(value, "client_id"),
                            "oauth2 client_id must be configured",
                        ),
                        (
                            !has_value(value, "client_secret")
                                && !has_value(value, "client_secret_file"),
                            "either oauth2 client_secret or client_secret_file must be configured",
                        ),
                        (
                            !has_value(value, "token_url"),
                            "oauth2 token_url must be configured",
                        ),
                    ];
                    for (_, message) in missing.iter().filter(|(m, _)| *m) {
                        sink.push(
                            crate::checks::am_integration::CHECK.id,
                            Pos::of(value),
                            *message,
                        );
                    }
                }
            }
            Some("tls_config") => load_tls_config(sink, value, version),
            _ => {}
        }
    }
    if let Some(proxy) = node.get("proxy_url")
        && let Some(problem) = proxy
            .as_str()
            .and_then(crate::checks::am_integration::go_url_parse_problem)
    {
        sink.push(
            crate::checks::am_integration::CHECK.id,
            Pos::of(proxy),
            format!("proxy_url: {problem}"),
        );
    }
    if has_value(node, "bearer_token") && has_value(node, "bearer_token_file") {
        sink.push(
            crate::checks::am_integration::CHECK.id,
            Pos::of(node),
            "at most one of bearer_token & bearer_token_file must be configured",
        );
    }
    if node
        .get("proxy_connect_header")
        .is_some_and(|h| !h.is_null())
        && !has_value(node, "proxy_url")
    {
        sink.push(
            crate::checks::am_integration::CHECK.id,
            Pos::of(node),
            "if proxy_connect_header is configured proxy_url must also be configured",
        );
    }
}

/// A `tls_config`: its fields and TLS version names.
fn load_tls_config(sink: &mut Sink<'_>, node: &Node, version: (u32, u32)) {
    for (key, value) in sink.fields(node, "tls_config", TLS_CONFIG, version, AM) {
        if let Some(name) = key.as_str() {
            value_type(sink, "tls_config", name, value);
        }
        if let Some(name @ ("min_version" | "max_version")) = key.as_str()
            && let Some(v) = value.as_str().filter(|v| !v.is_empty())
            && !matches!(v, "TLS10" | "TLS11" | "TLS12" | "TLS13")
        {
            sink.push(
                crate::checks::am_integration::CHECK.id,
                Pos::of(value),
                format!("{name}: unknown TLS version: {v}"),
            );
        }
    }
}

/// The Go type behind a setting of an integration, `http_config` or
/// `tls_config`, as go-yaml decodes it: booleans must be plain YAML booleans
/// (a quoted "true" is a string), maps and lists must be maps and lists, and
/// the remaining string settings must be scalars. Integer and nested
/// settings are checked where they are loaded.
fn value_type(sink: &mut Sink<'_>, kind: &str, name: &str, value: &Node) {
    const BOOLS: &[&str] = &[
        "send_resolved",
        "require_tls",
        "smtp_require_tls",
        "short_fields",
        "link_names",
        "update_alerts",
        "disable_notifications",
        "monospace",
        "follow_redirects",
        "enable_http2",
        "proxy_from_environment",
        "insecure_skip_verify",
        "force_implicit_tls",
        "smtp_force_implicit_tls",
        "update_message",
        "use_aws_http_client",
    ];
    const MAPS: &[&str] = &[
        "threading",
        "details",
        "custom_fields",
        "attributes",
        "headers",
        "proxy_connect_header",
    ];
    const LISTS: &[&str] = &["responders", "images", "links", "mrkdwn_in", "labels"];
    const NESTED: &[&str] = &[
        "smtp_tls_config",
        "http_config",
        "tls_config",
        "sigv4",
        "basic_auth",
        "authorization",
        "oauth2",
    ];
    const INTEGERS: &[&str] = &["max_alerts", "chat_id", "message_thread_id"];
    if value.is_null() {
        return;
    }
    if BOOLS.contains(&name) || (kind == "pushover" && name == "html") {
        let plain_bool = matches!(value.style(), Some(crate::yaml::Style::Plain))
            && value.as_str().is_some_and(|v| {
                matches!(
                    v,
                    "true"
                        | "True"
                        | "TRUE"
                        | "false"
                        | "False"
                        | "FALSE"
                        | "yes"
                        | "Yes"
                        | "YES"
                        | "no"
                        | "No"
                        | "NO"
                        | "on"
                        | "On"
                        | "ON"
                        | "off"
                        | "Off"
                        | "OFF"
                        | "y"
                        | "Y"
                        | "n"
                        | "N"
                )
            });
        if !plain_bool {
            sink.push(
                crate::checks::wrong_type::CHECK.id,
                Pos::of(value),
                format!("{name} must be true or false, found {}", describe(value)),
            );
        }
    } else if MAPS.contains(&name)
        || (kind == "jira" && name == "fields")
        || (kind == "mattermost" && matches!(name, "props" | "priority"))
    {
        sink.mapping(value, name);
    } else if kind == "jira"
        && matches!(name, "summary" | "description")
        && value.as_map().is_some()
    {
        // From 0.30 a Jira field is a template or {template, enable_update}.
        sink.fields(value, name, JIRA_FIELD, (0, 34), AM);
    } else if LISTS.contains(&name)
        || (matches!(kind, "slack" | "rocketchat") && matches!(name, "fields" | "actions"))
        || (kind == "mattermost" && matches!(name, "fields" | "attachments"))
    {
        sink.list(value, name);
    } else if !NESTED.contains(&name)
        && !INTEGERS.contains(&name)
        && name != "payload"
        && name != "scopes"
        && name != "endpoint_params"
    {
        sink.string(value, name);
    }
}

fn describe(value: &Node) -> String {
    match value.as_str() {
        Some(v) if matches!(value.style(), Some(crate::yaml::Style::Plain)) => format!("{v:?}"),
        Some(v) => format!("the string {v:?}"),
        None => format!("a {}", value.type_name()),
    }
}

/// A non-empty scalar under `key`.
fn has_value(node: &Node, key: &str) -> bool {
    node.get(key)
        .and_then(Node::as_str)
        .is_some_and(|v| !v.is_empty())
}

/// The nested settings of an integration: `http_config`, `tls_config`,
/// SNS `sigv4`, OpsGenie `responders`, and integer fields.
fn load_integration(sink: &mut Sink<'_>, kind: &str, item: &Node, version: (u32, u32)) {
    let Some(entries) = item.as_map() else { return };
    for (key, value) in entries {
        if let Some(name) = key.as_str() {
            value_type(sink, kind, name, value);
        }
        match (kind, key.as_str()) {
            (_, Some("http_config")) => load_http_config(sink, value, version),
            (_, Some("tls_config")) => load_tls_config(sink, value, version),
            ("sns", Some("sigv4")) => {
                sink.fields(value, "sigv4", SIGV4, version, AM);
            }
            ("opsgenie", Some("responders")) => {
                for r in sink.list(value, "responders") {
                    sink.fields(r, "an OpsGenie responder", OPSGENIE_RESPONDER, version, AM);
                }
            }
            ("slack", Some("actions")) => {
                for action in sink.list(value, "actions") {
                    for (k, v) in sink.fields(action, "a Slack action", SLACK_ACTION, version, AM) {
                        if k.as_str() == Some("confirm") {
                            sink.fields(v, "a Slack action's confirm", SLACK_CONFIRM, version, AM);
                        }
                    }
                }
            }
            ("slack", Some("fields")) => {
                for field in sink.list(value, "fields") {
                    sink.fields(field, "a Slack field", SLACK_FIELD, version, AM);
                }
            }
            ("pagerduty", Some("images")) => {
                for image in sink.list(value, "images") {
                    sink.fields(image, "a PagerDuty image", PAGERDUTY_IMAGE, version, AM);
                }
            }
            ("pagerduty", Some("links")) => {
                for link in sink.list(value, "links") {
                    sink.fields(link, "a PagerDuty link", PAGERDUTY_LINK, version, AM);
                }
            }
            ("webhook", Some(name @ "max_alerts")) => {
                if let Some(n) = sink.integer(value, name)
                    && n.value < 0
                {
                    sink.push(
                        crate::checks::wrong_type::CHECK.id,
                        n.pos,
                        format!("{name} must be a non-negative integer, found {}", n.value),
                    );
                }
            }
            ("telegram", Some(name @ ("chat_id" | "message_thread_id"))) => {
                sink.integer(value, name);
            }
            ("incidentio", Some(name @ "max_alerts")) => {
                sink.integer(value, name);
            }
            ("email", Some("threading")) => {
                sink.fields(value, "email threading", EMAIL_THREADING, version, AM);
            }
            ("mattermost", Some("fields")) => mattermost_fields(sink, value, version),
            ("mattermost", Some("attachments")) => {
                for a in sink.list(value, "attachments") {
                    for (k, v) in sink.fields(
                        a,
                        "a Mattermost attachment",
                        MATTERMOST_ATTACHMENT,
                        version,
                        AM,
                    ) {
                        if k.as_str() == Some("fields") {
                            mattermost_fields(sink, v, version);
                        }
                    }
                }
            }
            ("mattermost", Some("priority")) => {
                sink.fields(
                    value,
                    "a Mattermost priority",
                    MATTERMOST_PRIORITY,
                    version,
                    AM,
                );
            }
            _ => {}
        }
    }
}

fn mattermost_fields(sink: &mut Sink<'_>, value: &Node, version: (u32, u32)) {
    for field in sink.list(value, "fields") {
        sink.fields(field, "a Mattermost field", MATTERMOST_FIELD, version, AM);
    }
}

const AM: &str = "Alertmanager";

pub fn load(sink: &mut Sink<'_>, node: &Node, settings: &Settings) -> Config {
    let version = settings.alertmanager;
    let mut config = Config {
        file: sink.file,
        global: None,
        route: None,
        route_key: None,
        receivers: Vec::new(),
        inhibit_rules: Vec::new(),
        templates: Vec::new(),
        bad_matchers: Vec::new(),
        time_interval_names: Vec::new(),
    };
    for (key, value) in sink.fields(node, "the Alertmanager config", TOP, version, AM) {
        match key.as_str() {
            Some("global") => {
                sink.fields(value, "global", GLOBAL, version, AM);
                for (k, v) in value.as_map().unwrap_or_default() {
                    if let Some(name) = k.as_str() {
                        value_type(sink, "global", name, v);
                    }
                }
                if let Some(http) = value.get("http_config") {
                    load_http_config(sink, http, version);
                }
                if let Some(tls) = value.get("smtp_tls_config") {
                    load_tls_config(sink, tls, version);
                }
                for name in ["resolve_timeout"] {
                    if let Some(v) = value.get(name) {
                        sink.duration(v, name);
                    }
                }
                config.global = Some(value.clone());
            }
            Some("route") => {
                config.route_key = Some(Pos::of(key));
                config.route = Some(load_route(sink, value, version, &mut config.bad_matchers));
            }
            Some("receivers") => {
                for r in sink.list(value, "receivers") {
                    if let Some(receiver) = load_receiver(sink, r, version) {
                        config.receivers.push(receiver);
                    }
                }
            }
            Some("inhibit_rules") => {
                for r in sink.list(value, "inhibit_rules") {
                    config.inhibit_rules.push(load_inhibit(
                        sink,
                        r,
                        version,
                        &mut config.bad_matchers,
                    ));
                }
            }
            Some("templates") => config.templates = sink.strings(value, "templates"),
            Some("tracing") => {
                sink.fields(value, "tracing", TRACING, version, AM);
            }
            Some("event_recorder") => {
                // The outputs themselves are left to Alertmanager.
                sink.fields(value, "event_recorder", EVENT_RECORDER, version, AM);
            }
            Some(list @ ("time_intervals" | "mute_time_intervals")) => {
                for item in sink.list(value, list) {
                    for (k, v) in sink.fields(item, list, TIME_INTERVAL, version, AM) {
                        match k.as_str() {
                            Some("name") => {
                                if let Some(name) = sink.string(v, "time interval name") {
                                    config.time_interval_names.push(name);
                                }
                            }
                            Some("time_intervals") => {
                                for interval in sink.list(v, "time_intervals") {
                                    crate::checks::am_time_interval::load(sink, interval, version);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    config
}

fn load_route(
    sink: &mut Sink<'_>,
    node: &Node,
    version: (u32, u32),
    bad: &mut Vec<BadMatcher>,
) -> Route {
    let mut route = Route {
        pos: Pos::of(node),
        ..Route::default()
    };
    let bad_before = bad.len();
    for (key, value) in sink.fields(node, "a route", ROUTE, version, AM) {
        match key.as_str() {
            Some("receiver") => route.receiver = sink.string(value, "receiver"),
            Some("continue") => {
                route.continue_ = sink.boolean(value, "continue").is_some_and(|b| b.value);
                route.continue_pos = Some(Pos::of(key));
            }
            Some(list @ ("mute_time_intervals" | "active_time_intervals")) => {
                let names = sink.strings(value, list);
                if !names.is_empty() {
                    let list = if list == "mute_time_intervals" {
                        "mute_time_intervals"
                    } else {
                        "active_time_intervals"
                    };
                    route.interval_lists.push((list, Pos::of(key)));
                }
                route.time_intervals.extend(names);
            }
            Some("labels") => {
                sink.string_map(value, "route labels");
            }
            Some("group_by") => {
                let labels = sink.strings(value, "group_by");
                if labels.len() > 1 && labels.iter().any(|l| l.value == "...") {
                    sink.push(
                        crate::checks::wrong_type::CHECK.id,
                        Pos::of(value),
                        "group_by cannot have the wildcard `...` and other labels at the same time",
                    );
                }
                for label in labels {
                    if label.value != "..." && !crate::promql::is_legacy_label_name(&label.value) {
                        sink.push(
                            crate::checks::label_name::CHECK.id,
                            label.pos,
                            format!("invalid label name {:?} in group_by list", label.value),
                        );
                    }
                }
            }
            Some("matchers") => {
                for m in sink.strings(value, "matchers") {
                    parse_matchers(&m, version >= UTF8_MATCHERS, &mut route.matchers, bad);
                }
            }
            Some("match") => legacy(sink, value, false, &mut route.matchers, bad),
            Some("match_re") => legacy(sink, value, true, &mut route.matchers, bad),
            Some("group_wait") => route.group_wait = sink.duration(value, "group_wait"),
            Some("group_interval") => {
                let d = sink.duration(value, "group_interval");
                route.group_interval = nonzero(sink, d, "group_interval");
            }
            Some("repeat_interval") => {
                let d = sink.duration(value, "repeat_interval");
                route.repeat_interval = nonzero(sink, d, "repeat_interval");
            }
            Some("routes") => {
                for child in sink.list(value, "routes") {
                    route.routes.push(load_route(sink, child, version, bad));
                }
            }
            _ => {}
        }
    }
    route.bad_matchers = bad.len() > bad_before;
    route
}

fn load_receiver(sink: &mut Sink<'_>, node: &Node, version: (u32, u32)) -> Option<Receiver> {
    let mut fields = vec![f("name"), since("labels", 0, 33)];
    fields.extend_from_slice(INTEGRATIONS);
    let entries = sink.fields(node, "a receiver", &fields, version, AM);
    let mut name = None;
    let mut integrations = Vec::new();
    for (key, value) in entries {
        match key.as_str() {
            Some("name") => name = sink.string(value, "receiver name"),
            Some("labels") => {
                sink.string_map(value, "receiver labels");
            }
            Some(list) if list.ends_with("_configs") => {
                let kind = list.trim_end_matches("_configs").to_owned();
                for item in sink.list(value, list) {
                    if let Some(fields) = integration_fields(&kind) {
                        sink.fields(item, &format!("a {kind} config"), fields, version, AM);
                    }
                    load_integration(sink, &kind, item, version);
                    if sink.mapping(item, list).is_some() {
                        integrations.push((kind.clone(), Pos::of(item), item.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    let name = name.unwrap_or_else(|| Sp::new(String::new(), Pos::of(node)));
    Some(Receiver {
        name,
        pos: Pos::of(node),
        integrations,
    })
}

fn load_inhibit(
    sink: &mut Sink<'_>,
    node: &Node,
    version: (u32, u32),
    bad: &mut Vec<BadMatcher>,
) -> Inhibit {
    let mut rule = Inhibit {
        pos: Pos::of(node),
        source: Vec::new(),
        target: Vec::new(),
        equal: Vec::new(),
    };
    for (key, value) in sink.fields(node, "an inhibit rule", INHIBIT, version, AM) {
        match key.as_str() {
            Some("source_match") => legacy(sink, value, false, &mut rule.source, bad),
            Some("source_match_re") => legacy(sink, value, true, &mut rule.source, bad),
            Some("target_match") => legacy(sink, value, false, &mut rule.target, bad),
            Some("target_match_re") => legacy(sink, value, true, &mut rule.target, bad),
            Some("source_matchers") => {
                for m in sink.strings(value, "source_matchers") {
                    parse_matchers(&m, version >= UTF8_MATCHERS, &mut rule.source, bad);
                }
            }
            Some("target_matchers") => {
                for m in sink.strings(value, "target_matchers") {
                    parse_matchers(&m, version >= UTF8_MATCHERS, &mut rule.target, bad);
                }
            }
            Some("equal") => rule.equal = sink.strings(value, "equal"),
            _ => {}
        }
    }
    rule
}

/// Alertmanager refuses a zero group_interval or repeat_interval.
fn nonzero(sink: &mut Sink<'_>, d: Option<SpDur>, what: &str) -> Option<SpDur> {
    if let Some(v) = &d
        && v.value.is_zero()
    {
        sink.push(
            crate::checks::invalid_duration::CHECK.id,
            v.pos,
            format!("{what} cannot be zero"),
        );
        return None;
    }
    d
}

/// Legacy `match:` / `match_re:` maps.
fn legacy(
    sink: &mut Sink<'_>,
    node: &Node,
    regex: bool,
    out: &mut Vec<Matcher>,
    bad: &mut Vec<BadMatcher>,
) {
    let what = if regex { "match_re" } else { "match" };
    // A null regex decodes to no regexp at all, which Alertmanager refuses.
    for (k, v) in node.as_map().unwrap_or_default() {
        if regex && v.is_null() {
            bad.push(BadMatcher {
                message: format!(
                    "invalid regexp value for {:?} in {what}",
                    k.as_str().unwrap_or_default()
                ),
                pos: Pos::of(k),
            });
        }
    }
    for (k, v) in sink.string_map(node, what) {
        if regex && node.get(&k.value).is_some_and(Node::is_null) {
            continue;
        }
        if !crate::promql::is_legacy_label_name(&k.value) {
            bad.push(BadMatcher {
                message: format!("invalid label name {:?} in {what}", k.value),
                pos: k.pos,
            });
            continue;
        }
        let op = if regex { Op::Re } else { Op::Eq };
        match compile(op, &v.value) {
            Ok(re) => out.push(Matcher {
                name: k.value,
                op,
                value: v.value,
                regex: re,
                pos: v.pos,
            }),
            Err(e) => bad.push(BadMatcher {
                message: format!("invalid regular expression {:?} in {what}: {e}", v.value),
                pos: v.pos,
            }),
        }
    }
}

fn compile(op: Op, value: &str) -> Result<Option<regex::Regex>, String> {
    match op {
        Op::Re | Op::NotRe => regex::Regex::new(&format!("^(?:{value})$"))
            .map(Some)
            .map_err(|e| {
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid")
                    .trim()
                    .to_owned()
            }),
        Op::Eq | Op::Ne => Ok(None),
    }
}

/// Parse one `matchers:` entry: `a="b"`, `a=~"x|y"`, `{a="b", c!="d"}`.
/// Alertmanager 0.27 parses matchers as UTF-8: label names may be quoted.
const UTF8_MATCHERS: (u32, u32) = (0, 27);

pub fn parse_matchers(text: &SpStr, utf8: bool, out: &mut Vec<Matcher>, bad: &mut Vec<BadMatcher>) {
    match parse_matcher_list(&text.value, utf8) {
        Ok(list) => {
            for (name, op, value) in list {
                match compile(op, &value) {
                    Ok(regex) => out.push(Matcher {
                        name,
                        op,
                        value,
                        regex,
                        pos: text.pos,
                    }),
                    Err(e) => bad.push(BadMatcher {
                        message: format!(
                            "invalid regular expression {value:?} in matcher {:?}: {e}",
                            text.value
                        ),
                        pos: text.pos,
                    }),
                }
            }
        }
        Err(message) => bad.push(BadMatcher {
            message: format!("bad matcher {:?}: {message}", text.value),
            pos: text.pos,
        }),
    }
}

/// The matcher grammar of Alertmanager's `pkg/labels` (classic syntax);
/// with `utf8` (0.27+) a label name may also be a quoted string.
pub fn parse_matcher_list(text: &str, utf8: bool) -> Result<Vec<(String, Op, String)>, String> {
    let mut s = text.trim();
    if let Some(inner) = s.strip_prefix('{') {
        s = inner
            .strip_suffix('}')
            .ok_or_else(|| "missing closing `}`".to_owned())?
            .trim();
    }
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let quoted_name = utf8 && chars.get(i) == Some(&'"');
        let name: String = if quoted_name {
            let (name, next) = quoted(&chars, i)?;
            i = next;
            name
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            chars[start..i].iter().collect()
        };
        if quoted_name && name.is_empty() {
            return Err("empty label name".to_owned());
        }
        if !quoted_name && !crate::promql::is_legacy_label_name(&name) {
            return Err(if name.is_empty() {
                "expected a label name".to_owned()
            } else {
                format!("invalid label name {name:?}")
            });
        }
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let rest: String = chars[i..].iter().take(2).collect();
        let (op, len) = if rest.starts_with("=~") {
            (Op::Re, 2)
        } else if rest.starts_with("!~") {
            (Op::NotRe, 2)
        } else if rest.starts_with("!=") {
            (Op::Ne, 2)
        } else if rest.starts_with('=') {
            (Op::Eq, 1)
        } else {
            return Err(format!(
                "expected an operator (=, !=, =~, !~) after {name:?}"
            ));
        };
        i += len;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            let (v, next) = quoted(&chars, i)?;
            value = v;
            i = next;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
        } else {
            while i < chars.len() && chars[i] != ',' {
                value.push(chars[i]);
                i += 1;
            }
            let trimmed = value.trim_end().to_owned();
            if trimmed.contains('"') {
                return Err("unbalanced quotes in value".to_owned());
            }
            value = trimmed;
        }
        out.push((name, op, value));
        if i < chars.len() {
            if chars[i] != ',' {
                return Err(format!("unexpected {:?} after matcher", chars[i]));
            }
            i += 1;
        }
    }
    if out.is_empty() {
        return Err("empty matcher".to_owned());
    }
    Ok(out)
}

/// A double-quoted string starting at `chars[i]`; returns it unescaped and
/// the index after the closing quote.
fn quoted(chars: &[char], mut i: usize) -> Result<(String, usize), String> {
    let mut value = String::new();
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                match next {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(next),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
                i += 2;
            }
            '"' => return Ok((value, i + 1)),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err("unterminated quoted string".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn matcher_syntax() {
        let m = parse_matcher_list("severity=\"critical\"", false).unwrap();
        assert_eq!(m[0], ("severity".to_owned(), Op::Eq, "critical".to_owned()));
        let m = parse_matcher_list("{team=~\"db|api\", env!=prod}", false).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1], ("env".to_owned(), Op::Ne, "prod".to_owned()));
        for bad in ["", "severity", "1abc=x", "a=\"x", "a==x\"", "{a=b"] {
            assert!(parse_matcher_list(bad, false).is_err(), "{bad}");
        }
        // Quoted (UTF-8) label names from Alertmanager 0.27.
        assert!(parse_matcher_list("\"service.name\"=\"api\"", false).is_err());
        let m = parse_matcher_list("\"service.name\"=\"api\"", true).unwrap();
        assert_eq!(m[0].0, "service.name");
    }
}
