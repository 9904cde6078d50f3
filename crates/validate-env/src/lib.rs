//! `validate-env`: check an environment (.env files or the process
//! environment) against a declarative schema before deploy, without ever
//! printing a secret.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use shipshape_core::config::{self, Loaded};
use shipshape_core::{
    ExitCode, FileSelection, GlobalArgs, Printer, Report, RuleDocs, RuleSelection, Selection,
    UsageError,
};

pub mod checks;
pub mod config_file;
pub mod dialect;
pub mod diff;
pub mod dump;
pub mod expand;
pub mod infer;
pub mod input;
pub mod line_breaks;
pub mod next_env;
pub mod parse;
pub mod python_dotenv;
pub mod schema;
pub mod secrets;
pub mod values;

use config_file::Config;
use dialect::Dialect;
use input::Input;
use schema::Schema;

const EXAMPLES: &str = "Examples:
  validate-env --env production .env.production
  validate-env --schema env.schema.toml .env .env.production
  cat .env | validate-env --env staging -
  validate-env --from-env --format github
  validate-env dump .env.production
  validate-env diff .env.production.example .env.production
  validate-env schema --from-example .env.production.example > env.schema.toml";

const TOOL: &str = "validate-env";

/// Check an environment (.env files or the process environment) against a declarative schema before deploy.
#[derive(Debug, Parser)]
#[command(name = "validate-env", version, about, styles = shipshape_core::cli::styles(),
    mut_arg("strict", |arg| arg.env("VALIDATE_ENV_STRICT")),
    args_conflicts_with_subcommands = true,
    after_help = format!("{EXAMPLES}\n\n{}", shipshape_core::cli::after_help()))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Schema file [default: `schema` in shipshape.toml, else ./env.schema.toml]
    #[arg(long, global = true, value_name = "PATH", env = "VALIDATE_ENV_SCHEMA")]
    pub schema: Option<PathBuf>,

    /// Environment profile (production, staging, …) [default: `env` in shipshape.toml, else from the file name, else ENVIRONMENT/APP_ENV in the input]
    #[arg(long, value_name = "NAME", env = "VALIDATE_ENV_PROFILE")]
    pub env: Option<String>,

    /// Example file: every key in it must be present [default: `example` in shipshape.toml]
    #[arg(long, value_name = "PATH", env = "VALIDATE_ENV_EXAMPLE")]
    pub example: Option<PathBuf>,

    // --select, --ignore, --strict (docs/output.md); --strict is also
    // $VALIDATE_ENV_STRICT (1/0, true/false, yes/no, on/off) or `strict` in
    // shipshape.toml.
    #[command(flatten)]
    pub rules: RuleSelection,

    #[command(flatten)]
    pub docs: RuleDocs,

    /// Also report style notes (unordered-key, unnecessary-quotes)
    #[arg(long)]
    pub pedantic: bool,

    /// Validate the process environment instead of files
    #[arg(long, global = true)]
    pub from_env: bool,

    /// Whose reading of the files to validate [default: `dialect` in shipshape.toml, else compose]
    #[arg(
        long,
        value_enum,
        global = true,
        value_name = "DIALECT",
        env = "VALIDATE_ENV_DIALECT",
        ignore_case = true
    )]
    pub dialect: Option<Dialect>,

    /// .env files, merged in order (later wins); '-' reads stdin
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the variables as the chosen dialect reads them (secrets masked)
    Dump {
        /// .env files, merged in order; '-' reads stdin
        #[arg(value_name = "FILE")]
        files: Vec<String>,
        /// Print secret values in clear
        #[arg(long)]
        show_secrets: bool,
    },
    /// List keys missing, extra or empty on each side of two files
    Diff {
        #[arg(value_name = "A")]
        a: String,
        #[arg(value_name = "B")]
        b: String,
    },
    /// Print a starter schema inferred from an example file
    Schema {
        /// The example file to infer from
        #[arg(long, value_name = "FILE")]
        from_example: String,
    },
}

impl shipshape_core::run::ToolCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// The settings after flags, environment, shipshape.toml and defaults.
#[derive(Debug)]
pub struct Settings {
    pub schema: Option<PathBuf>,
    pub example: Option<PathBuf>,
    pub env: Option<String>,
    pub dialect: Dialect,
    /// Which rules are reported, and whether warnings fail the run.
    pub selection: Selection,
}

