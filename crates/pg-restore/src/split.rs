//! Splitting pg_dump's plain SQL into what can run in parallel, the way
//! `pg_restore -j` treats an archive's sections.
//!
//! pg_dump writes a comment header before every object
//! (`-- Name: …; Type: INDEX; …`). The stream is cut at those headers into
//! entries and each entry is routed by its type:
//!
//! - everything before the first data or post-data entry is the schema
//!   (pre-data), run in order on one connection;
//! - `TABLE DATA` and `SEQUENCE SET` run on N connections; a large COPY is
//!   cut into pieces of whole rows, each its own `COPY … FROM stdin`, so
//!   even one big table loads on several connections;
//! - `INDEX` and `CONSTRAINT` (primary keys, unique, check, exclusion) run on
//!   N connections once all data is in, each `ANALYZE` of a loaded table
//!   with them, longest first (see [`Splitter::index_jobs`]); each takes a
//!   lock on one table, and a connection is only given a statement whose
//!   lock conflicts with no running one ([`crate::schedule`]);
//! - everything else (foreign keys, triggers, comments on indexes, ACLs,
//!   materialized view refreshes …) runs afterwards in dump order on one
//!   connection. Foreign keys stay serial: two of them between the same pair
//!   of tables could deadlock.
//!
//! Lines keep a map to their line in the dump, so a failure is reported at
//! the dump's line, as in a serial restore.

use std::io::BufRead as _;

use crate::autovacuum::Paused;
use crate::early::EarlyBuilds;
use crate::filter::Filter;
use crate::input::SqlStream;
use crate::load::{FinishedLoad, LoadFailure, LoadJob, statement_at};
use crate::parallel::{LoadedRows, Piece, Pool};
use crate::scan::SessionSettings;
use crate::schedule::{Job, Table};

/// Rows per COPY piece (bytes): large enough that per-statement overhead
/// vanishes, small enough that one big table spreads over the connections.
const PIECE_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Schema,
    Data,
    Index,
    Serial,
}

fn route_of(kind: &str) -> Route {
    match kind {
        "TABLE DATA" | "SEQUENCE SET" => Route::Data,
        "INDEX" | "CONSTRAINT" => Route::Index,
        _ => Route::Serial,
    }
}

/// Entry types that end the schema part (the first data or post-data object).
fn ends_schema(kind: &str) -> bool {
    matches!(
        kind,
        "TABLE DATA"
            | "SEQUENCE SET"
            | "INDEX"
            | "CONSTRAINT"
            | "FK CONSTRAINT"
            | "TRIGGER"
            | "EVENT TRIGGER"
            | "MATERIALIZED VIEW DATA"
            | "POLICY"
            | "RULE"
            | "INDEX ATTACH"
            | "STATISTICS"
            | crate::scan::STATISTICS_DATA
            | "ACL"
            | "DEFAULT ACL"
            | "BLOB DATA"
            | "BLOBS"
    )
}

/// The reader's state while cutting the stream.
struct Splitter<'a> {
    job: &'a LoadJob,
    printer: &'a shipshape_core::Printer,
    /// When the current step (schema, table data …) began, for `--verbose`.
    step: std::time::Instant,
    preamble: Piece,
    /// The settings a piece moved to another connection needs again.
    session: SessionSettings,
    schema_done: bool,
    /// Autovacuum turned off on the tables once the schema is in.
    autovacuum: Paused,
    seen_header: bool,
    schema_pool: Option<Pool>,
    /// Table data over our own connections ([`crate::direct`]), when the
    /// preamble allows it (decided once the schema is in) …
    direct: bool,
    direct_pool: Option<Pool>,
    /// … and through psql for what they do not take: `--jobs` sessions when
    /// it comes first (everything then goes there), one beside the direct
    /// pool otherwise.
    data_pool: Option<Pool>,
    /// Set by the first data worker to fail, in either pool (or by the
    /// early builds).
    data_abort: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Index builds during the load ([`crate::early`]), when started.
    early: Option<EarlyBuilds>,
    /// The dump line of the current entry's header.
    entry_line: u64,
    index: Vec<Piece>,
    serial: Vec<Piece>,
    current: Piece,
    route: Route,
    /// Inside a COPY: its command line and where it is.
    copy: Option<(u64, Vec<u8>)>,
    copy_rows: usize,
    /// Bytes of COPY data per table.
    data_bytes: std::collections::HashMap<(String, String), usize>,
}

