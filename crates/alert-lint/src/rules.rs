//! The rule-file model (`groups:` — Prometheus' rulefmt), built from the YAML
//! tree with strict-schema findings on the way. Semantic checks run on the
//! model afterwards (src/checks/).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use promql_parser::parser::Expr;

use crate::finding::{Pos, Sink, Sp, SpDur, SpStr};
use crate::schema::{Field, f, since};
use crate::settings::Settings;
use crate::yaml::{Node, Style};

#[derive(Debug)]
pub struct RuleFile {
    pub file: usize,
    pub groups: Vec<Group>,
}

#[derive(Debug)]
pub struct Group {
    pub name: Option<SpStr>,
    pub pos: Pos,
    pub interval: Option<SpDur>,
    pub query_offset: Option<SpDur>,
    pub limit: Option<Sp<i64>>,
    pub labels: Vec<(SpStr, SpStr)>,
    pub rules: Vec<Rule>,
}

impl Group {
    pub fn display_name(&self) -> &str {
        self.name.as_ref().map_or("<unnamed>", |n| n.value.as_str())
    }
}

#[derive(Debug)]
pub struct Rule {
    pub pos: Pos,
    pub alert: Option<SpStr>,
    pub record: Option<SpStr>,
    pub expr: Option<SpStr>,
    /// How `expr` was written (to map positions inside it).
    pub expr_style: Option<Style>,
    /// The parsed `expr`, filled on first use (or in parallel by
    /// [`parse_all`]); shared by every rule with the same text.
    parsed: OnceLock<Parse>,
    pub for_: Option<SpDur>,
    /// `for:` was written (even if empty or invalid).
    pub for_key: Option<Pos>,
    pub keep_firing_for: Option<SpDur>,
    pub keep_firing_for_key: Option<Pos>,
    pub labels: Vec<(SpStr, SpStr)>,
    pub labels_key: Option<Pos>,
    pub annotations: Vec<(SpStr, SpStr)>,
    pub annotations_key: Option<Pos>,
}

impl Rule {
    pub fn name(&self) -> &str {
        self.alert
            .as_ref()
            .or(self.record.as_ref())
            .map_or("<unnamed>", |n| n.value.as_str())
    }

    pub fn is_alert(&self) -> bool {
        self.alert.is_some()
    }

    pub fn expr(&self) -> Option<&Expr> {
        self.parsed().and_then(|r| r.as_ref().ok())
    }

    /// The parse result of `expr`; None when there is no (or a blank) expr.
    pub fn parsed(&self) -> Option<&Result<Expr, String>> {
        let text = self.expr_text()?;
        let parse = self
            .parsed
            .get_or_init(|| Arc::new(crate::promql::parse(text)));
        Some(parse.as_ref())
    }

    /// The `expr` text, unless it is missing or blank.
    fn expr_text(&self) -> Option<&str> {
        let expr = self.expr.as_ref()?;
        (!expr.value.trim().is_empty()).then_some(expr.value.as_str())
    }

    pub fn label(&self, name: &str) -> Option<&SpStr> {
        self.labels
            .iter()
            .find(|(k, _)| k.value == name)
            .map(|(_, v)| v)
    }

    pub fn annotation(&self, name: &str) -> Option<&SpStr> {
        self.annotations
            .iter()
            .find(|(k, _)| k.value == name)
            .map(|(_, v)| v)
    }

    pub fn scope(&self) -> Option<(u32, u32)> {
        Some((self.pos.line, self.pos.end_line.max(self.pos.line)))
    }
}

const TOP: &[Field] = &[f("groups")];
const GROUP: &[Field] = &[
    f("name"),
    f("interval"),
    since("query_offset", 2, 53),
    f("limit"),
    f("rules"),
    since("labels", 3, 0),
];
const RULE: &[Field] = &[
    f("record"),
    f("alert"),
    f("expr"),
    f("for"),
    since("keep_firing_for", 2, 42),
    f("labels"),
    f("annotations"),
];

/// Build the model of a rule document (a mapping with `groups`, or the
/// `spec` of a PrometheusRule).
pub fn load(sink: &mut Sink<'_>, node: &Node, settings: &Settings, what: &str) -> RuleFile {
    let version = settings.prometheus;
    let mut groups = Vec::new();
    for (key, value) in sink.fields(node, what, TOP, version, "Prometheus") {
        if key.as_str() == Some("groups") {
            for group in sink.list(value, "groups") {
                groups.push(load_group(sink, group, settings));
            }
        }
    }
    RuleFile {
        file: sink.file,
        groups,
    }
}

fn with_dialect(base: &[Field], extra: &'static [&'static str]) -> Vec<Field> {
    let mut fields = base.to_vec();
    fields.extend(extra.iter().map(|n| f(n)));
    fields
}

