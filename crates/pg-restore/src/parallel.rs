//! psql sessions fed with pieces of SQL (`--jobs N`). Each worker owns one
//! psql (`ON_ERROR_STOP`) and keeps a map from its own input lines to the
//! dump's lines for error messages; the first failure stops every worker.
//!
//! Two ways to feed them:
//! - a streaming [`Pool`] gives each session the next piece as soon as its
//!   input takes more: right for table data in pieces of megabytes, which
//!   keep psql's input full;
//! - [`run_scheduled`] hands a session its next statement only once it has
//!   finished the one before, through a [`TableQueue`]: for the index step,
//!   whose statements are a few bytes each (streamed, every one of them
//!   would sit in some session's input before the first ran) and run for
//!   seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write as _};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};

use crate::early::Loading;
use crate::load::{LoadJob, StderrTail, client_command, psql_failure};
use crate::schedule::TableQueue;
use crate::split::Failed;

/// SQL text plus, for each run of its lines, where they are in the dump.
#[derive(Debug, Clone, Default)]
pub struct Piece {
    pub text: Vec<u8>,
    /// (first dump line, number of lines)
    pub map: Vec<(u64, u64)>,
    /// Index (0-based) of the line holding the piece's COPY command, if any.
    pub copy_at: Option<u64>,
    /// The table that COPY loads (schema, name).
    pub table: Option<(String, String)>,
}

impl Piece {
    pub fn push_line(&mut self, line: &[u8], dump_line: u64) {
        self.text.extend_from_slice(line);
        self.text.push(b'\n');
        match self.map.last_mut() {
            Some((start, count)) if *start + *count == dump_line => *count += 1,
            _ => self.map.push((dump_line, 1)),
        }
    }

    /// Push `lines` complete lines (`bytes` ends with a newline), the first
    /// of which is `dump_line`.
    pub fn push_lines(&mut self, bytes: &[u8], dump_line: u64, lines: u64) {
        self.text.extend_from_slice(bytes);
        match self.map.last_mut() {
            Some((start, count)) if *start + *count == dump_line => *count += lines,
            _ => self.map.push((dump_line, lines)),
        }
    }

    pub fn line_count(&self) -> u64 {
        self.map.iter().map(|(_, n)| n).sum()
    }

    /// Push the `COPY … FROM stdin;` line, remembering where it is.
    pub fn push_copy(&mut self, line: &[u8], dump_line: u64) {
        self.copy_at = Some(self.line_count());
        self.table = shipshape_pg::archive::copy_target(line);
        self.push_line(line, dump_line);
    }

    pub fn append(&mut self, other: &Piece) {
        self.text.extend_from_slice(&other.text);
        self.map.extend_from_slice(&other.map);
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The dump line of this piece's line `index` (0-based); `None` past
    /// its end or for a line the restore added (dump line 0).
    pub fn dump_line(&self, index: u64) -> Option<u64> {
        let mut first = 0;
        for (dump, count) in &self.map {
            if index < first + count {
                return (*dump != 0).then(|| dump + (index - first));
            }
            first += count;
        }
        None
    }
}

/// Worker lines → dump lines.
#[derive(Debug, Default)]
struct LineMap {
    /// (first worker line, first dump line, count)
    runs: Vec<(u64, u64, u64)>,
    /// Per piece: first and last worker line, worker line of its COPY command.
    pieces: Vec<(u64, u64, Option<u64>)>,
    next: u64,
}

impl LineMap {
    fn add(&mut self, piece: &Piece) {
        let first = self.next + 1;
        self.pieces.push((
            first,
            self.next + piece.line_count(),
            piece.copy_at.map(|c| first + c),
        ));
        for (dump, count) in &piece.map {
            self.runs.push((self.next + 1, *dump, *count));
            self.next += count;
        }
    }

    /// `None` also for a line the restore added (dump line 0).
    fn dump_line(&self, worker_line: u64) -> Option<u64> {
        self.runs
            .iter()
            .find(|(start, _, count)| worker_line >= *start && worker_line < start + count)
            .filter(|(_, dump, _)| *dump != 0)
            .map(|(start, dump, _)| dump + (worker_line - start))
    }

