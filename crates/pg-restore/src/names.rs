//! The names pg-restore gives databases: `<target>_restoring_<ts>` while
//! loading, `<target>_pre_restore_<ts>` for the kept previous database,
//! `<target>_rolled_back_<ts>` for what a rollback replaced. Timestamps are
//! UTC `YYYYmmdd_HHMMSS`. PostgreSQL truncates identifiers to 63 bytes, so a
//! long target name is shortened (on a character boundary) to make the
//! suffix fit; the same rule finds them again for rollback and prune.

use chrono::{DateTime, NaiveDateTime, Utc};

pub const RESTORING: &str = "_restoring_";
pub const PRE_RESTORE: &str = "_pre_restore_";
pub const ROLLED_BACK: &str = "_rolled_back_";
const MAX_IDENT: usize = 63;
const TS_LEN: usize = 15;

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d_%H%M%S").to_string()
}

/// The prefix every name of `kind` for `target` starts with.
pub fn prefix(target: &str, kind: &str) -> String {
    let budget = MAX_IDENT - kind.len() - TS_LEN;
    let mut end = target.len().min(budget);
    while !target.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{kind}", &target[..end])
}

pub fn name(target: &str, kind: &str, ts: &str) -> String {
    format!("{}{ts}", prefix(target, kind))
}

/// If `db` is a `kind` name of `target`, its timestamp.
pub fn parse(target: &str, kind: &str, db: &str) -> Option<NaiveDateTime> {
    let ts = db.strip_prefix(&prefix(target, kind))?;
    if ts.len() != TS_LEN {
        return None;
    }
    NaiveDateTime::parse_from_str(ts, "%Y%m%d_%H%M%S").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_in_63_bytes_and_parse_back() {
        let long = "a_very_long_database_name_that_goes_on_and_on_ÿÿÿ_forever";
        let n = name(long, PRE_RESTORE, "20260101_120000");
        assert!(n.len() <= 63, "{n}");
        assert!(parse(long, PRE_RESTORE, &n).is_some());
        assert!(parse(long, RESTORING, &n).is_none());
        let short = name("My \"App\"", PRE_RESTORE, "20260101_120000");
        assert_eq!(short, "My \"App\"_pre_restore_20260101_120000");
        assert!(parse("My \"App\"", PRE_RESTORE, "My \"App\"_pre_restore_2026").is_none());
        assert!(parse("app", PRE_RESTORE, "app_x_pre_restore_20260101_120000").is_none());
    }
}
