//! Every check, one file each, with a stable id. A check's file holds its
//! description (`CHECK`, shown by `--explain` and in SARIF) and, unless the
//! loaders report it while reading YAML, its `run` function.

use std::time::Duration;

use crate::finding::{Finding, Pos};
use crate::rules::{Group, Rule, RuleFile};
use crate::settings::Settings;
use crate::workspace::Workspace;

/// What a check is, for `--explain`, SARIF and configuration: the shared
/// rule type, called a check here because a "rule" is a Prometheus rule.
pub use shipshape_core::Rule as Check;

/// Everything a check can look at.
pub struct Cx<'a> {
    pub ws: &'a Workspace,
    pub settings: &'a Settings,
}

type Run = fn(&Cx<'_>, &mut Vec<Finding>);

macro_rules! checks {
    ($( $module:ident : $run:expr ),* $(,)?) => {
        $( pub mod $module; )*
        /// Every check with its run function (None: reported by the loaders).
        pub const ALL: &[(&Check, Option<Run>)] = &[ $( (&$module::CHECK, $run) ),* ];
        shipshape_core::rules! {
            /// Every check: `--select`, `--ignore`, `--explain`,
            /// `--list-checks`, `severity` and SARIF read this list.
            pub static RULES = [ $( $module::CHECK ),* ];
        }
    };
}

checks! {
    yaml_syntax: None,
    duplicate_key: None,
    unknown_field: None,
    wrong_type: None,
    invalid_duration: None,
    unknown_file_kind: None,
    multi_document: None,
    group_name: Some(group_name::run),
    rule_kind: Some(rule_kind::run),
    promql_syntax: Some(promql_syntax::run),
    experimental_function: Some(experimental_function::run),
    label_name: Some(label_name::run),
    record_name: Some(record_name::run),
    record_fields: Some(record_fields::run),
    template_syntax: Some(template_syntax::run),
    duplicate_rule: Some(duplicate_rule::run),
    severity_label: Some(severity_label::run),
    label_value_typo: Some(label_value_typo::run),
    missing_annotation: Some(missing_annotation::run),
    alert_name_case: Some(alert_name_case::run),
    missing_for: Some(missing_for::run),
    absent_without_for: Some(absent_without_for::run),
    always_firing: Some(always_firing::run),
    rate_window: Some(rate_window::run),
    rate_of_sum: Some(rate_of_sum::run),
    counter_without_rate: Some(counter_without_rate::run),
    threshold_unit: Some(threshold_unit::run),
    label_dropped: Some(label_dropped::run),
    recorded_label_dropped: Some(recorded_label_dropped::run),
    value_in_label: Some(value_in_label::run),
    regex_anchor: Some(regex_anchor::run),
    group_interval: Some(group_interval::run),
    record_naming: Some(record_naming::run),
    unknown_recorded_series: Some(unknown_recorded_series::run),
    am_root_route: Some(am_root_route::run),
    am_unknown_receiver: Some(am_unknown_receiver::run),
    am_unknown_time_interval: Some(am_unknown_time_interval::run),
    am_time_interval: None,
    am_duplicate_receiver: Some(am_duplicate_receiver::run),
    am_matcher: Some(am_matcher::run),
    am_inhibit: Some(am_inhibit::run),
    am_inhibit_match_all: Some(am_inhibit_match_all::run),
    am_integration: Some(am_integration::run),
    am_missing_file: Some(am_missing_file::run),
    am_template: Some(am_template::run),
    am_undefined_template: Some(am_undefined_template::run),
    am_unused_receiver: Some(am_unused_receiver::run),
    am_shadowed_route: Some(am_shadowed_route::run),
    am_inhibit_no_equal: Some(am_inhibit_no_equal::run),
    am_repeat_interval: Some(am_repeat_interval::run),
    am_inline_secret: Some(am_inline_secret::run),
    unrouted_alert: Some(unrouted_alert::run),
    dead_route: Some(dead_route::run),
    inhibit_equal_missing: Some(inhibit_equal_missing::run),
    rule_files_glob: Some(rule_files_glob::run),
    no_alertmanager: Some(no_alertmanager::run),
    unknown_job: Some(unknown_job::run),
    unknown_external_label: Some(unknown_external_label::run),
    job_without_up_alert: Some(job_without_up_alert::run),
    duplicate_job: Some(duplicate_job::run),
    scrape_timeout: Some(scrape_timeout::run),
}

pub fn find(id: &str) -> Option<&'static Check> {
    RULES.find(id)
}

/// Run every check over the workspace. (Running them on threads was
/// measured on the real-world corpus and gained nothing in wall time on a
/// busy 2-core machine while costing 10–20% more CPU, so they run in turn.)
pub fn run_all(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (_, run) in ALL {
        if let Some(run) = run {
            run(cx, out);
        }
    }
}

/// An alert or recording rule with where it lives.
#[derive(Clone, Copy)]
pub struct RuleRef<'a> {
    pub file: usize,
    pub group: &'a Group,
    pub rule: &'a Rule,
}

