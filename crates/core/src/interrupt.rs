//! Ctrl-C and SIGTERM. The handler only records the request; long-running
//! work polls [`requested`] (or [`check`]) at safe points, cleans up, and
//! returns [`Interrupted`], which ends the run with exit code 130. A second
//! signal exits immediately, for the operator whose cleanup is stuck.

use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::Interrupted;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Install the signal handler (idempotent).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // Leave no half-drawn progress line before the shell's prompt.
            crate::progress::erase_on_exit();
            std::process::exit(130);
        }
    });
}

/// Has SIGINT/SIGTERM been received?
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a signal has been received.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Why waiting for a child did not produce an exit status.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    #[error("waiting for child process: {0}")]
    Io(#[from] std::io::Error),
}

/// Wait for a child, polling for interruption; on interruption the child is
/// killed and reaped before returning, so no orphan outlives the tool.
pub fn wait_child(child: &mut Child) -> Result<ExitStatus, WaitError> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if requested() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(WaitError::Interrupted(Interrupted));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
