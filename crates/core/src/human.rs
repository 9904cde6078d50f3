//! Numbers for people, the same in every tool's output: sizes, durations,
//! ages and rates.

use std::time::Duration;

/// A byte count in binary units with one decimal: `512 B`, `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A duration: `4.2s`, `2m 03s`, `1h 05m`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{}h {:02}m", d.as_secs() / 3600, (d.as_secs() % 3600) / 60)
    }
}

/// An age in whole units, coarser as it grows: `45s`, `12m`, `5h 10m`,
/// `3d 4h`; a negative age (a clock ahead of ours) is `in the future`.
pub fn age(seconds: i64) -> String {
    if seconds < 0 {
        return "in the future".to_owned();
    }
    let (d, h, m) = (
        seconds / 86400,
        (seconds % 86400) / 3600,
        (seconds % 3600) / 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{seconds}s")
    }
}

/// A throughput: `45.3 MiB/s`; `-` when no time has passed.
pub fn rate(bytes_done: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return "-".to_owned();
    }
    format!("{}/s", bytes((bytes_done as f64 / secs) as u64))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{age, bytes, duration, rate};

    #[test]
    fn durations_ages_and_rates() {
        assert_eq!(duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(duration(Duration::from_secs(123)), "2m 03s");
        assert_eq!(duration(Duration::from_secs(3900)), "1h 05m");
        assert_eq!(age(45), "45s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(5 * 3600 + 600), "5h 10m");
        assert_eq!(age(3 * 86400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(age(-1), "in the future");
        assert_eq!(rate(3 * 1024 * 1024, Duration::from_secs(2)), "1.5 MiB/s");
        assert_eq!(rate(1, Duration::ZERO), "-");
    }

    #[test]
    fn binary_units_with_one_decimal() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    }
}
