//! The queue of the index step: index and constraint builds and `ANALYZE`s,
//! handed to the connections one at a time.
//!
//! Each of these statements locks one table. `CREATE INDEX` takes a share
//! lock, so several builds on one table run at once; a constraint
//! (`ALTER TABLE … ADD CONSTRAINT`) and `ANALYZE` conflict with everything
//! else on their table. `pg_restore -j` therefore gives a free connection
//! only an item whose locks conflict with no running item; this queue does
//! the same: a connection that finished its statement takes the first one
//! whose lock no other connection's statement conflicts with. So a
//! connection never sits in a lock wait behind its sibling while other work
//! is queued.
//!
//! The order is longest first, from an estimate ([`Job::cost`]): the
//! statement the step would otherwise end on alone — a GIN index on a
//! jsonb column takes 8–13 times as long as a b-tree per byte of its table
//! (benchmarks.md) — starts at once, and the short ones fill the other
//! connections around it.
//!
//! While the data still loads, the queue can be [gated](TableQueue::gated):
//! a statement is handed out only once all of its table's data is in, so
//! the tables loaded first get their indexes while the others load
//! ([`crate::early`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::parallel::Piece;

/// A table, (schema, name).
pub type Table = (String, String);

/// The lock a statement takes on its table, as far as the statements of
/// the index step conflict with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// `CREATE INDEX` (share lock: other builds may run beside it).
    Shared,
    /// A constraint (access exclusive) or `ANALYZE` (share update
    /// exclusive, which conflicts with a build and with another `ANALYZE`).
    Exclusive,
}

/// A queued statement, the table it locks when known (a statement whose
/// table is not known waits for nothing here: at worst its connection waits
/// for the lock on the server), and how long it should take, relative to
/// the others.
#[derive(Debug)]
pub struct Job {
    pub piece: Piece,
    pub table: Option<Table>,
    pub lock: Lock,
    pub cost: u64,
}

/// Cost per byte of table data, in tenths of a b-tree build's.
fn cost_factor(method: &str) -> u64 {
    match method {
        // Measured on the benchmark's jsonb columns: 8–13x a b-tree.
        "gin" | "gist" | "spgist" => 80,
        "brin" => 1,
        _ => 10,
    }
}

/// The line of a `CREATE [UNIQUE] INDEX` statement.
pub fn creates_an_index(line: &str) -> bool {
    line.starts_with("CREATE INDEX ") || line.starts_with("CREATE UNIQUE INDEX ")
}

/// The index method a build names (`… USING gin (…)`), b-tree when none.
fn method_of(sql: &str) -> &str {
    sql.lines()
        .filter(|line| !line.starts_with("--"))
        .find_map(|line| {
            let rest = &line[line.find("USING ")? + "USING ".len()..];
            rest.split([' ', '(']).next()
        })
        .unwrap_or("btree")
}

impl Job {
    /// An index or constraint entry of the dump; `table_bytes` gives the
    /// size of a table's COPY data.
    pub fn build(piece: Piece, table_bytes: impl Fn(&Table) -> usize) -> Self {
        let sql = String::from_utf8_lossy(&piece.text);
        let table = shipshape_pg::archive::index_target(&sql);
        let shared = sql.lines().any(creates_an_index);
        let bytes = table.as_ref().map_or(0, &table_bytes) as u64;
        let cost = bytes.saturating_mul(cost_factor(method_of(&sql)));
        Self {
            table,
            lock: if shared {
                Lock::Shared
            } else {
                Lock::Exclusive
            },
            cost,
            piece,
        }
    }

    /// `ANALYZE` of one table of `bytes` of data: a sample, a fraction of a
    /// b-tree build (0.14 s against 1.0 s on the benchmark's biggest table).
    pub fn analyze(table: &Table, bytes: usize) -> Self {
        let mut piece = Piece::default();
        let sql = format!(
            "ANALYZE {}.{};",
            shipshape_pg::quote::quote_ident(&table.0),
            shipshape_pg::quote::quote_ident(&table.1)
        );
        // Dump line 0: not a line of the dump.
        piece.push_line(sql.as_bytes(), 0);
        Self {
            piece,
            table: Some(table.clone()),
            lock: Lock::Exclusive,
            // 0.15 of a b-tree's cost, in the same tenths.
            cost: (bytes as u64).saturating_mul(15) / 10,
        }
    }
}