impl Splitter<'_> {
    fn session_prefix(&self) -> Piece {
        let mut piece = Piece::default();
        for (line, text) in self.session.lines() {
            piece.push_line(text, *line);
        }
        piece
    }

    fn new_piece(&self) -> Piece {
        self.session_prefix()
    }

    /// Send the finished entry where its route says.
    fn flush(&mut self) -> Result<(), Failed> {
        let piece = std::mem::take(&mut self.current);
        if piece.is_empty() {
            return Ok(());
        }
        if !self.seen_header {
            self.preamble.append(&piece);
            return Ok(());
        }
        if !self.schema_done {
            return self.schema_pool()?.send(piece);
        }
        if let (Route::Data, Some(table)) = (self.route, &piece.table) {
            *self.data_bytes.entry(table.clone()).or_insert(0) += piece.text.len();
        }
        let direct = self.route == Route::Data
            && self.direct
            && self.data_pool.is_none()
            && crate::direct::suits(&piece);
        match self.route {
            Route::Data => {
                if let (Some(early), Some(table)) = (&self.early, &piece.table) {
                    if direct {
                        early.loading().sent(table);
                    } else {
                        early.loading().sent_elsewhere(table);
                    }
                }
                let sent = if direct {
                    self.direct_pool()?.send(piece)
                } else {
                    self.data_pool()?.send(piece)
                };
                sent.map_err(|failed| self.data_failure(failed))
            }
            Route::Index => {
                let queued = match &mut self.early {
                    Some(early) => early.queued(self.entry_line, &piece).map_err(|changed| {
                        Failed::Other(crate::load::changed(
                            self.job,
                            &format!("its entry at line {} is not the one verified", changed.0),
                        ))
                    })?,
                    None => false,
                };
                if !queued {
                    self.index.push(piece);
                }
                Ok(())
            }
            Route::Schema | Route::Serial => {
                self.serial.push(piece);
                Ok(())
            }
        }
    }

    fn schema_pool(&mut self) -> anyhow::Result<&mut Pool> {
        if self.schema_pool.is_none() {
            self.schema_pool = Some(Pool::start(self.job, 1, &self.preamble)?);
        }
        Ok(self.schema_pool.as_mut().expect("started above"))
    }

    fn direct_pool(&mut self) -> anyhow::Result<&mut Pool> {
        if self.direct_pool.is_none() {
            self.direct_pool = Some(Pool::start_direct(
                self.job,
                self.job.jobs,
                &self.preamble,
                std::sync::Arc::clone(&self.data_abort),
                self.early
                    .as_ref()
                    .map(|early| std::sync::Arc::clone(early.loading())),
            )?);
        }
        Ok(self.direct_pool.as_mut().expect("started above"))
    }

    fn data_pool(&mut self) -> anyhow::Result<&mut Pool> {
        if self.data_pool.is_none() {
            // Beside a direct pool, one session: the two together stay near
            // `--jobs` connections (the database may have a connection limit;
            // with the session that builds during the load, `--jobs` + 2).
            let n = if self.direct_pool.is_some() {
                1
            } else {
                self.job.jobs
            };
            self.data_pool = Some(Pool::start_sharing(
                self.job,
                n,
                &self.preamble,
                std::sync::Arc::clone(&self.data_abort),
            )?);
        }
        Ok(self.data_pool.as_mut().expect("started above"))
    }

    /// A data worker or the early builds failed: stop both data pools and
    /// the early builds, and keep the failure that says what went wrong (the
    /// others only saw the abort).
    fn data_failure(&mut self, first: Failed) -> Failed {
        self.data_abort
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let mut failure = first;
        if let Some(early) = self.early.take()
            && let Some(failed) = early.stop()
            && !matches!(failure, Failed::Load(_))
        {
            failure = failed;
        }
        for pool in [self.direct_pool.take(), self.data_pool.take()]
            .into_iter()
            .flatten()
        {
            if let Err(other) = pool.finish()
                && !matches!(failure, Failed::Load(_))
                && matches!(other, Failed::Load(_))
            {
                failure = other;
            }
        }
        failure
    }

    /// The schema is complete: wait for it before any data goes in.
    fn finish_schema(&mut self) -> Result<(), Failed> {
        self.schema_done = true;
        if let Some(pool) = self.schema_pool.take() {
            pool.finish()?;
        }
        self.direct = crate::direct::usable(&self.preamble);
        if self.direct {
            self.early = EarlyBuilds::start(
                self.job,
                &self.preamble,
                std::sync::Arc::clone(&self.data_abort),
            )?;
        }
        if self.job.hold_autovacuum {
            self.autovacuum = Paused::pause(&self.job.settings)?;
        }
        self.step_done("schema");
        if self.autovacuum.len() > 0 {
            self.printer.detail(&format!(
                "  autovacuum held off {} table(s) until after ANALYZE",
                self.autovacuum.len()
            ));
        }
        Ok(())
    }

    /// Say how long a step took (`--verbose`) and start timing the next.
    fn step_done(&mut self, what: &str) {
        self.printer.detail(&format!(
            "  {what} took {}",
            shipshape_core::human::duration(self.step.elapsed())
        ));
        self.step = std::time::Instant::now();
    }

    /// Inside COPY data with room left in the current piece: how much.
    fn copy_room(&self) -> Option<usize> {
        (self.copy.is_some() && self.copy_rows < PIECE_BYTES).then(|| PIECE_BYTES - self.copy_rows)
    }

    /// Complete data rows of the current COPY, the first at dump line `n`
    /// (what [`Splitter::line`] does for each of them, at once).
    fn rows(&mut self, bytes: &[u8], n: u64, lines: u64) {
        self.copy_rows += bytes.len();
        self.current.push_lines(bytes, n, lines);
    }

    fn line(&mut self, text: &[u8], n: u64) -> Result<(), Failed> {
        if let Some((copy_line, command)) = &self.copy {
            if text == b"\\." {
                self.current.push_line(text, n);
                self.copy = None;
                return Ok(());
            }
            if self.copy_rows >= PIECE_BYTES {
                // Close this piece as a complete COPY and open the next one.
                let (copy_line, command) = (*copy_line, command.clone());
                self.current.push_line(b"\\.", n);
                self.flush()?;
                self.current = self.new_piece();
                self.current.push_copy(&command, copy_line);
                self.copy_rows = 0;
            }
            self.copy_rows += text.len() + 1;
            self.current.push_line(text, n);
            return Ok(());
        }
        if text.starts_with(b"--") {
            if let Some(header) = std::str::from_utf8(text)
                .ok()
                .and_then(crate::scan::parse_header)
            {
                // pg_dump writes "--" on the line above a header; it moved
                // into the previous entry, which is harmless.
                let ended = (self.route == Route::Data)
                    .then(|| self.current.table.clone())
                    .flatten();
                self.flush()?;
                if let (Some(early), Some(table)) = (&self.early, ended) {
                    early.loading().ended(&table);
                }
                self.entry_line = n;
                if !self.schema_done && ends_schema(&header.kind) {
                    self.finish_schema()?;
                }
                self.seen_header = true;
                self.route = if self.schema_done {
                    route_of(&header.kind)
                } else {
                    Route::Schema
                };
                self.current = self.new_piece();
            }
            self.current.push_line(text, n);
            return Ok(());
        }
        self.session.see(text, n);
        if shipshape_pg::archive::is_copy_from_stdin(text) {
            self.copy = Some((n, text.to_vec()));
            self.copy_rows = 0;
            self.current.push_copy(text, n);
            return Ok(());
        }
        self.current.push_line(text, n);
        Ok(())
    }

    /// The index step's statements in the order the connections are
    /// offered them: longest first by an estimate from the size of each
    /// table's COPY data (see [`crate::schedule`]), a table's `ANALYZE`
    /// (when the load may analyze early) and constraints ahead of its
    /// index builds. A table's column statistics do not depend on its
    /// indexes; a table with an expression index or extended statistics,
    /// whose analysis does, is analyzed again at the end (see
    /// [`crate::parallel::analyze`]), as are materialized views, filled only
    /// afterwards.
    ///
    /// `queued`: tables whose `ANALYZE` the early builds have queued;
    /// `at_end`: tables to analyze only after this step.
    fn index_jobs(
        &mut self,
        queued: crate::load::Analyzed,
        at_end: &crate::load::Analyzed,
    ) -> (Vec<Job>, crate::load::Analyzed) {
        let mut analyzed = queued;
        let mut jobs = Vec::new();
        if self.job.analyze_early {
            // Sorted so that equal estimates keep the same order each run.
            let mut tables: Vec<_> = self.data_bytes.iter().map(|(t, b)| (t, *b)).collect();
            tables.sort();
            jobs = crate::schedule::analyze_jobs(tables, at_end, &mut analyzed);
        }
        let data_bytes = &self.data_bytes;
        let bytes = |table: &Table| data_bytes.get(table).copied().unwrap_or(0);
        for piece in std::mem::take(&mut self.index) {
            jobs.push(Job::build(piece, bytes));
        }
        crate::schedule::longest_first(&mut jobs);
        (jobs, analyzed)
    }

    /// The rest of the restore once the stream has ended; returns the rows
    /// the data pieces loaded, per table, and the paused autovacuum.
    fn finish(mut self) -> Result<FinishedLoad, Failed> {
        self.flush()?;
        if !self.schema_done {
            self.finish_schema()?;
        }
        let mut loaded = LoadedRows::default();
        for pool in [self.direct_pool.take(), self.data_pool.take()]
            .into_iter()
            .flatten()
        {
            match pool.finish() {
                Ok(rows) => loaded.merge(rows),
                Err(failed) => return Err(self.data_failure(failed)),
            }
        }
        // A build beside the load that failed once every piece was sent
        // let the pools end as if all were well: it is the failure.
        if self.data_abort.load(std::sync::atomic::Ordering::SeqCst) {
            let stopped = anyhow::anyhow!("the load stopped");
            return Err(self.data_failure(Failed::Other(stopped)));
        }
        self.step_done("table data");
        let preamble = self.preamble.clone();
        let early = self.early.take();
        let (queued, at_end) = early
            .as_ref()
            .map(|e| (e.analyzed().clone(), e.analyzed_at_end().clone()))
            .unwrap_or_default();
        let (jobs, analyzed) = self.index_jobs(queued, &at_end);
        let what = if analyzed.is_empty() {
            "indexes and constraints"
        } else {
            "indexes and constraints, ANALYZE of the tables"
        };
        if let Some(early) = early {
            let started = early.finish(self.job, self.job.jobs, &preamble, jobs)?;
            self.printer.detail(&format!(
                "  {} of the index step's statements started during the load",
                started
            ));
            self.step_done(&format!("the rest of the {what}"));
        } else if !jobs.is_empty() {
            crate::parallel::run_scheduled(self.job, self.job.jobs, &preamble, jobs)?;
            self.step_done(what);
        }
        if !self.serial.is_empty() {
            let mut pool = Pool::start(self.job, 1, &preamble)?;
            for piece in std::mem::take(&mut self.serial) {
                pool.send(piece)?;
            }
            pool.finish()?;
            self.step_done("the rest of the dump, in order");
        }
        Ok(FinishedLoad {
            rows: loaded,
            autovacuum: self.autovacuum,
            analyzed,
        })
    }
}

