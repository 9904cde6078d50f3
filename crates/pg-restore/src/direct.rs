//! Table data sent over our own connections, `COPY … FROM STDIN` in the
//! protocol, instead of through psql.
//!
//! psql reads COPY data line by line to find its end; on the benchmark that
//! cost half a CPU-second of a 2-core machine whose cores the server's
//! backends wanted. The data pool therefore loads over its own connections
//! every piece made only of what pg_dump writes around table data —
//! comments, one-line `SET …` and `SELECT pg_catalog.…(…);` statements and
//! one COPY — and leaves anything else (a dump made with `--inserts`, say) to
//! psql. Each statement runs on its own, so a failure names its line in the
//! dump as psql would, and a bad row is named by the server's COPY context.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use shipshape_pg::Db;
use shipshape_pg::client::StatementError;

use crate::early::Loading;
use crate::load::{LoadFailure, LoadJob};
use crate::parallel::{LoadedRows, Piece};
use crate::split::Failed;

/// A one-line statement of the kind pg_dump writes around its data.
fn is_simple_statement(line: &[u8]) -> bool {
    (line.starts_with(b"SET ") || line.starts_with(b"SELECT pg_catalog.")) && line.ends_with(b";")
}

pub fn is_blank_or_comment(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace) || line.starts_with(b"--")
}

/// psql's `\restrict` / `\unrestrict` (pg_dump 15.14+): they only guard
/// psql against backslash commands in the dump, and a protocol connection
/// runs none.
fn is_restrict_command(line: &[u8]) -> bool {
    line.starts_with(b"\\restrict ") || line.starts_with(b"\\unrestrict ")
}

/// Can our own connections start from this preamble? Only when it holds
/// nothing but simple statements, and sends text as UTF-8 (the driver
/// reads the server's messages as UTF-8).
pub fn usable(preamble: &Piece) -> bool {
    preamble.text.split(|b| *b == b'\n').all(|line| {
        if line.starts_with(b"SET client_encoding") {
            return line.ends_with(b"= 'UTF8';");
        }
        is_blank_or_comment(line) || is_restrict_command(line) || is_simple_statement(line)
    })
}

/// A piece cut where this module can take it apart.
struct Parts<'a> {
    /// Statements before the COPY (or of the whole piece), with their line
    /// index in the piece.
    statements: Vec<(u64, &'a [u8])>,
    copy: Option<Copy<'a>>,
}

struct Copy<'a> {
    /// Line index of the COPY command in the piece.
    at: u64,
    command: &'a [u8],
    /// The rows, each ending with a newline; no end marker.
    rows: &'a [u8],
}

pub fn lines_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.strip_suffix(b"\n")
        .unwrap_or(text)
        .split(|b| *b == b'\n')
}

/// Take a piece apart; `None` when it holds anything but simple statements,
/// comments and one complete COPY.
fn parts(piece: &Piece) -> Option<Parts<'_>> {
    let text = piece.text.as_slice();
    let (head, copy) = match piece.copy_at {
        None => (text, None),
        Some(at) => {
            // The start of line `at` (the COPY command); the lines before it
            // are a few comments and settings, so walking them is cheap.
            let mut start = 0;
            for _ in 0..at {
                start += memchr::memchr(b'\n', &text[start..])? + 1;
            }
            let end = start + memchr::memchr(b'\n', &text[start..])?;
            let rest = &text[end + 1..];
            // Rows never consist of `\.` alone (a backslash in data is
            // written `\\`), and only blank and comment lines follow it.
            let (rows, after) = if let Some(after) = rest.strip_prefix(b"\\.\n") {
                (&rest[..0], after)
            } else {
                let marker = memchr::memmem::rfind(rest, b"\n\\.\n")?;
                (&rest[..=marker], &rest[marker + 4..])
            };
            if !lines_of(after).all(is_blank_or_comment) {
                return None;
            }
            let copy = Copy {
                at,
                command: &text[start..end],
                rows,
            };
            (&text[..start], Some(copy))
        }
    };
    let mut statements = Vec::new();
    if !head.is_empty() {
        for (index, line) in lines_of(head).enumerate() {
            if is_blank_or_comment(line) {
                continue;
            }
            if !is_simple_statement(line) {
                return None;
            }
            statements.push((index as u64, line));
        }
    }
    Some(Parts { statements, copy })
}

