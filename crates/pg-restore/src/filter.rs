//! Rewriting a plain SQL dump on its way to the server, line for line (a
//! dropped line becomes an empty line so psql's line numbers still point at
//! the dump): `SET transaction_timeout` and pg_dump 18's planner statistics
//! for servers that do not know them,
//! ownership (`--no-owner`, `--owner-map`) and privileges
//! (`--no-privileges`). COPY data is never touched.

use std::borrow::Cow;

use shipshape_pg::quote::quote_ident;

use crate::scan::{STATISTICS_DATA, grantees, owner_to, parse_header};

#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    pub drop_transaction_timeout: bool,
    /// Leave out `STATISTICS DATA` entries (`pg_restore_relation_stats()`
    /// and friends exist from PostgreSQL 18 on); ANALYZE computes them.
    pub drop_statistics: bool,
    pub no_owner: bool,
    pub no_privileges: bool,
    pub owner_map: Vec<(String, String)>,
}

impl FilterOptions {
    /// Nothing to rewrite: the stream can be passed through unchanged.
    pub fn is_noop(&self) -> bool {
        !self.drop_transaction_timeout
            && !self.drop_statistics
            && !self.no_owner
            && !self.no_privileges
            && self.owner_map.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct Filter {
    opts: FilterOptions,
    in_copy: bool,
    in_acl: bool,
    in_statistics: bool,
    pub dropped: u64,
}

impl Filter {
    pub fn new(opts: FilterOptions) -> Self {
        Self {
            opts,
            ..Self::default()
        }
    }

    /// The line to send instead of `line` (both without the newline).
    pub fn apply<'a>(&mut self, line: &'a [u8]) -> Cow<'a, [u8]> {
        if self.in_copy {
            if line == b"\\." {
                self.in_copy = false;
            }
            return Cow::Borrowed(line);
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return Cow::Borrowed(line);
        };
        if shipshape_pg::archive::is_copy_from_stdin(line) {
            self.in_copy = true;
            return Cow::Borrowed(line);
        }
        if text.starts_with("--") {
            if let Some(h) = parse_header(text) {
                self.in_acl = h.kind == "ACL" || h.kind == "DEFAULT ACL";
                self.in_statistics = h.kind == STATISTICS_DATA;
            }
            return Cow::Borrowed(line);
        }
        if self.opts.drop_statistics && self.in_statistics && !text.is_empty() {
            self.dropped += 1;
            return Cow::Borrowed(b"");
        }
        if self.opts.drop_transaction_timeout && text.starts_with("SET transaction_timeout") {
            self.dropped += 1;
            return Cow::Borrowed(b"");
        }
        if let Some(role) = owner_to(text) {
            if self.opts.no_owner {
                self.dropped += 1;
                return Cow::Borrowed(b"");
            }
            if let Some((_, new)) = self.opts.owner_map.iter().find(|(old, _)| *old == role)
                && let Some(at) = text.rfind(" OWNER TO ")
            {
                return Cow::Owned(
                    format!("{} OWNER TO {};", &text[..at], quote_ident(new)).into_bytes(),
                );
            }
            return Cow::Borrowed(line);
        }
        if self.in_acl && !text.is_empty() {
            if self.opts.no_privileges {
                self.dropped += 1;
                return Cow::Borrowed(b"");
            }
            if !self.opts.owner_map.is_empty() {
                let roles = grantees(text);
                let mut out = text.to_owned();
                for role in roles {
                    if let Some((_, new)) = self.opts.owner_map.iter().find(|(old, _)| *old == role)
                    {
                        for form in [quote_ident(&role), role.clone()] {
                            for (prefix, suffix) in [
                                (" TO ", ";"),
                                (" FROM ", ";"),
                                (" TO ", " WITH GRANT OPTION;"),
                                (" FOR ROLE ", " "),
                            ] {
                                let from = format!("{prefix}{form}{suffix}");
                                if out.contains(&from) {
                                    out = out.replace(
                                        &from,
                                        &format!("{prefix}{}{suffix}", quote_ident(new)),
                                    );
                                }
                            }
                        }
                    }
                }
                if out != text {
                    return Cow::Owned(out.into_bytes());
                }
            }
        }
        Cow::Borrowed(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(opts: FilterOptions, text: &str) -> String {
        let mut f = Filter::new(opts);
        text.lines()
            .map(|l| String::from_utf8(f.apply(l.as_bytes()).into_owned()).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn keeps_line_numbers_and_never_touches_copy_data() {
        let text = "SET transaction_timeout = 0;\nALTER TABLE public.t OWNER TO old;\nCOPY public.t (a) FROM stdin;\nALTER TABLE public.t OWNER TO old;\n\\.\n--\n-- Name: TABLE t; Type: ACL; Schema: public; Owner: old\n--\nGRANT SELECT ON TABLE public.t TO old;";
        let out = run(
            FilterOptions {
                drop_transaction_timeout: true,
                owner_map: vec![("old".into(), "New".into())],
                ..FilterOptions::default()
            },
            text,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), text.lines().count());
        assert_eq!(lines[0], "");
        assert_eq!(lines[1], "ALTER TABLE public.t OWNER TO \"New\";");
        assert_eq!(
            lines[3], "ALTER TABLE public.t OWNER TO old;",
            "COPY data untouched"
        );
        assert_eq!(lines[8], "GRANT SELECT ON TABLE public.t TO \"New\";");
        let out = run(
            FilterOptions {
                no_owner: true,
                no_privileges: true,
                ..FilterOptions::default()
            },
            text,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "");
        assert_eq!(lines[0], "SET transaction_timeout = 0;");
        assert_eq!(lines.get(8).copied().unwrap_or(""), "");
    }

    #[test]
    fn drops_statistics_entries_only_when_asked() {
        let text = "--\n-- Statistics for Name: t; Type: STATISTICS DATA; Schema: public; Owner: -\n--\n\nSELECT * FROM pg_catalog.pg_restore_relation_stats(\n\t'relname', 't'\n);\n\n--\n-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: app\n--\n\nALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);";
        let opts = FilterOptions {
            drop_statistics: true,
            ..FilterOptions::default()
        };
        let out = run(opts, text);
        assert_eq!(
            out.lines().count(),
            text.lines().count(),
            "line numbers kept"
        );
        assert!(!out.contains("pg_restore_relation_stats") && !out.contains("'relname'"));
        assert!(out.contains("ADD CONSTRAINT t_pkey"), "{out}");
        assert_eq!(run(FilterOptions::default(), text), text);
    }
}
