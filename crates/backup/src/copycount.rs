//! Counting the rows pg_dump wrote, from the plain-format stream itself:
//! each table's data is a `COPY schema.table (cols) FROM stdin;` line,
//! one line per row (COPY's text format escapes newlines inside values),
//! and a `\.` line. Comparing these counts with the counts taken in the
//! dump's snapshot proves the file holds every row, without a restore.

use shipshape_pg::copydata::leading_rows;
use shipshape_pg::manifest::TableRows;

/// Longest line kept whole outside COPY data: COPY header lines are far
/// shorter. Inside COPY data only a line's first bytes matter (is it `\.`?),
/// so at most [`DATA_KEEP`] bytes of it are kept. This runs on every byte of
/// the dump on the thread that reads pg_dump's output, so rows are counted in
/// bulk ([`shipshape_pg::copydata`]) and other lines found with `memchr`;
/// nothing is copied but the start of a line that continues in the next
/// chunk.
const KEEP: usize = 64 * 1024;
const DATA_KEEP: usize = 3;

#[derive(Debug, Default)]
pub struct CopyCounter {
    /// The start of a line that continues in the next chunk.
    line: Vec<u8>,
    current: Option<TableRows>,
    done: Vec<TableRows>,
}

impl CopyCounter {
    /// Feed the next chunk of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        loop {
            if let Some(table) = self.current.as_mut()
                && self.line.is_empty()
            {
                let rows = leading_rows(rest, usize::MAX);
                table.rows += rows.lines;
                rest = &rest[rows.bytes..];
            }
            let Some(end) = memchr::memchr(b'\n', rest) else {
                self.push_partial(rest);
                return;
            };
            self.complete_line(&rest[..end]);
            rest = &rest[end + 1..];
        }
    }

    /// A line's last bytes (or all of it) have arrived.
    fn complete_line(&mut self, piece: &[u8]) {
        if self.line.is_empty() {
            self.end_line(piece);
        } else {
            self.push_partial(piece);
            let line = std::mem::take(&mut self.line);
            self.end_line(&line);
            self.line = line;
            self.line.clear();
        }
    }

    fn push_partial(&mut self, bytes: &[u8]) {
        let keep = if self.current.is_some() {
            DATA_KEEP
        } else {
            KEEP
        };
        let room = keep.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self, line: &[u8]) {
        match &mut self.current {
            Some(table) => {
                if line == b"\\." {
                    if let Some(table) = self.current.take() {
                        self.done.push(table);
                    }
                } else {
                    table.rows += 1;
                }
            }
            None => {
                if let Some((schema, table)) = shipshape_pg::archive::copy_target(line) {
                    self.current = Some(TableRows {
                        schema,
                        table,
                        rows: 0,
                    });
                }
            }
        }
    }

    /// Rows per table seen in complete COPY blocks.
    pub fn finish(self) -> Vec<TableRows> {
        self.done
    }
}

/// Tables whose rows in the dump differ from the snapshot's counts. Tables
/// pg_dump dumps that were not counted (extension configuration tables) are
/// ignored; a counted table without a COPY block is a problem.
pub fn compare(snapshot: &[TableRows], dumped: &[TableRows]) -> Vec<String> {
    snapshot
        .iter()
        .filter_map(|t| {
            match dumped
                .iter()
                .find(|d| d.schema == t.schema && d.table == t.table)
            {
                Some(d) if d.rows == t.rows => None,
                Some(d) => Some(format!(
                    "{}.{}: the dump holds {} rows, the snapshot had {}",
                    t.schema, t.table, d.rows, t.rows
                )),
                None => Some(format!("{}.{}: no data in the dump", t.schema, t.table)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_across_chunk_boundaries() {
        let dump = "SET x = 1;\n\
            COPY public.users (id, name) FROM stdin;\n1\ta\n2\tb\\nstill row 2\n3\t\\N\n\\.\n\n\
            COPY \"Odd Schema\".\"Mixed \"\"Case\"\"\" (k) FROM stdin;\n\\.\n\
            COPY public.more (id) FROM stdin;\nx\n";
        for split in 1..dump.len() {
            let mut counter = CopyCounter::default();
            counter.feed(&dump.as_bytes()[..split]);
            counter.feed(&dump.as_bytes()[split..]);
            let counts = counter.finish();
            assert_eq!(counts.len(), 2, "split at {split}: {counts:?}");
            assert_eq!((counts[0].table.as_str(), counts[0].rows), ("users", 3));
            assert_eq!(counts[1].schema, "Odd Schema");
            assert_eq!(
                (counts[1].table.as_str(), counts[1].rows),
                ("Mixed \"Case\"", 0)
            );
        }
    }

    #[test]
    fn comparison() {
        let t = |table: &str, rows| TableRows {
            schema: "public".into(),
            table: table.into(),
            rows,
        };
        assert!(compare(&[t("a", 2)], &[t("a", 2), t("ext_config", 5)]).is_empty());
        assert_eq!(
            compare(&[t("a", 2), t("b", 1)], &[t("a", 1)]),
            [
                "public.a: the dump holds 1 rows, the snapshot had 2",
                "public.b: no data in the dump"
            ]
        );
    }
}
