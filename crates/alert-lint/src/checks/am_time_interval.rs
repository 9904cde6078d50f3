//! `am-time-interval`: the contents of `time_intervals` parse as Alertmanager
//! parses them (weekdays, times, days of month, months, years, location).

use shipshape_core::Severity;

use super::Check;
use crate::finding::{Pos, Sink};
use crate::schema::{Field, f};
use crate::yaml::Node;

/// Reported by the Alertmanager loader while it reads `time_intervals`.
pub const CHECK: Check = Check {
    id: "am-time-interval",
    severity: Severity::Error,
    summary: "A time interval with an invalid weekday, time, day of month, month, year or location.",
    explanation: "Alertmanager refuses time intervals it cannot read: `weekdays` are full English names or `monday:friday` ranges (no abbreviations or numbers); `times` need both `start_time` and `end_time` as HH:MM (00:00 to 24:00) with start before end; `days_of_month` are 1..31 or -31..-1 (a negative start needs a negative end, and the range must not be always empty); `months` are full names or numbers; `years` are numbers; every range runs forwards; `location` is an IANA time zone name such as Europe/Berlin (or UTC, Local).",
};

const INTERVAL: &[Field] = &[
    f("times"),
    f("weekdays"),
    f("days_of_month"),
    f("months"),
    f("years"),
    f("location"),
];
const TIME_RANGE: &[Field] = &[f("start_time"), f("end_time")];
const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS: [&str; 12] = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
];

/// One entry of a named time interval's `time_intervals` list.
pub fn load(sink: &mut Sink<'_>, node: &Node, version: (u32, u32)) {
    for (key, value) in sink.fields(node, "a time interval", INTERVAL, version, "Alertmanager") {
        let Some(name) = key.as_str() else { continue };
        if name == "location" {
            if let Some(loc) = sink.string(value, "location")
                && let Some(problem) = location_problem(&loc.value)
            {
                sink.push(CHECK.id, loc.pos, problem);
            }
            continue;
        }
        for item in sink.list(value, name) {
            if name == "times" {
                sink.fields(item, "a time range", TIME_RANGE, version, "Alertmanager");
                if let Some(problem) = time_range_problem(item) {
                    sink.push(CHECK.id, Pos::of(item), problem);
                }
                continue;
            }
            let Some(text) = sink.string(item, name) else { continue };
            if let Err(problem) = range_problem(name, &text.value) {
                sink.push(CHECK.id, text.pos, format!("{name}: {problem}"));
            }
        }
    }
}

fn time_range_problem(item: &Node) -> Option<String> {
    let get = |k| item.get(k).and_then(Node::as_str).unwrap_or("");
    let (start, end) = (get("start_time"), get("end_time"));
    if start.is_empty() || end.is_empty() {
        return Some("both start_time and end_time must be provided".to_owned());
    }
    let (Some(start), Some(end)) = (minutes(start), minutes(end)) else {
        return Some(format!("times must be HH:MM between 00:00 and 24:00 (got {start:?} to {end:?})"));
    };
    (start >= end).then(|| "start_time must be before end_time".to_owned())
}

/// Minutes since midnight of `HH:MM` (00:00..=23:59, or 24:00).
fn minutes(text: &str) -> Option<u32> {
    if text == "24:00" {
        return Some(1440);
    }
    let b = text.as_bytes();
    let ok = b.len() == 5
        && b[2] == b':'
        && matches!((b[0], b[1]), (b'0' | b'1', b'0'..=b'9') | (b'2', b'0'..=b'3'))
        && matches!((b[3], b[4]), (b'0'..=b'5', b'0'..=b'9'));
    ok.then(|| {
        let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
        let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
        h * 60 + m
    })
}

/// Go's `strconv.Atoi`.
fn atoi(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a number"));
    }
    text.parse().map_err(|_| format!("{text:?} is out of range"))
}

fn member(kind: &str, text: &str) -> Result<i64, String> {
    match kind {
        "weekdays" => WEEKDAYS
            .iter()
            .position(|d| *d == text)
            .map(|i| i as i64)
            .ok_or_else(|| format!("{text} is not a valid weekday (use full names such as monday)")),
        "months" => match MONTHS.iter().position(|m| *m == text) {
            Some(i) => Ok(i as i64 + 1),
            None => atoi(text).map_err(|_| format!("{text} is not a valid month (use full names such as january, or numbers)")),
        },
        _ => atoi(text),
    }
}

/// A weekday, day-of-month, month or year range as Alertmanager's
/// `stringableRangeFromString` and the range checks read it.
fn range_problem(kind: &str, text: &str) -> Result<(), String> {
    let lower = text.to_lowercase();
    let (begin, end) = if lower.contains(':') {
        let parts: Vec<&str> = lower.split(':').collect();
        if parts.len() != 2 {
            return Err(format!("couldn't parse range {text}, invalid format"));
        }
        (member(kind, parts[0])?, member(kind, parts[1])?)
    } else {
        let v = member(kind, &lower)?;
        (v, v)
    };
    match kind {
        "weekdays" if begin > end => Err("start day cannot be after end day".to_owned()),
        "days_of_month" => {
            for d in [begin, end] {
                if d == 0 || !(-31..=31).contains(&d) {
                    return Err(format!("{d} is not a valid day of the month: out of range"));
                }
            }
            if begin < 0 && end > 0 {
                return Err("end day must be negative if start day is negative".to_owned());
            }
            let check = |d: i64| if d < 0 { 28 + d } else { d };
            if check(begin) > check(end) {
                return Err(format!("end day {end} is always before start day {begin}"));
            }
            Ok(())
        }
        "months" if begin > end => Err(format!("end month {end} is before start month {begin}")),
        "years" if begin > end => Err(format!("end year {end} is before start year {begin}")),
        _ => Ok(()),
    }
}

/// Go's `time.LoadLocation` against the system time zone database, when
/// there is one (without it, any name is accepted).
fn location_problem(name: &str) -> Option<String> {
    if name.is_empty() || name == "UTC" || name == "Local" {
        return None;
    }
    let db = std::path::Path::new("/usr/share/zoneinfo");
    if !db.is_dir() {
        return None;
    }
    let bad = name.contains("..") || name.starts_with('/') || name.contains('\\') || !db.join(name).is_file();
    bad.then(|| format!("unknown time zone {name} (names are case-sensitive IANA names such as Europe/Berlin)"))
}

#[cfg(test)]
mod tests {
    use super::range_problem;

    #[test]
    fn ranges_as_alertmanager_reads_them() {
        for (kind, ok) in [("weekdays", "Monday:FRIDAY"), ("days_of_month", "-3:-1"), ("days_of_month", "1:-1"), ("months", "january:3"), ("months", "13"), ("years", "-5"), ("years", "2020:2025")] {
            assert_eq!(range_problem(kind, ok), Ok(()), "{kind} {ok}");
        }
        for (kind, bad) in [("weekdays", "mon"), ("weekdays", "1"), ("weekdays", "friday:monday"), ("weekdays", "a:b:c"), ("days_of_month", "0"), ("days_of_month", "-1:27"), ("days_of_month", "27:-2"), ("days_of_month", "10:5"), ("months", "jan"), ("months", "december:january"), ("years", "next")] {
            assert!(range_problem(kind, bad).is_err(), "{kind} {bad}");
        }
    }
}
