//! Progress on a terminal: one line on stderr, drawn by `indicatif`, for
//! work that takes a while (a dump, a load, a stairway of migrations).
//!
//! Whether to draw is decided once, when a [`Progress`] is made from the
//! [`Printer`]: only when stderr is a terminal that can erase a line (`TERM`
//! set and not `dumb`) and `--quiet` is not given (pipelines, logs and cron
//! mail never see a progress line). Otherwise the progress still counts, so
//! callers never branch on it, but draws nothing.
//!
//! While a line is shown, everything the [`Printer`] writes goes above it
//! ([`above`]), so a warning never lands in the middle of a half-drawn line.
//! Dropping the [`Progress`] clears the line, on success, on error and on
//! Ctrl-C alike; a second Ctrl-C, which exits at once, erases it too.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, WeakProgressBar};

use crate::Printer;
use crate::human;

/// How often the line is redrawn by indicatif's own thread, so elapsed
/// elapsed time moves while the work itself reports nothing.
const TICK: Duration = Duration::from_millis(200);

/// The line currently shown, if any: [`above`] suspends it. A process has
/// one stderr, so one slot for the whole process.
static SHOWN: Mutex<Option<(u64, ProgressBar)>> = Mutex::new(None);
/// Set while a line is shown; read without a lock by [`erase_on_exit`].
static DRAWING: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A progress line on stderr, cleared when dropped.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    /// The id under which the line is registered in [`SHOWN`]; `None` when
    /// nothing is drawn.
    shown: Option<u64>,
}

/// Updates a [`Progress`] from another thread (a decoder, a pump). It does
/// not keep the line alive: once the [`Progress`] is dropped, updates do
/// nothing. `ProgressHandle::default()` updates nothing at all.
#[derive(Clone, Default)]
pub struct ProgressHandle(Option<WeakProgressBar>);

impl fmt::Debug for ProgressHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressHandle").finish_non_exhaustive()
    }
}

impl ProgressHandle {
    /// Set how much is done (bytes read, steps taken).
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = self.0.as_ref().and_then(WeakProgressBar::upgrade) {
            bar.set_position(position);
        }
    }

    /// Add to how much is done.
    pub fn inc(&self, delta: u64) {
        if let Some(bar) = self.0.as_ref().and_then(WeakProgressBar::upgrade) {
            bar.inc(delta);
        }
    }
}

/// The decision, in one place: draw only on a terminal that can erase a
/// line, never with `--quiet`.
fn draws(stderr_is_terminal: bool, term_is_dumb: bool, quiet: bool) -> bool {
    stderr_is_terminal && !term_is_dumb && !quiet
}

/// `TERM` unset or `dumb` (Emacs' shell, some CI consoles): a terminal that
/// cannot move the cursor or erase, where a redrawn line would pile up.
/// indicatif refuses to draw there too; deciding it here keeps
/// [`Progress::is_drawn`] true to what is shown.
fn term_is_dumb() -> bool {
    !matches!(std::env::var("TERM").as_deref(), Ok(term) if term != "dumb")
}

impl Progress {
    /// Bytes of work. With a `total`: `label: [===>   ] 42% of 18.0 MiB,
    /// 12.3s`; without: `label: 1.2 MiB read, 3.4 MiB/s, 12.3s elapsed`.
    pub fn bytes(printer: &Printer, label: &str, total: Option<u64>) -> Self {
        Self::for_printer(printer, Form::Bytes { total, done: None }, label)
    }

    /// Bytes of work whose end is not the end of the work (the server goes
    /// on after the last byte is read): once all `total` bytes are done the
    /// line says `label: all 18.0 MiB read, {then}`.
    pub fn bytes_then(printer: &Printer, label: &str, total: u64, then: &str) -> Self {
        let form = Form::Bytes {
            total: Some(total),
            done: Some(then.to_owned()),
        };
        Self::for_printer(printer, form, label)
    }

