//! `pg-backup create`: one verified backup, written atomically, then
//! retention. The order of steps is the contract:
//!
//! 1. lock the directory (OS lock) and the database (advisory lock);
//! 2. export a repeatable-read snapshot, count rows in it, and run
//!    `pg_dump --snapshot` into `DIR/.<name>.partial` (O_EXCL, 0600) through
//!    compression, hashing on the way;
//! 3. check pg_dump's exit status, its completeness marker and the COPY row
//!    counts; the sink has fsynced the file;
//! 4. verify the fsynced `.partial` (full decompression + SHA-256;
//!    optionally a real restore) — a backup that fails is removed;
//! 5. write the (verified) manifest, rename the file to its final name,
//!    fsync the directory;
//! 6. only then apply retention.
//!
//! Verification runs before the rename (the issue lists it after) so that
//! nothing carries a final backup name until it is verified: any failure
//! removes the `.partial`, and a SIGKILL at any point leaves at most a
//! `.partial` (which the next run removes) or, in the instant between the
//! manifest and the rename, a manifest without its backup.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, SubsecRound as _, Utc};
use shipshape_core::error::exit_code_for;
use shipshape_core::progress::ProgressHandle;
use shipshape_core::{ExitCode, Interrupted, Printer, Report, UsageError, interrupt};
use shipshape_pg::lock::{DatabaseLock, Wait};
use shipshape_pg::manifest::{
    MANIFEST_VERSION, Manifest, TableRows, Verification, VerifyStatus, manifest_path,
};
use shipshape_pg::snapshot::ExportedSnapshot;
use shipshape_pg::{ConnectionSettings, Db, child, programs};

use super::prune;
use crate::config::{CreateOptions, OnBehalf, Shared};
use crate::destination::{Both, Destination, LocalFile};
use crate::dirlock::DirLock;
use crate::naming::{BackupName, Kind};
use crate::offsite::Offsite;
use crate::{
    copycount, dump, file_check, fsx, hooks, human, inventory, metrics, restore_check, sink,
};

/// A finished, verified backup.
#[derive(Debug)]
struct Done {
    /// The local backup, if there is a local repository.
    path: Option<PathBuf>,
    /// The manifest of the plain dump (the local copy's).
    manifest: Manifest,
    /// The off-site copy's manifest (`remote.url` says where).
    remote_manifest: Option<Manifest>,
    retention: Option<prune::Outcome>,
    remote_retention: Option<prune::Outcome>,
}

impl Done {
    /// Where the backup is: the local file, else the object's URL.
    fn location(&self) -> String {
        match (&self.path, &self.remote_manifest) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(m)) => m.remote.as_ref().map(|r| r.url.clone()).unwrap_or_default(),
            (None, None) => String::new(),
        }
    }
}

pub fn run(printer: &Printer, shared: &Shared, opts: &CreateOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let settings = shared.settings();
    let prefix = shared.prefix_or_database();
    let result = match (&settings, &prefix) {
        (Ok(settings), Ok(prefix)) => attempt(printer, shared, opts, settings, prefix),
        (Err(err), _) | (_, Err(err)) => {
            Err(anyhow::Error::new(UsageError::new(err.message.clone())))
        }
    };
    let database = settings
        .as_ref()
        .map(|s| s.database.clone())
        .unwrap_or_default();
    let prefix = prefix.unwrap_or_else(|_| database.clone());
    let elapsed = started.elapsed().as_secs_f64();
    match result {
        Ok(done) => {
            if let Some(path) = &opts.metrics_file {
                let written = metrics::write(
                    path,
                    &metrics::RunMetrics {
                        database: database.clone(),
                        prefix,
                        success: true,
                        finished_unix: unix_now(),
                        duration_seconds: elapsed,
                        size_bytes: Some(done.manifest.compressed_bytes),
                    },
                );
                if let Err(err) = written {
                    printer.warning(&format!("{err:#}"));
                }
            }
            if let Some(words) = &opts.on_success {
                let outcome = hooks::Outcome {
                    success: true,
                    database,
                    file: Some(done.location()),
                    manifest: Some(format!("{}.json", done.location())),
                    size_bytes: Some(done.manifest.compressed_bytes),
                    duration_seconds: elapsed,
                    exit_code: 0,
                    error: None,
                };
                hooks::run(printer, "--on-success", words, &outcome);
            }
            report(printer, &done)?;
            Ok(ExitCode::Ok)
        }
        Err(err) => {
            let code = exit_code_for(&err);
            if let Some(path) = &opts.metrics_file {
                let written = metrics::write(
                    path,
                    &metrics::RunMetrics {
                        database: database.clone(),
                        prefix,
                        success: false,
                        finished_unix: unix_now(),
                        duration_seconds: elapsed,
                        size_bytes: None,
                    },
                );
                if let Err(err) = written {
                    printer.warning(&format!("{err:#}"));
                }
            }
            if let Some(words) = &opts.on_failure {
                let outcome = hooks::Outcome {
                    success: false,
                    database,
                    duration_seconds: elapsed,
                    exit_code: code.code(),
                    error: Some(if code == ExitCode::Interrupted {
                        "interrupted".to_owned()
                    } else {
                        err.to_string()
                    }),
                    ..hooks::Outcome::default()
                };
                hooks::run(printer, "--on-failure", words, &outcome);
            }
            Err(err)
        }
    }
}

