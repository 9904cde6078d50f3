//! `invalid-duration`: A duration that Prometheus or Alertmanager cannot parse.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "invalid-duration",
    severity: Severity::Error,
    summary: "A duration that Prometheus or Alertmanager cannot parse.",
    explanation: "Durations are integers with units, largest unit first: `30s`, `5m`, `1h30m`, `2d`. Units are ms, s, m, h, d, w, y; a unit is required (`5` is invalid) and fractions are not allowed (`1.5m` is invalid, write `90s`).",
};
