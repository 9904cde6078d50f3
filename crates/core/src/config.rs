//! `shipshape.toml`: one optional file with one table per tool.
//!
//! Each tool owns a typed struct for its table (with
//! `#[serde(deny_unknown_fields, default)]`) and implements [`ToolConfig`].
//! The file is found via `--config PATH`, else `$SHIPSHAPE_CONFIG`, else
//! `./shipshape.toml`; precedence of values is flags > environment variables >
//! this file > defaults, and each tool applies that order when it resolves a
//! setting (see [`layer`]).

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::cli::GlobalArgs;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "SHIPSHAPE_CONFIG";
/// The file looked for in the current directory.
pub const DEFAULT_FILE: &str = "shipshape.toml";
/// Every table a `shipshape.toml` may contain; anything else is a typo
/// (except the reading tool's own table, which is always accepted).
pub const TOOL_TABLES: [&str; 5] = [
    "validate-env",
    "pg-backup",
    "pg-restore",
    "migrate-check",
    "alert-lint",
];

/// A tool's typed view of its table in `shipshape.toml`.
pub trait ToolConfig: DeserializeOwned + Serialize + Default {
    /// The table name, e.g. `"pg-backup"`.
    const TABLE: &'static str;
}

/// A configuration problem. Always exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} (from {origin}) does not exist")]
    Missing { path: PathBuf, origin: &'static str },
    #[error("invalid configuration in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// A tool's table, with where it came from.
#[derive(Debug, Default)]
pub struct Loaded<T> {
    /// The file that was read, if any.
    pub path: Option<PathBuf>,
    pub table: T,
}

/// Which configuration file applies, if any.
pub fn locate(args: &GlobalArgs) -> Result<Option<PathBuf>, ConfigError> {
    locate_with(
        args,
        std::env::var_os(CONFIG_ENV).map(PathBuf::from),
        Path::new("."),
    )
}

fn locate_with(
    args: &GlobalArgs,
    env_path: Option<PathBuf>,
    cwd: &Path,
) -> Result<Option<PathBuf>, ConfigError> {
    if args.no_config {
        return Ok(None);
    }
    // An explicitly named file must exist: silently ignoring a typo in a path
    // would run with defaults the user did not ask for.
    if let Some(path) = &args.config {
        return exists_or(path.clone(), "--config").map(Some);
    }
    if let Some(path) = env_path.filter(|p| !p.as_os_str().is_empty()) {
        return exists_or(path, CONFIG_ENV).map(Some);
    }
    let default = cwd.join(DEFAULT_FILE);
    Ok(default.is_file().then(|| PathBuf::from(DEFAULT_FILE)))
}

fn exists_or(path: PathBuf, origin: &'static str) -> Result<PathBuf, ConfigError> {
    if path.exists() {
        Ok(path)
    } else {
        Err(ConfigError::Missing { path, origin })
    }
}

/// Find and read the configuration file and return tool `T`'s table
/// (defaults when there is no file or no table).
pub fn load<T: ToolConfig>(args: &GlobalArgs) -> Result<Loaded<T>, ConfigError> {
    let Some(path) = locate(args)? else {
        return Ok(Loaded::default());
    };
    let text = fs_err::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let table = parse::<T>(&text, &path)?;
    Ok(Loaded {
        path: Some(path),
        table,
    })
}

/// Parse a whole `shipshape.toml` text and return `T`'s table. Other tools'
/// tables are skipped, unknown tables are errors; toml's errors name the line,
/// column and key.
pub fn parse<T: ToolConfig>(text: &str, path: &Path) -> Result<T, ConfigError> {
    let document: ToolTable<T> = toml::from_str(text).map_err(|err| ConfigError::Invalid {
        path: path.to_owned(),
        message: err.to_string().trim_end().to_owned(),
    })?;
    Ok(document.0.unwrap_or_default())
}

/// Deserializes a whole document, keeping only the table named `T::TABLE`.
struct ToolTable<T>(Option<T>);

impl<'de, T: ToolConfig> Deserialize<'de> for ToolTable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ToolTableVisitor(PhantomData))
    }
}

struct ToolTableVisitor<T>(PhantomData<T>);

impl<'de, T: ToolConfig> Visitor<'de> for ToolTableVisitor<T> {
    type Value = ToolTable<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a shipshape.toml document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut table = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == T::TABLE {
                table = Some(map.next_value::<T>()?);
            } else if TOOL_TABLES.contains(&key.as_str()) {
                map.next_value::<IgnoredAny>()?;
            } else {
                return Err(de::Error::unknown_field(&key, &TOOL_TABLES));
            }
        }
        Ok(ToolTable(table))
    }
}

/// Resolve one setting by precedence: flag, then environment, then file,
/// then default.
pub fn layer<V>(flag: Option<V>, env: Option<V>, file: Option<V>, default: V) -> V {
    flag.or(env).or(file).unwrap_or(default)
}