fn unix_now() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}

/// pg_dump as we will run it.
struct DumpProgram {
    words: Vec<String>,
    version: String,
    label: String,
}

fn find_pg_dump(
    opts: &CreateOptions,
    shared: &Shared,
    settings: &ConnectionSettings,
    server_major: u32,
) -> anyhow::Result<DumpProgram> {
    if let Some(words) = &opts.pg_dump {
        let label = words.join(" ");
        let mut cmd = Command::new(&words[0]);
        cmd.args(&words[1..]).arg("--version");
        child::apply_env(&mut cmd, settings);
        let output = cmd.output().map_err(|err| {
            anyhow!("cannot run --pg-dump command \"{label}\": {err}\n  hint: check the program name and that it is on PATH")
        })?;
        let text = String::from_utf8_lossy(&output.stdout);
        let Some((version, major)) = programs::parse_version(&text) else {
            return Err(anyhow!(
                "--pg-dump command \"{label}\" did not print a pg_dump version for --version (got {:?})",
                text.trim()
            ));
        };
        programs::Needs::server(server_major).check(
            &format!("--pg-dump command \"{label}\""),
            &version,
            major,
        )?;
        return Ok(DumpProgram {
            words: words.clone(),
            version,
            label,
        });
    }
    let found = programs::find(
        "pg_dump",
        programs::Needs::server(server_major),
        shared.connection.pg_bin_dir.as_deref(),
    )?;
    Ok(DumpProgram {
        words: vec![found.path.display().to_string()],
        version: found.version,
        label: found.path.display().to_string(),
    })
}

fn take_advisory_lock(
    printer: &Printer,
    settings: &ConnectionSettings,
    wait: bool,
) -> anyhow::Result<DatabaseLock> {
    let database = &settings.database;
    Ok(DatabaseLock::acquire(
        settings,
        database,
        Wait::from_flag(wait),
        |holder| {
            printer.status(&format!(
                "waiting for the lock on database \"{database}\" held by {holder}"
            ));
        },
    )?)
}

/// Removes a file on drop unless disarmed.
struct Cleanup {
    paths: Vec<PathBuf>,
}

