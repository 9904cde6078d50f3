//! A progress line on stderr while a long read runs — only on a terminal
//! and not with `--quiet`; pipelines and logs never see it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use shipshape_core::Printer;

use shipshape_core::human::bytes as human_bytes;

/// Prints `label: 42% of 18.0 MiB, 12s` twice a second until dropped.
pub struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    printer: Printer,
}

impl Ticker {
    pub fn start(printer: &Printer, label: &str, total: u64, done: Arc<AtomicU64>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = (printer.stderr_is_terminal() && !printer.is_quiet()).then(|| {
            let stop = Arc::clone(&stop);
            let printer = printer.clone();
            let label = label.to_owned();
            std::thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(500));
                    let read = done.load(Ordering::Relaxed);
                    let secs = started.elapsed().as_secs();
                    if total > 0 && read >= total {
                        // Everything is read; the server is still at work
                        // (the last data, indexes, constraints).
                        printer.progress(&format!(
                            "{label}: all {} read, the server is finishing, {secs}s",
                            human_bytes(total)
                        ));
                    } else {
                        let percent = (read * 100).checked_div(total).unwrap_or(0);
                        printer.progress(&format!(
                            "{label}: {percent}% of {}, {secs}s",
                            human_bytes(total)
                        ));
                    }
                }
            })
        });
        Self {
            stop,
            handle,
            printer: printer.clone(),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
            self.printer.clear_progress();
        }
    }
}
