//! Prometheus durations (`model.ParseDuration`): a sequence of integer +
//! unit pairs in descending unit order — `1h30m`, `90s`, `2w` — with units
//! required, no fractions, no signs. `0` alone is allowed.

use std::time::Duration;

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// Parse a Prometheus duration; the error says what is wrong.
pub fn parse(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("empty duration string".to_owned());
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut next_unit = 0; // index into UNITS: units must descend
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start || text.contains('.') {
            return Err(invalid(text));
        }
        let number: u64 = text[digits_start..i].parse().map_err(|_| invalid(text))?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[unit_start..i];
        let Some(pos) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(if unit.is_empty() {
                format!("invalid duration {text:?}: a unit is required (ms, s, m, h, d, w, y)")
            } else {
                format!(
                    "invalid duration {text:?}: unknown unit {unit:?} (use ms, s, m, h, d, w, y)"
                )
            });
        };
        if pos < next_unit {
            return Err(format!(
                "invalid duration {text:?}: units must go from largest to smallest, each once"
            ));
        }
        next_unit = pos + 1;
        total = number
            .checked_mul(UNITS[pos].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
    }
    if i64::try_from(total).is_err() {
        return Err(format!("invalid duration {text:?}: too large"));
    }
    Ok(Duration::from_millis(total))
}

fn invalid(text: &str) -> String {
    if text.contains('.') {
        format!("invalid duration {text:?}: fractions are not allowed (write 90s, not 1.5m)")
    } else {
        format!("invalid duration {text:?}: expected e.g. 30s, 5m, 1h30m")
    }
}

/// A duration as Prometheus prints it (`1h30m`, `15s`).
pub fn format(d: Duration) -> String {
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in UNITS {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn valid_and_invalid() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("2w").unwrap(), Duration::from_secs(14 * 86400));
        for bad in ["", "5", "1.5m", "5 m", "-5m", "5mm", "30m1h", "1s1s", "m"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
    }
}
