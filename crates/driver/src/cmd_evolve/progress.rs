//! Progress of a propagation on stderr: a bar when stderr is a terminal, a line every 10 s
//! otherwise; nothing for runs shorter than a second (terminal) or ten seconds.

use sqz_krylov::expv::ExpvInfo;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The progress of one propagation to `t_end`.
pub struct Progress {
    start: Instant,
    last: Instant,
    t_end: f64,
    tty: bool,
    quiet: bool,
    drawn: bool,
}

impl Progress {
    /// A propagation to `t_end`; `quiet` prints nothing.
    pub fn new(t_end: f64, quiet: bool) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            t_end,
            tty: std::io::stderr().is_terminal(),
            quiet,
            drawn: false,
        }
    }

    /// After an accepted step that reached `t`.
    pub fn update(&mut self, t: f64, info: &ExpvInfo) {
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let el = now - self.start;
        let frac = if self.t_end > 0.0 {
            (t / self.t_end).clamp(0.0, 1.0)
        } else {
            1.0
        };
        if self.tty {
            if el < Duration::from_secs(1) || now - self.last < Duration::from_millis(200) {
                return;
            }
            let w = 30;
            let fill = (frac * w as f64).round() as usize;
            eprint!(
                "\r\x1b[2K[{}{}] {:5.1}%  t = {:.4e} / {:.4e}  {} steps  {} matvecs  {:.1} s ",
                "#".repeat(fill),
                " ".repeat(w - fill),
                100.0 * frac,
                t,
                self.t_end,
                info.steps,
                info.matvecs,
                el.as_secs_f64()
            );
            self.drawn = true;
        } else {
            if now - self.last < Duration::from_secs(10) {
                return;
            }
            eprintln!(
                "sqz evolve: t = {:.6e} of {:.6e} ({:.1}%), {} steps, {} matvecs, {:.1} s elapsed",
                t,
                self.t_end,
                100.0 * frac,
                info.steps,
                info.matvecs,
                el.as_secs_f64()
            );
        }
        self.last = now;
    }

    /// Erases the bar, if one was drawn.
    pub fn finish(&self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
        }
    }
}
