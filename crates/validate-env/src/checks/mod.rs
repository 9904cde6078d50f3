//! Every check, one per file, each with a stable id (see
//! docs/validate-env.md for the list). File lints look at the parsed
//! documents; value rules look at one schema variable's value; cross rules
//! look at several variables.

use shipshape_core::Diagnostic;

use crate::input::{Input, Place};
use crate::schema::{Schema, Var};

pub mod clerk;
pub mod colon_separator;
pub mod duplicate_key;
pub mod empty_required;
pub mod example_value;
pub mod extra_blank_line;
pub mod forbidden_value;
pub mod inconsistent;
pub mod invalid_interpolation;
pub mod invalid_type;
pub mod length;
pub mod lowercase_key;
pub mod missing_example_key;
pub mod missing_final_newline;
pub mod missing_prefix;
pub mod missing_required;
pub mod non_portable_key;
pub mod not_allowed;
pub mod out_of_range;
pub mod pattern_mismatch;
pub mod placeholder;
pub mod portability;
pub mod postgres_url;
pub mod public_secret;
pub mod redis_url;
pub mod requires;
pub mod secret_file;
pub mod sentry_dsn;
pub mod spaces_around_equals;
pub mod swallowed_assignments;
pub mod syntax;
pub mod trailing_whitespace;
pub mod undefined_reference;
pub mod unknown_key;
pub mod unnecessary_quotes;
pub mod unordered_key;
pub mod unquoted_json;
pub mod unquoted_spaces;
pub mod weak_secret;
pub mod wrong_scheme;

pub use shipshape_core::Rule;

shipshape_core::rules! {
    /// Every rule, in the order of docs/validate-env.md: `--select`,
    /// `--ignore`, `--explain`, `--list-checks` and SARIF read this list.
    pub static RULES = [
        syntax::INVALID_KEY,
        syntax::NOT_AN_ASSIGNMENT,
        syntax::UNTERMINATED_QUOTE,
        syntax::TEXT_AFTER_QUOTE,
        syntax::INVALID_UTF8,
        duplicate_key::RULE,
        lowercase_key::RULE,
        non_portable_key::RULE,
        spaces_around_equals::RULE,
        trailing_whitespace::RULE,
        unquoted_spaces::RULE,
        extra_blank_line::RULE,
        missing_final_newline::RULE,
        unordered_key::RULE,
        unnecessary_quotes::RULE,
        colon_separator::RULE,
        unquoted_json::RULE,
        swallowed_assignments::RULE,
        undefined_reference::RULE,
        invalid_interpolation::RULE,
        portability::RULE,
        missing_required::RULE,
        empty_required::RULE,
        forbidden_value::RULE,
        placeholder::RULE,
        example_value::RULE,
        invalid_type::RULE,
        out_of_range::RULE,
        length::RULE,
        pattern_mismatch::RULE,
        not_allowed::RULE,
        wrong_scheme::RULE,
        missing_prefix::RULE,
        clerk::RULE,
        sentry_dsn::RULE,
        postgres_url::RULE,
        redis_url::RULE,
        public_secret::RULE,
        weak_secret::RULE,
        requires::RULE,
        inconsistent::RULE,
        unknown_key::RULE,
        missing_example_key::RULE,
        secret_file::RULE,
    ];
}

/// What the checks see.
pub struct Ctx<'a> {
    pub input: &'a Input,
    pub schema: Option<&'a Schema>,
    /// The schema's variables resolved for `env`.
    pub vars: &'a [Var],
    pub env: Option<&'a str>,
    pub example: Option<&'a Input>,
    /// Run the style notes too (unordered-key, unnecessary-quotes).
    pub pedantic: bool,
    /// `vars` by name: a schema may declare thousands of variables.
    index: std::collections::HashMap<&'a str, usize>,
    /// Values of secret variables, computed once: every value shown is
    /// checked against them.
    secret_values: Vec<&'a str>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        input: &'a Input,
        schema: Option<&'a Schema>,
        vars: &'a [Var],
        env: Option<&'a str>,
        example: Option<&'a Input>,
        pedantic: bool,
    ) -> Self {
        let index = vars
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.as_str(), i))
            .collect();
        let mut ctx = Self {
            input,
            schema,
            vars,
            env,
            example,
            pedantic,
            index,
            secret_values: Vec::new(),
        };
        let mut secret_values: Vec<&'a str> = input
            .values
            .iter()
            .filter(|v| v.value.len() >= 6 && ctx.is_secret(&v.key))
            .map(|v| v.value.as_str())
            .collect();
        secret_values.sort_unstable();
        secret_values.dedup();
        ctx.secret_values = secret_values;
        ctx
    }

    pub fn var(&self, name: &str) -> Option<&Var> {
        self.index.get(name).map(|&i| &self.vars[i])
    }

    /// Secret by the schema, else by name (public variables are not) — or
    /// a public variable holding a secret-key value (`public-secret`): its
    /// value must not be printed by other findings about it either.
    pub fn is_secret(&self, name: &str) -> bool {
        let public = match self.var(name) {
            Some(var) if var.is_secret() => return true,
            Some(var) => var.is_public(),
            None if name.starts_with("NEXT_PUBLIC_") => true,
            None => return crate::secrets::name_looks_secret(name),
        };
        public
            && self
                .input
                .get(name)
                .is_some_and(|v| public_secret::secret_prefix(&v.value).is_some())
    }

    /// A value as it may be shown for `name`.
    pub fn show(&self, name: &str, value: &str) -> String {
        crate::secrets::display(value, self.is_secret(name) || self.leaks(value))
    }

    /// True when `value` contains the value of a secret variable (someone
    /// pasted a secret into the wrong variable): it must not be shown either.
    pub fn leaks(&self, value: &str) -> bool {
        self.secret_values.iter().any(|s| value.contains(s))
    }

    /// Non-empty value of a variable.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.input
            .get(name)
            .map(|v| v.value.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Collects diagnostics.
#[derive(Debug, Default)]
pub struct Findings {
    pub list: Vec<Diagnostic>,
}

impl Findings {
    pub fn push(
        &mut self,
        rule: &Rule,
        subject: Option<&str>,
        message: String,
        place: &Place,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::from_rule(rule, message);
        if let Some(subject) = subject {
            d = d.with_subject(subject);
        }
        if let Some(file) = &place.file {
            d = if place.line > 0 {
                d.at(file.clone(), place.line, place.column)
            } else {
                d.with_file(file.clone())
            };
        }
        let help =
            help.or_else(|| (!rule.explanation.is_empty()).then(|| rule.explanation.to_owned()));
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.list.push(d);
    }
}

/// One problem found in a value.
#[derive(Debug, Clone)]
pub struct Finding {
    pub message: String,
    pub help: Option<String>,
}

impl Finding {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// What a value rule sees.
pub struct VarCheck<'a> {
    pub ctx: &'a Ctx<'a>,
    pub var: &'a Var,
    pub value: &'a str,
    pub secret: bool,
}

impl VarCheck<'_> {
    /// The value as it may appear in a message.
    pub fn shown(&self) -> String {
        crate::secrets::display(self.value, self.secret || self.ctx.leaks(self.value))
    }

    pub fn env(&self) -> &str {
        self.ctx.env.unwrap_or("")
    }
}

