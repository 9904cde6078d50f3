//! `--verify-restore`: restore the backup into a throwaway database on the
//! same server, count every table's rows, compare with the counts taken in
//! the dump's snapshot (the manifest), and drop the throwaway database.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, anyhow};
use shipshape_core::interrupt;
use shipshape_pg::manifest::{DumpFormat, Manifest};
use shipshape_pg::snapshot::{compare_counts, count_rows};
use shipshape_pg::throwaway::{self, ThrowawayDatabase};
use shipshape_pg::{ConnectionSettings, Db, archive, child, programs};

/// Restore and compare; `Ok(problems)` (empty when every count matches).
pub fn verify_restore(
    settings: &ConnectionSettings,
    server_major: u32,
    path: &Path,
    manifest: &Manifest,
    bin_dir: Option<&Path>,
) -> anyhow::Result<Vec<String>> {
    let prefix = format!("{}_pgbackup_verify", manifest.database);
    sweep_orphans(settings, &prefix);
    let db = ThrowawayDatabase::create(settings, TOOL, &prefix).context(
        "cannot create a throwaway database for --verify-restore (the role needs CREATEDB)",
    )?;
    let target = db.settings();
    let needs =
        programs::Needs::server(server_major).with_dump_version(Some(&manifest.pg_dump_version));
    let restored = match manifest.format {
        DumpFormat::Plain => restore_plain(&target, needs, path, manifest, bin_dir),
        DumpFormat::Custom => restore_custom(&target, needs, path, bin_dir),
    };
    let result = restored.and_then(|()| {
        let mut conn = Db::connect(&target)?;
        let counts = count_rows(&mut conn)?;
        conn.close();
        Ok(compare_counts(&manifest.tables, &counts))
    });
    let dropped = db.drop_now();
    let problems = result?;
    dropped.context("cannot drop the --verify-restore throwaway database")?;
    Ok(problems)
}

fn restore_plain(
    target: &ConnectionSettings,
    needs: programs::Needs,
    path: &Path,
    manifest: &Manifest,
    bin_dir: Option<&Path>,
) -> anyhow::Result<()> {
    // psql reads SQL of any pg_dump: only the server's version counts.
    let psql = programs::find(
        "psql",
        programs::Needs {
            dump_major: None,
            ..needs
        },
        bin_dir,
    )?;
    // A pg_dump that knows `\restrict` writes it into every plain dump.
    if programs::knows_restrict(&manifest.pg_dump_version) {
        programs::check_restrict(&psql, Some(&manifest.pg_dump_version))?;
    }
    let mut cmd = child::command(&psql.path, target);
    cmd.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-f",
        "-",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut reader = archive::open(path, manifest.compression)?;
    run_with_input(cmd, "psql", move |stdin| {
        std::io::copy(&mut reader, stdin).map(|_| ())
    })
}

fn restore_custom(
    target: &ConnectionSettings,
    needs: programs::Needs,
    path: &Path,
    bin_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let pg_restore = programs::find("pg_restore", needs, bin_dir)?;
    let mut cmd = child::command(&pg_restore.path, target);
    cmd.args([
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        "-d",
    ])
    .arg(&target.database)
    .arg(path)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    run_with_input(cmd, "pg_restore", |_| Ok(()))
}

fn run_with_input(
    mut cmd: Command,
    name: &str,
    feed: impl FnOnce(&mut std::process::ChildStdin) -> std::io::Result<()> + Send + 'static,
) -> anyhow::Result<()> {
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().with_context(|| format!("cannot run {name}"))?;
    let stdin = child.stdin.take();
    let feeder = std::thread::spawn(move || match stdin {
        Some(mut stdin) => feed(&mut stdin),
        None => Ok(()),
    });
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let status = loop {
        if interrupt::requested() {
            crate::dump::stop(&mut child);
            return Err(shipshape_core::Interrupted.into());
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let fed = feeder.join().unwrap_or(Ok(()));
    let stderr = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(anyhow!(
            "restoring into the throwaway database failed: {name} {status}\n{}",
            indent(&stderr)
        ));
    }
    fed.with_context(|| format!("feeding the backup to {name}"))?;
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tool name in the throwaway databases' marker comment.
const TOOL: &str = "pg-backup";

/// Drop verification databases an earlier run on this host could not drop
/// (killed with `kill -9` mid-restore): marked by pg-backup, created here,
/// by a process that no longer runs. Best effort: a failure must not fail
/// the backup, and the next run tries again.
fn sweep_orphans(settings: &ConnectionSettings, prefix: &str) {
    let maintenance = settings.maintenance();
    if let Ok(mut admin) = Db::connect(&maintenance) {
        let _ = throwaway::sweep_orphans(&mut admin, TOOL, prefix);
        admin.close();
    }
}
