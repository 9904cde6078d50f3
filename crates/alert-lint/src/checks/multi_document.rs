//! `multi-document`: a config or rule file with more than one YAML document.

use shipshape_core::Severity;

use super::Check;

/// Reported by the workspace loader while it reads the file.
pub const CHECK: Check = Check {
    id: "multi-document",
    severity: Severity::Warning,
    summary: "A rule file, alertmanager.yml or prometheus.yml with more than one YAML document.",
    explanation: "Prometheus and Alertmanager decode only the first YAML document of a file (Prometheus 3 logs \"Multiple document yaml rules files are not supported, only the first document is processed\"); everything after the first `---` separator is silently ignored, so rules or routes written there never take effect. alert-lint lints the first document, as they do. Move the rest into the first document or into a file of its own. Kubernetes `PrometheusRule` manifests (e.g. a Helm render) are exempt: there every document is an object of its own.",
};