    /// For row `row` (1-based) of the COPY that psql reported failing at
    /// `worker_line` (the end of its data): the row's dump line and the
    /// dump line of its COPY command.
    fn copy_row(&self, worker_line: u64, row: u64) -> Option<(u64, u64)> {
        let (_, _, copy) = self
            .pieces
            .iter()
            .find(|(first, last, _)| worker_line >= *first && worker_line <= *last)?;
        let copy = (*copy)?;
        Some((self.dump_line(copy + row)?, self.dump_line(copy)?))
    }
}

/// Rows each table received, summed over its COPY pieces, as the server
/// reported them when each COPY completed. A table with any piece whose
/// count is unknown has no count at all — a partial sum would look like
/// missing rows — and the sanity check counts it on the server instead.
#[derive(Debug, Default)]
pub struct LoadedRows {
    counted: BTreeMap<(String, String), u64>,
    uncounted: BTreeSet<(String, String)>,
}

impl LoadedRows {
    pub fn add(&mut self, table: (String, String), rows: u64) {
        if !self.uncounted.contains(&table) {
            *self.counted.entry(table).or_insert(0) += rows;
        }
    }

    /// Some piece of this table loaded an unknown number of rows.
    pub fn uncount(&mut self, table: (String, String)) {
        self.counted.remove(&table);
        self.uncounted.insert(table);
    }

    /// Another worker's or pool's rows.
    pub fn merge(&mut self, other: Self) {
        for table in other.uncounted {
            self.uncount(table);
        }
        for (table, rows) in other.counted {
            self.add(table, rows);
        }
    }

    pub fn get(&self, table: &(String, String)) -> Option<u64> {
        self.counted.get(table).copied()
    }

    /// Tables with a count.
    pub fn len(&self) -> usize {
        self.counted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counted.is_empty()
    }
}

/// A running set of workers.
pub struct Pool {
    tx: Option<Sender<Piece>>,
    workers: Vec<JoinHandle<Result<LoadedRows, Failed>>>,
    abort: Arc<AtomicBool>,
}

impl Pool {
    /// `n` psql sessions.
    pub fn start(job: &LoadJob, n: usize, preamble: &Piece) -> anyhow::Result<Self> {
        Self::start_with(job, n, preamble, worker, Arc::default())
    }

    /// `n` psql sessions that stop, and make others stop, through `abort`.
    pub fn start_sharing(
        job: &LoadJob,
        n: usize,
        preamble: &Piece,
        abort: Arc<AtomicBool>,
    ) -> anyhow::Result<Self> {
        Self::start_with(job, n, preamble, worker, abort)
    }

    /// `n` connections of our own that load table data with COPY in the
    /// protocol (see [`crate::direct`]); only for pieces it
    /// [suits](crate::direct::suits). Each piece loaded is reported to
    /// `loading`.
    pub fn start_direct(
        job: &LoadJob,
        n: usize,
        preamble: &Piece,
        abort: Arc<AtomicBool>,
        loading: Option<Arc<Loading>>,
    ) -> anyhow::Result<Self> {
        let worker =
            move |job: &LoadJob, preamble: &Piece, rx: &Receiver<Piece>, abort: &AtomicBool| {
                crate::direct::worker(job, preamble, rx, abort, loading.as_deref())
            };
        Self::start_with(job, n, preamble, worker, abort)
    }

