//! Reading pg_dump's plain SQL output line by line: which pg_dump wrote it,
//! whether it is complete, what it contains (tables and their data sizes,
//! other objects by type), which roles it names, and settings a given server
//! may reject. Used for verification, `list` and the server checks.
//!
//! pg_dump precedes every object with a comment header,
//! `-- Name: t; Type: TABLE; Schema: public; Owner: app` (or `-- Data for
//! Name: …` for table data), which is what this relies on.

use std::collections::{BTreeMap, BTreeSet};

use shipshape_pg::programs::major_of;

/// The entry type of planner statistics in pg_dump 18's output.
pub const STATISTICS_DATA: &str = "STATISTICS DATA";

/// One entry's header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub name: String,
    pub kind: String,
    pub schema: Option<String>,
    pub owner: Option<String>,
    pub is_data: bool,
}

/// Parse `-- Name: x; Type: T; Schema: s; Owner: o` (or `-- Data for Name: …`,
/// or pg_dump 18's `-- Statistics for Name: …; Type: STATISTICS DATA; …`).
pub fn parse_header(line: &str) -> Option<Header> {
    let (rest, is_data) = if let Some(rest) = line.strip_prefix("-- Data for Name: ") {
        (rest, true)
    } else if let Some(rest) = line
        .strip_prefix("-- Name: ")
        .or_else(|| line.strip_prefix("-- Statistics for Name: "))
    {
        (rest, false)
    } else {
        return None;
    };
    let type_at = rest.find("; Type: ")?;
    let name = rest[..type_at].to_owned();
    let after = &rest[type_at + 8..];
    let (kind, after) = match after.find("; Schema: ") {
        Some(i) => (&after[..i], &after[i + 10..]),
        None => (after, ""),
    };
    let (schema, owner) = match after.rfind("; Owner: ") {
        Some(i) => (&after[..i], Some(&after[i + 9..])),
        None => (after, None),
    };
    let clean = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty() && s != "-");
    Some(Header {
        name,
        kind: kind.trim().to_owned(),
        schema: clean(schema),
        owner: owner.and_then(clean),
        is_data,
    })
}

/// A table's data in the dump.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableData {
    pub schema: String,
    pub table: String,
    /// Bytes of COPY data (or INSERT statements).
    pub bytes: u64,
    /// Rows in the COPY block (lines), when the data is COPY.
    pub rows: u64,
    /// The data is a COPY block (rows are exact); false for INSERT dumps.
    pub copy: bool,
}

/// What a scan found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DumpInfo {
    /// `-- PostgreSQL database dump` at the top.
    pub has_header: bool,
    /// `-- PostgreSQL database dump complete` near the end.
    pub complete: bool,
    pub dumped_from: Option<String>,
    pub dumped_by: Option<String>,
    pub tables: Vec<TableData>,
    /// Other objects by type (`TABLE`, `INDEX`, `FUNCTION` …).
    pub objects: BTreeMap<String, u64>,
    /// Roles that own objects (headers' `Owner:` and `OWNER TO`).
    pub owners: BTreeSet<String>,
    /// Roles named in GRANT/REVOKE/default privileges (never PUBLIC).
    pub grantees: BTreeSet<String>,
    /// Lines `SET transaction_timeout = …` (pg_dump 17+).
    pub transaction_timeout_lines: u64,
    /// The dump starts with psql's `\restrict` (pg_dump of the August 2025
    /// releases and later), which an older psql does not know.
    pub restrict: bool,
    /// The dump reconnects (`\connect`), i.e. was made with `--create` or by pg_dumpall.
    pub reconnects: bool,
    /// A pg_dumpall cluster dump rather than one database.
    pub cluster_dump: bool,
    pub lines: u64,
    pub bytes: u64,
    /// The index and constraint entries, as read (see [`IndexEntry`]).
    #[serde(skip)]
    pub index_entries: std::sync::Arc<Vec<IndexEntry>>,
    /// Data entries per table their COPY names: one, but for a dump made
    /// with `--load-via-partition-root`, whose partitions' data all goes
    /// into the root table.
    #[serde(skip)]
    pub copies_into: BTreeMap<(String, String), u64>,
}

