//! Which backups to keep. Pure: it sees names, times (from the names) and
//! verification status, and decides; deleting is someone else's job.
//!
//! A backup is kept when any rule keeps it:
//! - `keep_days N`: its timestamp is less than N days old (or in the future);
//! - `keep_daily/weekly/monthly N`: it is the newest verified backup of one of
//!   the N most recent days / ISO weeks / months that have one
//!   (grandfather-father-son);
//! - `keep_min N`: it is one of the N newest verified backups, so retention
//!   never takes the directory below N good backups, however old they are.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike as _, Duration, Utc};
use serde::Serialize;

/// Which day, ISO week or month a time falls in.
type BucketKey = fn(&DateTime<Utc>) -> (i32, u32, u32);

/// The retention settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub keep_days: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
    pub keep_min: u32,
}

/// One existing backup.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub file: String,
    pub time: DateTime<Utc>,
    pub verified: bool,
}

/// The verdict for one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub file: String,
    pub keep: bool,
    /// Why it is kept (empty when deleted).
    pub reasons: Vec<String>,
}

/// Decide for every candidate; the result is sorted newest first.
pub fn decide(policy: &Policy, candidates: &[Candidate], now: DateTime<Utc>) -> Vec<Verdict> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.file.cmp(&a.file)));
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); sorted.len()];

    if policy.keep_days > 0 {
        let cutoff = now - Duration::days(i64::from(policy.keep_days));
        for (i, c) in sorted.iter().enumerate() {
            if c.time > cutoff {
                reasons[i].push(format!("keep-days {}", policy.keep_days));
            }
        }
    }
    let buckets: [(&str, u32, BucketKey); 3] = [
        ("daily", policy.keep_daily, |t| {
            (t.year(), t.month(), t.day())
        }),
        ("weekly", policy.keep_weekly, |t| {
            let w = t.iso_week();
            (w.year(), w.week(), 0)
        }),
        ("monthly", policy.keep_monthly, |t| (t.year(), t.month(), 0)),
    ];
    for (label, count, key) in buckets {
        let mut seen = BTreeSet::new();
        for (i, c) in sorted.iter().enumerate() {
            if seen.len() >= count as usize {
                break;
            }
            if c.verified && seen.insert(key(&c.time)) {
                reasons[i].push(label.to_owned());
            }
        }
    }
    if policy.keep_min > 0 {
        for (i, _) in sorted
            .iter()
            .enumerate()
            .filter(|(_, c)| c.verified)
            .take(policy.keep_min as usize)
        {
            reasons[i].push(format!("keep-min {}", policy.keep_min));
        }
    }
    sorted
        .into_iter()
        .zip(reasons)
        .map(|(c, reasons)| Verdict {
            file: c.file.clone(),
            keep: !reasons.is_empty(),
            reasons,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn cand(t: DateTime<Utc>, verified: bool) -> Candidate {
        Candidate {
            file: format!("app_{}.sql.gz", t.format("%Y%m%d_%H%M%S")),
            time: t,
            verified,
        }
    }

    fn kept(verdicts: &[Verdict]) -> Vec<String> {
        verdicts
            .iter()
            .filter(|v| v.keep)
            .map(|v| v.file[4..17].to_owned())
            .collect()
    }

    const NONE: Policy = Policy {
        keep_days: 0,
        keep_daily: 0,
        keep_weekly: 0,
        keep_monthly: 0,
        keep_min: 0,
    };

    #[test]
    fn keep_days_uses_the_name_time() {
        let now = at(2026, 3, 10, 12);
        let c = [
            cand(at(2026, 3, 10, 1), true),
            cand(at(2026, 3, 3, 13), true),
            cand(at(2026, 3, 3, 11), true),
        ];
        let v = decide(
            &Policy {
                keep_days: 7,
                ..NONE
            },
            &c,
            now,
        );
        assert_eq!(kept(&v), ["20260310_0100", "20260303_1300"]);
    }

    #[test]
    fn keep_min_never_goes_below_n_verified() {
        let now = at(2026, 3, 10, 12);
        let c = [
            cand(at(2026, 1, 1, 0), true),
            cand(at(2026, 1, 2, 0), false),
            cand(at(2025, 12, 1, 0), true),
        ];
        let v = decide(
            &Policy {
                keep_days: 7,
                keep_min: 1,
                ..NONE
            },
            &c,
            now,
        );
        assert_eq!(
            kept(&v),
            ["20260101_0000"],
            "the unverified newer one does not count"
        );
        let v = decide(
            &Policy {
                keep_days: 7,
                keep_min: 2,
                ..NONE
            },
            &c,
            now,
        );
        assert_eq!(kept(&v), ["20260101_0000", "20251201_0000"]);
    }

    #[test]
    fn grandfather_father_son() {
        let now = at(2026, 3, 31, 23);
        // Two backups a day for the whole of March and the end of February.
        let mut c = Vec::new();
        for day in 1..=31 {
            c.push(cand(at(2026, 3, day, 1), true));
            c.push(cand(at(2026, 3, day, 13), true));
        }
        for day in 20..=28 {
            c.push(cand(at(2026, 2, day, 13), true));
        }
        let policy = Policy {
            keep_daily: 3,
            keep_weekly: 2,
            keep_monthly: 2,
            ..NONE
        };
        let v = decide(&policy, &c, now);
        assert_eq!(
            kept(&v),
            [
                "20260331_1300", // daily, weekly (ISO week 14), monthly (March)
                "20260330_1300", // daily
                "20260329_1300", // daily, weekly (week 13 ends Sunday 29th)
                "20260228_1300", // monthly (February)
            ]
        );
        let reasons = &v[0].reasons;
        assert_eq!(reasons, &["daily", "weekly", "monthly"]);
    }

    #[test]
    fn everything_goes_only_when_every_rule_is_zero() {
        let now = at(2026, 3, 10, 12);
        let c = [cand(at(2026, 3, 10, 1), true)];
        assert!(kept(&decide(&NONE, &c, now)).is_empty());
    }
}
