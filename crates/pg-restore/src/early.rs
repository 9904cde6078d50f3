//! Index builds while the data still loads, as `pg_restore -j` does them.
//!
//! A plain dump holds its indexes and constraints after all table data, so
//! a restore that reads it as one stream reaches them only once the load
//! has ended. The verification has read them already, though
//! ([`IndexEntry`]). So when the schema is in, one more session waits
//! beside the data connections and takes a table's builds (and its
//! `ANALYZE`) from the index step's queue as soon as all of that table's
//! data is in, while the other tables still load; its psql starts with the
//! first of them. The load leaves the cores idle part of the time, its
//! backends waiting for WAL (benchmarks.md); a build, mostly sorting, fills
//! that time. When the load ends, the session goes on as one of the index
//! step's `--jobs` sessions.
//!
//! When the stream reaches an entry queued here, the splitter checks that
//! it is the same statement the verification read and skips it; one that
//! differs stops the restore (the file changed since it was verified). Only
//! the data the direct connections load is followed to its end
//! ([`Loading`]): a table with data loaded through psql waits for the end
//! of the load, as do statements whose table is not known, and a table
//! that several data entries load waits for all of them.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use anyhow::Context as _;

use crate::filter::{Filter, FilterOptions};
use crate::load::{Analyzed, LoadJob};
use crate::parallel::{LoadedRows, Piece};
use crate::scan::IndexEntry;
use crate::schedule::{Job, Table, TableQueue, analyze_jobs, longest_first};
use crate::split::Failed;

/// What the verification learnt that lets the load build early.
#[derive(Debug, Default)]
pub struct Plan {
    pub entries: Arc<Vec<IndexEntry>>,
    /// Tables whose data is a COPY, with its size in bytes.
    pub tables: Vec<(Table, usize)>,
    /// Data entries per table their COPY loads (see
    /// [`crate::scan::DumpInfo::copies_into`]).
    pub copies_into: BTreeMap<Table, u64>,
}

impl Plan {
    pub fn from_dump(info: &crate::scan::DumpInfo) -> Self {
        Self {
            entries: Arc::clone(&info.index_entries),
            tables: info
                .tables
                .iter()
                .filter(|t| t.copy)
                .map(|t| {
                    let bytes = usize::try_from(t.bytes).unwrap_or(usize::MAX);
                    ((t.schema.clone(), t.table.clone()), bytes)
                })
                .collect(),
            copies_into: info.copies_into.clone(),
        }
    }
}

/// The entry as the splitter would cut it from the stream: the session
/// settings in force, then its lines through the filter.
fn piece_of(entry: &IndexEntry, filter: &FilterOptions) -> Piece {
    let mut piece = Piece::default();
    for (line, text) in &entry.session {
        piece.push_line(text, *line);
    }
    let mut filter = Filter::new(filter.clone());
    for (i, text) in entry.lines.iter().enumerate() {
        piece.push_line(&filter.apply(text), entry.first_line + i as u64);
    }
    piece
}

/// The lines of a piece that the server runs: neither blank nor comments.
/// Where an entry ends (the `--` above the next header) differs between the
/// splitter and the scan, what runs does not.
fn statements(piece: &Piece) -> Vec<Vec<u8>> {
    crate::direct::lines_of(&piece.text)
        .filter(|line| !crate::direct::is_blank_or_comment(line))
        .map(<[u8]>::to_vec)
        .collect()
}

/// Does this entry build an index on an expression (`… USING btree
/// (md5(body))`)? Its table's statistics then depend on the build, and an
/// `ANALYZE` before it would be done twice. pg_dump's key list holds
/// parentheses only around or inside expressions (and in an operator
/// class's parameters, whose table is then analyzed once, at the end).
fn indexes_an_expression(piece: &Piece) -> bool {
    statements(piece).iter().any(|line| {
        let line = String::from_utf8_lossy(line);
        if !crate::schedule::creates_an_index(&line) {
            return false;
        }
        let Some(using) = line.find(" USING ") else {
            return false;
        };
        let (mut depth, mut quoted) = (0, false);
        for c in line[using..].chars() {
            match c {
                '"' => quoted = !quoted,
                '(' if !quoted => {
                    depth += 1;
                    if depth == 2 {
                        return true;
                    }
                }
                ')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                _ => {}
            }
        }
        false
    })
}