/// A path written in `shipshape.toml`, relative to the directory of that
/// file (as every path in it is), whatever the current directory.
pub fn relative_to_file(path: &Path, file: Option<&Path>) -> PathBuf {
    match file
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

/// A non-empty environment variable. An empty variable counts as unset, as
/// libpq and docker compose treat them.
///
/// This is how every *ecosystem* variable is read (`DATABASE_URL`, `PG*`,
/// `AWS_*`, `HOSTNAME`): their names and meanings belong to other programs.
/// A tool's *own* variables (`PG_BACKUP_DIR`, `VALIDATE_ENV_SCHEMA` …) are
/// never read here: each is `env = "…"` on the flag it stands for, so
/// `--help` shows it and clap parses it like the flag (see
/// [`clap_env_flags`]).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Prepare a tool's command for its flags' `env = "…"` variables: one set
/// but empty counts as unset, as [`env_var`] has it (clap would pass the
/// empty string on as the flag's value).
pub fn clap_env_flags(mut command: clap::Command) -> clap::Command {
    let empty: Vec<clap::Id> = command
        .get_arguments()
        .filter(|arg| arg.get_env().is_some_and(env_is_empty))
        .map(|arg| arg.get_id().clone())
        .collect();
    for id in empty {
        command = command.mut_arg(id, |arg| arg.env(None));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, clap_env_flags);
    }
    command
}

fn env_is_empty(name: &std::ffi::OsStr) -> bool {
    std::env::var_os(name).is_some_and(|value| value.is_empty())
}

/// When clap rejected a value that came from a flag's environment variable
/// rather than from the command line, say which variable: clap's message
/// names only the flag, which the user never typed.
pub fn name_env_origin(
    mut err: clap::Error,
    command: &clap::Command,
    argv: &[std::ffi::OsString],
) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return err;
    }
    let (Some(ContextValue::String(flag)), Some(ContextValue::String(value))) = (
        err.get(ContextKind::InvalidArg),
        err.get(ContextKind::InvalidValue),
    ) else {
        return err;
    };
    let Some(variable) = env_of_flag(command, flag, value, argv) else {
        return err;
    };
    err.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![
            format!(
                "the value comes from the environment variable {variable}; correct or unset it"
            )
            .into(),
        ]),
    );
    err
}

/// The variable of the flag clap displays as `flag` (`--jobs <N>`), when it
/// is set to `value` and the flag is not on the command line.
fn env_of_flag(
    command: &clap::Command,
    flag: &str,
    value: &str,
    argv: &[std::ffi::OsString],
) -> Option<String> {
    let from_here = command.get_arguments().find_map(|arg| {
        let variable = arg.get_env()?;
        let long = arg.get_long().map(|l| format!("--{l}"));
        let typed = argv.iter().filter_map(|a| a.to_str()).any(|a| {
            long.as_deref()
                .is_some_and(|l| a == l || a.starts_with(&format!("{l}=")))
        });
        // Compared by the long name: `Arg`'s Display panics on arguments of
        // subcommands clap has not built.
        let named = long
            .as_deref()
            .is_some_and(|l| flag.split([' ', '=']).next() == Some(l));
        (named && !typed && std::env::var_os(variable).is_some_and(|v| v == value))
            .then(|| variable.to_string_lossy().into_owned())
    });
    from_here.or_else(|| {
        command
            .get_subcommands()
            .find_map(|sub| env_of_flag(sub, flag, value, argv))
    })
}

/// Render the effective configuration of a tool as a `shipshape.toml`
/// fragment, for `--print-config`. Secrets serialize redacted, and so does
/// every value under a key that looks secret (`POSTGRES_PASSWORD` in an
/// `env` table) and every password inside a URL.
pub fn to_toml_fragment<T: ToolConfig>(config: &T) -> Result<String, ConfigError> {
    let mut value = toml::Value::try_from(config).map_err(|err| ConfigError::Invalid {
        path: PathBuf::from("<effective configuration>"),
        message: err.to_string(),
    })?;
    redact_value(&mut value, false);
    let mut root = toml::Table::new();
    root.insert(T::TABLE.to_owned(), value);
    Ok(toml::to_string_pretty(&root).unwrap_or_default())
}

/// Redact secrets in place: strings under a secret-looking key (unless
/// they are only a `{placeholder}`, which names no secret) and passwords in
/// URLs anywhere.
fn redact_value(value: &mut toml::Value, secret_key: bool) {
    match value {
        toml::Value::String(text) => {
            let placeholder =
                text.starts_with('{') && text.ends_with('}') && !text[1..].contains('{');
            if secret_key && !placeholder && !text.is_empty() {
                *text = crate::secret::REDACTED.to_owned();
            } else {
                *text = redact_assignments(&crate::secret::redact_url(text));
            }
        }
        toml::Value::Array(items) => items
            .iter_mut()
            .for_each(|item| redact_value(item, secret_key)),
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                redact_value(item, secret_key || crate::secret::name_looks_secret(key));
            }
        }
        _ => {}
    }
}