type ValueRule = (Rule, fn(&VarCheck<'_>) -> Vec<Finding>);

/// Value rules that, once they fire, make every other rule about the value
/// noise: a placeholder gets exactly one finding.
const FIRST: [ValueRule; 4] = [
    (public_secret::RULE, public_secret::check),
    (forbidden_value::RULE, forbidden_value::check),
    (placeholder::RULE, placeholder::check),
    (example_value::RULE, example_value::check),
];

const REST: [ValueRule; 11] = [
    (out_of_range::RULE, out_of_range::check),
    (length::RULE, length::check),
    (pattern_mismatch::RULE, pattern_mismatch::check),
    (not_allowed::RULE, not_allowed::check),
    (wrong_scheme::RULE, wrong_scheme::check),
    (missing_prefix::RULE, missing_prefix::check),
    (clerk::RULE, clerk::check),
    (sentry_dsn::RULE, sentry_dsn::check),
    (postgres_url::RULE, postgres_url::check),
    (redis_url::RULE, redis_url::check),
    (weak_secret::RULE, weak_secret::check),
];

/// Run every check.
pub fn run(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let mut out = Findings::default();
    syntax::check(ctx, &mut out);
    for lint in [
        duplicate_key::check,
        lowercase_key::check,
        non_portable_key::check,
        spaces_around_equals::check,
        trailing_whitespace::check,
        unquoted_spaces::check,
        extra_blank_line::check,
        missing_final_newline::check,
        colon_separator::check,
        unquoted_json::check,
        swallowed_assignments::check,
        undefined_reference::check,
        invalid_interpolation::check,
        portability::check,
    ] {
        lint(ctx, &mut out);
    }
    if ctx.pedantic {
        unordered_key::check(ctx, &mut out);
        unnecessary_quotes::check(ctx, &mut out);
    }
    if ctx.schema.is_some() {
        for var in ctx.vars {
            check_var(ctx, var, &mut out);
        }
        public_secret::check_undeclared(ctx, &mut out);
        requires::check(ctx, &mut out);
        inconsistent::check(ctx, &mut out);
        clerk::check_pair(ctx, &mut out);
    }
    unknown_key::check(ctx, &mut out);
    missing_example_key::check(ctx, &mut out);
    out.list
}

fn check_var(ctx: &Ctx<'_>, var: &Var, out: &mut Findings) {
    let name = var.name.as_str();
    let Some(value) = ctx.input.get(name).map(|v| v.value.as_str()) else {
        missing_required::check(ctx, var, out);
        return;
    };
    if value.is_empty() {
        empty_required::check(ctx, var, out);
        return;
    }
    let check = VarCheck {
        ctx,
        var,
        value,
        secret: var.is_secret(),
    };
    let place = ctx.input.value_place(name);
    let mut report = |rule: &Rule, findings: Vec<Finding>| {
        let any = !findings.is_empty();
        for f in findings {
            // Without specific advice, say what the variable is for.
            let help = f.help.or_else(|| {
                rule.explanation
                    .is_empty()
                    .then(|| var.description.as_ref().map(|d| format!("{name}: {d}")))
                    .flatten()
            });
            out.push(rule, Some(name), f.message, &place, help);
        }
        any
    };
    for (rule, f) in FIRST {
        if report(&rule, f(&check)) {
            return;
        }
    }
    if report(&invalid_type::RULE, invalid_type::check(&check)) {
        return;
    }
    for (rule, f) in REST {
        report(&rule, f(&check));
    }
}

/// The place of a span in a document.
pub fn at(doc: &crate::parse::Document, span: crate::parse::Span) -> Place {
    Place {
        file: Some(doc.name.clone()),
        line: span.line,
        column: span.column,
    }
}

impl VarCheck<'_> {
    /// The values rules apply to: the list's items, or the value itself.
    pub fn items(&self) -> Vec<String> {
        if self.var.kind() == crate::schema::Type::List {
            crate::values::list(self.value, self.var.rules.separator.as_deref()).unwrap_or_default()
        } else {
            vec![self.value.to_owned()]
        }
    }

    /// How an item may be shown.
    pub fn show_item(&self, item: &str) -> String {
        crate::secrets::display(item, self.secret || self.ctx.leaks(item))
    }
}