    /// Steps of work: `label [===>   ] 3/10 message`; see [`Progress::step`].
    pub fn steps(printer: &Printer, total: u64) -> Self {
        Self::for_printer(printer, Form::Steps { total }, "")
    }

    fn for_printer(printer: &Printer, form: Form, label: &str) -> Self {
        let draw = draws(
            printer.stderr_is_terminal(),
            term_is_dumb(),
            printer.is_quiet(),
        );
        let target = draw.then(ProgressDrawTarget::stderr);
        Self::new(target, printer.stderr_is_colored(), form, label)
    }

    /// A progress drawn on `target` (`None`: drawn nowhere).
    fn new(target: Option<ProgressDrawTarget>, colored: bool, form: Form, label: &str) -> Self {
        let Some(target) = target else {
            return Self {
                bar: ProgressBar::hidden(),
                shown: None,
            };
        };
        let bar = ProgressBar::with_draw_target(form.total(), target)
            .with_style(form.style(colored))
            .with_prefix(label.to_owned());
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        *lock_shown() = Some((id, bar.clone()));
        DRAWING.store(true, Ordering::SeqCst);
        bar.enable_steady_tick(TICK);
        Self {
            bar,
            shown: Some(id),
        }
    }

    /// True when the line is drawn (a terminal, not `--quiet`).
    pub fn is_drawn(&self) -> bool {
        self.shown.is_some()
    }

    /// A handle for another thread to report how much is done.
    pub fn handle(&self) -> ProgressHandle {
        ProgressHandle(Some(self.bar.downgrade()))
    }

    /// Set how much is done.
    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
    }

    /// The step form: at step `number` (counted from 1) of `label`, working
    /// on `message`.
    pub fn step(&self, label: &str, number: u64, message: &str) {
        self.bar.set_prefix(label.to_owned());
        self.bar.set_message(message.to_owned());
        self.bar.set_position(number);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        let Some(id) = self.shown else {
            return;
        };
        let mut shown = lock_shown();
        if shown.as_ref().is_some_and(|(current, _)| *current == id) {
            *shown = None;
            DRAWING.store(false, Ordering::SeqCst);
        }
        drop(shown);
        self.bar.disable_steady_tick();
        self.bar.finish_and_clear();
    }
}

/// Run `write` (a line for stderr or stdout) with the progress line, if
/// one is shown, taken away first and drawn again below afterwards.
pub fn above<R>(write: impl FnOnce() -> R) -> R {
    // Clone the bar out: the slot's lock must not be held while drawing.
    let bar = lock_shown().as_ref().map(|(_, bar)| bar.clone());
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Erase a shown line without taking any lock: for the second Ctrl-C, which
/// exits at once and may interrupt a thread that is drawing.
pub(crate) fn erase_on_exit() {
    if DRAWING.load(Ordering::SeqCst) {
        use std::io::Write as _;
        // Carriage return and "erase line", raw: cursor control, not colour.
        let _ = std::io::stderr().write_all(b"\r\x1b[2K");
    }
}

/// The slot, even if a thread panicked while holding it (it only ever
/// holds a complete value).
fn lock_shown() -> std::sync::MutexGuard<'static, Option<(u64, ProgressBar)>> {
    SHOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The shapes a progress line takes.
enum Form {
    Bytes {
        total: Option<u64>,
        /// Said after "all N read" once everything is done.
        done: Option<String>,
    },
    Steps {
        total: u64,
    },
}

impl Form {
    fn total(&self) -> Option<u64> {
        match self {
            Form::Bytes { total, .. } => *total,
            Form::Steps { total } => Some(*total),
        }
    }

    /// The indicatif style. Sizes, rates and durations come from
    /// [`crate::human`] through custom keys, like everywhere else; colour
    /// only when stderr is coloured (`--color`, `NO_COLOR`).
    fn style(&self, colored: bool) -> ProgressStyle {
        let (label, bar) = if colored {
            ("{prefix:.bold}", "{bar:30.cyan/blue}")
        } else {
            ("{prefix}", "{bar:30}")
        };
        let template = match self {
            Form::Bytes { total: Some(_), .. } => format!("{label}: [{bar}] {{amount}}, {{took}}"),
            Form::Bytes { total: None, .. } => {
                format!("{label}: {{read}} read, {{rate}}, {{took}} elapsed")
            }
            Form::Steps { .. } => format!("{label} [{bar}] {{pos}}/{{len}} {{wide_msg}}"),
        };
        let done = match self {
            Form::Bytes { done, .. } => done.clone(),
            _ => None,
        };
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
            .with_key("read", |s: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = w.write_str(&human::bytes(s.pos()));
            })
            .with_key("rate", |s: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = w.write_str(&human::rate(s.pos(), s.elapsed()));
            })
            .with_key("took", |s: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = w.write_str(&human::duration(s.elapsed()));
            })
            .with_key(
                "amount",
                move |s: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = w.write_str(&amount(s.pos(), s.len().unwrap_or(0), done.as_deref()));
                },
            )
    }
}