/// The `ANALYZE` of each of `tables` (with the size of its data) that is
/// neither in `skip` nor in `analyzed` already, each then noted in
/// `analyzed`.
pub fn analyze_jobs<'a>(
    tables: impl IntoIterator<Item = (&'a Table, usize)>,
    skip: &crate::load::Analyzed,
    analyzed: &mut crate::load::Analyzed,
) -> Vec<Job> {
    tables
        .into_iter()
        .filter(|(table, _)| !skip.contains(*table) && analyzed.insert((*table).clone()))
        .map(|(table, bytes)| Job::analyze(table, bytes))
        .collect()
}

/// Longest first. A table's exclusive statements (its `ANALYZE`, its
/// constraints) rank with the table's longest statement and ahead of its
/// builds: they must run alone on it, so they go first, and the builds
/// then share the table. Equal ranks keep their order (dump order).
pub fn longest_first(jobs: &mut [Job]) {
    let mut longest: HashMap<Table, u64> = HashMap::new();
    for job in jobs.iter() {
        if let Some(table) = &job.table {
            let entry = longest.entry(table.clone()).or_insert(0);
            *entry = (*entry).max(job.cost);
        }
    }
    jobs.sort_by_cached_key(|job| {
        let rank = match (&job.table, job.lock) {
            (Some(table), Lock::Exclusive) => longest.get(table).copied().unwrap_or(job.cost),
            _ => job.cost,
        };
        (std::cmp::Reverse(rank), job.lock == Lock::Shared)
    });
}

/// Statements on one table now running.
#[derive(Debug, Default)]
struct Held {
    shared: usize,
    exclusive: bool,
}

#[derive(Debug, Default)]
struct State {
    pending: VecDeque<Job>,
    held: HashMap<Table, Held>,
    /// While the data still loads ([`TableQueue::gated`]): the tables whose
    /// data is all in. `None` once every table's is.
    loaded: Option<HashSet<Table>>,
}

impl State {
    /// Its table's data is in (a statement whose table is not known waits
    /// for all of it).
    fn ready(&self, job: &Job) -> bool {
        match (&self.loaded, &job.table) {
            (None, _) => true,
            (Some(loaded), Some(table)) => loaded.contains(table),
            (Some(_), None) => false,
        }
    }

    /// The first statement that may run now, marked as running.
    fn take_free(&mut self) -> Option<Job> {
        let free = self
            .pending
            .iter()
            .position(|job| self.ready(job) && !self.conflicts(job))?;
        let job = self.pending.remove(free)?;
        if let Some(table) = &job.table {
            let held = self.held.entry(table.clone()).or_default();
            match job.lock {
                Lock::Shared => held.shared += 1,
                Lock::Exclusive => held.exclusive = true,
            }
        }
        Some(job)
    }

    fn conflicts(&self, job: &Job) -> bool {
        let Some(held) = job.table.as_ref().and_then(|t| self.held.get(t)) else {
            return false;
        };
        held.exclusive || (held.shared > 0 && job.lock == Lock::Exclusive)
    }
}

/// Statements waiting for a connection (see the module comment).
#[derive(Debug, Default)]
pub struct TableQueue {
    state: Mutex<State>,
    released: Condvar,
}

/// How often a connection waiting for a free table looks at `stop`.
const POLL: Duration = Duration::from_millis(100);

impl TableQueue {
    pub fn new(jobs: impl IntoIterator<Item = Job>) -> Self {
        Self {
            state: Mutex::new(State {
                pending: jobs.into_iter().collect(),
                held: HashMap::new(),
                loaded: None,
            }),
            released: Condvar::new(),
        }
    }

