//! COPY data in bulk. Between `COPY … FROM stdin;` and its `\.` line a dump
//! is nothing but rows, one per line (COPY's text format escapes newlines
//! inside values), and nothing in them needs reading: the verification scan
//! only counts them and the parallel load only forwards them. Most of a dump
//! is such rows, so both take them a buffer at a time instead of a line at a
//! time: line ends are found with `memchr`, and nothing is copied per line.

/// Complete rows at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// Bytes they take, newlines included.
    pub bytes: usize,
    /// How many there are.
    pub lines: u64,
}

/// The complete rows at the start of `buf`, stopping before the end-of-data
/// line `\.`, before a last line with no newline yet (the caller reads
/// those line by line), or at the first line end at or past `limit` bytes.
pub fn leading_rows(buf: &[u8], limit: usize) -> Rows {
    let mut start = 0;
    let mut lines = 0;
    for end in memchr::memchr_iter(b'\n', buf) {
        if &buf[start..end] == b"\\." {
            break;
        }
        lines += 1;
        start = end + 1;
        if start >= limit {
            break;
        }
    }
    Rows {
        bytes: start,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_before_the_end_of_data_line() {
        let buf = b"1\ta\n2\tb\n\\.\nSELECT 1;\n";
        assert_eq!(leading_rows(buf, usize::MAX), Rows { bytes: 8, lines: 2 });
        assert_eq!(
            leading_rows(b"\\.\n", usize::MAX),
            Rows { bytes: 0, lines: 0 }
        );
    }

    #[test]
    fn leaves_an_incomplete_last_line() {
        assert_eq!(
            leading_rows(b"1\n2\n3", usize::MAX),
            Rows { bytes: 4, lines: 2 }
        );
        assert_eq!(
            leading_rows(b"no newline yet", usize::MAX),
            Rows { bytes: 0, lines: 0 }
        );
    }

    #[test]
    fn a_row_that_only_starts_with_a_backslash_dot_is_a_row() {
        assert_eq!(
            leading_rows(b"\\.x\n\\\\.\n", usize::MAX),
            Rows { bytes: 8, lines: 2 }
        );
    }

    #[test]
    fn stops_at_the_limit_on_a_line_end() {
        assert_eq!(
            leading_rows(b"aaaa\nbbbb\ncccc\n", 6),
            Rows {
                bytes: 10,
                lines: 2
            }
        );
        assert_eq!(
            leading_rows(b"aaaa\nbbbb\n", 5),
            Rows { bytes: 5, lines: 1 }
        );
    }
}
