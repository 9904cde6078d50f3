//! The queue of the index step: index and constraint builds and `ANALYZE`s,
//! handed to the connections one at a time.
//!
//! Each of these statements locks one table, and two on the same table wait
//! for each other. `pg_restore -j` therefore gives a free connection only an
//! item whose locks conflict with no running item; this queue does the
//! same: a connection that finished its statement takes the first one
//! whose table no other connection is working on. So a connection never
//! sits in a lock wait behind its sibling while other work is queued, and
//! every statement starts as soon as a connection and its table are free.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::parallel::Piece;

/// A table, (schema, name).
pub type Table = (String, String);

/// A queued statement and the table it locks, when known (a statement whose
/// table is not known waits for nothing: at worst its connection waits for
/// the lock, as every statement did before this queue).
#[derive(Debug)]
pub struct Job {
    pub piece: Piece,
    pub table: Option<Table>,
}

#[derive(Debug, Default)]
struct State {
    pending: VecDeque<Job>,
    busy: HashSet<Table>,
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
                busy: HashSet::new(),
            }),
            released: Condvar::new(),
        }
    }

    /// The first queued statement whose table no connection is working on,
    /// now marked busy until [`TableQueue::release`]. Waits while every
    /// queued statement's table is busy; `None` once the queue is empty or
    /// `stop` is set.
    pub fn take(&self, stop: &AtomicBool) -> Option<Job> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if stop.load(Ordering::SeqCst) || state.pending.is_empty() {
                return None;
            }
            let free = state
                .pending
                .iter()
                .position(|job| job.table.as_ref().is_none_or(|t| !state.busy.contains(t)));
            if let Some(job) = free.and_then(|i| state.pending.remove(i)) {
                if let Some(table) = &job.table {
                    state.busy.insert(table.clone());
                }
                return Some(job);
            }
            state = self
                .released
                .wait_timeout(state, POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The statement taken for `table` has finished.
    pub fn release(&self, table: Option<&Table>) {
        if let Some(table) = table {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.busy.remove(table);
        }
        self.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(sql: &str, table: Option<&str>) -> Job {
        let mut piece = Piece::default();
        piece.push_line(sql.as_bytes(), 0);
        Job {
            piece,
            table: table.map(|t| ("public".to_string(), t.to_string())),
        }
    }

    fn sql(job: &Job) -> String {
        String::from_utf8_lossy(&job.piece.text)
            .trim_end()
            .to_string()
    }

    #[test]
    fn a_busy_table_is_skipped_for_the_next_free_one() {
        let queue = TableQueue::new([
            job("ANALYZE big", Some("big")),
            job("pkey big", Some("big")),
            job("pkey small", Some("small")),
            job("index small", Some("small")),
        ]);
        let stop = AtomicBool::new(false);
        let first = queue.take(&stop).expect("a job");
        assert_eq!(sql(&first), "ANALYZE big");
        // "pkey big" waits for the ANALYZE of its table.
        let second = queue.take(&stop).expect("a job");
        assert_eq!(sql(&second), "pkey small");
        queue.release(first.table.as_ref());
        // Both tables' next jobs are free or busy in queue order.
        let third = queue.take(&stop).expect("a job");
        assert_eq!(sql(&third), "pkey big");
        queue.release(second.table.as_ref());
        assert_eq!(sql(&queue.take(&stop).expect("a job")), "index small");
        assert!(queue.take(&stop).is_none(), "the queue is empty");
    }

    #[test]
    fn a_job_without_a_table_never_waits() {
        let queue = TableQueue::new([job("pkey t", Some("t")), job("something", None)]);
        let stop = AtomicBool::new(false);
        let _held = queue.take(&stop).expect("a job");
        assert_eq!(sql(&queue.take(&stop).expect("a job")), "something");
    }

    #[test]
    fn a_waiting_connection_gets_the_table_once_it_is_released() {
        let queue = std::sync::Arc::new(TableQueue::new([
            job("pkey t", Some("t")),
            job("ANALYZE t", Some("t")),
        ]));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let held = queue.take(&stop).expect("a job");
        let waiter = {
            let (queue, stop) = (std::sync::Arc::clone(&queue), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || queue.take(&stop).map(|job| sql(&job)))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the second job waits for its table");
        queue.release(held.table.as_ref());
        assert_eq!(
            waiter.join().expect("no panic").as_deref(),
            Some("ANALYZE t")
        );
    }

    #[test]
    fn stop_ends_a_wait() {
        let queue = std::sync::Arc::new(TableQueue::new([
            job("pkey t", Some("t")),
            job("ANALYZE t", Some("t")),
        ]));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let _held = queue.take(&stop).expect("a job");
        let waiter = {
            let (queue, stop) = (std::sync::Arc::clone(&queue), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || queue.take(&stop).is_none())
        };
        stop.store(true, Ordering::SeqCst);
        assert!(
            waiter.join().expect("no panic"),
            "a stopped queue hands out nothing"
        );
    }
}