/// A table's data as the direct connections load it.
#[derive(Debug, Default)]
struct Pieces {
    sent: u64,
    loaded: u64,
    /// Entries of its data that have ended.
    ended: u64,
    /// Some piece went through psql, whose end is not followed.
    elsewhere: bool,
}

/// Follows each table's pieces to the end of its data and then opens its
/// statements in the queue.
#[derive(Debug)]
pub struct Loading {
    tables: Mutex<HashMap<Table, Pieces>>,
    /// Data entries per table, when more than one (see [`Plan::copies_into`]).
    entries: BTreeMap<Table, u64>,
    queue: Arc<TableQueue>,
}

impl Loading {
    fn update(&self, table: &Table, change: impl FnOnce(&mut Pieces)) {
        let mut tables = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        let pieces = tables.entry(table.clone()).or_default();
        change(pieces);
        let entries = self.entries.get(table).copied().unwrap_or(1);
        if pieces.ended >= entries && !pieces.elsewhere && pieces.loaded == pieces.sent {
            self.queue.table_loaded(table);
        }
    }

    /// A piece of `table` goes to a direct connection.
    pub fn sent(&self, table: &Table) {
        self.update(table, |p| p.sent += 1);
    }

    /// A piece of `table` goes through psql.
    pub fn sent_elsewhere(&self, table: &Table) {
        self.update(table, |p| p.elsewhere = true);
    }

    /// The stream has passed the end of `table`'s data.
    pub fn ended(&self, table: &Table) {
        self.update(table, |p| p.ended += 1);
    }

    /// A direct connection has loaded a piece of `table`.
    pub fn loaded(&self, table: &Table) {
        self.update(table, |p| p.loaded += 1);
    }
}

/// The index entry at this line is not the one the verification read.
#[derive(Debug)]
pub struct EntryChanged(pub u64);

/// The session that builds during the load, and the queue it shares with
/// the index step.
pub struct EarlyBuilds {
    queue: Arc<TableQueue>,
    loading: Arc<Loading>,
    /// What runs of each queued entry, by the dump line of its header.
    queued: HashMap<u64, Vec<Vec<u8>>>,
    analyzed: Analyzed,
    /// Tables with an expression index, analyzed only after the builds.
    analyzed_at_end: Analyzed,
    /// Statements queued at the start.
    total: usize,
    abort: Arc<AtomicBool>,
    session: Option<JoinHandle<Result<LoadedRows, Failed>>>,
}