/// In a command line, the value of `NAME=value` when NAME looks secret
/// (`docker exec -e PGPASSWORD=x db pg_dump`).
fn redact_assignments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq);
        let name_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        out.push_str(before);
        out.push('=');
        let after = &after[1..];
        let value_end = after
            .find(|c: char| c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(after.len());
        if value_end > 0 && crate::secret::name_looks_secret(&before[name_start..]) {
            out.push_str(crate::secret::REDACTED);
            rest = &after[value_end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_the_file_are_relative_to_it() {
        let file = Path::new("/etc/shipshape/shipshape.toml");
        assert_eq!(
            relative_to_file(Path::new("backups"), Some(file)),
            Path::new("/etc/shipshape/backups")
        );
        assert_eq!(
            relative_to_file(Path::new("/abs"), Some(file)),
            Path::new("/abs")
        );
        assert_eq!(
            relative_to_file(Path::new("b"), Some(Path::new("shipshape.toml"))),
            Path::new("b")
        );
        assert_eq!(relative_to_file(Path::new("b"), None), Path::new("b"));
    }

    #[test]
    fn print_config_redacts_secret_keys_urls_and_assignments() {
        let mut value: toml::Value = toml::from_str(
            "url = 'postgres://app:hunter2@db/app'\n\
             cmd = 'docker exec -e PGPASSWORD=hunter2 -e MODE=x db pg_dump'\n\
             [env]\nPOSTGRES_PASSWORD = 'hunter2'\nAPI_TOKEN = 'hunter2'\nPOSTGRES_DB = '{database}'\n\
             DB_PASSWORD = '{password}'\n",
        )
        .unwrap();
        redact_value(&mut value, false);
        let text = value.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("MODE=x") && text.contains("{database}") && text.contains("{password}"),
            "{text}"
        );
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Example {
        dir: Option<String>,
        keep_days: Option<u32>,
    }

    impl ToolConfig for Example {
        const TABLE: &'static str = "pg-backup";
    }

    fn parse_example(text: &str) -> Result<Example, ConfigError> {
        parse::<Example>(text, Path::new("shipshape.toml"))
    }

    #[test]
    fn reads_only_its_own_table() {
        let text =
            "[validate-env]\nschema = 'x'\n\n[pg-backup]\ndir = '/backups'\nkeep_days = 14\n";
        let config = parse_example(text).unwrap();
        assert_eq!(
            config,
            Example {
                dir: Some("/backups".into()),
                keep_days: Some(14)
            }
        );
    }

    #[test]
    fn missing_table_gives_defaults() {
        assert_eq!(parse_example("[alert-lint]\n").unwrap(), Example::default());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse_example("[pg-backup]\ndir = 'a'\nkeep_dayz = 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("shipshape.toml"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("keep_dayz"), "{text}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let err = parse_example("[pg-backup]\nkeep_days = 'seven'\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("keep_days"), "{text}");
    }

    #[test]
    fn unknown_table_is_an_error() {
        let err = parse_example("[pg-bakup]\ndir = 'a'\n").unwrap_err();
        assert!(err.to_string().contains("pg-bakup"), "{err}");
    }

    #[test]
    fn precedence_is_flag_env_file_default() {
        assert_eq!(layer(Some(1), Some(2), Some(3), 4), 1);
        assert_eq!(layer(None, Some(2), Some(3), 4), 2);
        assert_eq!(layer(None, None, Some(3), 4), 3);
        assert_eq!(layer(None, None, None, 4), 4);
    }

    #[test]
    fn location_order_is_flag_env_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let flag_file = dir.path().join("flag.toml");
        let env_file = dir.path().join("env.toml");
        std::fs::write(&flag_file, "").unwrap();
        std::fs::write(&env_file, "").unwrap();
        std::fs::write(dir.path().join(DEFAULT_FILE), "").unwrap();

        let with_flag = GlobalArgs {
            config: Some(flag_file.clone()),
            ..GlobalArgs::default()
        };
        let found = locate_with(&with_flag, Some(env_file.clone()), dir.path()).unwrap();
        assert_eq!(found, Some(flag_file));

        let plain = GlobalArgs::default();
        let found = locate_with(&plain, Some(env_file.clone()), dir.path()).unwrap();
        assert_eq!(found, Some(env_file));

        let found = locate_with(&plain, None, dir.path()).unwrap();
        assert_eq!(found, Some(PathBuf::from(DEFAULT_FILE)));

        let none = GlobalArgs {
            no_config: true,
            ..GlobalArgs::default()
        };
        assert_eq!(locate_with(&none, None, dir.path()).unwrap(), None);
    }

    #[test]
    fn a_named_file_that_does_not_exist_is_an_error() {
        let args = GlobalArgs {
            config: Some("/nonexistent/s.toml".into()),
            ..GlobalArgs::default()
        };
        let err = locate_with(&args, None, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/s.toml"));
    }
}