fn load_group(sink: &mut Sink<'_>, node: &Node, settings: &Settings) -> Group {
    let mut group = Group {
        name: None,
        pos: Pos::of(node),
        interval: None,
        query_offset: None,
        limit: None,
        labels: Vec::new(),
        rules: Vec::new(),
    };
    let fields = with_dialect(GROUP, settings.dialect.group_fields());
    let entries = sink.fields(
        node,
        "a rule group",
        &fields,
        settings.prometheus,
        "Prometheus",
    );
    for (key, value) in entries {
        match key.as_str() {
            Some("name") => group.name = sink.string(value, "group name"),
            Some("interval") => group.interval = sink.duration(value, "group interval"),
            Some("query_offset") => group.query_offset = sink.duration(value, "query_offset"),
            Some("limit") => group.limit = sink.integer(value, "group limit"),
            Some("labels") => group.labels = sink.string_map(value, "group labels"),
            Some("rules") => {
                for rule in sink.list(value, "rules") {
                    group.rules.push(load_rule(sink, rule, settings));
                }
            }
            _ => {}
        }
    }
    group
}

fn load_rule(sink: &mut Sink<'_>, node: &Node, settings: &Settings) -> Rule {
    let mut rule = Rule {
        pos: Pos::of(node),
        alert: None,
        record: None,
        expr: None,
        expr_style: None,
        parsed: OnceLock::new(),
        for_: None,
        for_key: None,
        keep_firing_for: None,
        keep_firing_for_key: None,
        labels: Vec::new(),
        labels_key: None,
        annotations: Vec::new(),
        annotations_key: None,
    };
    let fields = with_dialect(RULE, settings.dialect.rule_fields());
    let entries = sink.fields(node, "a rule", &fields, settings.prometheus, "Prometheus");
    for (key, value) in entries {
        match key.as_str() {
            Some("alert") => rule.alert = sink.string(value, "alert"),
            Some("record") => rule.record = sink.string(value, "record"),
            Some("expr") => {
                rule.expr = sink.string(value, "expr");
                rule.expr_style = value.style();
            }
            Some("for") => {
                rule.for_key = Some(Pos::of(key));
                rule.for_ = sink.duration(value, "for");
            }
            Some("keep_firing_for") => {
                rule.keep_firing_for_key = Some(Pos::of(key));
                rule.keep_firing_for = sink.duration(value, "keep_firing_for");
            }
            Some("labels") => {
                rule.labels_key = Some(Pos::of(key));
                rule.labels = sink.string_map(value, "labels");
            }
            Some("annotations") => {
                rule.annotations_key = Some(Pos::of(key));
                rule.annotations = sink.string_map(value, "annotations");
            }
            _ => {}
        }
    }
    rule
}

/// One expression's parse result, shared by the rules that wrote the same text.
type Parse = Arc<Result<Expr, String>>;

/// Parse every rule's expression, each distinct text once, spread over the
/// available cores. Parsing dominates a run — promql-parser compiles a
/// regex for every `=~` matcher — and real rule sets repeat expressions
/// (kube-prometheus ships the kubernetes, node-exporter and Prometheus
/// mixins' rules again, a multi-cluster setup lints copies per cluster).
pub fn parse_all(files: &[RuleFile]) {
    let mut by_text: HashMap<&str, Vec<&Rule>> = HashMap::new();
    for rule in files
        .iter()
        .flat_map(|f| f.groups.iter().flat_map(|g| g.rules.iter()))
    {
        if let Some(text) = rule.expr_text() {
            by_text.entry(text).or_default().push(rule);
        }
    }
    let distinct: Vec<(&str, Vec<&Rule>)> = by_text.into_iter().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    if threads < 2 || distinct.len() < 64 {
        distinct.iter().for_each(parse_shared);
        return;
    }
    let chunk = distinct.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in distinct.chunks(chunk) {
            scope.spawn(move || part.iter().for_each(parse_shared));
        }
    });
}

/// Parse `text` once and give the result to every rule that wrote it.
fn parse_shared((text, rules): &(&str, Vec<&Rule>)) {
    let parse: Parse = Arc::new(crate::promql::parse(text));
    for rule in rules {
        let _ = rule.parsed.set(Arc::clone(&parse));
    }
}

/// Name the rule (or group) of every finding inside one that does not name
/// it yet — the loaders' schema findings (a bad `for:`, an unknown field, a
/// duplicate key) are reported by position only — so every finding about a
/// rule says which one, as promtool does.
pub fn fill_subjects(files: &[RuleFile], findings: &mut [crate::finding::Finding]) {
    let within = |pos: &Pos, line: u32| pos.line <= line && line <= pos.end_line.max(pos.line);
    let mut by_file: std::collections::HashMap<usize, Vec<&RuleFile>> = Default::default();
    for rf in files {
        by_file.entry(rf.file).or_default().push(rf);
    }
    for finding in findings.iter_mut().filter(|f| f.subject.is_none()) {
        let groups = by_file
            .get(&finding.file)
            .into_iter()
            .flatten()
            .flat_map(|rf| rf.groups.iter());
        for group in groups.filter(|g| within(&g.pos, finding.line)) {
            let name = match group.display_name() {
                "" => "<unnamed>",
                name => name,
            };
            let rule = group.rules.iter().find(|r| within(&r.pos, finding.line));
            finding.subject = Some(match rule {
                Some(rule) => format!("{name}/{}", rule.name()),
                None => name.to_owned(),
            });
        }
    }
}