impl EarlyBuilds {
    /// Start the session, when it can help: with more than one connection
    /// and indexes or constraints to build. It stops, and stops the load,
    /// through `abort`.
    pub fn start(
        job: &LoadJob,
        preamble: &Piece,
        abort: Arc<AtomicBool>,
    ) -> anyhow::Result<Option<Self>> {
        let plan = &job.early;
        if job.jobs < 2 || plan.entries.is_empty() {
            return Ok(None);
        }
        let bytes: HashMap<&Table, usize> = plan.tables.iter().map(|(t, b)| (t, *b)).collect();
        let mut jobs = Vec::new();
        let mut queued = HashMap::new();
        let mut analyzed_at_end = Analyzed::new();
        for entry in plan.entries.iter() {
            let piece = piece_of(entry, &job.filter);
            queued.insert(entry.first_line, statements(&piece));
            let build = Job::build(piece, |t| bytes.get(t).copied().unwrap_or(0));
            if let Some(table) = &build.table
                && indexes_an_expression(&build.piece)
            {
                analyzed_at_end.insert(table.clone());
            }
            jobs.push(build);
        }
        let mut analyzed = Analyzed::new();
        if job.analyze_early {
            let tables = plan.tables.iter().map(|(table, size)| (table, *size));
            jobs.extend(analyze_jobs(tables, &analyzed_at_end, &mut analyzed));
        }
        longest_first(&mut jobs);
        let total = jobs.len();
        let queue = Arc::new(TableQueue::gated(jobs));
        let session = {
            let (job, preamble) = (job.clone(), preamble.clone());
            let (queue, abort) = (Arc::clone(&queue), Arc::clone(&abort));
            std::thread::Builder::new()
                .name("early-index".into())
                .spawn(move || crate::parallel::scheduled_worker(&job, &preamble, &queue, &abort))
                .context("starting the session that builds indexes during the load")?
        };
        Ok(Some(Self {
            loading: Arc::new(Loading {
                tables: Mutex::default(),
                entries: plan.copies_into.clone(),
                queue: Arc::clone(&queue),
            }),
            queue,
            queued,
            analyzed,
            analyzed_at_end,
            total,
            abort,
            session: Some(session),
        }))
    }

    pub fn loading(&self) -> &Arc<Loading> {
        &self.loading
    }

    /// The stream has reached the index entry whose header is at
    /// `first_line`: true when it was queued here, false when it was not
    /// (it then runs with the index step). An entry that differs from the
    /// one queued is an error: the file changed since it was verified.
    pub fn queued(&mut self, first_line: u64, piece: &Piece) -> Result<bool, EntryChanged> {
        let Some(expected) = self.queued.remove(&first_line) else {
            return Ok(false);
        };
        if expected == statements(piece) {
            return Ok(true);
        }
        Err(EntryChanged(first_line))
    }

    /// Tables whose `ANALYZE` is queued here.
    pub fn analyzed(&self) -> &Analyzed {
        &self.analyzed
    }

    /// Tables not to analyze in the index step: an expression index makes
    /// their statistics wait for the builds (the final `ANALYZE` step takes
    /// them, see [`crate::parallel::analyze`]).
    pub fn analyzed_at_end(&self) -> &Analyzed {
        &self.analyzed_at_end
    }

    /// All data is in: queue `late` (entries the verification did not see
    /// as such), run everything left on `sessions` in all, this one among
    /// them, and wait for them. How many statements had started during the
    /// load, or the first failure.
    pub fn finish(
        mut self,
        job: &LoadJob,
        sessions: usize,
        preamble: &Piece,
        late: Vec<Job>,
    ) -> Result<usize, Failed> {
        let started = self.total.saturating_sub(self.queue.len());
        self.queue.add(late);
        self.queue.all_loaded();
        let others = crate::parallel::run_queue(
            job,
            sessions.saturating_sub(1).min(self.queue.len()),
            preamble,
            &self.queue,
            &self.abort,
        );
        let mine = self.join();
        crate::parallel::first_failure(others.into_iter().chain([mine])).map(|()| started)
    }

    /// The load failed elsewhere: stop, and say whether a build here had
    /// failed first.
    pub fn stop(mut self) -> Option<Failed> {
        self.abort.store(true, Ordering::SeqCst);
        self.join().err()
    }

    fn join(&mut self) -> Result<LoadedRows, Failed> {
        match self.session.take() {
            Some(session) => session
                .join()
                .unwrap_or_else(|_| Err(Failed::Other(anyhow::anyhow!("a load worker panicked")))),
            None => Ok(LoadedRows::default()),
        }
    }
}

