//! `unknown-file-kind`: A file named on the command line is not a rule file, Alertmanager config or Prometheus config.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "unknown-file-kind",
    severity: Severity::Error,
    summary: "A file named on the command line is not a rule file, Alertmanager config or Prometheus config.",
    explanation: "alert-lint detects a file's kind from its content: `groups` (rule file), `kind: PrometheusRule` (Kubernetes), `route`/`receivers` (Alertmanager), `scrape_configs`/`rule_files`/`alerting` (Prometheus). Files found by walking a directory that match none of these are skipped; a file you named explicitly is reported, with what it looks like (a Kubernetes object, a Compose file, the keys it has). An empty file (nothing, only comments, `null`, `{}`) is a valid, empty rule file, as Prometheus reads it. Use --kind to force one.",
};
