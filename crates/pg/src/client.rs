//! A blocking connection to PostgreSQL. The tools are sequential command-line
//! programs, so each [`Db`] owns a small current-thread tokio runtime and
//! hides the async API of sqlx behind plain method calls.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection as _, PgConnection, Row as _};
use tokio::runtime::Runtime;

use crate::error::PgError;
use crate::settings::ConnectionSettings;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One open connection.
pub struct Db {
    runtime: Arc<Runtime>,
    conn: PgConnection,
    settings: ConnectionSettings,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("target", &self.settings.target())
            .field("database", &self.settings.database)
            .finish()
    }
}

/// A row of text values (NULL is `None`).
pub type TextRow = Vec<Option<String>>;

impl Db {
    /// Connect to the database the settings name.
    pub fn connect(settings: &ConnectionSettings) -> Result<Self, PgError> {
        Self::connect_with_options(settings, &[])
    }

    /// Connect with session settings (`-c name=value` in libpq's terms),
    /// sent with the start-up packet.
    pub fn connect_with_options(
        settings: &ConnectionSettings,
        session: &[(&str, &str)],
    ) -> Result<Self, PgError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PgError::Unreachable {
                target: settings.target(),
                reason: e.to_string(),
            })?;
        Self::connect_on(Arc::new(runtime), settings, session)
    }

    fn connect_on(
        runtime: Arc<Runtime>,
        settings: &ConnectionSettings,
        session: &[(&str, &str)],
    ) -> Result<Self, PgError> {
        let mut options = connect_options(settings);
        if !session.is_empty() {
            // Only then: sqlx sends an `options` parameter once it is set at
            // all, and PgBouncer before 1.20 refuses the connection for it.
            options = options.options(session.iter().copied());
        }
        let attempt = runtime.block_on(async {
            tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await
        });
        let conn = match attempt {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => return Err(classify(&err, settings)),
            Err(_) => {
                return Err(PgError::Unreachable {
                    target: settings.target(),
                    reason: format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
                });
            }
        };
        Ok(Self {
            runtime,
            conn,
            settings: settings.clone(),
        })
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.settings
    }

    /// Run one or more statements (simple query protocol; no parameters).
    pub fn execute(&mut self, sql: &str) -> Result<(), PgError> {
        let conn = &mut self.conn;
        self.runtime
            .block_on(async { sqlx::raw_sql(sql).execute(conn).await })
            .map(|_| ())
            .map_err(|err| classify(&err, &self.settings))
    }

    /// Run one statement as a script would, keeping the server's whole
    /// answer when it fails (see [`StatementError`]).
    pub fn run_statement(&mut self, sql: &str) -> Result<(), StatementError> {
        let conn = &mut self.conn;
        self.runtime
            .block_on(async { sqlx::raw_sql(sql).execute(conn).await })
            .map(|_| ())
            .map_err(|err| StatementError::from_sqlx(&err))
    }

    /// `COPY … FROM STDIN` with `data` as its rows (in the COPY's own
    /// format, newline-terminated). Returns how many rows the server stored.
    pub fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<u64, StatementError> {
        let conn = &mut self.conn;
        self.runtime
            .block_on(async {
                let mut copy = conn.copy_in_raw(statement).await?;
                copy.send(data).await?;
                copy.finish().await
            })
            .map_err(|err| StatementError::from_sqlx(&err))
    }

    /// Rows of a query whose columns are all text, with text parameters
    /// `$1`, `$2` … Cast non-text columns with `::text` in the SQL.
    pub fn query_text(&mut self, sql: &str, params: &[&str]) -> Result<Vec<TextRow>, PgError> {
        let conn = &mut self.conn;
        let rows = self
            .runtime
            .block_on(async {
                let mut query = sqlx::query(sql);
                for param in params {
                    query = query.bind(*param);
                }
                query.fetch_all(conn).await
            })
            .map_err(|err| classify(&err, &self.settings))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<Option<String>, _>(i))
                    .collect::<Result<TextRow, _>>()
                    .map_err(|err| PgError::Query {
                        database: self.settings.database.clone(),
                        message: format!("{err} (cast the column to ::text)"),
                    })
            })
            .collect()
    }

    /// The first column of the first row, if any.
    pub fn query_value(&mut self, sql: &str, params: &[&str]) -> Result<Option<String>, PgError> {
        Ok(self
            .query_text(sql, params)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten()))
    }

    /// `server_version_num`, e.g. 150019 for 15.19.
    pub fn server_version_num(&mut self) -> Result<u32, PgError> {
        let text = self
            .query_value("SELECT current_setting('server_version_num')", &[])?
            .unwrap_or_default();
        text.parse().map_err(|_| PgError::Query {
            database: self.settings.database.clone(),
            message: format!("unexpected server_version_num {text:?}"),
        })
    }

    /// The server's major version (15 for 15.19).
    pub fn server_major(&mut self) -> Result<u32, PgError> {
        Ok(self.server_version_num()? / 10000)
    }

    /// Does a database with this name exist?
    pub fn database_exists(&mut self, name: &str) -> Result<bool, PgError> {
        Ok(self
            .query_value(
                "SELECT 1::text FROM pg_database WHERE datname = $1",
                &[name],
            )?
            .is_some())
    }

    /// Drop a database if it exists; `force` ends its sessions first
    /// (`WITH (FORCE)`). The one place the tools drop a database.
    pub fn drop_database(&mut self, name: &str, force: bool) -> Result<(), PgError> {
        let force = if force { " WITH (FORCE)" } else { "" };
        self.execute(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            crate::quote::quote_ident(name)
        ))
    }

    /// Close the connection politely.
    pub fn close(self) {
        let Self { runtime, conn, .. } = self;
        let _ = runtime.block_on(conn.close());
    }
}