    /// A queue for while the data loads: a statement is handed out only
    /// once [`TableQueue::table_loaded`] named its table, or after
    /// [`TableQueue::all_loaded`]; until then `take` waits even when
    /// nothing is queued, since [`TableQueue::add`] may bring more.
    pub fn gated(jobs: impl IntoIterator<Item = Job>) -> Self {
        let queue = Self::new(jobs);
        queue.lock().loaded = Some(HashSet::new());
        queue
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// All of `table`'s data is in: its statements may run.
    pub fn table_loaded(&self, table: &Table) {
        if let Some(loaded) = &mut self.lock().loaded {
            loaded.insert(table.clone());
        }
        self.released.notify_all();
    }

    /// All data is in: every statement may run.
    pub fn all_loaded(&self) {
        self.lock().loaded = None;
        self.released.notify_all();
    }

    /// Queue more statements, and order the queue [longest first](longest_first) again.
    pub fn add(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut state = self.lock();
        state.pending.extend(jobs);
        longest_first(state.pending.make_contiguous());
        drop(state);
        self.released.notify_all();
    }

    /// The first queued statement whose table is loaded and whose lock
    /// conflicts with no running one, now running until
    /// [`TableQueue::release`]. Waits while there is none; `None` once the
    /// queue is empty (and all data loaded) or `stop` is set.
    pub fn take(&self, stop: &AtomicBool) -> Option<Job> {
        let mut state = self.lock();
        loop {
            let finished = state.pending.is_empty() && state.loaded.is_none();
            if stop.load(Ordering::SeqCst) || finished {
                return None;
            }
            if let Some(job) = state.take_free() {
                return Some(job);
            }
            state = self
                .released
                .wait_timeout(state, POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Statements not yet handed out.
    pub fn len(&self) -> usize {
        self.lock().pending.len()
    }

    /// What [`TableQueue::take`] would return now, without waiting.
    #[cfg(test)]
    pub fn take_now(&self) -> Option<Job> {
        self.lock().take_free()
    }

    /// `job`, taken before, has finished.
    pub fn release(&self, job: &Job) {
        if let Some(table) = &job.table {
            let mut state = self.lock();
            if let Some(held) = state.held.get_mut(table) {
                match job.lock {
                    Lock::Shared => held.shared = held.shared.saturating_sub(1),
                    Lock::Exclusive => held.exclusive = false,
                }
                if held.shared == 0 && !held.exclusive {
                    state.held.remove(table);
                }
            }
        }
        self.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn table(name: &str) -> Table {
        ("public".to_string(), name.to_string())
    }

    fn job(sql: &str, on: Option<&str>, lock: Lock) -> Job {
        let mut piece = Piece::default();
        piece.push_line(sql.as_bytes(), 0);
        Job {
            piece,
            table: on.map(table),
            lock,
            cost: 0,
        }
    }

    fn sql(job: &Job) -> String {
        String::from_utf8_lossy(&job.piece.text)
            .trim_end()
            .to_string()
    }

    fn take(queue: &TableQueue) -> Option<Job> {
        queue.take(&AtomicBool::new(false))
    }

    /// A `take` on another thread, checked to be still waiting after 50 ms;
    /// it returns the statement it got in the end.
    fn waiting_take(
        queue: &Arc<TableQueue>,
        stop: &Arc<AtomicBool>,
    ) -> std::thread::JoinHandle<Option<String>> {
        let (queue, stop) = (Arc::clone(queue), Arc::clone(stop));
        let waiter = std::thread::spawn(move || queue.take(&stop).map(|job| sql(&job)));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the take waits for its table");
        waiter
    }

    use Lock::{Exclusive, Shared};

    #[test]
    fn a_statement_that_would_wait_for_a_lock_is_passed_over() {
        let queue = TableQueue::new([
            job("ANALYZE big", Some("big"), Exclusive),
            job("pkey big", Some("big"), Exclusive),
            job("pkey small", Some("small"), Exclusive),
            job("index small", Some("small"), Shared),
        ]);
        let first = take(&queue).expect("a job");
        assert_eq!(sql(&first), "ANALYZE big");
        // "pkey big" waits for the ANALYZE of its table.
        let second = take(&queue).expect("a job");
        assert_eq!(sql(&second), "pkey small");
        queue.release(&first);
        assert_eq!(sql(&take(&queue).expect("a job")), "pkey big");
        queue.release(&second);
        assert_eq!(sql(&take(&queue).expect("a job")), "index small");
        assert!(take(&queue).is_none(), "the queue is empty");
    }

    #[test]
    fn builds_share_a_table_and_exclude_its_constraints_and_analyze() {
        let queue = TableQueue::new([
            job("index a", Some("t"), Shared),
            job("index b", Some("t"), Shared),
            job("pkey", Some("t"), Exclusive),
            job("ANALYZE", Some("t"), Exclusive),
        ]);
        let a = take(&queue).expect("a job");
        let b = take(&queue).expect("two builds run on one table at once");
        assert_eq!((sql(&a).as_str(), sql(&b).as_str()), ("index a", "index b"));
        queue.release(&a);
        let queue = Arc::new(queue);
        // The constraint waits for the last build.
        let waiter = waiting_take(&queue, &Arc::new(AtomicBool::new(false)));
        queue.release(&b);
        assert_eq!(waiter.join().expect("no panic").as_deref(), Some("pkey"));
    }

    #[test]
    fn a_statement_without_a_table_never_waits() {
        let queue = TableQueue::new([
            job("pkey t", Some("t"), Exclusive),
            job("something", None, Exclusive),
        ]);
        let _held = take(&queue).expect("a job");
        assert_eq!(sql(&take(&queue).expect("a job")), "something");
    }

    #[test]
    fn stop_ends_a_wait() {
        let queue = Arc::new(TableQueue::new([
            job("pkey t", Some("t"), Exclusive),
            job("ANALYZE t", Some("t"), Exclusive),
        ]));
        let stop = Arc::new(AtomicBool::new(false));
        let _held = queue.take(&stop).expect("a job");
        let waiter = waiting_take(&queue, &stop);
        stop.store(true, Ordering::SeqCst);
        assert_eq!(
            waiter.join().expect("no panic"),
            None,
            "a stopped queue hands out nothing"
        );
    }

    fn entry(lines: &[&str]) -> Piece {
        let mut piece = Piece::default();
        for (i, line) in lines.iter().enumerate() {
            piece.push_line(line.as_bytes(), 100 + i as u64);
        }
        piece
    }

    #[test]
    fn builds_are_read_off_the_dump_entry() {
        let bytes = |t: &Table| if t.1 == "events" { 1000 } else { 0 };
        let cases = [
            (
                &[
                    "-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: o",
                    "ALTER TABLE ONLY public.events",
                    "    ADD CONSTRAINT events_pkey PRIMARY KEY (id);",
                ][..],
                Exclusive,
                1000 * 10,
            ),
            (
                &["CREATE INDEX events_at ON public.events USING btree (at);"],
                Shared,
                1000 * 10,
            ),
            (
                &["CREATE INDEX events_payload ON public.events USING gin (payload);"],
                Shared,
                1000 * 80,
            ),
            (
                &["CREATE UNIQUE INDEX e ON ONLY public.events USING brin (at);"],
                Shared,
                1000,
            ),
            (
                &[
                    "ALTER TABLE ONLY public.events",
                    "    ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);",
                ],
                Exclusive,
                1000 * 80,
            ),
        ];
        for (lines, lock, cost) in cases {
            let job = Job::build(entry(lines), bytes);
            assert_eq!(job.table, Some(table("events")), "{lines:?}");
            assert_eq!((job.lock, job.cost), (lock, cost), "{lines:?}");
        }
        let analyze = Job::analyze(&table("events"), 1000);
        assert_eq!(
            (analyze.lock, analyze.cost),
            (Exclusive, 1000 * 10 * 15 / 100)
        );
    }

    #[test]
    fn longest_first_with_each_tables_exclusive_statements_ahead_of_its_builds() {
        let costed = |sql: &str, on: &str, lock: Lock, cost: u64| Job {
            cost,
            ..job(sql, Some(on), lock)
        };
        let mut jobs = vec![
            Job::analyze(&table("big"), 1000),
            Job::analyze(&table("json"), 100),
            costed("pkey big", "big", Exclusive, 10_000),
            costed("index big", "big", Shared, 10_000),
            costed("pkey json", "json", Exclusive, 1_000),
            costed("gin json", "json", Shared, 8_000),
            costed("tiny", "tiny", Shared, 5),
        ];
        longest_first(&mut jobs);
        let order: Vec<_> = jobs.iter().map(sql).collect();
        assert_eq!(
            order,
            [
                "ANALYZE \"public\".\"big\";",
                "pkey big",
                "index big",
                "ANALYZE \"public\".\"json\";",
                "pkey json",
                "gin json",
                "tiny"
            ]
        );
    }
}