impl Drop for EarlyBuilds {
    /// Stopped before its end (Ctrl-C, a failure): end the session.
    fn drop(&mut self) {
        if self.session.is_some() {
            self.abort.store(true, Ordering::SeqCst);
            let _ = self.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Scanner;

    fn scan(text: &str) -> crate::scan::DumpInfo {
        let mut scanner = Scanner::default();
        for line in text.lines() {
            scanner.line(line.as_bytes());
        }
        scanner.finish()
    }

    const DUMP: &str = "SET default_tablespace = '';\n\
        SET default_table_access_method = heap;\n\
        --\n\
        -- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app\n\
        --\n\
        \n\
        COPY public.t (id) FROM stdin;\n\
        1\n\
        \\.\n\
        \n\
        \n\
        --\n\
        -- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: app\n\
        --\n\
        \n\
        ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\
        \n\
        \n\
        --\n\
        -- Name: t_x; Type: INDEX; Schema: public; Owner: app\n\
        --\n\
        \n\
        SET default_tablespace = fast;\n\
        CREATE INDEX t_x ON public.t USING btree (id);\n\
        \n\
        \n\
        --\n\
        -- Name: TABLE t; Type: ACL; Schema: public; Owner: app\n\
        --\n\
        \n\
        GRANT SELECT ON TABLE public.t TO reader;\n";

    #[test]
    fn the_scan_keeps_index_entries_with_the_settings_in_force() {
        let info = scan(DUMP);
        let entries = &info.index_entries;
        assert_eq!(
            entries.len(),
            2,
            "the constraint and the index, not the ACL"
        );
        assert_eq!(entries[0].first_line, 13);
        assert_eq!(
            String::from_utf8_lossy(&entries[0].lines[0]),
            "-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: app"
        );
        let session = |e: &IndexEntry| -> Vec<(u64, String)> {
            e.session
                .iter()
                .map(|(n, t)| (*n, String::from_utf8_lossy(t).into_owned()))
                .collect()
        };
        assert_eq!(
            session(&entries[0]),
            [
                (1, "SET default_tablespace = '';".to_owned()),
                (2, "SET default_table_access_method = heap;".to_owned())
            ]
        );
        // The index entry sets its own tablespace: in its lines, and the
        // entries after it would start with it.
        assert_eq!(session(&entries[1]), session(&entries[0]));
        let piece = piece_of(&entries[1], &FilterOptions::default());
        let runs: Vec<_> = statements(&piece)
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        assert_eq!(
            runs,
            [
                "SET default_tablespace = '';",
                "SET default_table_access_method = heap;",
                "SET default_tablespace = fast;",
                "CREATE INDEX t_x ON public.t USING btree (id);"
            ]
        );
        assert_eq!(piece.dump_line(2), Some(21), "the header's dump line");
    }

    #[test]
    fn expression_indexes_are_told_from_column_lists() {
        let piece = |sql: &str| {
            let mut piece = Piece::default();
            piece.push_line(sql.as_bytes(), 1);
            piece
        };
        for (sql, expression) in [
            (
                "CREATE INDEX d ON public.docs USING btree (md5(body));",
                true,
            ),
            (
                "CREATE INDEX d ON public.docs USING btree (((meta ->> 'k'::text)));",
                true,
            ),
            (
                "CREATE UNIQUE INDEX d ON public.docs USING btree (lower(email)) WHERE (x > 1);",
                true,
            ),
            (
                "CREATE INDEX d ON public.docs USING btree (a, b DESC) WHERE (b > 0);",
                false,
            ),
            ("CREATE INDEX d ON public.docs USING gin (meta);", false),
            (
                "CREATE INDEX d ON public.docs USING btree (\"odd(name\", b);",
                false,
            ),
            (
                "ALTER TABLE ONLY public.docs\n    ADD CONSTRAINT k UNIQUE (a);",
                false,
            ),
        ] {
            assert_eq!(indexes_an_expression(&piece(sql)), expression, "{sql}");
        }
    }

    #[test]
    fn a_table_is_loaded_when_its_entry_ended_and_every_piece_is_in() {
        let t = ("public".to_owned(), "t".to_owned());
        let u = ("public".to_owned(), "u".to_owned());
        let build = |table: &Table| {
            let mut piece = Piece::default();
            piece.push_line(
                format!(
                    "CREATE INDEX {0}_id ON public.{0} USING btree (id);",
                    table.1
                )
                .as_bytes(),
                1,
            );
            Job::build(piece, |_| 0)
        };
        let queue = Arc::new(TableQueue::gated([build(&t), build(&u)]));
        let loading = Loading {
            tables: Mutex::default(),
            entries: BTreeMap::new(),
            queue: Arc::clone(&queue),
        };
        let taken = || {
            let job = queue.take_now();
            job.map(|job| {
                queue.release(&job);
                job.table
            })
        };
        loading.sent(&t);
        loading.sent(&t);
        loading.loaded(&t);
        loading.ended(&t);
        assert_eq!(taken(), None, "one piece of t is still loading");
        loading.loaded(&t);
        assert_eq!(taken(), Some(Some(t.clone())));
        // A table with a piece through psql waits for the end of the load.
        loading.sent(&u);
        loading.sent_elsewhere(&u);
        loading.loaded(&u);
        loading.ended(&u);
        assert_eq!(taken(), None);
        queue.all_loaded();
        assert_eq!(taken(), Some(Some(u)));
    }

    #[test]
    fn a_root_table_that_several_entries_load_waits_for_all_of_them() {
        // `pg_dump --load-via-partition-root`: each partition's entry
        // COPYs into the root.
        let dump = "--\n-- Data for Name: p1; Type: TABLE DATA; Schema: public; Owner: o\n--\n\n\
            COPY public.root (id) FROM stdin;\n1\n\\.\n\n\
            --\n-- Data for Name: p2; Type: TABLE DATA; Schema: public; Owner: o\n--\n\n\
            COPY public.root (id) FROM stdin;\n2\n\\.\n";
        let plan = Plan::from_dump(&scan(dump));
        let root = ("public".to_owned(), "root".to_owned());
        assert_eq!(plan.copies_into.get(&root), Some(&2));
        let mut piece = Piece::default();
        piece.push_line(
            b"ALTER TABLE ONLY public.root ADD CONSTRAINT k PRIMARY KEY (id);",
            1,
        );
        let queue = Arc::new(TableQueue::gated([Job::build(piece, |_| 0)]));
        let loading = Loading {
            tables: Mutex::default(),
            entries: plan.copies_into,
            queue: Arc::clone(&queue),
        };
        loading.sent(&root);
        loading.loaded(&root);
        loading.ended(&root);
        assert!(
            queue.take_now().is_none(),
            "the second partition is still to come"
        );
        loading.sent(&root);
        loading.loaded(&root);
        loading.ended(&root);
        assert!(queue.take_now().is_some());
    }

    #[test]
    fn an_entry_that_changed_since_the_verification_is_refused() {
        let info = scan(DUMP);
        let mut job_plan = HashMap::new();
        for entry in info.index_entries.iter() {
            job_plan.insert(
                entry.first_line,
                statements(&piece_of(entry, &FilterOptions::default())),
            );
        }
        let mut early = EarlyBuilds {
            queue: Arc::new(TableQueue::gated([])),
            loading: Arc::new(Loading {
                tables: Mutex::default(),
                entries: BTreeMap::new(),
                queue: Arc::new(TableQueue::gated([])),
            }),
            queued: job_plan,
            analyzed: Analyzed::new(),
            analyzed_at_end: Analyzed::new(),
            total: 0,
            abort: Arc::default(),
            session: None,
        };
        let same = piece_of(&info.index_entries[0], &FilterOptions::default());
        assert!(matches!(early.queued(13, &same), Ok(true)));
        assert!(matches!(early.queued(13, &same), Ok(false)), "taken once");
        let mut other = Piece::default();
        other.push_line(b"CREATE INDEX t_x ON public.t USING btree (id DESC);", 24);
        let changed = early.queued(21, &other).expect_err("refused");
        assert_eq!(changed.0, 21);
    }
}