/// `42% of 18.0 MiB`, or `all 18.0 MiB read, {done}` once all is read and
/// there is more to wait for.
fn amount(position: u64, total: u64, done: Option<&str>) -> String {
    match done {
        Some(then) if total > 0 && position >= total => {
            format!("all {} read, {then}", human::bytes(total))
        }
        _ => {
            let percent = (position.min(total) * 100).checked_div(total).unwrap_or(0);
            format!("{percent}% of {}", human::bytes(total))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex, MutexGuard};

    use indicatif::{ProgressDrawTarget, TermLike};

    use super::{Form, Progress, above, draws};
    use crate::{GlobalArgs, Printer};

    /// Drawing tests share the process-wide slot; one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A terminal that records what is drawn on it, one entry per call.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Recorder {
        fn push(&self, entry: String) -> io::Result<()> {
            self.0.lock().unwrap().push(entry);
            Ok(())
        }

        /// A move by 0 is no move (indicatif makes many).
        fn moved(&self, direction: &str, n: usize) -> io::Result<()> {
            if n == 0 {
                return Ok(());
            }
            self.push(format!("{direction} {n}"))
        }

        fn entries(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }

        fn text(&self) -> String {
            self.entries().join("\n")
        }

        fn target(&self) -> Option<ProgressDrawTarget> {
            Some(ProgressDrawTarget::term_like(Box::new(self.clone())))
        }
    }

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, n: usize) -> io::Result<()> {
            self.moved("up", n)
        }
        fn move_cursor_down(&self, n: usize) -> io::Result<()> {
            self.moved("down", n)
        }
        fn move_cursor_right(&self, n: usize) -> io::Result<()> {
            self.moved("right", n)
        }
        fn move_cursor_left(&self, n: usize) -> io::Result<()> {
            self.moved("left", n)
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.push(format!("line {s}"))
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.push(format!("str {s}"))
        }
        fn clear_line(&self) -> io::Result<()> {
            self.push("clear".to_owned())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Draw the current state now: with steady ticks, updates are drawn
    /// on the ticker's schedule, and tests do not wait for it.
    fn drawn(progress: &Progress) -> &Progress {
        progress.bar.force_draw();
        progress
    }

    fn bytes(total: Option<u64>) -> Form {
        Form::Bytes { total, done: None }
    }

    #[test]
    fn draws_only_on_a_capable_terminal_without_quiet() {
        assert!(draws(true, false, false));
        assert!(!draws(false, false, false), "not a terminal");
        assert!(!draws(true, true, false), "TERM=dumb or unset");
        assert!(!draws(true, false, true), "--quiet");
        assert!(!draws(false, true, true));
    }

    #[test]
    fn quiet_draws_nothing_and_still_counts() {
        let args = GlobalArgs {
            quiet: true,
            ..GlobalArgs::default()
        };
        let progress = Progress::bytes(&Printer::new(&args), "dumping", Some(10));
        assert!(!progress.is_drawn());
        progress.handle().set_position(4);
        assert_eq!(progress.bar.position(), 4);
    }

    #[test]
    fn not_drawn_shows_nothing_and_registers_nothing() {
        let _serial = serial();
        let progress = Progress::new(None, false, bytes(Some(10)), "loading");
        assert!(!progress.is_drawn());
        assert!(progress.bar.is_hidden());
        assert!(super::lock_shown().is_none());
    }

    #[test]
    fn byte_total_form() {
        let _serial = serial();
        let term = Recorder::default();
        let progress = Progress::new(term.target(), false, bytes(Some(1000)), "verifying");
        progress.handle().set_position(420);
        drawn(&progress);
        let text = term.text();
        assert!(text.contains("str verifying: ["), "{text}");
        assert!(text.contains("] 42% of 1000 B, "), "{text}");
    }

    #[test]
    fn byte_total_then_the_server() {
        let _serial = serial();
        let term = Recorder::default();
        let form = Form::Bytes {
            total: Some(2048),
            done: Some("the server is finishing".to_owned()),
        };
        let progress = Progress::new(term.target(), false, form, "loading");
        progress.set_position(2048);
        drawn(&progress);
        let text = term.text();
        assert!(
            text.contains("] all 2.0 KiB read, the server is finishing, "),
            "{text}"
        );
    }

    #[test]
    fn byte_count_form() {
        let _serial = serial();
        let term = Recorder::default();
        let progress = Progress::new(term.target(), false, bytes(None), "dumping app");
        progress.handle().inc(1000);
        drawn(&progress);
        let text = term.text();
        assert!(text.contains("str dumping app: 1000 B read, "), "{text}");
        assert!(text.contains(" elapsed"), "{text}");
    }

    #[test]
    fn step_form() {
        let _serial = serial();
        let term = Recorder::default();
        let progress = Progress::new(term.target(), false, Form::Steps { total: 10 }, "");
        progress.step("stairway", 3, "0003_add_users");
        drawn(&progress);
        let text = term.text();
        assert!(text.contains("str stairway ["), "{text}");
        assert!(text.contains("] 3/10 0003_add_users"), "{text}");
    }

    #[test]
    fn no_colour_means_no_escapes() {
        let _serial = serial();
        let plain = Recorder::default();
        let progress = Progress::new(plain.target(), false, bytes(Some(10)), "loading");
        progress.set_position(5);
        drawn(&progress);
        drop(progress);
        assert!(!plain.text().contains('\u{1b}'), "{}", plain.text());
    }

    #[test]
    fn dropping_clears_the_line_and_later_updates_do_nothing() {
        let _serial = serial();
        let term = Recorder::default();
        let progress = Progress::new(term.target(), false, bytes(None), "dumping");
        let handle = progress.handle();
        handle.inc(1);
        drawn(&progress);
        assert!(super::lock_shown().is_some());
        drop(progress);
        assert!(super::lock_shown().is_none());
        let entries = term.entries();
        assert_eq!(
            entries.last().map(String::as_str),
            Some("clear"),
            "{entries:?}"
        );
        handle.inc(1);
        assert_eq!(term.entries(), entries, "an update after the drop drew");
    }

    #[test]
    fn lines_go_above_the_progress() {
        let _serial = serial();
        let term = Recorder::default();
        let progress = Progress::new(term.target(), false, Form::Steps { total: 3 }, "");
        progress.step("check", 1, "checking");
        drawn(&progress);
        let before = term.entries().len();
        above(|| term.push("str a warning".to_owned()).unwrap());
        let after = term.entries()[before..].to_vec();
        let warning = after.iter().position(|e| e == "str a warning").unwrap();
        assert_eq!(
            after.first().map(String::as_str),
            Some("clear"),
            "{after:?}"
        );
        assert!(
            after[warning + 1..].iter().any(|e| e.contains("checking")),
            "the line is drawn again below: {after:?}"
        );
    }
}
