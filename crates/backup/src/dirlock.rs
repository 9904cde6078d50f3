//! `DIR/.pg-backup.lock`: an OS file lock (flock) so two runs never write or
//! prune the same directory at once. The kernel releases it when the process
//! dies, however it dies, so a crashed run never blocks the next one. The
//! file holds a line describing the holder, for the message the second run
//! prints.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use shipshape_core::interrupt;

pub const LOCK_FILE: &str = ".pg-backup.lock";

/// Held while the value lives.
#[derive(Debug)]
pub struct DirLock {
    file: File,
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Forget the holder line before the kernel releases the lock, so a
        // later "busy" message never names a run that has finished.
        let _ = self.file.set_len(0);
    }
}

/// Another process holds the lock.
#[derive(Debug, thiserror::Error)]
#[error(
    "another pg-backup is already working in {dir} ({holder})\n  \
     hint: wait for it to finish, or pass --wait to queue behind it"
)]
pub struct Busy {
    pub dir: String,
    pub holder: String,
}

impl DirLock {
    /// Take the lock; with `wait`, poll until it is free (Ctrl-C still works).
    pub fn acquire(
        dir: &Path,
        what: &str,
        wait: bool,
        mut waiting: impl FnMut(&str),
    ) -> anyhow::Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&mut file);
                    if !wait {
                        return Err(Busy {
                            dir: dir.display().to_string(),
                            holder,
                        }
                        .into());
                    }
                    if !announced {
                        waiting(&holder);
                        announced = true;
                    }
                    interrupt::check()?;
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
        }
        let line = format!(
            "pid {} on {} since {} ({what})\n",
            std::process::id(),
            hostname(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(line.as_bytes()))
            .with_context(|| format!("cannot write lock file {}", path.display()))?;
        Ok(Self { file })
    }
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        "holder unknown".to_owned()
    } else {
        format!("held by {line}")
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "this host".to_owned())
}
