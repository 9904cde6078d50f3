//! The schema: what each variable must be, per environment. See
//! docs/validate-env.md for the format.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

/// A schema problem: exit 2, naming the file, line and key.
#[derive(Debug, thiserror::Error)]
#[error("invalid schema {path}:{line}: {message}")]
pub struct SchemaError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    String,
    Int,
    Float,
    Bool,
    Url,
    Email,
    Port,
    Duration,
    Enum,
    List,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Int => "int",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::Url => "url",
            Type::Email => "email",
            Type::Port => "port",
            Type::Duration => "duration",
            Type::Enum => "enum",
            Type::List => "list",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    ClerkPublishableKey,
    ClerkSecretKey,
    SentryDsn,
    PostgresUrl,
    RedisUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    Public,
    Private,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Required {
    Always(bool),
    In(Vec<String>),
}

/// The rules that per-environment overrides may replace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub required: Option<Required>,
    #[serde(rename = "type")]
    pub kind: Option<Type>,
    pub items: Option<Type>,
    pub separator: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<Spanned<String>>,
    pub allowed: Option<Vec<String>>,
    pub forbidden: Option<Vec<String>>,
    pub secret: Option<bool>,
    pub schemes: Option<Vec<String>>,
    pub prefix: Option<Vec<String>>,
    pub format: Option<Format>,
    pub exposure: Option<Exposure>,
    pub requires: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarSpec {
    pub description: Option<String>,
    pub category: Option<String>,
    pub default: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Rules>,
    // The rule fields again: serde's `flatten` would lose toml's spans and
    // `deny_unknown_fields`, and with them the line of a typo.
    pub required: Option<Required>,
    #[serde(rename = "type")]
    pub kind: Option<Type>,
    pub items: Option<Type>,
    pub separator: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<Spanned<String>>,
    pub allowed: Option<Vec<String>>,
    pub forbidden: Option<Vec<String>>,
    pub secret: Option<bool>,
    pub schemes: Option<Vec<String>>,
    pub prefix: Option<Vec<String>>,
    pub format: Option<Format>,
    pub exposure: Option<Exposure>,
    pub requires: Option<Vec<String>>,
}

