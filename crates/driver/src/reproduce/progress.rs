//! Progress on stderr: one line when a stage starts and one when it ends (with its time and the
//! total elapsed), and within long stages a bar on a terminal or a line per 10 % otherwise.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Stage-level progress and timing.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    stage_start: Instant,
    stages: usize,
    k: usize,
    name: String,
    quiet: bool,
    tty: bool,
    /// (stage name, seconds) of the finished stages
    pub times: Vec<(String, f64)>,
}

impl Progress {
    /// `stages` announced stages; `quiet` prints nothing.
    pub fn new(stages: usize, quiet: bool) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            stage_start: now,
            stages,
            k: 0,
            name: String::new(),
            quiet,
            tty: std::io::stderr().is_terminal(),
            times: Vec::new(),
        }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Announces the next stage.
    pub fn stage(&mut self, name: &str) {
        self.k += 1;
        self.name = name.to_string();
        self.stage_start = Instant::now();
        if !self.quiet {
            eprintln!(
                "sqz reproduce [{}/{}] {name} ... ({:.1} s elapsed)",
                self.k,
                self.stages,
                self.elapsed()
            );
        }
    }

    /// Ends the current stage with a one-line summary.
    pub fn done(&mut self, summary: &str) {
        let s = self.stage_start.elapsed().as_secs_f64();
        self.times.push((self.name.clone(), s));
        if !self.quiet {
            eprintln!(
                "sqz reproduce [{}/{}] {} done in {s:.1} s ({:.1} s elapsed): {summary}",
                self.k,
                self.stages,
                self.name,
                self.elapsed()
            );
        }
    }

    /// A thread-safe counter of `total` work items for the current stage.
    pub fn counter(&self, label: &str, total: usize) -> Counter {
        Counter {
            label: label.to_string(),
            total,
            done: AtomicUsize::new(0),
            start: Instant::now(),
            last: Mutex::new((Instant::now(), 0)),
            quiet: self.quiet,
            tty: self.tty,
        }
    }
}

/// Counts finished work items from any thread.
#[derive(Debug)]
pub struct Counter {
    label: String,
    total: usize,
    done: AtomicUsize,
    start: Instant,
    /// time of the last report and the tenth reported
    last: Mutex<(Instant, usize)>,
    quiet: bool,
    tty: bool,
}

impl Counter {
    /// One more item finished.
    pub fn tick(&self) {
        let k = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.quiet || self.total == 0 {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let el = self.start.elapsed().as_secs_f64();
        let frac = k as f64 / self.total as f64;
        if self.tty {
            if k < self.total && last.0.elapsed() < Duration::from_millis(150) {
                return;
            }
            let w = 30;
            let fill = ((frac * w as f64).round() as usize).min(w);
            let eta = if k > 0 { el / frac - el } else { 0.0 };
            eprint!(
                "\r  {} [{}{}] {k}/{} {el:.1} s (eta {eta:.0} s)   ",
                self.label,
                "#".repeat(fill),
                " ".repeat(w - fill),
                self.total
            );
            if k == self.total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
            last.0 = Instant::now();
        } else {
            let tenth = (frac * 10.0).floor() as usize;
            if tenth > last.1 {
                last.1 = tenth;
                eprintln!(
                    "  {}: {k}/{} ({:.0} %) {el:.1} s",
                    self.label,
                    self.total,
                    100.0 * frac
                );
            }
        }
    }
}