    /// `worker` is what each of the pool's threads runs: one connection,
    /// fed from the queue.
    fn start_with(
        job: &LoadJob,
        n: usize,
        preamble: &Piece,
        worker: impl Fn(&LoadJob, &Piece, &Receiver<Piece>, &AtomicBool) -> Result<LoadedRows, Failed>
        + Clone
        + Send
        + 'static,
        abort: Arc<AtomicBool>,
    ) -> anyhow::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded::<Piece>(n * 2);
        let mut workers = Vec::new();
        for i in 0..n.max(1) {
            let rx = rx.clone();
            let abort = Arc::clone(&abort);
            let job = job.clone();
            let preamble = preamble.clone();
            let worker = worker.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("load-{i}"))
                    .spawn(move || worker(&job, &preamble, &rx, &abort))
                    .context("starting a load worker")?,
            );
        }
        Ok(Self {
            tx: Some(tx),
            workers,
            abort,
        })
    }

    /// Queue a piece; when the workers stopped on a failure, that failure.
    pub fn send(&mut self, piece: Piece) -> Result<(), Failed> {
        let mut piece = piece;
        loop {
            if self.abort.load(Ordering::SeqCst) {
                return Err(self.stop());
            }
            let Some(tx) = &self.tx else {
                return Err(Failed::Other(anyhow::anyhow!("the load workers are gone")));
            };
            match tx.send_timeout(piece, Duration::from_millis(100)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Timeout(p)) => piece = p,
                Err(SendTimeoutError::Disconnected(_)) => return Err(self.stop()),
            }
            shipshape_core::interrupt::check().map_err(|e| Failed::Other(e.into()))?;
        }
    }

    /// No more pieces: wait for every worker; the first failure wins.
    /// Returns the rows the COPY pieces loaded, per table.
    pub fn finish(mut self) -> Result<LoadedRows, Failed> {
        self.tx = None;
        let mut first = None;
        let mut rows = LoadedRows::default();
        for handle in self.workers.drain(..) {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err(Failed::Other(anyhow::anyhow!("a load worker panicked"))));
            match result {
                Ok(loaded) => rows.merge(loaded),
                Err(err) => {
                    first.get_or_insert(err);
                }
            }
        }
        first.map_or(Ok(rows), Err)
    }

    fn stop(&mut self) -> Failed {
        self.abort.store(true, Ordering::SeqCst);
        self.tx = None;
        let mut first = None;
        for handle in self.workers.drain(..) {
            if let Ok(Err(err)) = handle.join() {
                first.get_or_insert(err);
            }
        }
        first.unwrap_or_else(|| Failed::Other(anyhow::anyhow!("the load workers stopped")))
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if !self.workers.is_empty() {
            self.abort.store(true, Ordering::SeqCst);
            self.tx = None;
            for handle in self.workers.drain(..) {
                let _ = handle.join();
            }
        }
    }
}

/// One psql session of a pool (`ON_ERROR_STOP`), fed pieces on its stdin.
struct Session {
    child: std::process::Child,
    stdin: Option<BufWriter<std::process::ChildStdin>>,
    tail: StderrTail,
    reported: RowReports,
    map: LineMap,
    /// The table of each COPY piece sent, in order; psql reports their row
    /// counts in the same order.
    copied: Vec<(String, String)>,
}

impl Session {
    /// Start psql and send it the preamble. With `marker`, the stdout
    /// reader signals each line equal to its text on its channel.
    fn start(
        job: &LoadJob,
        preamble: &Piece,
        marker: Option<(String, Sender<()>)>,
    ) -> anyhow::Result<Self> {
        // Not `-q`: psql then prints each command's tag, and `COPY <n>` is the
        // server's count of the rows a COPY stored. (A `\echo :ROW_COUNT` after
        // each piece would be neater, but pg_dump 15.14+ starts its output with
        // `\restrict`, which forbids backslash commands until the end.)
        let mut child = client_command(&job.psql, &job.settings)
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", job.psql.display()))?;
        let tail = StderrTail::spawn(child.stderr.take().context("psql stderr")?);
        let reported = RowReports::spawn(child.stdout.take().context("psql stdout")?, marker);
        let stdin = BufWriter::with_capacity(1 << 20, child.stdin.take().context("psql stdin")?);
        let mut session = Self {
            child,
            stdin: Some(stdin),
            tail,
            reported,
            map: LineMap::default(),
            copied: Vec::new(),
        };
        // A preamble psql cannot take shows as psql's failure at the end.
        session.send(preamble);
        Ok(session)
    }