impl VarSpec {
    fn rules(&self) -> Rules {
        Rules {
            required: self.required.clone(),
            kind: self.kind,
            items: self.items,
            separator: self.separator.clone(),
            min: self.min,
            max: self.max,
            min_length: self.min_length,
            max_length: self.max_length,
            pattern: self.pattern.clone(),
            allowed: self.allowed.clone(),
            forbidden: self.forbidden.clone(),
            secret: self.secret,
            schemes: self.schemes.clone(),
            prefix: self.prefix.clone(),
            format: self.format,
            exposure: self.exposure,
            requires: self.requires.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Environment names; when absent, every name the schema mentions.
    pub environments: Option<Vec<String>>,
    /// Placeholder values forbidden in every variable (replaces the default list).
    pub forbidden: Option<Vec<String>>,
    /// Added to the default list instead of replacing it.
    #[serde(default)]
    pub extra_forbidden: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consistent {
    /// A PostgreSQL URL variable whose parts must equal other variables.
    pub url: Spanned<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    vars: BTreeMap<Spanned<String>, VarSpec>,
    #[serde(default)]
    consistent: Vec<Consistent>,
}

/// The default placeholder list, applied to every variable.
pub const DEFAULT_FORBIDDEN: [&str; 6] = [
    "CHANGE_ME",
    "changeme",
    "postgres",
    "admin",
    "password",
    "secret",
];

/// A variable's effective rules in one environment.
#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub rules: Rules,
    pub pattern: Option<Regex>,
}

impl Var {
    pub fn required_in(&self, env: &str) -> bool {
        match &self.rules.required {
            Some(Required::Always(b)) => *b,
            Some(Required::In(envs)) => envs.iter().any(|e| e == env),
            None => false,
        }
    }

    pub fn kind(&self) -> Type {
        self.rules.kind.unwrap_or(Type::String)
    }

    pub fn is_public(&self) -> bool {
        match self.rules.exposure {
            Some(Exposure::Public) => true,
            Some(Exposure::Private) => false,
            None => self.name.starts_with("NEXT_PUBLIC_"),
        }
    }

    pub fn is_secret(&self) -> bool {
        match self.rules.secret {
            Some(secret) => secret,
            None => !self.is_public() && crate::secrets::name_looks_secret(&self.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub path: PathBuf,
    pub environments: Vec<String>,
    pub forbidden: Vec<String>,
    vars: Vec<(Spanned<String>, VarSpec)>,
    pub consistent: Vec<Consistent>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Schema {
    pub fn load(path: &Path) -> anyhow::Result<Schema> {
        let text = fs_err::read_to_string(path).map_err(|e| {
            anyhow::Error::new(shipshape_core::UsageError::new(format!(
                "cannot read the schema: {e}"
            )))
        })?;
        Ok(Schema::parse(&text, path)?)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Schema, SchemaError> {
        let raw: RawSchema = toml::from_str(text).map_err(|err| {
            let line = err.span().map_or(0, |s| line_of(text, s.start));
            // toml's message does not always name the key ("invalid type:
            // string, expected usize"): show the line itself.
            let source = text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or("")
                .trim();
            let message = err.message().trim_end();
            SchemaError {
                path: path.to_owned(),
                line,
                message: if source.is_empty() {
                    message.to_owned()
                } else {
                    format!("{message}\n  {line} | {source}")
                },
            }
        })?;
        let error = |offset: usize, message: String| SchemaError {
            path: path.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let mut envs: BTreeSet<String> = BTreeSet::new();
        let names: BTreeSet<&str> = raw.vars.keys().map(|k| k.get_ref().as_str()).collect();
        for (name, spec) in &raw.vars {
            let at = name.span().start;
            let n = name.get_ref();
            if n.is_empty() || !n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(error(at, format!("vars.{n}: not a valid variable name")));
            }
            for env in spec.env.keys() {
                envs.insert(env.get_ref().clone());
            }
            let base = spec.rules();
            // Each environment's effective rules must make sense, not the
            // override alone (it may only add `allowed` to a base enum).
            let mut all = vec![(None, base.clone())];
            for (env, over) in &spec.env {
                let mut merged = base.clone();
                merge(&mut merged, over);
                all.push((Some(env), merged));
            }
            for (env, rules) in &all {
                let at = env.map_or(at, |e| e.span().start);
                check_rules(n, rules, &names, &mut envs).map_err(|m| error(at, m))?;
                if let Some(p) = &rules.pattern {
                    Regex::new(&format!("^(?:{})$", p.get_ref())).map_err(|e| {
                        error(
                            p.span().start,
                            format!("vars.{n}.pattern is not a valid regular expression: {e}"),
                        )
                    })?;
                }
            }
        }
        for rule in &raw.consistent {
            let url = rule.url.get_ref();
            let parts = [
                &rule.user,
                &rule.password,
                &rule.database,
                &rule.host,
                &rule.port,
            ];
            for part in std::iter::once(Some(url)).chain(parts.into_iter().map(Option::as_ref)) {
                if let Some(v) = part
                    && !names.contains(v.as_str())
                {
                    return Err(error(
                        rule.url.span().start,
                        format!("consistent: {v} is not declared in [vars]"),
                    ));
                }
            }
        }
        let environments = match raw.settings.environments.clone() {
            Some(list) => {
                if let Some(unknown) = envs.iter().find(|e| !list.contains(e)) {
                    return Err(error(
                        0,
                        format!(
                            "environment {unknown:?} is used but not listed in settings.environments"
                        ),
                    ));
                }
                list
            }
            None => envs.into_iter().collect(),
        };
        let mut forbidden = raw
            .settings
            .forbidden
            .clone()
            .unwrap_or_else(|| DEFAULT_FORBIDDEN.iter().map(|s| (*s).to_owned()).collect());
        forbidden.extend(raw.settings.extra_forbidden.iter().cloned());
        Ok(Schema {
            path: path.to_owned(),
            environments,
            forbidden,
            vars: raw.vars.into_iter().collect(),
            consistent: raw.consistent,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.vars
            .binary_search_by(|(n, _)| n.get_ref().as_str().cmp(name))
            .is_ok()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(n, _)| n.get_ref().as_str())
    }

    /// Every variable with its rules for `env` applied.
    pub fn resolve(&self, env: &str) -> Vec<Var> {
        self.vars
            .iter()
            .map(|(name, spec)| {
                let mut rules = spec.rules();
                if let Some((_, over)) = spec.env.iter().find(|(e, _)| e.get_ref() == env) {
                    merge(&mut rules, over);
                }
                let pattern = rules
                    .pattern
                    .as_ref()
                    .and_then(|p| Regex::new(&format!("^(?:{})$", p.get_ref())).ok());
                Var {
                    name: name.get_ref().clone(),
                    description: spec.description.clone(),
                    category: spec.category.clone(),
                    rules,
                    pattern,
                }
            })
            .collect()
    }
}

fn check_rules(
    name: &str,
    rules: &Rules,
    names: &BTreeSet<&str>,
    envs: &mut BTreeSet<String>,
) -> Result<(), String> {
    if let Some(Required::In(list)) = &rules.required {
        envs.extend(list.iter().cloned());
    }
    if let (Some(min), Some(max)) = (rules.min, rules.max)
        && min > max
    {
        return Err(format!(
            "vars.{name}: min ({min}) is greater than max ({max})"
        ));
    }
    if let (Some(min), Some(max)) = (rules.min_length, rules.max_length)
        && min > max
    {
        return Err(format!(
            "vars.{name}: min_length ({min}) is greater than max_length ({max})"
        ));
    }
    if rules.kind == Some(Type::Enum) && rules.allowed.as_ref().is_none_or(Vec::is_empty) {
        return Err(format!(
            "vars.{name}: type = \"enum\" needs a non-empty `allowed` list"
        ));
    }
    if rules.items.is_some() && rules.kind.is_some_and(|k| k != Type::List) {
        return Err(format!(
            "vars.{name}: `items` only applies to type = \"list\""
        ));
    }
    if rules.items == Some(Type::List) {
        return Err(format!("vars.{name}: a list cannot contain lists"));
    }
    for other in rules.requires.iter().flatten() {
        if !names.contains(other.as_str()) {
            return Err(format!(
                "vars.{name}.requires names {other}, which is not declared in [vars]"
            ));
        }
    }
    Ok(())
}

fn merge(base: &mut Rules, over: &Rules) {
    macro_rules! take {
        ($($field:ident),*) => { $( if over.$field.is_some() { base.$field = over.$field.clone(); } )* };
    }
    take!(
        required, kind, items, separator, min, max, min_length, max_length, pattern, allowed,
        forbidden, secret, schemes, prefix, format, exposure, requires
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn errors_name_the_line_and_key() {
        let text = "[vars.A]\ntype = \"int\"\n\n[vars.B]\ntype = \"integer\"\n";
        let err = Schema::parse(text, Path::new("s.toml")).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(err.to_string().contains("s.toml:5"), "{err}");
        let err = Schema::parse("[vars.A]\npattern = \"(\"\n", Path::new("s.toml")).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let err = Schema::parse("[vars.A]\nrequires = [\"B\"]\n", Path::new("s.toml")).unwrap_err();
        assert!(err.to_string().contains("vars.A.requires"), "{err}");
    }

    #[test]
    fn overrides_are_checked_merged_with_the_base() {
        let text = "[vars.L]\ntype = \"enum\"\nallowed = [\"a\", \"b\"]\n[vars.L.env.production]\nallowed = [\"a\"]\n";
        assert!(Schema::parse(text, Path::new("s.toml")).is_ok());
        let text = "[vars.N]\nmin = 1\n\n[vars.N.env.production]\nmax = 0\n";
        let err = Schema::parse(text, Path::new("s.toml")).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }

    #[test]
    fn overrides_apply_per_environment() {
        let text = "[vars.U]\ntype = \"url\"\nrequired = [\"production\"]\n[vars.U.env.production]\nschemes = [\"https\"]\n";
        let schema = Schema::parse(text, Path::new("s.toml")).unwrap();
        assert_eq!(schema.environments, ["production"]);
        let prod = schema.resolve("production");
        assert_eq!(
            prod[0].rules.schemes.as_deref(),
            Some(&["https".to_owned()][..])
        );
        assert!(prod[0].required_in("production"));
        assert!(schema.resolve("staging")[0].rules.schemes.is_none());
    }
}