fn connect_options(settings: &ConnectionSettings) -> PgConnectOptions {
    // new_without_pgpass: the settings are already resolved; sqlx must not
    // read PG* variables a second time behind our back.
    let mut options = PgConnectOptions::new_without_pgpass()
        .port(settings.port)
        .username(&settings.user)
        .database(&settings.database)
        .application_name("shipshape");
    options = if settings.is_socket() {
        options.socket(&settings.host)
    } else {
        options.host(&settings.host)
    };
    if let Some(password) = &settings.password {
        options = options.password(password.expose());
    }
    let ssl = match settings.sslmode.as_deref() {
        Some("disable") => PgSslMode::Disable,
        Some("allow") => PgSslMode::Allow,
        Some("require") => PgSslMode::Require,
        Some("verify-ca") => PgSslMode::VerifyCa,
        Some("verify-full") => PgSslMode::VerifyFull,
        _ => PgSslMode::Prefer,
    };
    options.ssl_mode(ssl)
}

/// A statement the server refused, laid out as psql prints it (`ERROR:  …`
/// then `DETAIL:`, `HINT:` and `CONTEXT:` lines), or a broken connection.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct StatementError {
    pub text: String,
    /// The server's CONTEXT field (`COPY t, line 57, column id: "5x7"`).
    pub context: Option<String>,
}

impl StatementError {
    pub fn from_sqlx(err: &sqlx::Error) -> Self {
        let Some(db) = err
            .as_database_error()
            .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
        else {
            return Self {
                text: format!("the connection failed: {err}"),
                context: None,
            };
        };
        let severity = match db.severity() {
            sqlx::postgres::PgSeverity::Fatal => "FATAL",
            sqlx::postgres::PgSeverity::Panic => "PANIC",
            _ => "ERROR",
        };
        let mut text = format!("{severity}:  {}", db.message());
        for (label, field) in [
            ("DETAIL", db.detail()),
            ("HINT", db.hint()),
            ("CONTEXT", db.r#where()),
        ] {
            if let Some(field) = field {
                text.push_str(&format!("\n{label}:  {field}"));
            }
        }
        Self {
            text,
            context: db.r#where().map(str::to_owned),
        }
    }
}

/// The server's DETAIL and HINT lines, as psql prints them under the error
/// (`DETAIL:  Key (sku)=(SKU-001) is duplicated.`); empty when it sent none.
fn detail_and_hint(db: &(dyn sqlx::error::DatabaseError + 'static)) -> String {
    let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() else {
        return String::new();
    };
    [("DETAIL", pg.detail()), ("HINT", pg.hint())]
        .into_iter()
        .filter_map(|(label, field)| field.map(|f| format!("\n{label}:  {f}")))
        .collect()
}

/// Turn a sqlx error into one an operator can act on.
pub fn classify(err: &sqlx::Error, settings: &ConnectionSettings) -> PgError {
    let target = settings.target();
    match err {
        sqlx::Error::Io(io) => PgError::Unreachable {
            target,
            reason: io.to_string(),
        },
        sqlx::Error::Tls(tls) => PgError::Unreachable {
            target,
            reason: format!("TLS: {tls}"),
        },
        sqlx::Error::PoolTimedOut => PgError::Unreachable {
            target,
            reason: "timed out".into(),
        },
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = db.message().to_owned();
            match code.as_str() {
                "28P01" => PgError::AuthFailed {
                    user: settings.user.clone(),
                    target,
                },
                "28000" if message.contains("password") => PgError::AuthFailed {
                    user: settings.user.clone(),
                    target,
                },
                "3D000" => PgError::DatabaseMissing {
                    database: settings.database.clone(),
                    target,
                },
                "42501" => PgError::PermissionDenied {
                    message,
                    hint: format!(
                        "user \"{}\" lacks a privilege this operation needs; grant it or connect as the owner",
                        settings.user
                    ),
                },
                "57P03" => PgError::Unreachable {
                    target,
                    reason: message,
                },
                _ => PgError::Query {
                    database: settings.database.clone(),
                    message: format!(
                        "{message} (SQLSTATE {code}){}",
                        detail_and_hint(db.as_ref())
                    ),
                },
            }
        }
        other => PgError::Query {
            database: settings.database.clone(),
            message: other.to_string(),
        },
    }
}