    /// Queue a piece for psql; false once psql no longer reads.
    fn send(&mut self, piece: &Piece) -> bool {
        let Some(stdin) = &mut self.stdin else {
            return false;
        };
        let ok = stdin.write_all(&piece.text).is_ok();
        self.map.add(piece);
        if let Some(table) = &piece.table {
            self.copied.push(table.clone());
        }
        ok
    }

    /// Make psql see everything sent so far.
    fn flush(&mut self) -> bool {
        self.stdin
            .as_mut()
            .is_some_and(|stdin| stdin.flush().is_ok())
    }

    /// Stop psql without waiting for what it was given.
    fn kill(mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for psql to end; `None` (psql killed) as soon as another
    /// worker has failed, rather than after the statements it still has.
    /// Ctrl-C kills it too and ends the run.
    fn wait_unless_stopped(
        &mut self,
        abort: &AtomicBool,
    ) -> anyhow::Result<Option<std::process::ExitStatus>> {
        loop {
            if let Some(status) = self.child.try_wait().context("waiting for psql")? {
                return Ok(Some(status));
            }
            if abort.load(Ordering::SeqCst) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Ok(None);
            }
            if shipshape_core::interrupt::requested() {
                // Killed and reaped there, with the error that means exit 130.
                return crate::load::wait(&mut self.child).map(Some);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// End psql's input and wait for it: the rows its COPYs stored, or its
    /// failure named by the dump's line (`Ok` and nothing when another
    /// worker failed first and reports it).
    fn finish(mut self, abort: &AtomicBool) -> Result<LoadedRows, Failed> {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let Some(status) = self.wait_unless_stopped(abort)? else {
            // Another worker failed and reports it; what this psql still had
            // to run goes with the new database.
            return Ok(LoadedRows::default());
        };
        let reported = self.reported.counts();
        if status.success() {
            return Ok(pair_counts(self.copied, &reported));
        }
        if abort.swap(true, Ordering::SeqCst) {
            return Ok(LoadedRows::default());
        }
        let mut failure = psql_failure(&self.tail.lines());
        let copy = failure
            .line
            .zip(failure.copy_row)
            .and_then(|(l, row)| self.map.copy_row(l, row));
        failure.line = match copy {
            Some((row_line, copy_line)) => {
                // The server counts rows from the start of this piece; say which
                // row of the whole COPY it is.
                if let Some(row) = failure.copy_row {
                    failure.message =
                        crate::load::renumber_copy_row(&failure.message, row, row_line - copy_line);
                }
                Some(row_line)
            }
            None => failure.line.and_then(|l| self.map.dump_line(l)),
        };
        failure.copy_row = None;
        Err(Failed::Load(failure))
    }
}

/// Stop early: another worker failed (`Ok`, it reports) or Ctrl-C.
fn stopping(abort: &AtomicBool) -> Option<Result<LoadedRows, Failed>> {
    if abort.load(Ordering::SeqCst) {
        return Some(Ok(LoadedRows::default()));
    }
    shipshape_core::interrupt::requested()
        .then(|| Err(Failed::Other(shipshape_core::Interrupted.into())))
}

/// A worker of a streaming pool: pieces go into psql's input as fast as
/// it takes them.
fn worker(
    job: &LoadJob,
    preamble: &Piece,
    rx: &Receiver<Piece>,
    abort: &AtomicBool,
) -> Result<LoadedRows, Failed> {
    let mut session = Session::start(job, preamble, None)?;
    let mut ok = true;
    while ok {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(piece) => ok = session.send(&piece),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if let Some(result) = stopping(abort) {
            session.kill();
            return result;
        }
    }
    session.finish(abort)
}

/// Run `jobs` (the index step, `ANALYZE`) on `n` psql sessions, each
/// statement handed to a session only once it finished the one before, by
/// a [`TableQueue`]. (A streaming pool gives each session what its input
/// buffer takes: with statements of a few bytes that is all of them, split
/// between the sessions before any runs.) Returns the first failure.
pub fn run_scheduled(
    job: &LoadJob,
    n: usize,
    preamble: &Piece,
    jobs: Vec<crate::schedule::Job>,
) -> Result<(), Failed> {
    // No more sessions than statements: each is a psql to start.
    let sessions = n.min(jobs.len()).max(1);
    let queue = TableQueue::new(jobs);
    first_failure(run_queue(
        job,
        sessions,
        preamble,
        &queue,
        &AtomicBool::new(false),
    ))
}

/// `sessions` sessions taking statements from `queue` until it is empty;
/// each session's result.
pub fn run_queue(
    job: &LoadJob,
    sessions: usize,
    preamble: &Piece,
    queue: &TableQueue,
    abort: &AtomicBool,
) -> Vec<Result<LoadedRows, Failed>> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..sessions)
            .map(|_| scope.spawn(|| scheduled_worker(job, preamble, queue, abort)))
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(Failed::Other(anyhow::anyhow!("a load worker panicked")))
                })
            })
            .collect()
    })
}