impl RuleRef<'_> {
    pub fn subject(&self) -> String {
        format!("{}/{}", self.group.display_name(), self.rule.name())
    }

    /// A finding about this rule, at `pos`, scoped to the rule.
    pub fn finding(&self, check: &'static str, pos: Pos, message: impl Into<String>) -> Finding {
        Finding::new(check, self.file, pos, message)
            .subject(self.subject())
            .scope(self.rule.scope())
    }

    /// A label of the alert: the rule's own, else the group's (3.0 `labels`).
    pub fn label(&self, name: &str) -> Option<&crate::finding::SpStr> {
        self.rule.label(name).or_else(|| {
            self.group
                .labels
                .iter()
                .find(|(k, _)| k.value == name)
                .map(|(_, v)| v)
        })
    }

    /// A finding at the first of `needles` found inside `expr`.
    pub fn in_expr_first(
        &self,
        cx: &Cx<'_>,
        check: &'static str,
        needles: &[&str],
        message: impl Into<String>,
    ) -> Finding {
        let pos = self.rule.expr.as_ref().map_or(self.rule.pos, |e| e.pos);
        let source = &cx.ws.files[self.file].source;
        let node = pos.node();
        let (line, col) = needles
            .iter()
            .map(|n| source.locate(&node, n))
            .find(|p| *p != (pos.line, pos.col))
            .unwrap_or((pos.line, pos.col));
        self.finding(check, pos, message).at(line, col)
    }

    /// Line and column of byte `offset` of the `expr` value: exact for
    /// single-line plain or quoted scalars and literal blocks; in other
    /// layouts (folded, multi-line plain, escapes) the text at the offset
    /// is searched for in the node.
    pub fn expr_offset(&self, cx: &Cx<'_>, offset: usize) -> (u32, u32) {
        let Some(expr) = &self.rule.expr else {
            return (self.rule.pos.line, self.rule.pos.col);
        };
        let source = &cx.ws.files[self.file].source;
        let p = expr.pos;
        let exact = source.position_in_scalar(
            p.line,
            p.col,
            p.end_line,
            self.rule.expr_style,
            &expr.value,
            offset,
        );
        if exact != (p.line, p.col) || offset == 0 {
            return exact;
        }
        let rest = expr.value.get(offset..).unwrap_or("");
        let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        source.locate(&p.node(), &word)
    }

    /// A finding about text inside `expr` (falls back to the expr node).
    pub fn in_expr(
        &self,
        cx: &Cx<'_>,
        check: &'static str,
        needle: &str,
        message: impl Into<String>,
    ) -> Finding {
        let pos = self.rule.expr.as_ref().map_or(self.rule.pos, |e| e.pos);
        let (line, col) = cx.ws.files[self.file].source.locate(&pos.node(), needle);
        self.finding(check, pos, message).at(line, col)
    }
}

/// Where a matcher's value is written (`databse` in `team="databse"` or in
/// `match: {team: databse}`), else where the matcher is.
pub fn matcher_value_at(cx: &Cx<'_>, file: usize, m: &crate::alertmanager::Matcher) -> (u32, u32) {
    let source = &cx.ws.files[file].source;
    let node = m.pos.node();
    let text = source.slice(&node);
    let after_name = text.find(m.name.as_str()).map_or(0, |i| i + m.name.len());
    match text
        .get(after_name..)
        .and_then(|rest| rest.find(m.value.as_str()))
    {
        Some(i) if !m.value.is_empty() => {
            let prefix = &text[..after_name + i];
            let rows = u32::try_from(prefix.matches('\n').count()).unwrap_or(0);
            let in_line = prefix.rsplit('\n').next().unwrap_or("");
            let cols = u32::try_from(in_line.chars().count()).unwrap_or(0);
            if rows == 0 {
                (m.pos.line, m.pos.col + cols)
            } else {
                (m.pos.line + rows, cols + 1)
            }
        }
        _ => (m.pos.line, m.pos.col),
    }
}

impl<'a> Cx<'a> {
    pub fn rule_files(&self) -> impl Iterator<Item = &'a RuleFile> {
        self.ws.rules.iter()
    }

    /// Every rule of every linted rule file.
    pub fn all_rules(&self) -> impl Iterator<Item = RuleRef<'a>> {
        self.ws.rules.iter().flat_map(|rf| {
            rf.groups.iter().flat_map(move |g| {
                g.rules.iter().map(move |r| RuleRef {
                    file: rf.file,
                    group: g,
                    rule: r,
                })
            })
        })
    }

    pub fn alerts(&self) -> impl Iterator<Item = RuleRef<'a>> {
        self.all_rules().filter(|r| r.rule.is_alert())
    }

    /// The scrape interval for a selector pinning `job` (from prometheus.yml
    /// when linted together, else the configured default).
    pub fn scrape_interval(&self, job: Option<&str>) -> Duration {
        // The main config's global interval; a job may live in a
        // scrape_config_files fragment.
        let Some(main) = self
            .ws
            .prometheus
            .iter()
            .find(|p| !p.fragment)
            .or(self.ws.prometheus.first())
        else {
            return self.settings.scrape_interval;
        };
        let job = job.and_then(|j| self.ws.prometheus.iter().find_map(|p| p.job(j)));
        match job {
            Some(job) => job
                .interval
                .as_ref()
                .map_or_else(|| main.global_interval(), |d| d.value),
            None => main.global_interval(),
        }
    }

    /// The evaluation interval of a group.
    pub fn eval_interval(&self, group: &Group) -> Duration {
        if let Some(i) = group.interval.as_ref().filter(|i| !i.value.is_zero()) {
            return i.value;
        }
        self.ws
            .prometheus
            .iter()
            .find_map(|p| p.evaluation_interval.as_ref().map(|d| d.value))
            .unwrap_or(Duration::from_secs(60))
    }
}