/// Why the parallel load stopped.
#[derive(Debug)]
pub enum Failed {
    Load(LoadFailure),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failed {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<LoadFailure>() {
            Ok(failure) => Self::Load(failure),
            Err(err) => Self::Other(err),
        }
    }
}

impl From<LoadFailure> for Failed {
    fn from(f: LoadFailure) -> Self {
        Self::Load(f)
    }
}

pub fn load_parallel(
    job: &LoadJob,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<Result<FinishedLoad, LoadFailure>> {
    let progress = crate::load::loading_progress(printer, &job.path);
    let mut stream = SqlStream::open_reporting(&job.path, job.kind, progress.handle())?;
    let mut splitter = Splitter {
        job,
        printer,
        step: std::time::Instant::now(),
        preamble: Piece::default(),
        session: SessionSettings::default(),
        schema_done: false,
        autovacuum: Paused::default(),
        seen_header: false,
        schema_pool: None,
        direct: false,
        direct_pool: None,
        data_pool: None,
        data_abort: std::sync::Arc::default(),
        early: None,
        entry_line: 0,
        index: Vec::new(),
        serial: Vec::new(),
        current: Piece::default(),
        route: Route::Schema,
        copy: None,
        copy_rows: 0,
        data_bytes: std::collections::HashMap::new(),
    };
    let mut filter = Filter::new(job.filter.clone());
    let result = (|| -> Result<FinishedLoad, Failed> {
        let reader = &mut stream;
        let mut line = Vec::with_capacity(256);
        let mut n = 0u64;
        loop {
            // COPY rows go through in bulk; everything else (and a row that
            // straddles the reader's buffer) line by line below. The filter
            // never changes rows, so they need not pass through it.
            if let Some(room) = splitter.copy_room() {
                let buf = reader.fill_buf().map_err(anyhow::Error::from)?;
                let rows = shipshape_pg::copydata::leading_rows(buf, room);
                if rows.lines > 0 {
                    splitter.rows(&buf[..rows.bytes], n + 1, rows.lines);
                    n += rows.lines;
                    reader.consume(rows.bytes);
                    shipshape_core::interrupt::check().map_err(anyhow::Error::from)?;
                    continue;
                }
            }
            line.clear();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(anyhow::Error::from)?
                == 0
            {
                break;
            }
            n += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            let text = filter.apply(&line);
            splitter.line(&text, n)?;
            if n.is_multiple_of(65536) {
                shipshape_core::interrupt::check().map_err(anyhow::Error::from)?;
            }
        }
        splitter.finish()
    })();
    match result {
        Ok(loaded) => {
            crate::load::finish_sql(job, stream)?;
            Ok(Ok(loaded))
        }
        Err(Failed::Load(mut failure)) => {
            if let Some(line) = failure.line {
                failure.statement = statement_at(&job.path, job.kind, line);
            }
            Ok(Err(failure))
        }
        Err(Failed::Other(err)) => Err(err),
    }
}
