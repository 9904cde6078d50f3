//! The one place in core that calls libc: signalling a child's whole
//! process group. Children run in a group of their own (`process_group(0)`)
//! so that killing a wrapper (`docker exec`, `sh -c`) also stops what it
//! started, which would otherwise keep pipes open and work going.

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