/// The failure to report of several workers' results: a statement that
/// failed (it names its line) over anything else, else the first.
pub fn first_failure(
    results: impl IntoIterator<Item = Result<LoadedRows, Failed>>,
) -> Result<(), Failed> {
    let mut first = None;
    for failed in results.into_iter().filter_map(Result::err) {
        match (&first, &failed) {
            (None, _) | (Some(Failed::Other(_)), Failed::Load(_)) => first = Some(failed),
            _ => {}
        }
    }
    first.map_or(Ok(()), Err)
}

/// A session of [`run_queue`]: one statement at a time, each followed by
/// a `SELECT` of a marker whose output says the statement is done.
pub fn scheduled_worker(
    job: &LoadJob,
    preamble: &Piece,
    queue: &TableQueue,
    abort: &AtomicBool,
) -> Result<LoadedRows, Failed> {
    // psql starts with the first statement: a session that would only wait
    // (the one building during the load, before any table is in) holds no
    // connection meanwhile.
    let Some(first) = queue.take(abort) else {
        return Ok(LoadedRows::default());
    };
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    let marker = Marker::new();
    let session = Session::start(job, preamble, Some((marker.output.clone(), done_tx)));
    let mut session = match session {
        Ok(session) => session,
        Err(err) => {
            queue.release(&first);
            abort.store(true, Ordering::SeqCst);
            return Err(err.into());
        }
    };
    session.send(&never_idle_out());
    let mut next = Some(first);
    while let Some(statement) = next.take().or_else(|| queue.take(abort)) {
        let sent = session.send(&statement.piece) && session.send(&marker.piece) && session.flush();
        let finished = sent && wait_for_marker(&done_rx, abort);
        queue.release(&statement);
        if let Some(result) = stopping(abort) {
            session.kill();
            return result;
        }
        if !finished {
            // psql stopped: `finish` reads its failure and stops the others.
            break;
        }
    }
    session.finish(abort)
}

/// A scheduled session may wait a long time for its next statement (until
/// the next table is loaded, or a table's lock is free): a server or role
/// with `idle_session_timeout` (PostgreSQL 14+) must not end it meanwhile.
/// Set through `pg_settings` so that an older server, which has no such
/// setting, finds nothing to set.
fn never_idle_out() -> Piece {
    let mut piece = Piece::default();
    // Dump line 0: not a line of the dump.
    piece.push_line(
        b"SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name = 'idle_session_timeout';",
        0,
    );
    piece
}

/// Wait until psql prints the marker; false when it exits first (a failed
/// statement), or on a stop.
fn wait_for_marker(done: &Receiver<()>, abort: &AtomicBool) -> bool {
    loop {
        match done.recv_timeout(Duration::from_millis(100)) {
            Ok(()) => return true,
            Err(RecvTimeoutError::Disconnected) => return false,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if abort.load(Ordering::SeqCst) || shipshape_core::interrupt::requested() {
            return false;
        }
    }
}

/// The statement a scheduled session runs after each piece, and the line
/// of psql's output that shows it ran: a value no dump's own `SELECT`
/// prints, since it holds this process's id and the time.
struct Marker {
    piece: Piece,
    output: String,
}

impl Marker {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let output = format!("shipshape-done-{}-{nanos}", std::process::id());
        let mut piece = Piece::default();
        // Dump line 0: not a line of the dump.
        piece.push_line(format!("SELECT '{output}' AS shipshape;").as_bytes(), 0);
        Self { piece, output }
    }
}