/// An `INDEX` or `CONSTRAINT` entry of the dump, kept by the verification
/// so the load can build it as soon as its table's data is in, before the
/// stream reaches it ([`crate::early`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexEntry {
    /// The dump line of its header, and its lines from there to the next
    /// header, unfiltered.
    pub first_line: u64,
    pub lines: Vec<Vec<u8>>,
    /// The `SET default_tablespace` / `SET default_table_access_method`
    /// lines in force at its header, with their lines (see
    /// [`SessionSettings`]).
    pub session: Vec<(u64, Vec<u8>)>,
}

/// The settings pg_dump sets once for the objects that follow:
/// `SET default_tablespace` and `SET default_table_access_method` as last
/// seen, with their dump lines. A statement run on another connection, or
/// out of the dump's order, needs them again.
#[derive(Debug, Clone, Default)]
pub struct SessionSettings(Vec<(u64, Vec<u8>)>);

impl SessionSettings {
    /// Note `line` (dump line `n`) if it is one of these settings.
    pub fn see(&mut self, line: &[u8], n: u64) {
        if line.starts_with(b"SET default_tablespace")
            || line.starts_with(b"SET default_table_access_method")
        {
            let key = &line[..line.iter().position(|b| *b == b'=').unwrap_or(line.len())];
            self.0.retain(|(_, t)| !t.starts_with(key));
            self.0.push((n, line.to_vec()));
        }
    }

    pub fn lines(&self) -> &[(u64, Vec<u8>)] {
        &self.0
    }
}

impl DumpInfo {
    /// Major version of the pg_dump that wrote it (`17` from `17.2 (Debian …)`).
    pub fn pg_dump_major(&self) -> Option<u32> {
        major_of(self.dumped_by.as_deref()?)
    }

    /// Entries of planner statistics (`pg_dump --statistics`, 18 and later).
    pub fn statistics_entries(&self) -> u64 {
        self.objects.get(STATISTICS_DATA).copied().unwrap_or(0)
    }

    pub fn server_major(&self) -> Option<u32> {
        major_of(self.dumped_from.as_deref()?)
    }
}

/// Line-by-line state machine over the SQL text.
#[derive(Debug, Default)]
pub struct Scanner {
    pub info: DumpInfo,
    in_copy: bool,
    current: Option<Header>,
    current_table: Option<usize>,
    tail_seen_complete_at: Option<u64>,
    session: SessionSettings,
    /// Index entries found so far, the last one still being read while
    /// `in_index_entry`.
    index_entries: Vec<IndexEntry>,
    in_index_entry: bool,
}

impl Scanner {
    /// Inside a table's COPY data (rows may be fed with [`Scanner::rows`]).
    pub fn in_copy(&self) -> bool {
        self.in_copy
    }

    /// Feed `rows` complete data lines of `bytes` bytes (newlines included)
    /// at once; the same as feeding them to [`Scanner::line`] one by one.
    pub fn rows(&mut self, rows: shipshape_pg::copydata::Rows) {
        let bytes = rows.bytes as u64;
        self.info.lines += rows.lines;
        self.info.bytes += bytes;
        if let Some(i) = self.current_table {
            self.info.tables[i].rows += rows.lines;
            self.info.tables[i].bytes += bytes;
        }
    }

    /// Feed one line without its newline.
    pub fn line(&mut self, raw: &[u8]) {
        self.info.lines += 1;
        self.info.bytes += raw.len() as u64 + 1;
        if self.in_copy {
            if raw == b"\\." {
                self.in_copy = false;
            } else if let Some(i) = self.current_table {
                self.info.tables[i].rows += 1;
                self.info.tables[i].bytes += raw.len() as u64 + 1;
            }
            return;
        }
        self.statement_line(raw);
        if self.in_index_entry
            && let Some(entry) = self.index_entries.last_mut()
        {
            entry.lines.push(raw.to_vec());
        }
        self.session.see(raw, self.info.lines);
    }

