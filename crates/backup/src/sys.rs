//! The one place that calls libc.
//!
//! - Signalling a child's whole process group (core's, re-exported): pg_dump
//!   (or the user's `--pg-dump` wrapper, e.g. `docker exec`) runs in a
//!   process group of its own so we decide when it stops.
//! - Growing the pipe from pg_dump: with the default 64 KiB buffer pg_dump
//!   and the reader wake each other up thousands of times a second, which
//!   on a 2-core machine costs the dump a noticeable share of its CPU.

#![allow(unsafe_code)]

pub use shipshape_core::sys::{kill_group, terminate_group};

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