fn relative_to_config(loaded: &Loaded<Config>, path: Option<PathBuf>) -> Option<PathBuf> {
    let path = path?;
    match loaded.path.as_deref().and_then(Path::parent) {
        Some(dir) if path.is_relative() && !dir.as_os_str().is_empty() => Some(dir.join(path)),
        _ => Some(path),
    }
}

/// Flags (and their `VALIDATE_ENV_*` variables, which clap reads as the
/// flags themselves) over shipshape.toml over defaults.
fn settings(cli: &Cli, loaded: &Loaded<Config>) -> anyhow::Result<Settings> {
    let file = &loaded.table;
    Ok(Settings {
        schema: config::layer(
            cli.schema.clone().map(Some),
            None,
            relative_to_config(loaded, file.schema.clone()).map(Some),
            None,
        ),
        example: config::layer(
            cli.example.clone().map(Some),
            None,
            relative_to_config(loaded, file.example.clone()).map(Some),
            None,
        ),
        env: config::layer(
            cli.env.clone().map(Some),
            None,
            file.env.clone().map(Some),
            None,
        ),
        dialect: config::layer(cli.dialect, None, file.dialect, Dialect::Compose),
        selection: cli.rules.resolve(
            &checks::RULES,
            FileSelection {
                select: file.select.as_deref(),
                ignore: &file.ignore,
                strict: file.strict,
                path: loaded.path.as_deref(),
                table: TOOL,
            },
        )?,
    })
}

/// Run the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let printer = Printer::new(&cli.global);
    if let Some(text) = cli.docs.text(&checks::RULES, TOOL)? {
        printer.data(&text)?;
        return Ok(ExitCode::Ok);
    }
    let loaded = config::load::<Config>(&cli.global)?;
    let settings = settings(&cli, &loaded)?;
    if cli.global.print_config {
        let effective = Config {
            schema: settings.schema.clone(),
            example: settings.example.clone(),
            env: settings.env.clone(),
            dialect: Some(settings.dialect),
            select: settings
                .selection
                .select
                .as_ref()
                .map(|ids| ids.iter().map(|id| (*id).to_owned()).collect()),
            ignore: settings
                .selection
                .ignore
                .iter()
                .map(|id| (*id).to_owned())
                .collect(),
            strict: Some(settings.selection.strict),
        };
        printer.data(&config::to_toml_fragment(&effective)?)?;
        return Ok(ExitCode::Ok);
    }
    match &cli.command {
        Some(Command::Dump {
            files,
            show_secrets,
        }) => dump::run(&printer, &cli, &settings, files, *show_secrets),
        Some(Command::Diff { a, b }) => diff::run(&printer, a, b),
        Some(Command::Schema { from_example }) => infer::run(&printer, from_example),
        None => check(&printer, &cli, &settings),
    }
}

/// The schema named by the settings, else ./env.schema.toml; `required`
/// makes its absence a usage error.
pub fn load_schema(settings: &Settings, required: bool) -> anyhow::Result<Option<Schema>> {
    let path = match &settings.schema {
        Some(path) => path.clone(),
        None => {
            let default = PathBuf::from("env.schema.toml");
            if default.exists() {
                default
            } else if required {
                return Err(UsageError::new(
                    "no schema: pass --schema PATH, set `schema` in the [validate-env] table of shipshape.toml, or create ./env.schema.toml (validate-env schema --from-example .env.example > env.schema.toml)",
                )
                .into());
            } else {
                return Ok(None);
            }
        }
    };
    if !path.exists() {
        return Err(UsageError::new(format!("schema {} does not exist", path.display())).into());
    }
    match Schema::load(&path) {
        Ok(schema) => Ok(Some(schema)),
        Err(e) => match e.downcast::<schema::SchemaError>() {
            Ok(se) => Err(UsageError::new(se.to_string()).into()),
            Err(e) => Err(e),
        },
    }
}

/// Files or the process environment, read in the chosen dialect.
pub fn read_input(files: &[String], from_env: bool, dialect: Dialect) -> anyhow::Result<Input> {
    if from_env {
        if !files.is_empty() {
            return Err(UsageError::new(
                "--from-env validates the process environment; do not name files as well",
            )
            .into());
        }
        return Ok(Input::from_process_env());
    }
    if files.is_empty() {
        return Err(UsageError::new(
            "nothing to check: name one or more .env files, '-' for stdin, or --from-env for the process environment",
        )
        .into());
    }
    let docs = input::read_documents(files)?;
    Ok(Input::from_documents(docs, dialect))
}

