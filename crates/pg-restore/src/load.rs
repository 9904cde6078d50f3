//! Loading a verified backup into the new database: plain SQL through psql
//! (`ON_ERROR_STOP`, fed by the decompression thread, rewritten by the
//! filter), archives through `pg_restore --exit-on-error`. A failure comes
//! back as [`LoadFailure`] with the failing statement and its line.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, BufWriter, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use anyhow::Context as _;
use shipshape_core::Interrupted;
use shipshape_pg::ConnectionSettings;

use crate::autovacuum::Paused;
use crate::filter::{Filter, FilterOptions};
use crate::input::{Kind, SqlStream};
use crate::parallel::LoadedRows;

/// Why the load failed, in terms of the dump.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LoadFailure {
    pub message: String,
    /// Line in the dump's SQL where psql stopped.
    pub line: Option<u64>,
    /// The statement that failed (possibly shortened).
    pub statement: Option<String>,
    /// For a COPY: the failing row's number within the COPY data
    /// (`CONTEXT:  COPY t, line K`), before it is turned into a dump line.
    pub copy_row: Option<u64>,
}

/// What a finished load leaves for the steps after it.
#[derive(Debug, Default)]
#[must_use = "autovacuum stays off until `autovacuum.resume` is called"]
pub struct FinishedLoad {
    /// Rows per table as the server reported them (parallel load only).
    pub rows: LoadedRows,
    /// Tables whose autovacuum the load turned off (parallel load only);
    /// resume after `ANALYZE`.
    pub autovacuum: Paused,
    /// Tables the load analyzed already (parallel load only).
    pub analyzed: Analyzed,
}

/// Tables (schema, name) analyzed during the load.
pub type Analyzed = std::collections::BTreeSet<(String, String)>;

/// What a load needs.
#[derive(Debug, Clone)]
pub struct LoadJob {
    pub path: PathBuf,
    pub kind: Kind,
    /// The SHA-256 the verification computed: the file the load reads
    /// again must still have it.
    pub sha256: Option<String>,
    /// The file's size and modification time when the verification began,
    /// for the archives pg_restore reads (see [`archive_unchanged`]).
    pub size: u64,
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
    /// Connection settings naming the database to load into.
    pub settings: ConnectionSettings,
    pub psql: PathBuf,
    pub pg_restore: Option<PathBuf>,
    pub jobs: usize,
    pub filter: FilterOptions,
    /// May the parallel load turn autovacuum off on the tables until
    /// `ANALYZE` ([`crate::autovacuum`])? Only in a database nobody uses
    /// yet, where a failure drops it anyway: never in place.
    pub hold_autovacuum: bool,
    /// May the parallel load `ANALYZE` tables while indexes build? Not when
    /// the target's own settings (copied only after the load) change
    /// `default_statistics_target`.
    pub analyze_early: bool,
    /// The index entries and table sizes the verification read, to build
    /// indexes during the load ([`crate::early`]).
    pub early: std::sync::Arc<crate::early::Plan>,
}

/// Session settings for our own connections: a crash loses nothing we could
/// not redo (the new database is dropped on any failure), so commits need
/// not wait for the WAL flush.
pub const SESSION_OPTIONS: &str = "-c synchronous_commit=off";

/// Set the libpq environment for a child that connects to the new database.
pub fn client_command(program: &Path, settings: &ConnectionSettings) -> Command {
    let mut cmd = shipshape_pg::child::command(program, settings);
    cmd.env("PGOPTIONS", SESSION_OPTIONS);
    cmd
}

/// Collects a child's stderr on a thread, keeping the last lines.
pub struct StderrTail(JoinHandle<Vec<String>>);

impl StderrTail {
    pub fn spawn(stderr: impl Read + Send + 'static) -> Self {
        Self(std::thread::spawn(move || {
            let mut tail = VecDeque::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tail.len() == 200 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            tail.into_iter().collect()
        }))
    }

    pub fn lines(self) -> Vec<String> {
        self.0.join().unwrap_or_default()
    }
}