/// Can a direct worker load this piece?
pub fn suits(piece: &Piece) -> bool {
    parts(piece).is_some()
}

/// The session settings pg_dump starts with, one statement at a time.
fn run_preamble(db: &mut Db, preamble: &Piece) -> Result<(), LoadFailure> {
    for (index, line) in lines_of(&preamble.text).enumerate() {
        if is_blank_or_comment(line) || is_restrict_command(line) {
            continue;
        }
        db.run_statement(&String::from_utf8_lossy(line))
            .map_err(|err| LoadFailure {
                message: err.text,
                line: preamble.dump_line(index as u64),
                statement: None,
                copy_row: None,
            })?;
    }
    Ok(())
}

/// Run a piece; the rows its COPY stored, if it has one.
fn load_piece(db: &mut Db, piece: &Piece) -> Result<Option<u64>, LoadFailure> {
    let parts = parts(piece).ok_or_else(|| LoadFailure {
        message: "a piece of table data the direct load cannot take apart".into(),
        line: piece.dump_line(0),
        statement: None,
        copy_row: None,
    })?;
    for (index, sql) in &parts.statements {
        let sql = String::from_utf8_lossy(sql);
        db.run_statement(&sql).map_err(|err| LoadFailure {
            message: err.text,
            line: piece.dump_line(*index),
            statement: None,
            copy_row: None,
        })?;
    }
    let Some(copy) = parts.copy else {
        return Ok(None);
    };
    let command = String::from_utf8_lossy(copy.command);
    match db.copy_in(&command, copy.rows) {
        Ok(rows) => Ok(Some(rows)),
        Err(err) => Err(copy_failure(piece, copy.at, err)),
    }
}

/// Name a failed COPY by the dump line of its bad row, and count that row
/// from the start of the whole COPY (the piece may be a later part of it).
fn copy_failure(piece: &Piece, at: u64, err: StatementError) -> LoadFailure {
    let command_line = piece.dump_line(at);
    let row = err
        .context
        .as_deref()
        .and_then(crate::load::copy_context_row);
    let row_line = row.and_then(|row| piece.dump_line(at + row));
    let mut message = err.text;
    if let (Some(row), Some(row_line), Some(command_line)) = (row, row_line, command_line) {
        message = crate::load::renumber_copy_row(&message, row, row_line - command_line);
    }
    LoadFailure {
        message,
        line: row_line.or(command_line),
        statement: None,
        copy_row: None,
    }
}

