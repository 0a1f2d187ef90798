//! Progress on stderr, the one console of every command: a bar redrawn in place when stderr is a
//! terminal ([`bar`]), otherwise log lines, as batch-job logs want.
//!
//! * [`Progress`]: the tasks of a disorder study on rank 0 (done/total, rate, ETA every
//!   `interval` seconds);
//! * [`Propagation`]: one time evolution to `t_end` (`sqz evolve`; a line every 10 s);
//! * [`Stages`] and [`Counter`]: the stages of `sqz reproduce` (a line when each starts and ends,
//!   with wall and CPU time) and the work items within one (a line per 10 %);
//! * [`SolveWatch`]: one long steady-state solve (`sqz steady`): its Krylov steps and residual
//!   against the target, from the solver's [`sqz_krylov::Progress`] counters.

use sqz_krylov::expv::ExpvInfo;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Width of a bar in cells.
const BAR_WIDTH: usize = 30;

/// `[#####.....]`: a bar of [`BAR_WIDTH`] cells with the fraction `frac` (clamped to 0..1) filled.
pub fn bar(frac: f64) -> String {
    let fill = ((frac.clamp(0.0, 1.0) * BAR_WIDTH as f64).round() as usize).min(BAR_WIDTH);
    format!("[{}{}]", "#".repeat(fill), ".".repeat(BAR_WIDTH - fill))
}

/// Whether stderr is a terminal (a bar) or not (log lines).
fn stderr_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// Progress reporter of a disorder study.
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
            tty: stderr_tty(),
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
            eprint!("\r\x1b[2K{} {text}", bar(pct / 100.0));
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

/// The progress of one propagation to `t_end`: nothing for runs shorter than a second
/// (terminal) or ten seconds (log lines).
pub struct Propagation {
    start: Instant,
    last: Instant,
    t_end: f64,
    tty: bool,
    quiet: bool,
    drawn: bool,
}