    /// A line outside COPY data.
    fn statement_line(&mut self, raw: &[u8]) {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches('\r');
        if self.info.lines <= 3 {
            if line == "-- PostgreSQL database dump" {
                self.info.has_header = true;
            } else if line == "-- PostgreSQL database cluster dump" {
                self.info.cluster_dump = true;
            }
        }
        if line.starts_with("--") {
            self.comment(line);
            return;
        }
        if let Some(i) = self.current_table {
            if shipshape_pg::archive::is_copy_from_stdin(line.as_bytes()) {
                self.in_copy = true;
                self.info.tables[i].copy = true;
                if let Some(target) = shipshape_pg::archive::copy_target(line.as_bytes()) {
                    *self.info.copies_into.entry(target).or_insert(0) += 1;
                }
            } else if !line.is_empty() {
                self.info.tables[i].bytes += line.len() as u64 + 1;
            }
        }
        if line.starts_with("SET transaction_timeout") {
            self.info.transaction_timeout_lines += 1;
        } else if line.starts_with("\\restrict ") {
            self.info.restrict = true;
        } else if line.starts_with("\\connect ") || line.starts_with("\\c ") {
            self.info.reconnects = true;
        } else if let Some(kind) = self.current.as_ref().map(|h| h.kind.as_str())
            && (kind == "ACL" || kind == "DEFAULT ACL")
        {
            for role in grantees(line) {
                self.info.grantees.insert(role);
            }
        }
        if let Some(role) = owner_to(line) {
            self.info.owners.insert(role);
        }
    }