/// The environment profile: the setting, else the file names, else the
/// ENVIRONMENT/APP_ENV variable of the input.
fn environment(
    settings: &Settings,
    files: &[String],
    input: &Input,
    schema: &Schema,
) -> anyhow::Result<String> {
    let known = &schema.environments;
    let listing = || {
        if known.is_empty() {
            "the schema defines no environments".to_owned()
        } else {
            format!("the schema defines: {}", known.join(", "))
        }
    };
    if let Some(env) = &settings.env {
        if !known.is_empty() && !known.contains(env) {
            return Err(
                UsageError::new(format!("unknown environment {env:?}; {}", listing())).into(),
            );
        }
        return Ok(env.clone());
    }
    let from_names: Vec<String> = files
        .iter()
        .filter_map(|f| input::env_from_file_name(f))
        .filter(|e| known.contains(e))
        .collect();
    if let Some(first) = from_names.first() {
        if let Some(other) = from_names.iter().find(|e| *e != first) {
            return Err(UsageError::new(format!(
                "the file names imply two environments ({first} and {other}); pass --env"
            ))
            .into());
        }
        return Ok(first.clone());
    }
    for name in ["ENVIRONMENT", "APP_ENV"] {
        if let Some(value) = input
            .get(name)
            .map(|v| v.value.clone())
            .filter(|v| !v.is_empty())
        {
            if known.contains(&value) {
                return Ok(value);
            }
            return Err(UsageError::new(format!(
                "{name}={value:?} is not an environment of the schema ({}); pass --env",
                listing()
            ))
            .into());
        }
    }
    Err(UsageError::new(format!(
        "cannot tell which environment to validate: pass --env NAME ({}), name the file .env.NAME, or set ENVIRONMENT",
        listing()
    ))
    .into())
}

fn check(printer: &Printer, cli: &Cli, settings: &Settings) -> anyhow::Result<ExitCode> {
    let schema = load_schema(settings, true)?.ok_or_else(|| UsageError::new("no schema"))?;
    let mut input = read_input(&cli.files, cli.from_env, settings.dialect)?;
    let env = environment(settings, &cli.files, &input, &schema)?;
    let example = match &settings.example {
        Some(path) => {
            let name = path.display().to_string();
            let docs = input::read_documents(&[name])?;
            Some(Input::from_documents(docs, settings.dialect))
        }
        None => None,
    };
    let mut early = checks::Findings::default();
    // The example's own syntax errors: a broken template misleads everyone
    // who copies it.
    if let Some(example) = &example {
        checks::syntax::check(
            &checks::Ctx::new(example, None, &[], None, None, false),
            &mut early,
        );
    }
    checks::secret_file::apply(&mut input, &schema, &mut early);
    let vars = schema.resolve(&env);
    let ctx = checks::Ctx::new(
        &input,
        Some(&schema),
        &vars,
        Some(&env),
        example.as_ref(),
        pedantic(cli, &settings.selection),
    );
    let mut diagnostics = early.list;
    diagnostics.extend(checks::run(&ctx));
    settings.selection.retain(&mut diagnostics);
    // Stable reading order: findings without a file first, then by file
    // (in input order), line and column.
    let order = |file: &Option<String>| {
        file.as_ref()
            .map(|f| cli.files.iter().position(|x| x == f).unwrap_or(usize::MAX))
    };
    diagnostics.sort_by_key(|d| (order(&d.file), d.line, d.column));
    let mut report = Report::with_rules(TOOL, env!("CARGO_PKG_VERSION"), &checks::RULES);
    report.diagnostics = diagnostics;
    report.fail_on_warnings(settings.selection.strict);
    report.insert("environment", &env);
    report.insert("dialect", settings.dialect);
    report.insert("schema", schema.path.display().to_string());
    report.insert("checked", input.values.len());
    printer.detail(&format!(
        "validated {} variables against {} for {env}",
        input.values.len(),
        schema.path.display()
    ));
    printer.report(&report)?;
    Ok(report.exit_code())
}

/// The style notes run with --pedantic, or when --select names one of them.
fn pedantic(cli: &Cli, selection: &Selection) -> bool {
    let notes = [
        checks::unordered_key::RULE.id,
        checks::unnecessary_quotes::RULE.id,
    ];
    cli.pedantic
        || selection
            .select
            .as_ref()
            .is_some_and(|ids| notes.iter().any(|id| ids.contains(id)))
}
