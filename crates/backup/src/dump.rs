//! Running pg_dump (or pg_dumpall) and streaming its stdout into a
//! [`Sink`]. pg_dump runs in its own process group; on Ctrl-C/SIGTERM, on a
//! write error (disk full) or when the dump must stop for any other reason,
//! the whole group is terminated and reaped, so no child outlives the run.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use crossbeam_channel::{RecvTimeoutError, bounded};
use shipshape_core::progress::ProgressHandle;
use shipshape_core::{Interrupted, interrupt};

use crate::copycount::CopyCounter;
use crate::sink::{Sink, Written};
use crate::sys;
use shipshape_pg::manifest::TableRows;

/// Size of the blocks read from pg_dump and compressed independently.
pub const BLOCK_SIZE: usize = 1 << 20;
/// How much of pg_dump's stderr is kept for the error message.
const STDERR_KEEP: usize = 16 * 1024;

/// What a finished child and pipeline produced.
#[derive(Debug)]
pub struct Streamed {
    pub status: ExitStatus,
    pub stderr: String,
    pub uncompressed_bytes: u64,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    /// The sink's result: an I/O error (disk full) lands here.
    pub written: anyhow::Result<Written>,
    /// Rows per table in the stream's COPY blocks (plain format only).
    pub copy_rows: Option<Vec<TableRows>>,
}

/// Spawn `cmd` and stream its stdout into `sink`, reporting the bytes read
/// so far to `progress` (a progress line).
pub fn stream(
    mut cmd: Command,
    program: &str,
    sink: Box<dyn Sink>,
    count_copy_rows: bool,
    progress: ProgressHandle,
) -> anyhow::Result<Streamed> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|err| {
        anyhow!(
            "cannot run {program}: {err}\n  hint: check that it is installed, or pass --pg-bin-dir / --pg-dump"
        )
    })?;
    let stdout = child.stdout.take();
    if let Some(pipe) = &stdout {
        sys::grow_pipe(pipe, BLOCK_SIZE);
    }
    let stderr = child.stderr.take();
    let stderr_thread = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stderr) = stderr {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * STDERR_KEEP {
                    kept.drain(..kept.len() - STDERR_KEEP);
                }
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    });
    let (done_tx, done_rx) = bounded(1);
    std::thread::spawn(move || {
        let copy = count_copy_rows.then(CopyCounter::default);
        let result = pump(stdout, sink, &progress, copy);
        let _ = done_tx.send(result);
    });
    let pumped = loop {
        if interrupt::requested() {
            stop(&mut child);
            return Err(Interrupted.into());
        }
        match done_rx.recv_timeout(Duration::from_millis(250)) {
            Ok(result) => break result,
            // Only to look at Ctrl-C again; the progress line draws itself.
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                stop(&mut child);
                return Err(anyhow!(
                    "internal error: the dump pipeline stopped unexpectedly"
                ));
            }
        }
    };
    if pumped.written.is_err() {
        // We stopped reading; pg_dump would block on a full pipe forever.
        stop(&mut child);
    }
    let status = loop {
        if interrupt::requested() {
            stop(&mut child);
            return Err(Interrupted.into());
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => return Err(anyhow!("waiting for {program}: {err}")),
        }
    };
    let stderr = stderr_thread.join().unwrap_or_default();
    Ok(Streamed {
        status,
        stderr,
        uncompressed_bytes: pumped.uncompressed,
        head: pumped.head,
        tail: pumped.tail,
        written: pumped.written,
        copy_rows: pumped.copy_rows,
    })
}

/// SIGTERM the child's process group, give it a moment, then SIGKILL, and
/// reap the child.
pub fn stop(child: &mut Child) {
    let pgid = child.id();
    sys::terminate_group(pgid);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            // The leader is gone; make sure nothing else in its group lingers.
            sys::kill_group(pgid);
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    sys::kill_group(pgid);
    let _ = child.kill();
    let _ = child.wait();
}

struct Pumped {
    uncompressed: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    written: anyhow::Result<Written>,
    copy_rows: Option<Vec<TableRows>>,
}

fn pump(
    stdout: Option<impl Read>,
    mut sink: Box<dyn Sink>,
    progress: &ProgressHandle,
    mut copy: Option<CopyCounter>,
) -> Pumped {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut total = 0u64;
    let mut failure = None;
    if let Some(mut stdout) = stdout {
        loop {
            let mut block = vec![0u8; BLOCK_SIZE];
            let mut filled = 0;
            while filled < BLOCK_SIZE {
                match stdout.read(&mut block[filled..]) {
                    Ok(0) => break,
                    Ok(n) => {
                        filled += n;
                        progress.set_position(total + filled as u64);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failure = Some(anyhow!("reading pg_dump's output: {e}"));
                        break;
                    }
                }
            }
            if filled == 0 || failure.is_some() {
                break;
            }
            block.truncate(filled);
            if head.len() < 64 {
                head.extend_from_slice(&block[..filled.min(64 - head.len())]);
            }
            shipshape_pg::archive::keep_tail(&mut tail, &block);
            if let Some(copy) = copy.as_mut() {
                copy.feed(&block);
            }
            total += filled as u64;
            progress.set_position(total);
            let short = filled < BLOCK_SIZE;
            if sink.write_block(block).is_err() {
                break; // finish() below reports the real cause
            }
            if short {
                // A short block means EOF was reached inside the loop above.
                break;
            }
        }
    }
    let written = sink.finish();
    let written = match (failure, written) {
        (Some(failure), Ok(_)) => Err(failure),
        (_, written) => written,
    };
    Pumped {
        uncompressed: total,
        head,
        tail,
        written,
        copy_rows: copy.map(CopyCounter::finish),
    }
}
