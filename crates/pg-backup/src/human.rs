//! Numbers for people: sizes, durations, ages, rates.

use std::time::Duration;

pub use shipshape_core::human::bytes;

/// `2m 03s`, `4.2s`
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

/// `3d 4h`, `5h 10m`, `12m`
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
    } else {
        format!("{m}m")
    }
}

/// `45.3 MiB/s`
pub fn rate(bytes_done: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return "-".to_owned();
    }
    format!("{}/s", bytes((bytes_done as f64 / secs) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(duration(Duration::from_secs(123)), "2m 03s");
        assert_eq!(age(3 * 86400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(age(600), "10m");
    }
}