/// Wait for a child, killing it on Ctrl-C; the error is then
/// [`Interrupted`] itself so the run ends with exit code 130.
pub fn wait(child: &mut Child) -> anyhow::Result<std::process::ExitStatus> {
    match shipshape_core::interrupt::wait_child(child) {
        Ok(status) => Ok(status),
        Err(shipshape_core::interrupt::WaitError::Interrupted(i)) => Err(i.into()),
        Err(shipshape_core::interrupt::WaitError::Io(e)) => {
            Err(anyhow::Error::new(e).context("waiting for a child process"))
        }
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Feed `source` (SQL text) into psql connected to `settings.database`.
/// Returns Ok when psql finished successfully.
pub fn psql_load(
    source: &mut dyn Read,
    settings: &ConnectionSettings,
    psql: &Path,
    filter: &FilterOptions,
) -> anyhow::Result<Result<(), LoadFailure>> {
    let mut child = client_command(psql, settings)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", psql.display()))?;
    let tail = StderrTail::spawn(child.stderr.take().context("psql stderr")?);
    let stdin = child.stdin.take().context("psql stdin")?;
    let fed = feed(source, stdin, filter);
    if shipshape_core::interrupt::requested() {
        kill(&mut child);
        return Err(Interrupted.into());
    }
    let status = wait(&mut child)?;
    let lines = tail.lines();
    if let Err(err) = fed {
        if !matches!(err.downcast_ref::<std::io::Error>(), Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
            && status.success()
        {
            return Err(err.context("reading the backup while restoring"));
        }
        if status.success() {
            return Err(err.context("psql stopped reading the dump"));
        }
    }
    if status.success() {
        return Ok(Ok(()));
    }
    Ok(Err(psql_failure(&lines)))
}

fn feed(
    source: &mut dyn Read,
    stdin: std::process::ChildStdin,
    filter: &FilterOptions,
) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, stdin);
    if filter.is_noop() {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            shipshape_core::interrupt::check()?;
            let n = source.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
        }
    } else {
        let mut filter = Filter::new(filter.clone());
        let mut reader = BufReader::with_capacity(1 << 20, source);
        let mut line = Vec::with_capacity(256);
        let mut count = 0u64;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let newline = line.last() == Some(&b'\n');
            if newline {
                line.pop();
            }
            out.write_all(&filter.apply(&line))?;
            if newline {
                out.write_all(b"\n")?;
            }
            count += 1;
            if count.is_multiple_of(65536) {
                shipshape_core::interrupt::check()?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Turn psql's stderr into a failure: `psql:<stdin>:LINE: ERROR:  message`
/// plus the DETAIL/HINT/CONTEXT/LINE lines after it.
pub fn psql_failure(lines: &[String]) -> LoadFailure {
    let Some(at) = lines
        .iter()
        .position(|l| l.contains(": ERROR:  ") || l.contains(": FATAL:  "))
    else {
        return LoadFailure {
            message: format!("psql failed: {}", lines.join("\n")),
            line: None,
            statement: None,
            copy_row: None,
        };
    };
    let first = &lines[at];
    let line = first
        .strip_prefix("psql:<stdin>:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok());
    let message_start = first
        .find("ERROR:  ")
        .or_else(|| first.find("FATAL:  "))
        .unwrap_or(0);
    let mut message = first[message_start..].to_owned();
    let mut copy_row = None;
    for more in lines[at + 1..].iter().take(6) {
        if more.starts_with("psql:") {
            break;
        }
        if let Some(context) = more.strip_prefix("CONTEXT:  ") {
            copy_row = copy_context_row(context);
        }
        message.push('\n');
        message.push_str(more);
    }
    LoadFailure {
        message,
        line,
        statement: None,
        copy_row,
    }
}

/// The row number in the server's COPY context, `COPY t, line 57, column
/// id: "5x7"` → 57.
pub fn copy_context_row(context: &str) -> Option<u64> {
    context
        .strip_prefix("COPY ")?
        .split(", line ")
        .nth(1)?
        .split([',', ':'])
        .next()?
        .trim()
        .parse()
        .ok()
}

/// A parallel load cuts big COPYs into pieces, and the server counts rows
/// from the start of the piece it ran: say which row of the whole COPY it
/// was (`CONTEXT:  COPY t, line 57` → `line 4993`). Only the CONTEXT line
/// changes; the error's own text may quote data with `, line ` in it.
pub fn renumber_copy_row(message: &str, row: u64, whole: u64) -> String {
    let Some(at) = message.find("CONTEXT:  COPY ") else {
        return message.to_owned();
    };
    let (before, context) = message.split_at(at);
    format!(
        "{before}{}",
        context.replacen(&format!(", line {row}"), &format!(", line {whole}"), 1)
    )
}

/// The statement ending at `line` of the dump's SQL (pg_dump separates
/// statements with blank lines). For COPY data, the COPY command.
pub fn statement_at(path: &Path, kind: Kind, line: u64) -> Option<String> {
    statement_and_copy_line(path, kind, line).map(|(s, _)| s)
}

/// [`statement_at`], plus the line of the COPY command when `line` is in
/// (or ends) COPY data.
pub fn statement_and_copy_line(
    path: &Path,
    kind: Kind,
    line: u64,
) -> Option<(String, Option<u64>)> {
    let stream = SqlStream::open(path, kind).ok()?;
    let mut reader = BufReader::new(stream);
    let mut recent: VecDeque<(u64, String)> = VecDeque::new();
    let mut copy_line: Option<(u64, String)> = None;
    let mut buf = Vec::new();
    let mut n = 0u64;
    while n < line {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).ok()? == 0 {
            break;
        }
        n += 1;
        let text = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        if shipshape_pg::archive::is_copy_from_stdin(text.as_bytes()) {
            copy_line = Some((n, text.clone()));
        }
        if text == "\\." && n != line {
            copy_line = None;
        }
        if text.is_empty() {
            recent.clear();
        } else if copy_line.is_none() || copy_line.as_ref().is_some_and(|(at, _)| *at == n) {
            if recent.len() == 40 {
                recent.pop_front();
            }
            recent.push_back((n, text));
        }
    }
    if let Some((at, copy)) = copy_line {
        return Some((
            format!("{copy}  (line {at}; the data rows follow it)"),
            Some(at),
        ));
    }
    let mut text: Vec<String> = recent.into_iter().map(|(_, l)| l).collect();
    if text.len() > 20 {
        let cut = text.len() - 20;
        text.drain(..cut);
        text.insert(0, "…".into());
    }
    (!text.is_empty()).then(|| (text.join("\n"), None))
}

/// `dbname='…'` for pg_restore's -d, which would read a bare name containing
/// `=` as a connection string. No password: that stays in PGPASSWORD.
pub fn conninfo_dbname(name: &str) -> String {
    format!(
        "dbname='{}'",
        name.replace('\\', "\\\\").replace('\'', "\\'")
    )
}

/// Restore an archive with pg_restore directly into the database.
pub fn pg_restore_load(job: &LoadJob) -> anyhow::Result<Result<(), LoadFailure>> {
    let pg_restore = job
        .pg_restore
        .as_deref()
        .context("pg_restore is needed for archives")?;
    let mut cmd = client_command(pg_restore, &job.settings);
    cmd.arg("--exit-on-error").arg(format!(
        "--dbname={}",
        conninfo_dbname(&job.settings.database)
    ));
    if job.jobs > 1 && job.kind != Kind::Tar {
        cmd.arg(format!("--jobs={}", job.jobs));
    }
    if job.filter.no_owner {
        cmd.arg("--no-owner");
    }
    if job.filter.no_privileges {
        cmd.arg("--no-privileges");
    }
    if job.filter.drop_statistics {
        // Only pg_dump 18+ writes statistics, so this pg_restore is 18+ too.
        cmd.arg("--no-statistics");
    }
    let mut child = cmd
        .arg(&job.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    let tail = StderrTail::spawn(child.stderr.take().context("pg_restore stderr")?);
    let status = wait(&mut child)?;
    let lines = tail.lines();
    if status.success() {
        return Ok(Ok(()));
    }
    let message: Vec<&String> = lines
        .iter()
        .filter(|l| !l.starts_with("Command was:"))
        .take(8)
        .collect();
    let statement = lines
        .iter()
        .position(|l| l.starts_with("Command was:"))
        .map(|i| {
            let mut s = lines[i]
                .trim_start_matches("Command was:")
                .trim()
                .to_owned();
            for more in lines[i + 1..].iter().take(15) {
                if more.starts_with("pg_restore:") {
                    break;
                }
                s.push('\n');
                s.push_str(more);
            }
            s
        });
    Ok(Err(LoadFailure {
        message: message
            .iter()
            .map(|l| l.trim_start_matches("pg_restore: error: ").to_owned())
            .collect::<Vec<_>>()
            .join("\n"),
        line: None,
        statement,
        copy_row: None,
    }))
}

/// Run `pg_restore -f -` and hand its SQL to `f` (for archives that need
/// rewriting, e.g. --owner-map).
pub fn with_archive_sql<T>(
    pg_restore: &Path,
    path: &Path,
    f: impl FnOnce(&mut dyn Read) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut child = Command::new(pg_restore)
        .args(["-f", "-"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    let tail = StderrTail::spawn(child.stderr.take().context("pg_restore stderr")?);
    let mut stdout = child.stdout.take().context("pg_restore stdout")?;
    let result = f(&mut stdout);
    drop(stdout);
    let status = wait(&mut child)?;
    let lines = tail.lines();
    if !status.success() && result.is_ok() {
        anyhow::bail!(
            "pg_restore -f - {} failed: {}",
            path.display(),
            lines.join("\n")
        );
    }
    result
}

/// Load the backup described by `job`. Returns the rows each table
/// received where the load learned them from the server's COPY results
/// (the parallel load); tables not in it are counted afterwards.
pub fn load(
    job: &LoadJob,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<Result<FinishedLoad, LoadFailure>> {
    if job.kind.is_sql() && job.jobs > 1 {
        printer.detail(&format!("loading with {} parallel connections", job.jobs));
        return crate::parallel::load(job, printer);
    }
    Ok(load_whole(job, printer)?.map(|()| FinishedLoad::default()))
}

/// The progress line of a load: the file's bytes read by the decoder; once
/// all are read, the server still has the last data, indexes and constraints.
pub fn loading_progress(
    printer: &shipshape_core::Printer,
    path: &Path,
) -> shipshape_core::Progress {
    let size = fs_err::metadata(path).map_or(0, |m| m.len());
    shipshape_core::Progress::bytes_then(printer, "loading", size, "the server is finishing")
}

/// The end of a load's SQL: the file, read and decompressed again after
/// the verification, must be the file that was verified, or the database
/// loaded holds something nobody checked (the error ends the run before
/// any swap). Keeping the verified text in memory instead saved nothing
/// measurable: faulting in fresh memory for it costs what the second
/// decompression does (docs/benchmarks.md, pg-restore).
pub fn finish_sql(job: &LoadJob, stream: SqlStream) -> anyhow::Result<()> {
    let sha256 = stream.finish()?;
    match &job.sha256 {
        Some(verified) if !verified.eq_ignore_ascii_case(&sha256) => Err(changed(
            job,
            &format!("SHA-256 {sha256} now, {verified} when it was verified"),
        )),
        _ => Ok(()),
    }
}

/// The error for a file that is not the one verified any more.
pub fn changed(job: &LoadJob, how: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{} changed while it was being restored ({how}), so what was loaded is not the verified backup; make sure nothing writes to it and run again",
        job.path.display()
    )
}

/// One psql (or pg_restore) for the whole backup.
fn load_whole(
    job: &LoadJob,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<Result<(), LoadFailure>> {
    if job.kind.is_sql() {
        let progress = loading_progress(printer, &job.path);
        let mut stream = SqlStream::open_reporting(&job.path, job.kind, progress.handle())?;
        let result = psql_load(&mut stream, &job.settings, &job.psql, &job.filter)?;
        if result.is_ok() {
            finish_sql(job, stream)?;
        }
        return Ok(result.map_err(|mut failure| {
            if let Some(line) = failure.line
                && let Some((statement, copy_line)) =
                    statement_and_copy_line(&job.path, job.kind, line)
            {
                // psql names the end of the COPY data; the server names the row.
                if let (Some(copy), Some(row)) = (copy_line, failure.copy_row) {
                    failure.line = Some(copy + row);
                }
                failure.statement = Some(statement);
            }
            failure
        }));
    }
    let loaded = load_archive(job)?;
    if loaded.is_ok() {
        archive_unchanged(job)?;
    }
    Ok(loaded)
}

/// An archive, through pg_restore.
fn load_archive(job: &LoadJob) -> anyhow::Result<Result<(), LoadFailure>> {
    // pg_restore 17+ sends `SET transaction_timeout` to any server, and 16
    // or older rejects it: such archives go through the SQL filter as well.
    if job.filter.owner_map.is_empty() && !job.filter.drop_transaction_timeout {
        return pg_restore_load(job);
    }
    let pg_restore = job
        .pg_restore
        .as_deref()
        .context("pg_restore is needed for archives")?;
    with_archive_sql(pg_restore, &job.path, |sql| {
        psql_load(sql, &job.settings, &job.psql, &job.filter)
    })
}

/// [`finish_sql`]'s check for an archive pg_restore read, which we cannot
/// hash on the way: the file must still be the one verified. Hashing it
/// again would be one more full read of the archive after the load; its
/// size and modification time (to the nanosecond) tell a file replaced or
/// rewritten since, as they tell `make` and rsync. A directory archive has
/// no single file.
fn archive_unchanged(job: &LoadJob) -> anyhow::Result<()> {
    if job.kind == Kind::Directory {
        return Ok(());
    }
    let meta = fs_err::metadata(&job.path)?;
    let modified = meta
        .modified()
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    if meta.len() != job.size || modified != job.modified {
        return Err(changed(
            job,
            "its size or modification time differs from when it was verified",
        ));
    }
    Ok(())
}