impl Cleanup {
    fn disarm(&mut self) {
        self.paths.clear();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A backup taken for another tool (pg-restore's `--in-place` safety
/// backup): the same dump, streaming, completeness check, SHA-256,
/// manifest, verification and atomic rename as `pg-backup create`, without
/// the database advisory lock (the caller holds it), retention, hooks or
/// metrics. Returns the path of the verified backup.
pub fn backup_on_behalf(
    printer: &Printer,
    settings: &ConnectionSettings,
    pg_bin_dir: Option<&Path>,
    dir: &Path,
    prefix: &str,
    kind: Kind,
) -> anyhow::Result<PathBuf> {
    // The same defaults a bare `pg-backup create --dir DIR --prefix P` gets,
    // from the same functions, with no shipshape.toml involved.
    let no_file = crate::config::FileConfig::default();
    let shared = crate::config::shared(
        &crate::SharedArgs {
            dir: Some(dir.to_owned()),
            prefix: Some(prefix.to_owned()),
            ..Default::default()
        },
        &shipshape_pg::ConnectionArgs {
            pg_bin_dir: pg_bin_dir.map(Path::to_owned),
            ..Default::default()
        },
        &no_file,
    )?;
    let dump_format = match kind {
        Kind::Custom => crate::config::DumpFormatArg::Custom,
        Kind::SqlGzip | Kind::SqlZstd => crate::config::DumpFormatArg::Plain,
    };
    let compress = (kind == Kind::SqlZstd).then_some(crate::config::CompressArg::Zstd);
    let mut opts = crate::config::create(
        &crate::CreateArgs {
            dump_format: Some(dump_format),
            compress,
            ..Default::default()
        },
        &no_file,
        &shared,
    )?;
    opts.on_behalf = OnBehalf::Caller;
    attempt(printer, &shared, &opts, settings, prefix)?
        .path
        .ok_or_else(|| anyhow!("internal error: the safety backup has no local file"))
}

/// One backup, in the order the module documentation gives; each step
/// returns what the next one needs.
fn attempt(
    printer: &Printer,
    shared: &Shared,
    opts: &CreateOptions,
    settings: &ConnectionSettings,
    prefix: &str,
) -> anyhow::Result<Done> {
    let backup = Backup {
        printer,
        shared,
        opts,
        settings,
        prefix,
        dir: &shared.dir,
    };
    // 1. Lock the directory, reach the store, then (after finding pg_dump)
    //    lock the database.
    let _dir_lock = backup.lock_directory()?;
    let offsite = backup.open_offsite()?;
    let server = backup.inspect_server()?;
    let db_lock = backup.lock_database()?;
    // 2. Snapshot, row counts, pg_dump into the `.partial` file and/or the
    //    upload (3: its exit status is checked as it ends).
    let snapshot = backup.export_snapshot()?;
    let started_at = Utc::now();
    let (mut files, destination) =
        backup.open_destinations(&server, offsite.as_ref(), started_at)?;
    let dumped = backup.dump(&server, snapshot, &files, destination)?;
    // 3. Completeness marker and COPY row counts.
    backup.check_dump(&dumped)?;
    drop(db_lock);
    backup.save_globals(&server, &mut files)?;
    // 4. Verify what is on disk.
    let mut manifest = backup.unverified_manifest(&server, &files, &dumped, started_at);
    backup.verify(&server, &files, &dumped, &mut manifest)?;
    // 5. The off-site object completed, checked and described, then the
    //    local manifest, final name, directory fsynced.
    let remote_manifest = match (&offsite, files.upload.take(), &dumped.written.remote) {
        (Some(offsite), Some(pending), Some(written)) => {
            printer.detail(&format!(
                "completing the upload of {}",
                pending.name.file_name()
            ));
            Some(offsite.publish(pending, written, &manifest)?)
        }
        _ => None,
    };
    let path = backup.publish(files, &manifest)?;
    // 6. Retention, each repository its own.
    let retention = path
        .is_some()
        .then(|| backup.apply_retention(&manifest.file))
        .flatten();
    let remote_retention = match (&offsite, &remote_manifest) {
        (Some(offsite), Some(m)) => backup.apply_remote_retention(offsite, &m.file),
        _ => None,
    };
    Ok(Done {
        path,
        manifest,
        remote_manifest,
        retention,
        remote_retention,
    })
}

/// One run of [`attempt`]: what is backed up, where, and how.
struct Backup<'a> {
    printer: &'a Printer,
    shared: &'a Shared,
    opts: &'a CreateOptions,
    settings: &'a ConnectionSettings,
    prefix: &'a str,
    dir: &'a Path,
}

/// The server as the dump sees it, and the pg_dump that fits it.
struct Server {
    version: String,
    major: u32,
    pg_dump: DumpProgram,
    /// `pg_database_size`: an upper bound for the compressed dump, which
    /// sizes the upload's parts.
    size_estimate: u64,
}

/// The files of a backup being written: under `.partial` names (removed
/// when this is dropped) until [`Backup::publish`].
struct PendingFiles {
    name: BackupName,
    /// The backup's final file name, e.g. `app_20250101_000000.sql.gz`.
    file: String,
    /// Is there a local copy (`final_path`, `partial`)?
    local: bool,
    final_path: PathBuf,
    partial: PathBuf,
    /// The off-site upload, until it is completed.
    upload: Option<crate::offsite::Pending>,
    /// `--globals`: the final file name and the `.partial` path.
    globals: Option<(String, PathBuf)>,
    cleanup: Cleanup,
}

/// pg_dump's output, written, with the rows the snapshot counted.
struct Dumped {
    written: sink::Written,
    uncompressed_bytes: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Rows per table in the dump's COPY blocks (plain format only).
    copy_rows: Option<Vec<TableRows>>,
    /// Rows per table in the dump's snapshot.
    tables: Vec<TableRows>,
}

impl Backup<'_> {
    /// The directory exists (0700) and is ours; `.partial` files an
    /// interrupted run left are removed.
    fn lock_directory(&self) -> anyhow::Result<Option<DirLock>> {
        if !self.shared.local {
            return Ok(None);
        }
        let (printer, dir) = (self.printer, self.dir);
        fsx::ensure_private_dir(dir)?;
        let dir_lock = DirLock::acquire(
            dir,
            &format!("backing up {}", self.settings.database),
            self.shared.wait,
            |holder| {
                printer.status(&format!(
                    "waiting for another pg-backup in {}: {holder}",
                    dir.display()
                ));
            },
        )?;
        for stale in inventory::stale_partials(dir, self.prefix) {
            printer.warning(&format!(
                "removing {} left by an interrupted earlier run",
                stale.display()
            ));
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
        Ok(Some(dir_lock))
    }

    /// `--to`: the store is reachable and the bucket exists, before any work.
    fn open_offsite(&self) -> anyhow::Result<Option<Offsite>> {
        let Some(repo) = &self.shared.remote else {
            return Ok(None);
        };
        self.printer.detail(&format!(
            "checking {} at {}",
            repo.url,
            repo.s3.endpoint_label()
        ));
        Offsite::open(repo, self.opts.encryption.clone())
            .with_context(|| format!("cannot back up to {}", repo.url))
            .map(Some)
    }

    /// The local `.partial` file and/or the upload, as one destination for
    /// the dump pipeline.
    fn open_destinations(
        &self,
        server: &Server,
        offsite: Option<&Offsite>,
        started_at: DateTime<Utc>,
    ) -> anyhow::Result<(PendingFiles, Box<dyn Destination>)> {
        let (mut files, local) = if self.shared.local {
            let (files, out) = self.create_partial()?;
            let local = LocalFile::new(out, files.partial.clone());
            (files, Some(local))
        } else {
            let name = BackupName::new(self.prefix, started_at.trunc_subsecs(0), self.opts.kind);
            (self.pending_without_file(name), None)
        };
        let Some(offsite) = offsite else {
            let local = local.ok_or_else(|| anyhow!("internal error: no destination"))?;
            return Ok((files, Box::new(local)));
        };
        let time = files.name.time;
        let (remote, pending) =
            offsite.start(self.prefix, self.opts.kind, time, server.size_estimate)?;
        if local.is_none() {
            // Remote only: the object's name is the backup's name.
            files.name = pending.name.clone().encrypted(false);
            files.file = files.name.file_name();
        }
        files.upload = Some(pending);
        Ok(match local {
            Some(local) => (files, Box::new(Both { local, remote })),
            None => (files, Box::new(remote)),
        })
    }

    fn pending_without_file(&self, name: BackupName) -> PendingFiles {
        PendingFiles {
            file: name.file_name(),
            name,
            local: false,
            final_path: PathBuf::new(),
            partial: PathBuf::new(),
            upload: None,
            globals: None,
            cleanup: Cleanup { paths: Vec::new() },
        }
    }

    /// The server's version, and a pg_dump at least as new.
    fn inspect_server(&self) -> anyhow::Result<Server> {
        let settings = self.settings;
        self.printer
            .detail(&format!("connecting to {}", settings.display_url()));
        let mut db = Db::connect(settings)?;
        let version = db
            .query_value("SHOW server_version", &[])?
            .unwrap_or_default();
        let major = db.server_major()?;
        let size_estimate = db
            .query_value("SELECT pg_database_size(current_database())::text", &[])?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        db.close();
        let pg_dump = find_pg_dump(self.opts, self.shared, settings, major)?;
        self.printer.detail(&format!(
            "using pg_dump {} ({})",
            pg_dump.version, pg_dump.label
        ));
        Ok(Server {
            version,
            major,
            pg_dump,
            size_estimate,
        })
    }

    /// The cross-tool advisory lock, unless the caller holds it already.
    fn lock_database(&self) -> anyhow::Result<Option<DatabaseLock>> {
        Ok(match self.opts.on_behalf {
            OnBehalf::PgBackup => Some(take_advisory_lock(
                self.printer,
                self.settings,
                self.shared.wait,
            )?),
            OnBehalf::Caller => None,
        })
    }

    /// The snapshot pg_dump and the row counts share; a table the role
    /// cannot read fails here, before pg_dump would.
    fn export_snapshot(&self) -> anyhow::Result<ExportedSnapshot> {
        let settings = self.settings;
        let mut snapshot = ExportedSnapshot::export(settings, Some(self.opts.lock_wait_timeout))?;
        let unreadable = snapshot.unreadable_tables()?;
        if !unreadable.is_empty() {
            return Err(anyhow!(
                "permission denied: role \"{user}\" cannot read {} in database \"{db}\", so pg_dump would fail: {}\n  \
                 hint: run the backup as the database owner, or grant SELECT on those tables \
                 (PostgreSQL 14+: GRANT pg_read_all_data TO \"{user}\")",
                if unreadable.len() == 1 {
                    "a table"
                } else {
                    "some tables"
                },
                unreadable.join(", "),
                user = settings.user,
                db = settings.database,
            ));
        }
        Ok(snapshot)
    }

    /// A free name, and its `.partial` file created (O_EXCL, 0600).
    fn create_partial(&self) -> anyhow::Result<(PendingFiles, std::fs::File)> {
        let name = free_name(self.dir, self.prefix, self.opts.kind)?;
        let file = name.file_name();
        let final_path = self.dir.join(&file);
        let partial = self.dir.join(format!(".{file}.partial"));
        let out = fsx::create_exclusive(&partial)?;
        let cleanup = Cleanup {
            paths: vec![partial.clone()],
        };
        let files = PendingFiles {
            name,
            file,
            local: true,
            final_path,
            partial,
            upload: None,
            globals: None,
            cleanup,
        };
        Ok((files, out))
    }

    /// pg_dump as run for this backup, in `snapshot`.
    fn pg_dump_command(&self, server: &Server, snapshot: &str) -> Command {
        let (opts, words) = (self.opts, &server.pg_dump.words);
        let mut cmd = Command::new(&words[0]);
        cmd.args(&words[1..]);
        child::apply_env(&mut cmd, self.settings);
        cmd.arg(match opts.kind {
            Kind::Custom => "--format=custom",
            _ => "--format=plain",
        })
        .arg(format!("--snapshot={snapshot}"))
        .arg(format!(
            "--lock-wait-timeout={}",
            opts.lock_wait_timeout.as_millis()
        ))
        .arg("--no-password");
        if let (Kind::Custom, Some(level)) = (opts.kind, opts.compress_level) {
            cmd.arg(format!("--compress={level}"));
        }
        cmd
    }

    /// Run pg_dump into the `.partial` file through compression and
    /// hashing, counting the snapshot's rows meanwhile.
    fn dump(
        &self,
        server: &Server,
        mut snapshot: ExportedSnapshot,
        files: &PendingFiles,
        destination: Box<dyn Destination>,
    ) -> anyhow::Result<Dumped> {
        let (printer, opts, settings) = (self.printer, self.opts, self.settings);
        let cmd = self.pg_dump_command(server, &snapshot.id);
        // Count rows in the dump's snapshot while pg_dump runs; the transaction
        // stays open (keeping the snapshot importable) until both are done.
        let counter = std::thread::spawn(move || {
            let counts = snapshot.count_rows();
            (snapshot, counts)
        });

        let target = destination.label();
        let sink = sink::open_to(opts.kind, destination, opts.compress_level, opts.jobs)?;
        let label = format!("dumping {}", settings.database);
        let _ = files;
        printer.status(&format!("{label} to {target}"));
        let plain = opts.kind.format() == shipshape_pg::manifest::DumpFormat::Plain;
        let progress = shipshape_core::Progress::bytes(printer, &label, None);
        let streamed = dump::stream(cmd, "pg_dump", sink, plain, progress.handle());
        // Cleared before anything below prints (also when the dump failed).
        drop(progress);
        let streamed = streamed?;
        if !streamed.status.success() {
            return Err(pg_dump_failed(&server.pg_dump.label, &streamed, settings));
        }
        let written = streamed
            .written
            .with_context(|| {
                format!(
                    "writing the backup of \"{}\" failed; nothing was kept",
                    settings.database
                )
            })
            .map_err(disk_full_hint)?;
        for line in streamed.stderr.lines().filter(|l| !l.trim().is_empty()) {
            printer.warning(&format!("pg_dump: {line}"));
        }
        let (snapshot, counts) = counter
            .join()
            .map_err(|_| anyhow!("internal error: the row-count thread panicked"))?;
        snapshot.finish();
        let tables: Vec<TableRows> = counts.context("counting rows in the dump's snapshot")?;
        Ok(Dumped {
            written,
            uncompressed_bytes: streamed.uncompressed_bytes,
            head: streamed.head,
            tail: streamed.tail,
            copy_rows: streamed.copy_rows,
            tables,
        })
    }

    /// The dump ends with pg_dump's completeness marker and holds every
    /// row the snapshot saw.
    fn check_dump(&self, dumped: &Dumped) -> anyhow::Result<()> {
        let database = &self.settings.database;
        let complete = match self.opts.kind.format() {
            shipshape_pg::manifest::DumpFormat::Plain => {
                shipshape_pg::archive::contains(&dumped.tail, shipshape_pg::archive::PLAIN_TRAILER)
            }
            shipshape_pg::manifest::DumpFormat::Custom => {
                dumped.head.starts_with(shipshape_pg::archive::CUSTOM_MAGIC)
            }
        };
        if !complete || dumped.uncompressed_bytes < 64 {
            return Err(anyhow!(
                "the dump of \"{database}\" is incomplete: pg_dump's output ended after {} bytes without its closing \
                 \"-- PostgreSQL database dump complete\" line (or custom-format header); nothing was kept\n  \
                 hint: check pg_dump's messages above and the server log",
                dumped.uncompressed_bytes
            ));
        }
        // Every row the snapshot saw must be in the file.
        if let Some(in_dump) = &dumped.copy_rows {
            let problems = copycount::compare(&dumped.tables, in_dump);
            if !problems.is_empty() {
                return Err(anyhow!(
                    "the dump of \"{database}\" does not hold the rows its snapshot counted; nothing was kept:\n{}\n  \
                     hint: check pg_dump's messages and the server log; if --pg-dump filters the output, it must not drop rows",
                    problems
                        .iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
        }
        Ok(())
    }

    /// `--globals`: roles and grants beside the backup, still `.partial`.
    ///
    /// Nothing gets a final name before it is verified: the backup, its
    /// globals file and its manifest stay `.partial` (or, for the manifest,
    /// absent) until every check has passed, so a SIGKILL at any point leaves
    /// at most `.partial` files (removed by the next run), never a file under
    /// a final backup name.
    fn save_globals(&self, server: &Server, files: &mut PendingFiles) -> anyhow::Result<()> {
        if !self.opts.globals || !files.local {
            // Remote-only runs refuse --globals up front (config).
            return Ok(());
        }
        let globals_name = files.name.globals_file_name();
        let globals_partial = self.dir.join(format!(".{globals_name}.partial"));
        files.cleanup.paths.push(globals_partial.clone());
        dump_globals(
            self.settings,
            server.major,
            self.shared,
            self.opts,
            &globals_partial,
        )?;
        files.globals = Some((globals_name, globals_partial));
        Ok(())
    }

    /// The manifest of what was written, not yet verified.
    fn unverified_manifest(
        &self,
        server: &Server,
        files: &PendingFiles,
        dumped: &Dumped,
        started_at: DateTime<Utc>,
    ) -> Manifest {
        let opts = self.opts;
        let finished_at = Utc::now();
        Manifest {
            manifest_version: MANIFEST_VERSION,
            file: files.file.clone(),
            database: self.settings.database.clone(),
            server_version: server.version.clone(),
            pg_dump_version: server.pg_dump.version.clone(),
            format: opts.kind.format(),
            compression: opts.kind.compression(),
            compression_level: opts.compress_level.and_then(|l| i32::try_from(l).ok()),
            started_at: started_at.trunc_subsecs(3),
            finished_at: finished_at.trunc_subsecs(3),
            duration_seconds: round3((finished_at - started_at).as_seconds_f64()),
            compressed_bytes: dumped.written.bytes,
            uncompressed_bytes: dumped.uncompressed_bytes,
            sha256: dumped.written.sha256.clone(),
            tables: dumped.tables.clone(),
            globals_file: files.globals.as_ref().map(|(name, _)| name.clone()),
            verification: Verification {
                status: VerifyStatus::Unverified,
                method: "none".to_owned(),
                verified_at: None,
                detail: None,
            },
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            remote: None,
            encryption: None,
        }
    }

    /// Verify what is on disk (the fsynced `.partial`, the same file that
    /// will carry the final name), not what we think we wrote; with
    /// `--verify-restore` also restore it. Records how in the manifest.
    fn verify(
        &self,
        server: &Server,
        files: &PendingFiles,
        dumped: &Dumped,
        manifest: &mut Manifest,
    ) -> anyhow::Result<()> {
        let (printer, opts, file) = (self.printer, self.opts, &files.file);
        if !files.local {
            return self.verify_streamed(manifest);
        }
        printer.detail(&format!("verifying {file}"));
        let (_, problems) = match &dumped.written.members {
            Some(members) => file_check::check_gzip_members(
                &files.partial,
                file,
                members,
                opts.jobs,
                Some(manifest),
            ),
            None => file_check::check(&files.partial, file, opts.kind, Some(manifest)),
        };
        if !problems.is_empty() {
            return Err(verification_failed(
                file,
                problems.iter().map(ToString::to_string),
            ));
        }
        let mut method = "checksum";
        if opts.verify_restore {
            printer.status(&format!(
                "restoring {file} into a throwaway database to verify it"
            ));
            let problems = restore_check::verify_restore(
                self.settings,
                server.major,
                &files.partial,
                manifest,
                self.shared.connection.pg_bin_dir.as_deref(),
            )?;
            if !problems.is_empty() {
                return Err(verification_failed(file, problems.into_iter()));
            }
            method = "restore";
        }
        manifest.verification = Verification {
            status: VerifyStatus::Verified,
            method: method.to_owned(),
            verified_at: Some(Utc::now().trunc_subsecs(3)),
            detail: Some(match method {
                "restore" => format!(
                    "full decompression pass, SHA-256 matched; restored into a throwaway database and {} table row counts matched",
                    manifest.tables.len()
                ),
                _ => "full decompression pass, SHA-256 and sizes matched".to_owned(),
            }),
        };
        Ok(())
    }

    /// Remote only: what was checked while streaming is all there is on
    /// this host (no file to read back; `pg-backup verify --to` reads the
    /// object back in full).
    /// (`--verify-restore` without a local copy is refused up front.)
    fn verify_streamed(&self, manifest: &mut Manifest) -> anyhow::Result<()> {
        manifest.verification = Verification {
            status: VerifyStatus::Verified,
            method: "stream".to_owned(),
            verified_at: Some(Utc::now().trunc_subsecs(3)),
            detail: Some(format!(
                "pg_dump's completion marker and {} table row counts checked in the stream",
                manifest.tables.len()
            )),
        };
        Ok(())
    }

    /// Verified: the manifest first (a crash right after it leaves an orphan
    /// manifest, never a backup without one), then the globals file, then
    /// the backup under its final name, then the directory entry fsynced.
    /// Returns the backup's path.
    fn publish(&self, files: PendingFiles, manifest: &Manifest) -> anyhow::Result<Option<PathBuf>> {
        if !files.local {
            return Ok(None);
        }
        let PendingFiles {
            final_path,
            partial,
            globals,
            mut cleanup,
            ..
        } = files;
        if final_path.exists() {
            return Err(anyhow!(
                "{} appeared while dumping; refusing to overwrite it",
                final_path.display()
            ));
        }
        let manifest_file = manifest_path(&final_path);
        cleanup.paths.push(manifest_file.clone());
        write_manifest(&manifest_file, manifest)?;
        if let Some((globals_name, globals_partial)) = &globals {
            let globals_path = self.dir.join(globals_name);
            rename(globals_partial, &globals_path)?;
            cleanup.paths.push(globals_path);
        }
        rename(&partial, &final_path)?;
        cleanup.paths.push(final_path.clone());
        fsx::sync_dir(self.dir)?;
        cleanup.disarm();
        Ok(Some(final_path))
    }

    /// Retention only after a verified backup, never touching the new one
    /// (`file`); a failure is a warning, the backup stands.
    fn apply_retention(&self, file: &str) -> Option<prune::Outcome> {
        match self.opts.on_behalf {
            OnBehalf::Caller => None,
            OnBehalf::PgBackup => {
                let policy = &self.shared.policy;
                match prune::apply(
                    self.printer,
                    self.dir,
                    self.prefix,
                    policy,
                    false,
                    Some(file),
                ) {
                    Ok(outcome) => Some(outcome),
                    Err(err) => {
                        self.printer
                            .warning(&format!("retention was not applied: {err:#}"));
                        None
                    }
                }
            }
        }
    }

    /// Retention in the off-site repository, after its verified upload.
    fn apply_remote_retention(&self, offsite: &Offsite, file: &str) -> Option<prune::Outcome> {
        if self.opts.on_behalf == OnBehalf::Caller {
            return None;
        }
        let policy = &self.shared.policy;
        match prune::apply_remote(
            self.printer,
            &offsite.store,
            self.prefix,
            policy,
            false,
            Some(file),
        ) {
            Ok(outcome) => Some(outcome),
            Err(err) => {
                self.printer.warning(&format!(
                    "retention was not applied in {}: {err:#}",
                    offsite.store.url()
                ));
                None
            }
        }
    }
}

fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn write_manifest(path: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(manifest).context("serializing the manifest")?;
    text.push('\n');
    fsx::write_atomic(path, text.as_bytes())
}

fn verification_failed(file: &str, problems: impl Iterator<Item = String>) -> anyhow::Error {
    let lines: Vec<String> = problems.map(|p| format!("  - {p}")).collect();
    anyhow!(
        "verification of {file} failed; the backup was removed:\n{}\n  hint: check the disk and the file system (dmesg), then run the backup again",
        lines.join("\n")
    )
}

/// `<prefix>_<now>` with a name not yet taken (two runs in one second wait
/// for the next second rather than overwrite or misdate).
fn free_name(dir: &Path, prefix: &str, kind: Kind) -> anyhow::Result<BackupName> {
    loop {
        let now: DateTime<Utc> = Utc::now().trunc_subsecs(0);
        let name = BackupName::new(prefix, now, kind);
        let taken = Kind::ALL.iter().any(|k| {
            dir.join(BackupName::new(prefix, now, *k).file_name())
                .exists()
        });
        if !taken {
            return Ok(name);
        }
        interrupt::check().map_err(|_| anyhow::Error::new(Interrupted))?;
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn pg_dump_failed(
    label: &str,
    streamed: &dump::Streamed,
    settings: &ConnectionSettings,
) -> anyhow::Error {
    use std::os::unix::process::ExitStatusExt as _;
    let how = match (streamed.status.code(), streamed.status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => "failed".to_owned(),
    };
    let stderr = streamed.stderr.trim();
    let lower = stderr.to_lowercase();
    let hint = if lower.contains("permission denied") {
        format!(
            "role \"{}\" cannot read everything in \"{}\": run the backup as the database owner, or grant it SELECT \
             on every table (PostgreSQL 14+: GRANT pg_read_all_data TO \"{}\")",
            settings.user, settings.database, settings.user
        )
    } else if lower.contains("could not obtain lock")
        || lower.contains("lock timeout")
        // pg_dump enforces --lock-wait-timeout with statement_timeout on
        // its LOCK TABLE statements.
        || (lower.contains("statement timeout") && lower.contains("lock table"))
    {
        "another session holds a conflicting lock (a migration?); retry later or raise --lock-wait-timeout".to_owned()
    } else if lower.contains("version mismatch") {
        "pg_dump must be at least as new as the server: install a newer client or pass --pg-bin-dir"
            .to_owned()
    } else if lower.contains("password authentication failed") {
        "check the password in DATABASE_URL / PGPASSWORD (not shown)".to_owned()
    } else {
        "see pg_dump's message above; the partial file was removed and no backup was kept"
            .to_owned()
    };
    let detail = if stderr.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = stderr.lines().collect();
        let start = lines.len().saturating_sub(10);
        format!(
            ":\n{}",
            lines[start..]
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    anyhow!(
        "pg_dump ({label}) {how} after {} bytes{detail}\n  hint: {hint}",
        streamed.uncompressed_bytes
    )
}

fn disk_full_hint(err: anyhow::Error) -> anyhow::Error {
    let full = err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|e| {
            e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
        })
    });
    if full {
        err.context("the disk is full\n  hint: free space in the backup directory (older backups: pg-backup prune --dry-run) and run again")
    } else {
        err
    }
}

fn dump_globals(
    settings: &ConnectionSettings,
    server_major: u32,
    shared: &Shared,
    opts: &CreateOptions,
    path: &Path,
) -> anyhow::Result<()> {
    let program = programs::find(
        "pg_dumpall",
        programs::Needs::server(server_major),
        shared.connection.pg_bin_dir.as_deref(),
    )?;
    let out = fsx::create_exclusive(path)?;
    let mut cmd = child::command(&program.path, settings);
    cmd.args(["--globals-only", "--no-password"]);
    if !opts.globals_with_passwords {
        cmd.arg("--no-role-passwords");
    }
    let sink = sink::open(Kind::Custom, out, path.to_owned(), None, 1)?;
    let streamed = dump::stream(cmd, "pg_dumpall", sink, false, ProgressHandle::default())?;
    if !streamed.status.success() {
        return Err(anyhow!(
            "pg_dumpall --globals-only failed ({}): {}\n  hint: saving roles needs a superuser or pass no --globals",
            streamed.status,
            streamed.stderr.trim()
        ));
    }
    streamed.written.context("writing the globals file")?;
    Ok(())
}

fn report(printer: &Printer, done: &Done) -> anyhow::Result<()> {
    let m = &done.manifest;
    match printer.format() {
        shipshape_core::OutputFormat::Human => {
            if printer.is_quiet() {
                return Ok(());
            }
            let ratio = if m.compressed_bytes > 0
                && m.compression != shipshape_pg::manifest::Compression::None
            {
                format!(
                    " (ratio {:.1}×)",
                    m.uncompressed_bytes as f64 / m.compressed_bytes as f64
                )
            } else {
                String::new()
            };
            let duration = Duration::from_secs_f64(m.duration_seconds.max(0.0));
            let mut text = match &done.path {
                Some(path) => format!("backup written: {}\n", path.display()),
                None => format!("backup uploaded: {}\n", done.location()),
            };
            text.push_str(&format!(
                "  database    {} (PostgreSQL {}, pg_dump {})\n",
                m.database, m.server_version, m.pg_dump_version
            ));
            if m.compression == shipshape_pg::manifest::Compression::None {
                text.push_str(&format!(
                    "  size        {} (custom format, compressed by pg_dump)\n",
                    human::bytes(m.compressed_bytes)
                ));
            } else {
                text.push_str(&format!(
                    "  size        {} from {} of SQL{ratio}\n",
                    human::bytes(m.compressed_bytes),
                    human::bytes(m.uncompressed_bytes)
                ));
            }
            text.push_str(&format!(
                "  duration    {} ({})\n",
                human::duration(duration),
                human::rate(m.uncompressed_bytes, duration)
            ));
            text.push_str(&format!("  sha256      {}\n", m.sha256));
            text.push_str(&format!(
                "  verified    {} ({} tables, row counts in the manifest)\n",
                m.verification.method,
                m.tables.len()
            ));
            if let Some(globals) = &m.globals_file {
                text.push_str(&format!("  globals     {globals}\n"));
            }
            if let Some(retention) = &done.retention {
                text.push_str(&format!("  retention   {}\n", retention.summary()));
            }
            if let Some(remote) = &done.remote_manifest {
                text.push_str(&remote_lines(remote, done.path.is_some()));
            }
            if let Some(retention) = &done.remote_retention {
                text.push_str(&format!(
                    "  retention   {} (off-site)\n",
                    retention.summary()
                ));
            }
            printer.data(&text)?;
        }
        _ => {
            let mut report =
                Report::with_rules("pg-backup", env!("CARGO_PKG_VERSION"), &crate::rules::RULES);
            if let Some(path) = &done.path {
                report.insert("path", path.display().to_string());
                report.insert("backup", m);
            }
            if let Some(remote) = &done.remote_manifest {
                report.insert("offsite", remote);
            }
            if let Some(retention) = &done.remote_retention {
                report.insert("offsite_retention", retention);
            }
            if let Some(retention) = &done.retention {
                report.insert("retention", retention);
            }
            printer.report(&report)?;
        }
    }
    Ok(())
}

/// The off-site copy in the human report.
fn remote_lines(m: &Manifest, with_local: bool) -> String {
    let mut text = String::new();
    if let Some(remote) = &m.remote {
        if with_local {
            text.push_str(&format!("  off-site    {}\n", remote.url));
        }
        text.push_str(&format!(
            "  stored      {} in {} parts, size confirmed by the store\n",
            human::bytes(remote.size),
            remote.parts
        ));
    }
    if let Some(enc) = &m.encryption {
        text.push_str(&format!(
            "  encrypted   age, to {}\n",
            enc.recipients.join(", ")
        ));
    }
    if with_local {
        text.push_str(&format!("  sha256      {} (off-site object)\n", m.sha256));
    }
    text
}
