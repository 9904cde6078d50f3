//! The `prometheus.yml` model: what the cross-file checks need (scrape jobs
//! and their intervals, rule_files, alerting, external labels), with strict
//! schema findings for the parts Prometheus validates on load.

use std::time::Duration;

use crate::finding::{Pos, Sink, SpDur, SpStr};
use crate::schema::{Field, f, since};
use crate::settings::Settings;
use crate::yaml::Node;

#[derive(Debug)]
pub struct ScrapeJob {
    pub name: Option<SpStr>,
    pub pos: Pos,
    pub interval: Option<SpDur>,
    pub timeout: Option<SpDur>,
}

#[derive(Debug)]
pub struct Config {
    pub file: usize,
    pub scrape_interval: Option<SpDur>,
    pub scrape_timeout: Option<SpDur>,
    pub evaluation_interval: Option<SpDur>,
    pub external_labels: Vec<(SpStr, SpStr)>,
    pub rule_files: Vec<SpStr>,
    pub rule_files_key: Option<Pos>,
    pub alertmanagers: usize,
    pub alerting_key: Option<Pos>,
    pub jobs: Vec<ScrapeJob>,
    /// `scrape_config_files` globs (their jobs live in other files).
    pub scrape_config_files: Vec<SpStr>,
    /// A file with nothing but `scrape_configs`: a fragment loaded through
    /// another config's `scrape_config_files`, not a whole Prometheus config.
    pub fragment: bool,
    pub top: Pos,
}

impl Config {
    /// The global scrape interval (Prometheus' default is 1m).
    pub fn global_interval(&self) -> Duration {
        self.scrape_interval
            .as_ref()
            .map_or(Duration::from_secs(60), |d| d.value)
    }

    pub fn job(&self, name: &str) -> Option<&ScrapeJob> {
        self.jobs
            .iter()
            .find(|j| j.name.as_ref().is_some_and(|n| n.value == name))
    }

    pub fn job_interval(&self, job: &ScrapeJob) -> Duration {
        job.interval
            .as_ref()
            .map_or_else(|| self.global_interval(), |d| d.value)
    }
}

const TOP: &[Field] = &[
    f("global"),
    f("rule_files"),
    since("scrape_config_files", 2, 43),
    f("scrape_configs"),
    f("alerting"),
    f("remote_write"),
    f("remote_read"),
    f("storage"),
    f("tracing"),
    since("runtime", 2, 53),
    since("otlp", 2, 47),
];
const GLOBAL: &[Field] = &[
    f("scrape_interval"),
    f("scrape_timeout"),
    f("evaluation_interval"),
    f("external_labels"),
    f("query_log_file"),
    f("body_size_limit"),
    f("sample_limit"),
    f("target_limit"),
    f("label_limit"),
    f("label_name_length_limit"),
    f("label_value_length_limit"),
    since("scrape_protocols", 2, 49),
    since("keep_dropped_targets", 2, 47),
    since("rule_query_offset", 2, 53),
    since("scrape_failure_log_file", 3, 0),
    since("metric_name_validation_scheme", 3, 0),
    since("metric_name_escaping_scheme", 3, 4),
    since("always_scrape_classic_histograms", 3, 0),
    since("convert_classic_histograms_to_nhcb", 3, 4),
    since("native_histogram_bucket_limit", 3, 0),
    since("native_histogram_min_bucket_factor", 3, 0),
];
const SD: &[&str] = &[
    "static_configs",
    "file_sd_configs",
    "dns_sd_configs",
    "consul_sd_configs",
    "kubernetes_sd_configs",
    "ec2_sd_configs",
    "azure_sd_configs",
    "gce_sd_configs",
    "openstack_sd_configs",
    "docker_sd_configs",
    "dockerswarm_sd_configs",
    "http_sd_configs",
    "digitalocean_sd_configs",
    "hetzner_sd_configs",
    "eureka_sd_configs",
    "kuma_sd_configs",
    "lightsail_sd_configs",
    "linode_sd_configs",
    "marathon_sd_configs",
    "nerve_sd_configs",
    "nomad_sd_configs",
    "serverset_sd_configs",
    "triton_sd_configs",
    "uyuni_sd_configs",
    "vultr_sd_configs",
    "scaleway_sd_configs",
    "puppetdb_sd_configs",
    "ionos_sd_configs",
    "ovhcloud_sd_configs",
];
const SCRAPE: &[Field] = &[
    f("job_name"),
    f("honor_labels"),
    f("honor_timestamps"),
    since("track_timestamps_staleness", 2, 48),
    f("scrape_interval"),
    f("scrape_timeout"),
    since("scrape_protocols", 2, 49),
    since("fallback_scrape_protocol", 3, 0),
    since("scrape_failure_log_file", 3, 0),
    since("scrape_classic_histograms", 2, 45),
    since("always_scrape_classic_histograms", 3, 0),
    since("convert_classic_histograms_to_nhcb", 3, 0),
    f("metrics_path"),
    f("scheme"),
    f("params"),
    since("enable_compression", 2, 49),
    f("body_size_limit"),
    f("sample_limit"),
    f("target_limit"),
    f("label_limit"),
    f("label_name_length_limit"),
    f("label_value_length_limit"),
    since("native_histogram_bucket_limit", 2, 45),
    since("native_histogram_min_bucket_factor", 2, 50),
    since("keep_dropped_targets", 2, 47),
    since("metric_name_validation_scheme", 3, 0),
    since("metric_name_escaping_scheme", 3, 4),
    f("relabel_configs"),
    f("metric_relabel_configs"),
    f("basic_auth"),
    f("authorization"),
    f("oauth2"),
    f("bearer_token"),
    f("bearer_token_file"),
    f("tls_config"),
    f("proxy_url"),
    f("no_proxy"),
    f("proxy_from_environment"),
    f("proxy_connect_header"),
    f("follow_redirects"),
    f("enable_http2"),
    since("http_headers", 2, 55),
];
const ALERTING: &[Field] = &[f("alert_relabel_configs"), f("alertmanagers")];