/// A worker of the data pool: one connection, fed pieces until the queue
/// closes, telling `loading` of each COPY piece it loaded; stops early when
/// another worker failed or on Ctrl-C.
pub fn worker(
    job: &LoadJob,
    preamble: &Piece,
    rx: &Receiver<Piece>,
    abort: &AtomicBool,
    loading: Option<&Loading>,
) -> Result<LoadedRows, Failed> {
    // As for psql's sessions: a crash before the swap loses only the new
    // database, which is dropped anyway, so commits need not wait for WAL.
    let connected = Db::connect_with_options(&job.settings, &[("synchronous_commit", "off")]);
    let mut db = match connected {
        Ok(db) => db,
        Err(err) => {
            abort.store(true, Ordering::SeqCst);
            return Err(Failed::Other(err.into()));
        }
    };
    let mut rows = LoadedRows::default();
    let mut result = run_preamble(&mut db, preamble);
    while result.is_ok() {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(piece) => match load_piece(&mut db, &piece) {
                Ok(Some(n)) => {
                    if let Some(table) = piece.table {
                        if let Some(loading) = loading {
                            loading.loaded(&table);
                        }
                        rows.add(table, n);
                    }
                }
                Ok(None) => {}
                Err(failure) => result = Err(failure),
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if abort.load(Ordering::SeqCst) {
            return Ok(LoadedRows::default());
        }
        if shipshape_core::interrupt::requested() {
            return Err(Failed::Other(shipshape_core::Interrupted.into()));
        }
    }
    match result {
        Ok(()) => {
            db.close();
            Ok(rows)
        }
        // Another worker failed first and reports it.
        Err(_) if abort.swap(true, Ordering::SeqCst) => Ok(LoadedRows::default()),
        Err(failure) => Err(Failed::Load(failure)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(lines: &[&str], first_dump_line: u64) -> Piece {
        let mut piece = Piece::default();
        for (i, line) in lines.iter().enumerate() {
            let n = first_dump_line + i as u64;
            if line.starts_with("COPY ") {
                piece.push_copy(line.as_bytes(), n);
            } else {
                piece.push_line(line.as_bytes(), n);
            }
        }
        piece
    }

    #[test]
    fn a_table_data_entry_comes_apart_into_settings_and_one_copy() {
        let p = piece(
            &[
                "--",
                "-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app",
                "--",
                "",
                "SET default_tablespace = '';",
                "COPY public.t (id, note) FROM stdin;",
                "1\ta",
                "2\t\\\\.",
                "\\.",
                "",
                "",
                "--",
            ],
            100,
        );
        let parts = parts(&p).unwrap();
        assert_eq!(parts.statements.len(), 1);
        assert_eq!(parts.statements[0].0, 4);
        let copy = parts.copy.unwrap();
        assert_eq!(copy.at, 5);
        assert_eq!(copy.command, b"COPY public.t (id, note) FROM stdin;");
        assert_eq!(copy.rows, b"1\ta\n2\t\\\\.\n");
        assert_eq!(p.dump_line(copy.at + 2), Some(107));
    }

    #[test]
    fn an_empty_copy_and_a_sequence_setting_are_direct_too() {
        let empty = piece(&["COPY public.e (id) FROM stdin;", "\\.", ""], 1);
        assert_eq!(parts(&empty).unwrap().copy.unwrap().rows, b"");
        let seq = piece(&["SELECT pg_catalog.setval('public.s', 42, true);", ""], 9);
        let parts = parts(&seq).unwrap();
        assert!(parts.copy.is_none());
        assert_eq!(parts.statements.len(), 1);
    }

    #[test]
    fn inserts_and_multi_line_statements_stay_with_psql() {
        assert!(!suits(&piece(&["INSERT INTO public.t VALUES (1);"], 1)));
        assert!(!suits(&piece(&["SET x =", "  1;"], 1)));
        let trailing = piece(
            &["COPY public.t (id) FROM stdin;", "1", "\\.", "ANALYZE t;"],
            1,
        );
        assert!(!suits(&trailing));
    }

    #[test]
    fn only_a_utf8_preamble_of_simple_statements_is_usable() {
        let ok = piece(
            &[
                "\\restrict abc",
                "SET client_encoding = 'UTF8';",
                "SELECT pg_catalog.set_config('search_path', '', false);",
                "",
            ],
            1,
        );
        assert!(usable(&ok));
        assert!(!usable(&piece(&["SET client_encoding = 'LATIN1';"], 1)));
        assert!(!usable(&piece(&["\\connect other"], 1)));
    }

    #[test]
    fn only_the_context_line_is_renumbered() {
        let message = "ERROR:  invalid input syntax for type integer: \"a, line 3\"\n\
                       CONTEXT:  COPY t, line 3, column id: \"a, line 3\"";
        assert_eq!(
            crate::load::renumber_copy_row(message, 3, 4993),
            "ERROR:  invalid input syntax for type integer: \"a, line 3\"\n\
             CONTEXT:  COPY t, line 4993, column id: \"a, line 3\""
        );
    }

    #[test]
    fn a_bad_row_is_counted_from_the_start_of_the_whole_copy() {
        // The second piece of a COPY whose command is at dump line 10: its
        // rows are dump lines 5001.., so piece row 3 is row 4993 of the COPY.
        let mut p = Piece::default();
        p.push_copy(b"COPY public.t (id) FROM stdin;", 10);
        p.push_lines(b"1\n2\n5x7\n", 5001, 3);
        p.push_line(b"\\.", 5004);
        let err = StatementError {
            text: "ERROR:  invalid input syntax for type integer: \"5x7\"\n\
                   CONTEXT:  COPY t, line 3, column id: \"5x7\""
                .into(),
            context: Some("COPY t, line 3, column id: \"5x7\"".into()),
        };
        let failure = copy_failure(&p, 0, err);
        assert_eq!(failure.line, Some(5003));
        assert!(
            failure.message.contains("COPY t, line 4993, column id"),
            "{}",
            failure.message
        );
    }
}
