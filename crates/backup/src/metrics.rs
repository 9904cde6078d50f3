//! `--metrics-file`: Prometheus textfile-collector metrics, replaced
//! atomically so node-exporter never reads half a file. On failure the last
//! success timestamp (and size) is carried over from the existing file, so a
//! `BackupTooOld` alert on `time() - pg_backup_last_success_timestamp_seconds`
//! keeps counting from the last good backup.

use std::fmt::Write as _;
use std::path::Path;

/// What one run reports.
#[derive(Debug, Clone)]
pub struct RunMetrics {
    pub database: String,
    pub prefix: String,
    pub success: bool,
    pub finished_unix: f64,
    pub duration_seconds: f64,
    pub size_bytes: Option<u64>,
}

/// Write the metrics file.
pub fn write(path: &Path, run: &RunMetrics) -> anyhow::Result<()> {
    let previous = std::fs::read_to_string(path).unwrap_or_default();
    let labels = format!(
        "database=\"{}\",prefix=\"{}\"",
        escape(&run.database),
        escape(&run.prefix)
    );
    let last_success = if run.success {
        Some(run.finished_unix)
    } else {
        previous_value(&previous, "pg_backup_last_success_timestamp_seconds")
    };
    let size = match (run.success, run.size_bytes) {
        (true, Some(size)) => Some(size as f64),
        _ => previous_value(&previous, "pg_backup_last_size_bytes"),
    };
    let mut text = String::new();
    let mut metric = |name: &str, help: &str, value: Option<f64>| {
        gauge(&mut text, &labels, name, help, value);
    };
    metric(
        "pg_backup_last_success_timestamp_seconds",
        "Unix time the last successful, verified backup finished.",
        last_success,
    );
    metric(
        "pg_backup_last_size_bytes",
        "Size in bytes of the last successful backup file.",
        size,
    );
    metric(
        "pg_backup_last_duration_seconds",
        "Duration in seconds of the last backup run, successful or not.",
        Some(run.duration_seconds),
    );
    metric(
        "pg_backup_last_status",
        "1 if the last backup run succeeded, 0 if it failed.",
        Some(if run.success { 1.0 } else { 0.0 }),
    );
    metric(
        "pg_backup_last_run_timestamp_seconds",
        "Unix time the last backup run ended, successful or not.",
        Some(run.finished_unix),
    );
    crate::fsx::write_atomic(path, text.as_bytes())
}

/// The restore drill's outcome (`pg-backup verify --restore
/// --metrics-file PATH`), in its own file (a backup run replaces its own
/// file whole): the last successful drill's time is carried over on
/// failure, as for backups, so a `RestoreTestTooOld` alert keeps counting.
pub fn write_restore_test(path: &Path, database: &str, success: bool) -> anyhow::Result<()> {
    let previous = std::fs::read_to_string(path).unwrap_or_default();
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let labels = format!("database=\"{}\"", escape(database));
    let last_success = if success {
        Some(now)
    } else {
        previous_value(
            &previous,
            "pg_backup_last_restore_test_success_timestamp_seconds",
        )
    };
    let mut text = String::new();
    let mut metric = |name: &str, help: &str, value: Option<f64>| {
        gauge(&mut text, &labels, name, help, value);
    };
    metric(
        "pg_backup_last_restore_test_success_timestamp_seconds",
        "Unix time of the last restore drill that restored a backup and matched every row count.",
        last_success,
    );
    metric(
        "pg_backup_last_restore_test_status",
        "1 if the last restore drill succeeded, 0 if it failed.",
        Some(if success { 1.0 } else { 0.0 }),
    );
    metric(
        "pg_backup_last_restore_test_run_timestamp_seconds",
        "Unix time the last restore drill ended, successful or not.",
        Some(now),
    );
    crate::fsx::write_atomic(path, text.as_bytes())
}

/// One gauge in the text format; without a value only its HELP and TYPE
/// (the series is absent, which `absent()` alerts see).
fn gauge(text: &mut String, labels: &str, name: &str, help: &str, value: Option<f64>) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
    if let Some(value) = value {
        let _ = writeln!(text, "{name}{{{labels}}} {value}");
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The value of the first sample of `name` in a textfile.
fn previous_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_keeps_the_last_success_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pg_backup.prom");
        let mut run = RunMetrics {
            database: "app".into(),
            prefix: "app".into(),
            success: true,
            finished_unix: 1000.0,
            duration_seconds: 2.5,
            size_bytes: Some(4096),
        };
        write(&path, &run).unwrap();
        run.success = false;
        run.finished_unix = 2000.0;
        run.size_bytes = None;
        write(&path, &run).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(
                "pg_backup_last_success_timestamp_seconds{database=\"app\",prefix=\"app\"} 1000\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("pg_backup_last_size_bytes{database=\"app\",prefix=\"app\"} 4096\n"),
            "{text}"
        );
        assert!(
            text.contains("pg_backup_last_status{database=\"app\",prefix=\"app\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE pg_backup_last_duration_seconds gauge"));
    }
}