impl Propagation {
    /// A propagation to `t_end`; `quiet` prints nothing.
    pub fn new(t_end: f64, quiet: bool) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            t_end,
            tty: stderr_tty(),
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
        let (steps, matvecs, secs) = (info.steps, info.matvecs, el.as_secs_f64());
        if self.tty {
            if el < Duration::from_secs(1) || now - self.last < Duration::from_millis(200) {
                return;
            }
            eprint!(
                "\r\x1b[2K{} {:5.1}%  t = {t:.4e} / {:.4e}  {steps} steps  {matvecs} matvecs  {secs:.1} s ",
                bar(frac),
                100.0 * frac,
                self.t_end,
            );
            self.drawn = true;
        } else {
            if now - self.last < Duration::from_secs(10) {
                return;
            }
            eprintln!(
                "sqz evolve: t = {t:.6e} of {:.6e} ({:.1}%), {steps} steps, {matvecs} matvecs, {secs:.1} s elapsed",
                self.t_end,
                100.0 * frac,
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

/// What [`Stages::on_stage`] calls with the name of every stage.
type OnStage = Box<dyn Fn(&str) + Send + Sync>;

/// Stage-level progress and timing (`sqz reproduce [k/n] ...` lines).
pub struct Stages {
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
    /// told the name of every stage (what a signal interrupted)
    on_stage: Option<OnStage>,
}

impl Stages {
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
            tty: stderr_tty(),
            times: Vec::new(),
            cpu_times: Vec::new(),
            stage_cpu: None,
            on_stage: None,
        }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Calls `f` with the name of every stage from now on.
    pub fn on_stage(&mut self, f: impl Fn(&str) + Send + Sync + 'static) {
        self.on_stage = Some(Box::new(f));
    }

    /// Announces the next stage.
    pub fn stage(&mut self, name: &str) {
        if let Some(f) = &self.on_stage {
            f(name);
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
        let stage_cpu = match (cpu_seconds(), self.stage_cpu) {
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

    /// A thread-safe counter of `total` work items of the current stage.
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
            let eta = if k > 0 { el / frac - el } else { 0.0 };
            eprint!(
                "\r  {} {} {k}/{} {el:.1} s (eta {eta:.0} s)   ",
                self.label,
                bar(frac),
                self.total
            );
            if k == self.total {
                eprintln!();
            }
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

/// Seconds a solve runs before [`SolveWatch`] draws its bar on a terminal (shorter solves stay
/// silent).
pub const SOLVE_BAR_AFTER: f64 = 2.0;
/// Seconds between redraws of that bar.
pub const SOLVE_BAR_EVERY: f64 = 0.5;

/// The progress of one solve on stderr, from a thread of its own that reads the solver's
/// counters: on a terminal a bar (the fraction is `log(residual) / log(target)`, Krylov steps,
/// residual against target, elapsed time) redrawn every [`SOLVE_BAR_EVERY`] s once the solve has
/// run [`SOLVE_BAR_AFTER`] s; otherwise a log line every `period` seconds (batch logs). Stops and
/// clears its line when dropped.
pub struct SolveWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// The line [`SolveWatch`] prints for a snapshot after `elapsed` seconds.
pub fn solve_line(
    label: &str,
    s: &sqz_krylov::ProgressSnapshot,
    elapsed: f64,
    tty: bool,
) -> String {
    if s.steps == 0 {
        return format!("{label}: setting up, {}", hms(elapsed));
    }
    let frac = if s.rel_residual > 0.0 && s.rel_tol > 0.0 && s.rel_tol < 1.0 {
        (s.rel_residual.ln() / s.rel_tol.ln()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    format!(
        "{label}: {}Krylov step {}, relative residual {:.2e} (target {:.1e}), {}",
        if tty {
            format!("{} ", bar(frac))
        } else {
            String::new()
        },
        s.steps,
        s.rel_residual,
        s.rel_tol,
        hms(elapsed)
    )
}

impl SolveWatch {
    /// Starts watching `progress` (see the type's docs); `period` > 0 seconds.
    pub fn start(label: String, progress: &'static sqz_krylov::Progress, period: f64) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let tty = stderr_tty();
        let handle = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut next = if tty { SOLVE_BAR_AFTER } else { period };
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                let el = t0.elapsed().as_secs_f64();
                if el < next {
                    continue;
                }
                let line = solve_line(&label, &progress.snapshot(), el, tty);
                if tty {
                    eprint!("\r{line}\x1b[K");
                    drawn = true;
                    next = el + SOLVE_BAR_EVERY;
                } else {
                    eprintln!("{line}");
                    next += period;
                }
            }
            if drawn {
                eprint!("\r\x1b[K");
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for SolveWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
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

    #[test]
    fn bars() {
        assert_eq!(
            super::bar(0.5),
            format!("[{}{}]", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(super::bar(2.0), format!("[{}]", "#".repeat(30)));
        assert_eq!(super::bar(-1.0), format!("[{}]", ".".repeat(30)));
    }

    #[test]
    fn a_solve_line_names_step_residual_and_target() {
        let snap = sqz_krylov::ProgressSnapshot {
            steps: 120,
            rel_residual: 1e-5,
            rel_tol: 1e-10,
        };
        let l = super::solve_line("sqz steady (N = 9)", &snap, 65.0, false);
        assert_eq!(
            l,
            "sqz steady (N = 9): Krylov step 120, relative residual 1.00e-5 (target 1.0e-10), 1m05s"
        );
        // on a terminal the bar is half full: log(1e-5) / log(1e-10)
        let t = super::solve_line("x", &snap, 3.0, true);
        assert!(t.contains(&super::bar(0.5)), "{t}");
        let none = sqz_krylov::ProgressSnapshot {
            steps: 0,
            rel_residual: f64::NAN,
            rel_tol: f64::NAN,
        };
        assert_eq!(
            super::solve_line("x", &none, 1.0, true),
            "x: setting up, 1s"
        );
    }
}