/// Collects the `COPY <n>` tags from psql's stdout on a thread (the rest of
/// stdout — other tags, the result of pg_dump's `SELECT setval(…)` — is read
/// and dropped so psql never blocks on a full pipe), and signals each line
/// that shows a [`Marker`].
struct RowReports(JoinHandle<Vec<Option<u64>>>);

impl RowReports {
    fn spawn(
        stdout: impl std::io::Read + Send + 'static,
        marker: Option<(String, Sender<()>)>,
    ) -> Self {
        Self(std::thread::spawn(move || {
            let mut counts = Vec::new();
            // Bytes, not text: a line that is not UTF-8 (a query result in
            // another encoding) must not stop the draining.
            for line in std::io::BufRead::split(std::io::BufReader::new(stdout), b'\n')
                .map_while(Result::ok)
            {
                if let Some((text, done)) = &marker
                    && line.trim_ascii() == text.as_bytes()
                {
                    let _ = done.send(());
                } else if let Some(n) = line.strip_prefix(b"COPY ")
                    && n.iter().all(u8::is_ascii_digit)
                {
                    counts.push(std::str::from_utf8(n).ok().and_then(|n| n.parse().ok()));
                }
            }
            counts
        }))
    }

    fn counts(self) -> Vec<Option<u64>> {
        self.0.join().unwrap_or_default()
    }
}

/// Pair the tables of the COPY pieces with psql's `COPY <n>` tags, in
/// order. A count that does not parse leaves that table uncounted, and a
/// number of tags that does not match the pieces leaves them all
/// uncounted: their rows are then counted on the server instead.
fn pair_counts(tables: Vec<(String, String)>, reported: &[Option<u64>]) -> LoadedRows {
    let mut rows = LoadedRows::default();
    if reported.len() != tables.len() {
        for table in tables {
            rows.uncount(table);
        }
        return rows;
    }
    for (table, count) in tables.into_iter().zip(reported) {
        match count {
            Some(n) => rows.add(table, *n),
            None => rows.uncount(table),
        }
    }
    rows
}

