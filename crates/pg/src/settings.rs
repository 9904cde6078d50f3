//! Where to connect: `--database-url`, else `DATABASE_URL`, else libpq's
//! `PGHOST`/`PGPORT`/`PGUSER`/`PGPASSWORD`/`PGDATABASE`/`PGSSLMODE`, else the
//! tool's `database_url` config key. Parts a URL leaves out are filled from
//! the `PG*` variables and then from libpq's defaults, as psql would.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use percent_encoding::percent_decode_str;
use shipshape_core::{Secret, UsageError};

/// Connection flags shared by the PostgreSQL tools.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// PostgreSQL URL, e.g. postgres://app@db:5432/app [default: $DATABASE_URL, else PG* variables]
    ///
    /// Prefer DATABASE_URL or PGPASSWORD for passwords: flags are visible in `ps`.
    #[arg(long, value_name = "URL", global = true)]
    pub database_url: Option<String>,

    /// Directory holding pg_dump, pg_restore and psql [default: PATH, then /usr/lib/postgresql/*/bin]
    #[arg(long, value_name = "DIR", global = true)]
    pub pg_bin_dir: Option<PathBuf>,
}

/// Where the settings came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    DatabaseUrl,
    PgEnvironment,
    Config,
    Defaults,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flag => "--database-url",
            Self::DatabaseUrl => "DATABASE_URL",
            Self::PgEnvironment => "PG* environment variables",
            Self::Config => "database_url in shipshape.toml",
            Self::Defaults => "libpq defaults",
        })
    }
}

/// A resolved connection target. `Debug` and `Display` never show the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// A host name or IP address, or a Unix-socket directory (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret<String>>,
    pub database: String,
    pub sslmode: Option<String>,
    pub source: Source,
}

const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

impl ConnectionSettings {
    /// Resolve from flags, the process environment and the config value.
    pub fn resolve(args: &ConnectionArgs, config_url: Option<&str>) -> Result<Self, UsageError> {
        Self::resolve_with(
            args.database_url.as_deref(),
            config_url,
            shipshape_core::config::env_var,
        )
    }

    /// [`ConnectionSettings::resolve`] with an explicit environment, for tests.
    pub fn resolve_with(
        flag_url: Option<&str>,
        config_url: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, UsageError> {
        let pg_env_set = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
            .iter()
            .any(|v| env(v).is_some());
        let (parsed, source) = if let Some(url) = flag_url {
            (parse_url(url, "--database-url")?, Source::Flag)
        } else if let Some(url) = env("DATABASE_URL") {
            (parse_url(&url, "DATABASE_URL")?, Source::DatabaseUrl)
        } else if pg_env_set {
            (UrlParts::default(), Source::PgEnvironment)
        } else if let Some(url) = config_url {
            (
                parse_url(url, "database_url in shipshape.toml")?,
                Source::Config,
            )
        } else {
            (UrlParts::default(), Source::Defaults)
        };

        let host = parsed
            .host
            .or_else(|| env("PGHOST"))
            .unwrap_or_else(default_host);
        let port = match parsed.port {
            Some(port) => port,
            None => match env("PGPORT") {
                Some(text) => text
                    .parse()
                    .map_err(|_| UsageError::new(format!("PGPORT is not a port number: {text}")))?,
                None => 5432,
            },
        };
        let user = parsed
            .user
            .or_else(|| env("PGUSER"))
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".to_owned());
        let password = parsed
            .password
            .or_else(|| env("PGPASSWORD"))
            .map(Secret::new);
        let database = parsed
            .database
            .or_else(|| env("PGDATABASE"))
            .unwrap_or_else(|| user.clone());
        let sslmode = parsed.sslmode.or_else(|| env("PGSSLMODE"));
        if let Some(mode) = sslmode
            .as_ref()
            .filter(|m| !SSL_MODES.contains(&m.as_str()))
        {
            return Err(UsageError::new(format!(
                "invalid sslmode \"{mode}\"; expected one of {}",
                SSL_MODES.join(", ")
            )));
        }
        Ok(Self {
            host,
            port,
            user,
            password,
            database,
            sslmode,
            source,
        })
    }

    /// The same server, another database (e.g. the `postgres` maintenance
    /// database, or a throwaway one).
    #[must_use]
    pub fn with_database(&self, database: &str) -> Self {
        Self {
            database: database.to_owned(),
            ..self.clone()
        }
    }

    /// The maintenance database used to create, drop and rename others.
    #[must_use]
    pub fn maintenance(&self) -> Self {
        self.with_database("postgres")
    }

    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `host:port` or the socket path, for messages.
    pub fn target(&self) -> String {
        if self.is_socket() {
            format!("{}/.s.PGSQL.{}", self.host.trim_end_matches('/'), self.port)
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A URL for this target with the password redacted, safe to print.
    pub fn display_url(&self) -> String {
        self.url_with_password(
            self.password
                .as_ref()
                .map(|_| shipshape_core::secret::REDACTED),
        )
    }

    /// A URL including the real password, for handing to a child process
    /// through its environment (never argv, never output).
    pub fn url_with_secret(&self) -> Secret<String> {
        Secret::new(self.url_with_password(self.password.as_ref().map(|p| p.expose().as_str())))
    }

    fn url_with_password(&self, password: Option<&str>) -> String {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        // RFC 3986's unreserved characters stay as they are: a database
        // called migrate_check_x must read as such in messages and argv.
        const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
        let userinfo = match password {
            Some(p) if p == shipshape_core::secret::REDACTED => format!("{}:{p}@", enc(&self.user)),
            Some(p) => format!("{}:{}@", enc(&self.user), enc(p)),
            None => format!("{}@", enc(&self.user)),
        };
        let mut url = if self.is_socket() {
            format!(
                "postgresql://{userinfo}/{}?host={}&port={}",
                enc(&self.database),
                enc(&self.host),
                self.port
            )
        } else {
            let host = if self.host.contains(':') {
                format!("[{}]", self.host)
            } else {
                self.host.clone()
            };
            format!(
                "postgresql://{userinfo}{host}:{}/{}",
                self.port,
                enc(&self.database)
            )
        };
        if let Some(mode) = &self.sslmode {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("sslmode=");
            url.push_str(mode);
        }
        url
    }
}

fn default_host() -> String {
    // libpq's default is the Unix socket directory compiled in; Debian's is
    // /var/run/postgresql. Fall back to TCP on localhost when it is absent.
    let socket_dir = Path::new("/var/run/postgresql");
    if socket_dir.is_dir() {
        socket_dir.display().to_string()
    } else {
        "localhost".to_owned()
    }
}

#[derive(Debug, Default)]
struct UrlParts {
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    database: Option<String>,
    sslmode: Option<String>,
}

fn decode(text: &str, origin: &str) -> Result<String, UsageError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            UsageError::new(format!(
                "{origin}: invalid percent-encoding in connection URL"
            ))
        })
}

