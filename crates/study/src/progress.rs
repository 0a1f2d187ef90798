//! Progress on rank 0: a bar redrawn in place when stderr is a terminal, otherwise a log line
//! (done/total, rate, ETA) every `interval` seconds, as batch-job logs want.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress reporter.
pub struct Progress {
    total: u64,
    done_before: u64,
    done: u64,
    failed: u64,
    start: Instant,
    last: Instant,
    interval: Duration,
    tty: bool,
    enabled: bool,
}

/// `1h02m03s`, `4m05s`, `12s`.
pub fn hms(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let s = s.round() as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

impl Progress {
    /// `done_before` tasks were finished by earlier runs (resume); `interval` is the log period.
    pub fn new(total: u64, done_before: u64, interval: f64, enabled: bool) -> Self {
        let now = Instant::now();
        Self {
            total,
            done_before,
            done: done_before,
            failed: 0,
            start: now,
            last: now,
            interval: Duration::from_secs_f64(interval.max(0.05)),
            tty: std::io::stderr().is_terminal(),
            enabled,
        }
    }

    /// Records finished tasks and prints when due.
    pub fn update(&mut self, done: u64, failed: u64) {
        self.done = done;
        self.failed = failed;
        if !self.enabled {
            return;
        }
        let due = if self.tty {
            self.last.elapsed() >= Duration::from_millis(200)
        } else {
            self.last.elapsed() >= self.interval
        };
        if due {
            self.print(false);
        }
    }

    fn line(&self) -> (String, f64) {
        let el = self.start.elapsed().as_secs_f64();
        let new = self.done - self.done_before;
        let rate = if el > 0.0 { new as f64 / el } else { 0.0 };
        let left = self.total - self.done;
        let eta = if rate > 0.0 {
            hms(left as f64 / rate)
        } else {
            "?".into()
        };
        let pct = 100.0 * self.done as f64 / self.total.max(1) as f64;
        let failed = if self.failed > 0 {
            format!(", {} failed", self.failed)
        } else {
            String::new()
        };
        (
            format!(
                "{}/{} tasks ({pct:.1}%){failed}, {rate:.2} tasks/s, elapsed {}, ETA {eta}",
                self.done,
                self.total,
                hms(el)
            ),
            pct,
        )
    }

    /// Prints now (`last`: the final line, ends the bar).
    pub fn print(&mut self, last: bool) {
        if !self.enabled {
            return;
        }
        self.last = Instant::now();
        let (text, pct) = self.line();
        // through crate::out: a closed stderr stops the study instead of going unnoticed
        if self.tty {
            let width = 30;
            let fill = ((pct / 100.0) * width as f64).round() as usize;
            let bar: String = "#".repeat(fill.min(width)) + &".".repeat(width - fill.min(width));
            eprint!("\r\x1b[2K[{bar}] {text}");
            if last {
                eprintln!();
            }
        } else {
            eprintln!("sqz disorder: {text}");
        }
    }

    /// Ends the bar line (before other output on a terminal).
    pub fn clear_line(&self) {
        if self.enabled && self.tty {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::hms(12.4), "12s");
        assert_eq!(super::hms(245.0), "4m05s");
        assert_eq!(super::hms(3723.0), "1h02m03s");
        assert_eq!(super::hms(f64::NAN), "?");
    }
}
