//! `no-alertmanager`: alert rules but nowhere to send them.

use shipshape_core::Severity;

use super::{Check, Cx};
use crate::finding::Finding;

pub const CHECK: Check = Check {
    id: "no-alertmanager",
    severity: Severity::Warning,
    summary: "prometheus.yml has no `alerting.alertmanagers` while alerting rules exist.",
    explanation: "Without an Alertmanager, Prometheus evaluates alerts and shows them in its UI, but sends no notification. Add `alerting: {alertmanagers: [{static_configs: [{targets: ['alertmanager:9093']}]}]}`.",
};

pub fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.alerts().next().is_none() {
        return;
    }
    for prom in cx.ws.prometheus.iter().filter(|p| !p.fragment) {
        if prom.alertmanagers == 0 {
            let pos = prom.alerting_key.unwrap_or(prom.top);
            out.push(Finding::new(CHECK.id, prom.file, pos, "no alerting.alertmanagers configured: alerts will never be sent").help("add an alertmanagers entry pointing at Alertmanager"));
        }
    }
}