/// Load with `job.jobs` connections (plain SQL only).
pub fn load(
    job: &LoadJob,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<Result<crate::load::FinishedLoad, crate::load::LoadFailure>> {
    crate::split::load_parallel(job, printer)
}

/// `ANALYZE` every table and materialized view of the new database, one
/// table at a time on `job.jobs` connections (as `vacuumdb -j` does), but
/// for the tables the load analyzed already: of those, only the ones whose
/// analysis depends on what was created after it (an expression index,
/// extended statistics).
pub fn analyze(
    job: &LoadJob,
    db: &mut shipshape_pg::Db,
    analyzed: &crate::load::Analyzed,
) -> anyhow::Result<()> {
    if job.jobs <= 1 && analyzed.is_empty() {
        return db
            .execute("ANALYZE")
            .with_context(|| format!("ANALYZE in \"{}\"", job.settings.database));
    }
    let tables = db.query_text(
        "SELECT n.nspname::text, c.relname::text, \
         (EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indexprs IS NOT NULL) \
          OR EXISTS (SELECT FROM pg_statistic_ext s WHERE s.stxrelid = c.oid))::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY pg_relation_size(c.oid) DESC",
        &[],
    )?;
    let jobs: Vec<_> = tables
        .into_iter()
        .filter_map(|row| {
            let [Some(schema), Some(table), Some(depends)] =
                <[Option<String>; 3]>::try_from(row).ok()?
            else {
                return None;
            };
            let table = (schema, table);
            let done = analyzed.contains(&table) && depends != "true";
            // Largest first, as the query sorts them.
            (!done).then(|| crate::schedule::Job::analyze(&table, 0))
        })
        .collect();
    if jobs.is_empty() {
        return Ok(());
    }
    run_scheduled(job, job.jobs, &Piece::default(), jobs)
        .map_err(|failed| failed_to_error(failed, &job.settings.database))
}

fn failed_to_error(failed: Failed, database: &str) -> anyhow::Error {
    match failed {
        Failed::Load(f) => anyhow::anyhow!("ANALYZE in \"{database}\" failed: {}", f.message),
        Failed::Other(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_tags_are_read_from_everything_psql_prints() {
        let out: &[u8] = b"SET\n set_config \n------------\n \n(1 row)\n\nCOPY 3\n\xff\xfe not UTF-8\n setval \n--------\n     12\n(1 row)\n\nCOPY 0\nCOPY x\nCOPY 99999999999999999999999\n";
        assert_eq!(
            RowReports::spawn(std::io::Cursor::new(out.to_vec()), None).counts(),
            [Some(3), Some(0), None]
        );
    }

    #[test]
    fn each_marker_psql_prints_is_signalled_and_copy_tags_still_counted() {
        let marker = Marker::new();
        let printed = format!(
            "CREATE INDEX\n shipshape \n-----------\n {0}\n(1 row)\n\nCOPY 2\n shipshape-done-other\n {0}\n",
            marker.output
        );
        let (tx, rx) = crossbeam_channel::unbounded();
        let reports = RowReports::spawn(std::io::Cursor::new(printed), Some((marker.output, tx)));
        assert_eq!(reports.counts(), [Some(2)]);
        assert_eq!(rx.try_iter().count(), 2, "one signal per marker line");
        let sql = String::from_utf8_lossy(&marker.piece.text).into_owned();
        assert!(sql.starts_with("SELECT 'shipshape-done-"), "{sql}");
        assert_eq!(marker.piece.dump_line(0), None, "not a line of the dump");
    }

    #[test]
    fn row_reports_pair_with_their_tables_in_order() {
        let t = |name: &str| ("public".to_owned(), name.to_owned());
        let rows = pair_counts(vec![t("a"), t("b"), t("a")], &[Some(2), Some(0), Some(3)]);
        assert_eq!(rows.get(&t("a")), Some(5));
        assert_eq!(rows.get(&t("b")), Some(0));
        // A count that does not parse drops that table, whatever its other
        // pieces said.
        let rows = pair_counts(vec![t("a"), t("b"), t("a")], &[Some(2), Some(1), None]);
        assert_eq!(rows.get(&t("a")), None);
        assert_eq!(rows.get(&t("b")), Some(1));
        // Reports missing: nothing is trusted, and no other worker's count
        // for these tables either.
        let mut all = pair_counts(vec![t("a")], &[Some(4)]);
        all.merge(pair_counts(vec![t("a"), t("b")], &[Some(1)]));
        all.merge(pair_counts(vec![t("b")], &[Some(7)]));
        assert!(all.is_empty(), "{all:?}");
    }

    #[test]
    fn worker_lines_map_back_to_dump_lines() {
        let mut preamble = Piece::default();
        preamble.push_line(b"SET a = 1;", 1);
        preamble.push_line(b"SET b = 1;", 2);
        let mut piece = Piece::default();
        piece.push_line(b"SET default_tablespace = '';", 7);
        piece.push_line(b"COPY t FROM stdin;", 40);
        piece.push_line(b"1", 9041);
        piece.push_line(b"2", 9042);
        let mut map = LineMap::default();
        map.add(&preamble);
        map.add(&piece);
        assert_eq!(map.dump_line(2), Some(2));
        assert_eq!(map.dump_line(3), Some(7));
        assert_eq!(map.dump_line(4), Some(40));
        assert_eq!(map.dump_line(6), Some(9042));
        assert_eq!(map.dump_line(7), None);
        let mut copy = Piece::default();
        copy.push_copy(b"COPY t FROM stdin;", 40);
        copy.push_line(b"3", 9043);
        copy.push_line(b"x", 9044);
        copy.push_line(b"\\.", 9045);
        map.add(&copy);
        assert_eq!(map.copy_row(10, 2), Some((9044, 40)));
    }
}
