//! The one place that calls libc.
//!
//! - Signalling a child's whole process group: pg_dump (or the user's
//!   `--pg-dump` wrapper, e.g. `docker exec`) runs in a process group of its
//!   own so we decide when it stops; killing only the direct child would
//!   leave a wrapper's own children holding the pipe open.
//! - Growing the pipe from pg_dump: with the default 64 KiB buffer pg_dump
//!   and the reader wake each other up thousands of times a second, which
//!   on a 2-core machine costs the dump a noticeable share of its CPU.

#![allow(unsafe_code)]

/// Send SIGTERM to the process group `pgid` (the child's pid, since it was
/// spawned with `process_group(0)`).
pub fn terminate_group(pgid: u32) {
    send(pgid, libc::SIGTERM);
}

/// Send SIGKILL to the process group.
pub fn kill_group(pgid: u32) {
    send(pgid, libc::SIGKILL);
}

fn send(pgid: u32, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return; // never signal "every process" (-1) or our own group (0)
    }
    // SAFETY: kill(2) takes plain integers and has no memory-safety
    // preconditions; a negative pid addresses the process group. A failure
    // (ESRCH: the group is already gone) is harmless and ignored.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Ask for a pipe buffer of `bytes` (Linux `F_SETPIPE_SZ`); best effort:
/// an unprivileged process is capped at /proc/sys/fs/pipe-max-size, and
/// other systems keep their default.
#[cfg(target_os = "linux")]
pub fn grow_pipe(pipe: &impl std::os::fd::AsRawFd, bytes: usize) {
    let Ok(bytes) = libc::c_int::try_from(bytes) else {
        return;
    };
    // SAFETY: fcntl(2) on a file descriptor we own (borrowed for the call)
    // with an integer argument; it touches no memory of ours. Failure
    // (EPERM/EBUSY) leaves the pipe as it was and is ignored.
    unsafe {
        libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, bytes);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn grow_pipe(_pipe: &impl std::os::fd::AsRawFd, _bytes: usize) {}
