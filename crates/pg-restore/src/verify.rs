//! Step 1 of every restore, and all of `list`: read the whole file before
//! touching any server. A gzip/zstd file is decompressed completely (the
//! gzip CRC and length of every member are checked), the raw bytes are
//! hashed and compared with the manifest, and the SQL is scanned to prove it
//! is a complete pg_dump. Archives are read completely by `pg_restore -f -`,
//! whose SQL output is scanned the same way.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use shipshape_core::Diagnostic;
use shipshape_pg::manifest::Manifest;

use crate::input::{self, Kind, SqlStream};
use crate::scan::{DumpInfo, Scanner};

/// A file that passed verification.
#[derive(Debug, Clone)]
pub struct Verified {
    pub path: PathBuf,
    pub kind: Kind,
    pub size: u64,
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
    pub sha256: Option<String>,
    pub manifest: Option<Manifest>,
    pub info: DumpInfo,
    /// Non-fatal remarks (e.g. no manifest, manifest for another file name).
    pub notes: Vec<Diagnostic>,
}

/// The verdict.
#[derive(Debug)]
pub enum Outcome {
    Good(Box<Verified>),
    Bad(Diagnostic),
}

fn bad(path: &Path, code: &str, message: String, help: &str) -> Outcome {
    Outcome::Bad(
        Diagnostic::error(code, message)
            .with_file(path.display().to_string())
            .with_help(help),
    )
}

/// Feed every line of `reader` to a scanner.
pub fn scan_lines(mut reader: impl std::io::BufRead) -> std::io::Result<DumpInfo> {
    let mut scanner = Scanner::default();
    let mut line = Vec::with_capacity(256);
    loop {
        if scanner.in_copy() {
            let rows = shipshape_pg::copydata::leading_rows(reader.fill_buf()?, usize::MAX);
            if rows.lines > 0 {
                scanner.rows(rows);
                reader.consume(rows.bytes);
                continue;
            }
        }
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        scanner.line(&line);
    }
    Ok(scanner.finish())
}

