//! Everything one run lints: the files, what kind each is, and the models
//! built from them.

use std::path::{Path, PathBuf};

use shipshape_core::Printer;

use crate::alertmanager;
use crate::finding::{Finding, Pos, Sink};
use crate::prometheus;
use crate::rules::{self, RuleFile};
use crate::settings::Settings;
use crate::suppress::Suppressions;
use crate::yaml::{self, Node, Source};

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A Prometheus rule file (`groups:`).
    Rules,
    /// Kubernetes `PrometheusRule` objects (`spec.groups`), multi-document.
    PrometheusRule,
    /// `alertmanager.yml`.
    Alertmanager,
    /// `prometheus.yml`.
    Prometheus,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rules => "rules",
            Self::PrometheusRule => "prometheus-rule",
            Self::Alertmanager => "alertmanager",
            Self::Prometheus => "prometheus",
        }
    }
}

#[derive(Debug)]
pub struct LintFile {
    /// As shown in findings (the path as given, or `<stdin>`).
    pub display: String,
    /// On disk (None for stdin).
    pub path: Option<PathBuf>,
    pub source: Source,
    pub kind: Option<FileKind>,
    pub suppressions: Suppressions,
}

#[derive(Debug, Default)]
pub struct Workspace {
    pub files: Vec<LintFile>,
    pub rules: Vec<RuleFile>,
    pub alertmanager: Vec<alertmanager::Config>,
    pub prometheus: Vec<prometheus::Config>,
}

/// Detect a document's kind from its content.
pub fn detect(doc: &Node) -> Option<FileKind> {
    doc.as_map()?;
    if doc.get("kind").and_then(Node::as_str) == Some("PrometheusRule") {
        return Some(FileKind::PrometheusRule);
    }
    if doc.get("groups").is_some() {
        return Some(FileKind::Rules);
    }
    if doc.get("route").is_some() || doc.get("receivers").is_some() {
        return Some(FileKind::Alertmanager);
    }
    if [
        "scrape_configs",
        "rule_files",
        "alerting",
        "scrape_config_files",
    ]
    .iter()
    .any(|k| doc.get(k).is_some())
    {
        return Some(FileKind::Prometheus);
    }
    None
}

/// A file's text read as YAML, with its suppression comments: the part of
/// adding a file that needs nothing else.
#[derive(Debug)]
pub struct Parsed {
    source: Source,
    stream: yaml::Stream,
    suppressions: Suppressions,
}

impl Parsed {
    pub fn new(text: String) -> Self {
        // go-yaml skips a UTF-8 byte order mark; so does the linter.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        let source = Source::new(text);
        let stream = yaml::parse(&source.text);
        let suppressions = Suppressions::scan(&source);
        Self {
            source,
            stream,
            suppressions,
        }
    }
}

