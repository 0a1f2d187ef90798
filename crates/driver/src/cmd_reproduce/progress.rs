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
    /// CPU seconds (user + system, all threads) of the finished stages; NaN where unknown
    pub cpu_times: Vec<f64>,
    stage_cpu: Option<f64>,
    /// told the stage name (what a signal interrupted)
    watcher: Option<std::sync::Arc<super::interrupt::Watcher>>,
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; clock ticks
/// of 1/100 s, the Linux `USER_HZ`); `None` elsewhere.
pub fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // the command name (field 2) may contain spaces: fields after its closing parenthesis
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name
    let ut: f64 = f.get(11)?.parse().ok()?;
    let st: f64 = f.get(12)?.parse().ok()?;
    Some((ut + st) / 100.0)
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
            cpu_times: Vec::new(),
            stage_cpu: None,
            watcher: None,
        }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Tells `w` the name of every stage from now on.
    pub fn watch(&mut self, w: std::sync::Arc<super::interrupt::Watcher>) {
        self.watcher = Some(w);
    }

    /// Announces the next stage.
    pub fn stage(&mut self, name: &str) {
        if let Some(w) = &self.watcher {
            w.stage(name);
        }
        self.k += 1;
        self.name = name.to_string();
        self.stage_start = Instant::now();
        self.stage_cpu = cpu_seconds();
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
        let cpu = cpu_seconds();
        let stage_cpu = match (cpu, self.stage_cpu) {
            (Some(a), Some(b)) => a - b,
            _ => f64::NAN,
        };
        self.times.push((self.name.clone(), s));
        self.cpu_times.push(stage_cpu);
        if !self.quiet {
            let cpu_note = if stage_cpu.is_finite() {
                format!(", {stage_cpu:.1} s CPU")
            } else {
                String::new()
            };
            eprintln!(
                "sqz reproduce [{}/{}] {} done in {s:.1} s{cpu_note} ({:.1} s elapsed): {summary}",
                self.k,
                self.stages,
                self.name,
                self.elapsed()
            );
        }
    }
}

impl sqz_reproduce::Progress for Progress {
    /// A thread-safe counter of `total` work items for the current stage.
    fn counter(&self, label: &str, total: usize) -> Box<dyn sqz_reproduce::Counter + '_> {
        Box::new(Counter {
            label: label.to_string(),
            total,
            done: AtomicUsize::new(0),
            start: Instant::now(),
            last: Mutex::new((Instant::now(), 0)),
            quiet: self.quiet,
            tty: self.tty,
        })
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

impl sqz_reproduce::Counter for Counter {
    /// One more item finished.
    fn tick(&self) {
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