const PROM: &str = "Prometheus";

pub fn load(sink: &mut Sink<'_>, node: &Node, settings: &Settings) -> Config {
    let v = settings.prometheus;
    let mut config = Config {
        file: sink.file,
        scrape_interval: None,
        scrape_timeout: None,
        evaluation_interval: None,
        external_labels: Vec::new(),
        rule_files: Vec::new(),
        rule_files_key: None,
        alertmanagers: 0,
        alerting_key: None,
        jobs: Vec::new(),
        scrape_config_files: Vec::new(),
        fragment: node
            .as_map()
            .is_some_and(|m| m.iter().all(|(k, _)| k.as_str() == Some("scrape_configs"))),
        top: Pos::of(node),
    };
    for (key, value) in sink.fields(node, "the Prometheus config", TOP, v, PROM) {
        match key.as_str() {
            Some("global") => {
                for (k, val) in sink.fields(value, "global", GLOBAL, v, PROM) {
                    match k.as_str() {
                        Some("scrape_interval") => {
                            config.scrape_interval = sink.duration(val, "scrape_interval");
                        }
                        Some("scrape_timeout") => {
                            config.scrape_timeout = sink.duration(val, "scrape_timeout");
                        }
                        Some("evaluation_interval") => {
                            config.evaluation_interval = sink.duration(val, "evaluation_interval");
                        }
                        Some("rule_query_offset") => {
                            sink.duration(val, "rule_query_offset");
                        }
                        Some("external_labels") => {
                            config.external_labels = sink.string_map(val, "external_labels");
                            for (name, _) in &config.external_labels {
                                let ok = if v >= (3, 0) {
                                    !name.value.is_empty()
                                } else {
                                    crate::promql::is_legacy_label_name(&name.value)
                                };
                                if !ok {
                                    sink.push(
                                        crate::checks::label_name::CHECK.id,
                                        name.pos,
                                        format!(
                                            "invalid label name {:?} in external_labels",
                                            name.value
                                        ),
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some("rule_files") => {
                config.rule_files_key = Some(Pos::of(key));
                config.rule_files = sink.strings(value, "rule_files");
            }
            Some("scrape_config_files") => {
                config.scrape_config_files = sink.strings(value, "scrape_config_files");
            }
            Some("scrape_configs") => {
                let mut fields = SCRAPE.to_vec();
                fields.extend(SD.iter().map(|n| f(n)));
                for job in sink.list(value, "scrape_configs") {
                    let mut j = ScrapeJob {
                        name: None,
                        pos: Pos::of(job),
                        interval: None,
                        timeout: None,
                    };
                    for (k, val) in sink.fields(job, "a scrape config", &fields, v, PROM) {
                        match k.as_str() {
                            Some("job_name") => j.name = sink.string(val, "job_name"),
                            Some("scrape_interval") => {
                                j.interval = sink.duration(val, "scrape_interval");
                            }
                            Some("scrape_timeout") => {
                                j.timeout = sink.duration(val, "scrape_timeout");
                            }
                            _ => {}
                        }
                    }
                    config.jobs.push(j);
                }
            }
            Some("alerting") => {
                config.alerting_key = Some(Pos::of(key));
                for (k, val) in sink.fields(value, "alerting", ALERTING, v, PROM) {
                    if k.as_str() == Some("alertmanagers") {
                        config.alertmanagers = sink.list(val, "alertmanagers").len();
                    }
                }
            }
            _ => {}
        }
    }
    config
}