/// Read many texts as YAML, keeping their order: on two cores or more, in
/// as many contiguous slices as there are cores (files are independent, and
/// YAML is the second-largest cost of a run after PromQL).
pub fn parse_many(texts: Vec<Option<String>>) -> Vec<Option<Parsed>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    if threads < 2 || texts.len() < 16 {
        return texts.into_iter().map(|t| t.map(Parsed::new)).collect();
    }
    let chunk = texts.len().div_ceil(threads);
    let mut slices: Vec<Vec<Option<String>>> = Vec::new();
    let mut rest = texts.into_iter();
    loop {
        let slice: Vec<_> = rest.by_ref().take(chunk).collect();
        if slice.is_empty() {
            break;
        }
        slices.push(slice);
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = slices
            .into_iter()
            .map(|slice| {
                scope.spawn(move || {
                    slice
                        .into_iter()
                        .map(|t| t.map(Parsed::new))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// A stream Prometheus reads as an empty rule file: no document, a null
/// first document (empty, only comments, `null`) or an empty mapping (`{}`).
fn is_empty(stream: &yaml::Stream) -> bool {
    stream
        .documents
        .first()
        .is_none_or(|d| d.is_null() || d.as_map().is_some_and(<[_]>::is_empty))
}

/// What an unrecognised document seems to be, for the unknown-file-kind
/// message: a Kubernetes object, a Compose file, or its shape and keys.
fn looks_like(doc: &Node) -> String {
    if let Some(kind) = doc.get("kind").and_then(Node::as_str)
        && doc.get("apiVersion").is_some()
    {
        return format!("a Kubernetes {kind} object");
    }
    if doc.get("services").is_some() {
        return "a Docker Compose file (`services`)".to_owned();
    }
    match doc.as_map() {
        Some(entries) => {
            let keys: Vec<String> = entries
                .iter()
                .filter_map(|(k, _)| k.as_str())
                .take(4)
                .map(|k| format!("`{k}`"))
                .collect();
            format!("a mapping with the keys {}", keys.join(", "))
        }
        None => format!("a {}", doc.type_name()),
    }
}

impl Workspace {
    /// Parse and model one file. `forced` is `--kind`; `explicit` says the
    /// user named this file (an undetectable file found by walking a
    /// directory is skipped instead of reported).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        display: String,
        path: Option<PathBuf>,
        text: String,
        forced: Option<FileKind>,
        explicit: bool,
        settings: &Settings,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let parsed = Parsed::new(text);
        self.add_parsed(display, path, parsed, forced, explicit, settings, findings)
    }

    /// [`Workspace::add`] for a file already read into YAML.
    #[allow(clippy::too_many_arguments)]
    pub fn add_parsed(
        &mut self,
        display: String,
        path: Option<PathBuf>,
        parsed: Parsed,
        forced: Option<FileKind>,
        explicit: bool,
        settings: &Settings,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let Parsed {
            source,
            stream,
            suppressions,
        } = parsed;
        let index = self.files.len();
        let docs: Vec<&Node> = stream.documents.iter().filter(|d| !d.is_null()).collect();
        let mut kind = forced.or_else(|| {
            let kinds: Vec<FileKind> = docs.iter().filter_map(|d| detect(d)).collect();
            if kinds.contains(&FileKind::PrometheusRule) {
                Some(FileKind::PrometheusRule)
            } else {
                kinds.first().copied()
            }
        });
        let empty = is_empty(&stream);
        if kind.is_none() && empty && !stream.syntax_error {
            if !explicit {
                return false;
            }
            // Prometheus loads an empty rule file (no groups) without
            // complaint; the mixins ship many of them.
            kind = Some(FileKind::Rules);
        }
        if kind.is_none() && !explicit && !stream.syntax_error {
            return false;
        }
        // Prometheus and Alertmanager decode only the first document.
        let first: Vec<&Node> = stream
            .documents
            .first()
            .filter(|d| !d.is_null())
            .into_iter()
            .collect();
        let read = if kind == Some(FileKind::PrometheusRule) {
            docs.clone()
        } else {
            first
        };
        let mut sink = Sink {
            file: index,
            source: &source,
            findings,
        };
        for problem in &stream.problems {
            let id = if problem.duplicate_key {
                crate::checks::duplicate_key::CHECK.id
            } else {
                crate::checks::yaml_syntax::CHECK.id
            };
            let pos = Pos {
                line: problem.line,
                col: problem.col,
                ..Pos::default()
            };
            sink.push(id, pos, problem.message.clone());
        }
        if kind.is_some_and(|k| k != FileKind::PrometheusRule)
            && stream.documents.len() > 1
            && let Some(second) = stream.documents.get(1)
        {
            sink.push(
                crate::checks::multi_document::CHECK.id,
                Pos::of(second),
                "this file has more than one YAML document; Prometheus and Alertmanager read only the first, the rest is ignored",
            );
        }
        match kind {
            None if !stream.syntax_error => {
                let pos = docs.first().map_or(
                    Pos {
                        line: 1,
                        col: 1,
                        ..Pos::default()
                    },
                    |d| Pos::of(d),
                );
                let looks = docs
                    .first()
                    .map_or_else(|| "empty".to_owned(), |d| looks_like(d));
                sink.push_finding(
                    Finding::new(
                        crate::checks::unknown_file_kind::CHECK.id,
                        index,
                        pos,
                        format!("cannot tell what this file is: it looks like {looks}, with no `groups` (rule file), `kind: PrometheusRule`, `route`/`receivers` (Alertmanager) or `scrape_configs`/`rule_files`/`alerting` (Prometheus)"),
                    )
                    .help("pass --kind rules|prometheus-rule|alertmanager|prometheus to say what it is"),
                );
            }
            None => {}
            Some(FileKind::Rules) => {
                for doc in &read {
                    let model = rules::load(&mut sink, doc, settings, "a rule file");
                    self.rules.push(model);
                }
            }
            Some(FileKind::PrometheusRule) => {
                // The PrometheusRule CRD also has Thanos' partial_response_strategy.
                let mut crd_settings = settings.clone();
                if crd_settings.dialect == crate::settings::Dialect::Prometheus {
                    crd_settings.dialect = crate::settings::Dialect::Thanos;
                }
                for doc in &docs {
                    if doc.get("kind").and_then(Node::as_str) != Some("PrometheusRule") {
                        continue; // other objects of a Helm render
                    }
                    if let Some(spec) = doc.get("spec") {
                        let model =
                            rules::load(&mut sink, spec, &crd_settings, "PrometheusRule spec");
                        self.rules.push(model);
                    }
                }
            }
            Some(FileKind::Alertmanager) => {
                // An empty config still is one (without a route, refused).
                let null = Node::null();
                let doc = read.first().copied().unwrap_or(&null);
                let model = alertmanager::load(&mut sink, doc, settings);
                self.alertmanager.push(model);
            }
            Some(FileKind::Prometheus) => {
                for doc in &read {
                    let model = prometheus::load(&mut sink, doc, settings);
                    self.prometheus.push(model);
                }
            }
        }
        self.files.push(LintFile {
            display,
            path,
            source,
            kind,
            suppressions,
        });
        true
    }
}

/// Lint the files a linted prometheus.yml loads (`rule_files`,
/// `scrape_config_files`) that were not given on the command line —
/// Prometheus would load them, so their problems are this config's problems.
pub fn follow_rule_files(
    ws: &mut Workspace,
    settings: &Settings,
    exclude: &globset::GlobSet,
    printer: &Printer,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    let mut wanted = Vec::new();
    for prom in &ws.prometheus {
        let Some(path) = &ws.files[prom.file].path else {
            continue;
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        for pattern in &prom.rule_files {
            for file in crate::input::glob_matches(dir, &pattern.value) {
                wanted.push((file, FileKind::Rules));
            }
        }
        for pattern in &prom.scrape_config_files {
            for file in crate::input::glob_matches(dir, &pattern.value) {
                wanted.push((file, FileKind::Prometheus));
            }
        }
    }
    let mut known: Vec<std::path::PathBuf> = ws
        .files
        .iter()
        .filter_map(|f| f.path.as_ref().and_then(|p| p.canonicalize().ok()))
        .collect();
    for (path, kind) in wanted {
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        if known.contains(&canonical) || exclude.is_match(&path) {
            continue;
        }
        known.push(canonical);
        shipshape_core::interrupt::check()?;
        printer.detail(&format!(
            "{}: {} (followed from prometheus.yml)",
            path.display(),
            kind.as_str()
        ));
        let bytes = fs_err::read(&path)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        ws.add(
            path.display().to_string(),
            Some(path),
            text,
            Some(kind),
            true,
            settings,
            findings,
        );
    }
    Ok(())
}