    fn comment(&mut self, line: &str) {
        if let Some(v) = line.strip_prefix("-- Dumped from database version ") {
            self.info.dumped_from = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("-- Dumped by pg_dump version ") {
            self.info.dumped_by = Some(v.trim().to_owned());
        } else if line == "-- PostgreSQL database dump complete" {
            self.tail_seen_complete_at = Some(self.info.lines);
        } else if let Some(header) = parse_header(line) {
            self.current_table = None;
            self.in_index_entry = header.kind == "INDEX" || header.kind == "CONSTRAINT";
            if self.in_index_entry {
                self.index_entries.push(IndexEntry {
                    first_line: self.info.lines,
                    lines: Vec::new(),
                    session: self.session.lines().to_vec(),
                });
            }
            if let Some(owner) = &header.owner {
                self.info.owners.insert(owner.clone());
            }
            if header.is_data && header.kind == "TABLE DATA" {
                self.info.tables.push(TableData {
                    schema: header.schema.clone().unwrap_or_default(),
                    table: header.name.clone(),
                    bytes: 0,
                    rows: 0,
                    copy: false,
                });
                self.current_table = Some(self.info.tables.len() - 1);
            } else {
                *self.info.objects.entry(header.kind.clone()).or_insert(0) += 1;
            }
            self.current = Some(header);
        }
    }

    /// End of input: decide completeness (the marker must be among the last
    /// few lines; pg_dump 15.14+ adds `\unrestrict` after it).
    pub fn finish(mut self) -> DumpInfo {
        self.info.complete = self
            .tail_seen_complete_at
            .is_some_and(|at| self.info.lines.saturating_sub(at) <= 6)
            && !self.in_copy;
        self.info.index_entries = std::sync::Arc::new(self.index_entries);
        self.info
    }
}

/// `ALTER … OWNER TO role;` → role.
pub fn owner_to(line: &str) -> Option<String> {
    if !line.starts_with("ALTER ") {
        return None;
    }
    let at = line.rfind(" OWNER TO ")?;
    let role = line[at + 10..].strip_suffix(';')?;
    Some(unquote_ident(role.trim()))
}

/// Grantees of a `GRANT … TO r;` / `REVOKE … FROM r;` line (and the
/// `FOR ROLE r` of default privileges). PUBLIC is not a role to check.
pub fn grantees(line: &str) -> Vec<String> {
    let mut roles = Vec::new();
    let body = line.trim_end_matches(';');
    let body = body.strip_suffix(" WITH GRANT OPTION").unwrap_or(body);
    let body = body.strip_suffix(" CASCADE").unwrap_or(body);
    let target = if body.starts_with("GRANT ") || body.contains(" GRANT ") {
        body.rfind(" TO ").map(|i| &body[i + 4..])
    } else if body.starts_with("REVOKE ") || body.contains(" REVOKE ") {
        body.rfind(" FROM ").map(|i| &body[i + 6..])
    } else {
        None
    };
    if let Some(target) = target {
        let name = target.trim();
        let name = name.split(" GRANTED BY ").next().unwrap_or(name);
        if !name.eq_ignore_ascii_case("PUBLIC") && !name.is_empty() {
            roles.push(unquote_ident(name));
        }
    }
    if let Some(i) = body.find(" FOR ROLE ") {
        let rest = &body[i + 10..];
        let end = rest
            .find(" IN SCHEMA ")
            .or_else(|| rest.find(' '))
            .unwrap_or(rest.len());
        roles.push(unquote_ident(&rest[..end]));
    }
    roles
}

/// `"My Role"` → `My Role`; `app` → `app`.
pub fn unquote_ident(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = parse_header("-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: app")
            .unwrap();
        assert_eq!(h.name, "t t_pkey");
        assert_eq!(h.kind, "CONSTRAINT");
        assert_eq!(h.schema.as_deref(), Some("public"));
        assert_eq!(h.owner.as_deref(), Some("app"));
        let h =
            parse_header("-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: my role")
                .unwrap();
        assert!(h.is_data);
        assert_eq!(h.owner.as_deref(), Some("my role"));
        let h = parse_header(
            "-- Statistics for Name: t_pkey; Type: STATISTICS DATA; Schema: public; Owner: -",
        )
        .unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind.as_str()),
            ("t_pkey", STATISTICS_DATA)
        );
        assert_eq!(
            (h.schema.as_deref(), h.owner, h.is_data),
            (Some("public"), None, false)
        );
        let h = parse_header("-- Name: plpgsql; Type: EXTENSION; Schema: -; Owner: -").unwrap();
        assert_eq!((h.schema, h.owner), (None, None));
    }

    #[test]
    fn roles_from_statements() {
        assert_eq!(
            owner_to("ALTER TABLE public.t OWNER TO \"App Owner\";").as_deref(),
            Some("App Owner")
        );
        assert_eq!(
            grantees("GRANT SELECT ON TABLE public.t TO reader;"),
            vec!["reader"]
        );
        assert_eq!(
            grantees("REVOKE ALL ON SCHEMA public FROM PUBLIC;"),
            Vec::<String>::new()
        );
        assert_eq!(
            grantees(
                "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA public GRANT SELECT ON TABLES TO ro;"
            ),
            vec!["ro", "app"]
        );
    }

    /// The head of a real pg_dump 17.6 plain dump.
    #[test]
    fn restrict_is_noticed() {
        let text = "--\n-- PostgreSQL database dump\n--\n\n\\restrict Qk3xT8vLr2mNa6YbW0cZpE4sHd9fJu1g\n\n-- Dumped from database version 17.6\n-- Dumped by pg_dump version 17.6\n";
        let mut s = Scanner::default();
        for line in text.lines() {
            s.line(line.as_bytes());
        }
        let info = s.finish();
        assert!(info.restrict);
        assert_eq!(info.dumped_by.as_deref(), Some("17.6"));
    }

    #[test]
    fn scan_counts_tables_and_completeness() {
        let text = "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.2\n-- Dumped by pg_dump version 17.1\nSET transaction_timeout = 0;\n\n--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app\n--\n\nCOPY public.t (id) FROM stdin;\n1\n2\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
        let mut s = Scanner::default();
        for line in text.lines() {
            s.line(line.as_bytes());
        }
        let info = s.finish();
        assert!(info.has_header && info.complete);
        assert!(!info.restrict);
        assert_eq!(info.pg_dump_major(), Some(17));
        assert_eq!(info.server_major(), Some(15));
        assert_eq!(info.transaction_timeout_lines, 1);
        assert_eq!(info.tables[0].rows, 2);
        assert!(info.owners.contains("app"));
    }
}