/// Verify `path` completely. `pg_restore` is needed for archives.
pub fn verify(
    path: &Path,
    pg_restore: Option<&Path>,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<Outcome> {
    let kind = input::detect(path)?;
    let meta = fs_err::metadata(path)?;
    let size = if meta.is_dir() {
        dir_size(path)
    } else {
        meta.len()
    };
    let modified = meta
        .modified()
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    let mut notes = Vec::new();
    let manifest = read_manifest(path, &mut notes);
    let read = if kind.is_sql() {
        read_sql(path, kind, size, printer)?
    } else {
        let Some(pg_restore) = pg_restore else {
            anyhow::bail!("pg_restore is needed to read {}", path.display());
        };
        read_archive(path, kind, pg_restore)?
    };
    let (info, sha256) = match read {
        FullRead::Complete { info, sha256 } => (info, sha256),
        FullRead::Damaged(outcome) => return Ok(outcome),
    };
    if let Some(outcome) = not_restorable(path, kind, &info) {
        return Ok(outcome);
    }
    if let Some(outcome) = compare_manifest(path, manifest.as_ref(), sha256.as_deref(), &mut notes)
    {
        return Ok(outcome);
    }
    Ok(Outcome::Good(Box::new(Verified {
        path: path.to_owned(),
        kind,
        size,
        modified,
        sha256,
        manifest,
        info,
        notes,
    })))
}

/// What reading a backup to its end gave.
enum FullRead {
    /// Read completely: what the dump holds, and the SHA-256 of the bytes on
    /// disk (none for a directory archive, which has no single file).
    Complete {
        info: DumpInfo,
        sha256: Option<String>,
    },
    /// It could not be read to the end: the verdict saying why.
    Damaged(Outcome),
}

/// The manifest beside `path`, if any; one that cannot be read is a note,
/// not a failure (the file is still read completely).
fn read_manifest(path: &Path, notes: &mut Vec<Diagnostic>) -> Option<Manifest> {
    match Manifest::read_for(path) {
        Ok(m) => m,
        Err(err) => {
            notes.push(
                Diagnostic::warning(
                    "manifest-unreadable",
                    format!("{err:#}; the checksum cannot be compared"),
                )
                .with_file(path.display().to_string()),
            );
            None
        }
    }
}

/// A plain SQL dump (optionally gzip or zstd): decompress and scan it to the
/// end, hashing the raw bytes on the way, with a progress line on a terminal.
fn read_sql(
    path: &Path,
    kind: Kind,
    size: u64,
    printer: &shipshape_core::Printer,
) -> anyhow::Result<FullRead> {
    let progress = shipshape_core::Progress::bytes(printer, "verifying", Some(size));
    let mut stream = SqlStream::open_reporting(path, kind, progress.handle())?;
    match scan_lines(&mut stream).and_then(|info| {
        // scan_lines read to EOF, so the decoder has finished; a decoding
        // error surfaced as the read error, this only collects the hash.
        let sha = stream
            .finish()
            .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        Ok((info, sha))
    }) {
        Ok((info, sha)) => Ok(FullRead::Complete {
            info,
            sha256: Some(sha),
        }),
        Err(err) => {
            // A read cut short by Ctrl-C is an interruption, not damage.
            shipshape_core::interrupt::check()?;
            Ok(FullRead::Damaged(bad(
                path,
                "damaged-file",
                format!("{err}"),
                "the file is truncated or corrupted; use another backup (pg-backup verify checks them all)",
            )))
        }
    }
}

/// A custom, directory or tar archive: `pg_restore -f -` reads all of it and
/// its SQL is scanned like a plain dump; the archive file is then hashed.
fn read_archive(path: &Path, kind: Kind, pg_restore: &Path) -> anyhow::Result<FullRead> {
    let mut child = std::process::Command::new(pg_restore)
        .arg("-f")
        .arg("-")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    let stdout = child.stdout.take().context("pg_restore stdout")?;
    let mut stderr = child.stderr.take().context("pg_restore stderr")?;
    // Drained on its own thread so that a pg_restore writing a lot of
    // errors cannot block on a full pipe while stdout is being read.
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let scanned = scan_lines(BufReader::with_capacity(1 << 20, stdout));
    let status = crate::load::wait(&mut child)?;
    let errors = err_thread.join().unwrap_or_default();
    if !status.success() || scanned.is_err() {
        return Ok(FullRead::Damaged(bad(
            path,
            "damaged-file",
            format!(
                "pg_restore cannot read the archive: {}",
                errors.trim().lines().take(5).collect::<Vec<_>>().join("; ")
            ),
            "the archive is truncated, corrupted or from a newer pg_dump than this pg_restore; use another backup or a newer pg_restore (--pg-bin-dir)",
        )));
    }
    let sha256 = if kind == Kind::Directory {
        None
    } else {
        Some(input::sha256_file(path)?)
    };
    Ok(FullRead::Complete {
        info: scanned?,
        sha256,
    })
}

/// A file read completely that still cannot be restored beside the target:
/// a cluster dump, not pg_dump output, cut short, or made with --create.
fn not_restorable(path: &Path, kind: Kind, info: &DumpInfo) -> Option<Outcome> {
    if info.cluster_dump {
        return Some(bad(
            path,
            "not-a-database-dump",
            "this is a pg_dumpall cluster dump, not a dump of one database".into(),
            "restore it with psql as a superuser, or give pg-restore a pg_dump file",
        ));
    }
    if !info.has_header {
        return Some(bad(
            path,
            "not-a-dump",
            format!(
                "{} does not look like a pg_dump file (no \"-- PostgreSQL database dump\" header)",
                kind.describe()
            ),
            "pg-restore reads pg_dump output: plain SQL (optionally gzip or zstd), -Fc, -Fd or -Ft",
        ));
    }
    if !info.complete {
        return Some(bad(
            path,
            "incomplete-dump",
            "the dump is incomplete: pg_dump's closing \"-- PostgreSQL database dump complete\" line is missing".into(),
            "the dump was cut short (pg_dump failed or the file was truncated); use another backup",
        ));
    }
    if info.reconnects {
        return Some(bad(
            path,
            "dump-reconnects",
            "the dump contains \\connect (made with pg_dump --create); it would restore into the original database name, not beside it".into(),
            "make the dump without --create; pg-restore creates the database itself",
        ));
    }
    None
}

/// The file against its manifest: a checksum that differs is fatal; a
/// manifest for another file name, or none at all, is a note.
fn compare_manifest(
    path: &Path,
    manifest: Option<&Manifest>,
    sha256: Option<&str>,
    notes: &mut Vec<Diagnostic>,
) -> Option<Outcome> {
    let Some(m) = manifest else {
        notes.push(
            Diagnostic::info(
                "no-manifest",
                "no manifest beside the file: integrity checked by reading it completely, no checksum to compare",
            )
            .with_file(path.display().to_string()),
        );
        return None;
    };
    let actual_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if actual_name.as_deref() != Some(m.file.as_str()) {
        notes.push(
            Diagnostic::warning(
                "manifest-name",
                format!("the manifest describes {:?}, not this file name", m.file),
            )
            .with_file(path.display().to_string()),
        );
    }
    if let Some(sha) = sha256
        && !sha.eq_ignore_ascii_case(m.sha256.trim())
    {
        return Some(bad(
            path,
            "checksum-mismatch",
            format!(
                "SHA-256 {sha} does not match the manifest's {}",
                m.sha256.trim()
            ),
            "the file changed after it was written (damage or tampering); use another backup",
        ));
    }
    None
}

fn dir_size(path: &Path) -> u64 {
    fs_err::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}