/// Parse a libpq connection URI by hand: a WHATWG URL parser would accept an
/// unescaped `@` in a password and mis-split it. Error messages never include
/// the URL itself, which may hold a password.
fn parse_url(url: &str, origin: &str) -> Result<UrlParts, UsageError> {
    let bad =
        |what: &str| UsageError::new(format!("{origin} is not a valid PostgreSQL URL: {what}"));
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| bad("it must start with postgres:// or postgresql://"))?;
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], Some(&before_query[i + 1..])),
        None => (before_query, None),
    };
    let mut parts = UrlParts::default();
    let hostport = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    parts.user = Some(decode(user, origin)?).filter(|s| !s.is_empty());
                    parts.password = Some(decode(password, origin)?);
                }
                None => parts.user = Some(decode(userinfo, origin)?).filter(|s| !s.is_empty()),
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    // libpq allows several hosts (`h1:5432,h2:5433`); we connect to the first.
    let first = hostport.split(',').next().unwrap_or_default();
    if let Some(v6) = first.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unterminated [ in host"))?;
        parts.host = Some(host.to_owned());
        if let Some(port) = after.strip_prefix(':') {
            parts.port = Some(port.parse().map_err(|_| bad("port is not a number"))?);
        }
    } else if let Some((host, port)) = first.rsplit_once(':') {
        parts.host = Some(decode(host, origin)?).filter(|s| !s.is_empty());
        if !port.is_empty() {
            parts.port = Some(
                port.parse()
                    .map_err(|_| bad("port is not a number between 1 and 65535"))?,
            );
        }
    } else if !first.is_empty() {
        parts.host = Some(decode(first, origin)?);
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        parts.database = Some(decode(path, origin)?);
    }
    for pair in query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| bad("query parameter without '='"))?;
        let value = decode(value, origin)?;
        match key {
            "host" => parts.host = Some(value),
            "port" => parts.port = Some(value.parse().map_err(|_| bad("port is not a number"))?),
            "user" => parts.user = Some(value),
            "password" => parts.password = Some(value),
            "dbname" => parts.database = Some(value),
            "sslmode" => parts.sslmode = Some(value),
            // Accepted and left to the server/driver defaults.
            "application_name" | "connect_timeout" | "options" | "target_session_attrs" => {}
            other => return Err(bad(&format!("unknown query parameter \"{other}\""))),
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn flag_beats_database_url_beats_pg_env_beats_config() {
        let env = env_of(&[
            ("DATABASE_URL", "postgres://a@envhost/envdb"),
            ("PGHOST", "pghost"),
        ]);
        let s = ConnectionSettings::resolve_with(
            Some("postgres://f@flaghost/flagdb"),
            Some("postgres://c@c/c"),
            &env,
        )
        .unwrap();
        assert_eq!(
            (s.host.as_str(), s.database.as_str(), s.source),
            ("flaghost", "flagdb", Source::Flag)
        );

        let s = ConnectionSettings::resolve_with(None, Some("postgres://c@c/c"), &env).unwrap();
        assert_eq!(
            (s.host.as_str(), s.source),
            ("envhost", Source::DatabaseUrl)
        );

        let env = env_of(&[
            ("PGHOST", "pghost"),
            ("PGDATABASE", "pgdb"),
            ("PGUSER", "u"),
        ]);
        let s = ConnectionSettings::resolve_with(None, Some("postgres://c@c/c"), &env).unwrap();
        assert_eq!(
            (s.host.as_str(), s.database.as_str(), s.source),
            ("pghost", "pgdb", Source::PgEnvironment)
        );

        let s =
            ConnectionSettings::resolve_with(None, Some("postgres://c@confhost/c"), env_of(&[]))
                .unwrap();
        assert_eq!((s.host.as_str(), s.source), ("confhost", Source::Config));
    }

    #[test]
    fn url_parts_are_decoded_and_missing_parts_come_from_pg_env() {
        let env = env_of(&[("PGPASSWORD", "frompgpass"), ("PGPORT", "6543")]);
        let s = ConnectionSettings::resolve_with(
            Some("postgresql://app%40corp@db.internal/my%20db"),
            None,
            &env,
        )
        .unwrap();
        assert_eq!(s.user, "app@corp");
        assert_eq!(s.database, "my db");
        assert_eq!(s.port, 6543);
        assert_eq!(s.password.as_ref().unwrap().expose(), "frompgpass");
    }

    #[test]
    fn urls_encode_only_what_must_be_encoded() {
        let s = ConnectionSettings::resolve_with(
            Some("postgres://ci_user:p%2Fw@db:5432/migrate_check_a.b-c~d"),
            None,
            env_of(&[]),
        )
        .unwrap();
        let url = s.url_with_secret().expose().clone();
        assert_eq!(
            url,
            "postgresql://ci_user:p%2Fw@db:5432/migrate_check_a.b-c~d"
        );
        let s = s.with_database("my db");
        assert!(s.url_with_secret().expose().ends_with("/my%20db"));
    }

    #[test]
    fn password_with_unescaped_at_uses_the_last_at() {
        let s = ConnectionSettings::resolve_with(
            Some("postgres://app:p@ss@db:5433/app"),
            None,
            env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.password.unwrap().expose(), "p@ss");
        assert_eq!((s.host.as_str(), s.port), ("db", 5433));
    }

    #[test]
    fn socket_hosts_and_ipv6() {
        let s = ConnectionSettings::resolve_with(
            Some("postgres:///app?host=/tmp/sock&port=5999"),
            None,
            env_of(&[]),
        )
        .unwrap();
        assert!(s.is_socket());
        assert_eq!(s.target(), "/tmp/sock/.s.PGSQL.5999");
        let s =
            ConnectionSettings::resolve_with(Some("postgres://u@[::1]:5433/d"), None, env_of(&[]))
                .unwrap();
        assert_eq!(s.target(), "[::1]:5433");
    }

    #[test]
    fn errors_never_echo_the_url() {
        let err =
            ConnectionSettings::resolve_with(Some("mysql://u:hunter2@h/d"), None, env_of(&[]))
                .unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        let err = ConnectionSettings::resolve_with(
            Some("postgres://u:hunter2@h:notaport/d"),
            None,
            env_of(&[]),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = ConnectionSettings::resolve_with(
            Some("postgres://h/d?sslmode=sometimes"),
            None,
            env_of(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sslmode"));
    }

    #[test]
    fn display_url_redacts_and_secret_url_round_trips() {
        let s = ConnectionSettings::resolve_with(
            Some("postgres://app:s3cr%2Ft@db:5432/app"),
            None,
            env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.display_url(), "postgresql://app:<redacted>@db:5432/app");
        assert!(!format!("{s:?}").contains("s3cr"));
        let again =
            ConnectionSettings::resolve_with(Some(s.url_with_secret().expose()), None, env_of(&[]))
                .unwrap();
        assert_eq!(again.password.unwrap().expose(), "s3cr/t");
    }
}
