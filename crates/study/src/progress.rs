//! Progress on stderr, the one console of every command: a bar redrawn in place when stderr is a
//! terminal ([`bar`]), otherwise log lines, as batch-job logs want.
//!
//! * [`Progress`]: the tasks of a disorder study on rank 0 (done/total, rate, ETA every
//!   `interval` seconds) and, from [`Running`], the tasks running for more than
//!   [`RUNNING_AFTER`] s: which, on which rank, for how long, and their Krylov step and residual
//!   ([`running_line`]);
//! * [`Propagation`]: one time evolution to `t_end` (`sqz evolve`; a line every 10 s);
//! * [`Stages`] and [`Counter`]: the stages of `sqz reproduce` (a line when each starts and ends,
//!   with wall and CPU time) and the work items within one (a line per 10 %);
//! * [`SolveWatch`]: one long steady-state solve (`sqz steady`): its Krylov steps and residual
//!   against the target, from the solver's [`sqz_krylov::Progress`] counters.

use sqz_krylov::expv::ExpvInfo;
use sqz_krylov::ProgressSnapshot;
use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// the running tasks and the names of the study's tasks
    running: Option<(Arc<Running>, TaskNames)>,
    /// a second line (the running tasks) is drawn below the bar
    two_lines: bool,
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
            running: None,
            two_lines: false,
        }
    }

    /// Also reports the tasks of `running` that have run for more than [`RUNNING_AFTER`] s (or
    /// the log period, if shorter), named by `names`.
    pub fn with_running(mut self, running: Arc<Running>, names: TaskNames) -> Self {
        self.running = Some((running, names));
        self
    }

    /// The line of the running tasks now, if any has run long enough to be named; `width`:
    /// at most this many characters (a terminal line).
    fn running_now(&self, width: Option<usize>) -> Option<String> {
        let (running, names) = self.running.as_ref()?;
        let after = RUNNING_AFTER.min(self.interval.as_secs_f64());
        running_line(&running.snapshot(), names, after, width)
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
            let below = if last {
                None
            } else {
                self.running_now(Some(terminal_width().saturating_sub(1)))
            };
            // the running tasks on a second line, the cursor back on the first
            let clear_below = if self.two_lines && below.is_none() {
                "\n\x1b[2K\x1b[1A"
            } else {
                ""
            };
            let below = below.map_or(String::new(), |b| format!("\n\x1b[2K{b}\x1b[1A"));
            self.two_lines = !below.is_empty();
            eprint!("\r\x1b[2K{clear_below}\r{} {text}{below}", bar(pct / 100.0));
            if last {
                eprintln!();
            }
        } else {
            eprintln!("sqz disorder: {text}");
            if let Some(r) = self.running_now(None) {
                eprintln!("sqz disorder: {r}");
            }
        }
    }

    /// Ends the bar (both lines; before other output on a terminal).
    pub fn clear_line(&mut self) {
        if self.enabled && self.tty {
            if self.two_lines {
                eprint!("\n\x1b[2K\x1b[1A");
                self.two_lines = false;
            }
            eprint!("\r\x1b[2K");
        }
    }
}

/// Seconds a task runs before the progress output of a study names it: the many short tasks of a
/// small-N study stay out of it (a `--progress-every` below it lowers it).
pub const RUNNING_AFTER: f64 = 2.0;
/// Most running tasks one log line names, the longest-running first; the others are counted.
pub const RUNNING_MAX: usize = 8;

/// How the progress output names a study's tasks: `task K (w = W, configuration C)`.
#[derive(Debug, Clone, Default)]
pub struct TaskNames {
    /// configurations per w (task = w index x configurations + configuration)
    pub configurations: u64,
    /// each w as the study file writes it
    pub w_text: Vec<String>,
}

impl TaskNames {
    /// `task 17 (w = 0.1pi, configuration 5)`; `compact`: `#17 (0.1pi, c5)`.
    pub fn name(&self, task: u64, compact: bool) -> String {
        let per = self.configurations.max(1);
        let (wi, c) = ((task / per) as usize, task % per);
        let w = self.w_text.get(wi).map_or("?", String::as_str);
        if compact {
            format!("#{task} ({w}, c{c})")
        } else {
            format!("task {task} (w = {w}, configuration {c})")
        }
    }
}

/// A task that runs now ([`Running::snapshot`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunningTask {
    /// task number
    pub task: u64,
    /// the rank that runs it (0: this process)
    pub rank: usize,
    /// seconds since it started (another rank's: since rank 0 learnt that it started, see
    /// [`Running`])
    pub secs: f64,
    /// its Krylov solve so far (steps of this task, residual and target); `None` before its
    /// first Krylov step, on another rank, or without counters
    pub krylov: Option<ProgressSnapshot>,
}

/// One compute thread of this process: the task it runs (number, start, the thread's Krylov
/// steps before it) and the thread's solver counters.
struct Lane {
    task: Option<(u64, Instant, usize)>,
    progress: Option<&'static sqz_krylov::Progress>,
}

/// The tasks another rank holds, in the order it runs them, and since when the first runs.
struct Remote {
    queue: VecDeque<u64>,
    since: Instant,
}

/// The tasks running now, for the progress output of a study (rank 0).
///
/// * This process's compute threads register themselves ([`Running::lane`]); each has its own
///   [`sqz_krylov::Progress`], given to the solver (`SteadyParams::progress`), which only writes
///   it: the results do not depend on it.
/// * Under MPI, rank 0 follows what it hands to each other rank ([`Running::assigned`]) and what
///   comes back ([`Running::returned`]): a rank runs its tasks in the order given, the first one
///   from when rank 0 handed it out to an idle rank or received the rank's previous result.
///   Those messages carry no Krylov counters, so another rank's task shows its time only.
#[derive(Default)]
pub struct Running {
    krylov: bool,
    lanes: Mutex<Vec<Lane>>,
    remote: Mutex<BTreeMap<usize, Remote>>,
}

/// A compute thread's place in [`Running`].
pub struct LaneHandle<'a> {
    running: &'a Running,
    index: usize,
    progress: Option<&'static sqz_krylov::Progress>,
}

impl Running {
    /// Nothing runs yet; `krylov`: give each compute thread solver counters (off when nothing
    /// is reported, `--quiet`).
    pub fn new(krylov: bool) -> Self {
        Self {
            krylov,
            ..Self::default()
        }
    }

    /// A new compute thread of this process (with its own solver counters: one small leak per
    /// thread, as the solver takes `&'static` counters).
    pub fn lane(&self) -> LaneHandle<'_> {
        let progress = self
            .krylov
            .then(|| &*Box::leak(Box::new(sqz_krylov::Progress::new())));
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes.push(Lane {
            task: None,
            progress,
        });
        LaneHandle {
            running: self,
            index: lanes.len() - 1,
            progress,
        }
    }

    /// Rank 0 handed `tasks` to rank `rank`.
    pub fn assigned(&self, rank: usize, tasks: &[u64]) {
        if tasks.is_empty() {
            return;
        }
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        let r = remote.entry(rank).or_insert_with(|| Remote {
            queue: VecDeque::new(),
            since: Instant::now(),
        });
        if r.queue.is_empty() {
            r.since = Instant::now();
        }
        r.queue.extend(tasks);
    }

    /// Rank `rank` returned the result of `task`: its next task starts now.
    pub fn returned(&self, rank: usize, task: u64) {
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = remote.get_mut(&rank) {
            if let Some(k) = r.queue.iter().position(|&t| t == task) {
                r.queue.remove(k);
                r.since = Instant::now();
            }
        }
    }

    /// The tasks running now, the longest-running first.
    pub fn snapshot(&self) -> Vec<RunningTask> {
        let now = Instant::now();
        let mut out: Vec<RunningTask> = Vec::new();
        for lane in self.lanes.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let Some((task, t0, steps0)) = lane.task else {
                continue;
            };
            let krylov = lane.progress.map(|p| p.snapshot()).and_then(|s| {
                (s.steps > steps0).then_some(ProgressSnapshot {
                    steps: s.steps - steps0,
                    ..s
                })
            });
            out.push(RunningTask {
                task,
                rank: 0,
                secs: (now - t0).as_secs_f64(),
                krylov,
            });
        }
        for (&rank, r) in self.remote.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if let Some(&task) = r.queue.front() {
                out.push(RunningTask {
                    task,
                    rank,
                    secs: (now - r.since).as_secs_f64(),
                    krylov: None,
                });
            }
        }
        out.sort_by(|a, b| b.secs.total_cmp(&a.secs).then(a.task.cmp(&b.task)));
        out
    }
}

impl LaneHandle<'_> {
    /// The counters to give this thread's solves (`None` when nothing is reported).
    pub fn progress(&self) -> Option<&'static sqz_krylov::Progress> {
        self.progress
    }

    /// This thread starts `task`.
    pub fn start(&self, task: u64) {
        let steps = self.progress.map_or(0, |p| p.snapshot().steps);
        self.set(Some((task, Instant::now(), steps)));
    }

    /// This thread's task ended.
    pub fn end(&self) {
        self.set(None);
    }

    fn set(&self, task: Option<(u64, Instant, usize)>) {
        let mut lanes = self.running.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes[self.index].task = task;
    }
}

/// One running task: `task 17 (w = 0.1pi, configuration 5) on rank 2: 1m05s, Krylov step 120,
/// residual 1.00e-5 (target 1.0e-10)`; `compact` (a terminal line): `#17 (0.1pi, c5) r2 1m05s
/// step 120 1.0e-5/1e-10`.
pub fn running_task(t: &RunningTask, names: &TaskNames, compact: bool) -> String {
    let name = names.name(t.task, compact);
    let el = hms(t.secs);
    if compact {
        let rank = if t.rank > 0 {
            format!(" r{}", t.rank)
        } else {
            String::new()
        };
        let k = t.krylov.map_or(String::new(), |k| {
            format!(" step {} {:.1e}/{:.0e}", k.steps, k.rel_residual, k.rel_tol)
        });
        format!("{name}{rank} {el}{k}")
    } else {
        let rank = if t.rank > 0 {
            format!(" on rank {}", t.rank)
        } else {
            String::new()
        };
        let k = t.krylov.map_or(String::new(), |k| {
            format!(
                ", Krylov step {}, residual {:.2e} (target {:.1e})",
                k.steps, k.rel_residual, k.rel_tol
            )
        });
        format!("{name}{rank}: {el}{k}")
    }
}

/// The running tasks of a study in one line, or `None` when none has run `after` seconds:
/// `running 3 tasks: A; B; and 1 more` (a terminal: `running 3 tasks: A; B; +1 more`) naming those that have (the longest-running first), at
/// most [`RUNNING_MAX`]. `width`: a terminal line of at most this many characters (compact
/// names, as many as fit); `None`: a log line.
pub fn running_line(
    tasks: &[RunningTask],
    names: &TaskNames,
    after: f64,
    width: Option<usize>,
) -> Option<String> {
    let long: Vec<&RunningTask> = tasks.iter().filter(|t| t.secs >= after).collect();
    if long.is_empty() {
        return None;
    }
    let head = format!(
        "running {} task{}",
        tasks.len(),
        if tasks.len() == 1 { "" } else { "s" }
    );
    let Some(width) = width else {
        let shown: Vec<String> = long
            .iter()
            .take(RUNNING_MAX)
            .map(|t| running_task(t, names, false))
            .collect();
        let more = tasks.len() - shown.len();
        let tail = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        return Some(format!("{head}: {}{tail}", shown.join("; ")));
    };
    // a terminal line: as many as fit, with room for the count of the others
    let mut line = format!("  {head}:");
    for (k, t) in long.iter().enumerate() {
        let sep = if k == 0 { " " } else { "; " };
        let item = format!("{sep}{}", running_task(t, names, true));
        let more = tasks.len() - k - 1;
        let room = if more > 0 {
            format!("; +{more} more").len()
        } else {
            0
        };
        // the longest-running one always (cut at the width), the others where they fit
        if k > 0 && line.len() + item.len() + room > width {
            let tail = format!("; +{} more", tasks.len() - k);
            let keep = width.saturating_sub(tail.len());
            line = line.chars().take(keep).collect::<String>() + &tail;
            break;
        }
        line.push_str(&item);
        if k + 1 == long.len() && more > 0 {
            line.push_str(&format!("; +{more} more"));
        }
    }
    Some(line.chars().take(width).collect())
}

/// Columns of the terminal on stderr (100 when unknown).
fn terminal_width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stderr())
        .ok()
        .map(|w| w.ws_col as usize)
        .filter(|&c| c >= 20)
        .unwrap_or(100)
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

    fn names() -> super::TaskNames {
        super::TaskNames {
            configurations: 20,
            w_text: vec!["0.03pi".into(), "0.3pi".into()],
        }
    }

    fn task(task: u64, rank: usize, secs: f64, steps: usize) -> super::RunningTask {
        super::RunningTask {
            task,
            rank,
            secs,
            krylov: (steps > 0).then_some(sqz_krylov::ProgressSnapshot {
                steps,
                rel_residual: 2.5e-6,
                rel_tol: 1e-10,
            }),
        }
    }

    /// The log line names each long-running task (number, w, configuration, rank), its elapsed
    /// time and Krylov step, leaves out the short ones and counts the rest.
    #[test]
    fn the_running_line_names_tasks_and_elapsed_time() {
        let tasks = [
            task(27, 2, 65.0, 0),
            task(3, 0, 12.0, 140),
            task(4, 0, 0.5, 0),
        ];
        let l = super::running_line(&tasks, &names(), 2.0, None).unwrap();
        assert_eq!(
            l,
            "running 3 tasks: task 27 (w = 0.3pi, configuration 7) on rank 2: 1m05s; task 3 \
             (w = 0.03pi, configuration 3): 12s, Krylov step 140, residual 2.50e-6 (target \
             1.0e-10); and 1 more"
        );
        // nothing has run long enough: no line (small studies with many short tasks)
        assert_eq!(super::running_line(&tasks[2..], &names(), 2.0, None), None);
        // at most RUNNING_MAX named
        let many: Vec<_> = (0..12).map(|k| task(k, 0, 30.0, 0)).collect();
        let l = super::running_line(&many, &names(), 2.0, None).unwrap();
        assert_eq!(l.matches("task ").count(), super::RUNNING_MAX, "{l}");
        assert!(l.ends_with("; and 4 more"), "{l}");
    }

    /// On a terminal: compact names, as many as fit in the width, the others counted.
    #[test]
    fn the_terminal_running_line_fits_its_width() {
        let tasks = [
            task(27, 2, 65.0, 0),
            task(3, 0, 12.0, 140),
            task(4, 0, 0.5, 0),
        ];
        let l = super::running_line(&tasks, &names(), 2.0, Some(100)).unwrap();
        assert_eq!(
            l,
            "  running 3 tasks: #27 (0.3pi, c7) r2 1m05s; #3 (0.03pi, c3) 12s step 140 \
             2.5e-6/1e-10; +1 more"
        );
        let l = super::running_line(&tasks, &names(), 2.0, Some(50)).unwrap();
        assert!(l.len() <= 50, "{l}");
        assert_eq!(l, "  running 3 tasks: #27 (0.3pi, c7) r2 1m0; +2 more");
    }

    /// What the compute threads and the MPI executor record comes back as running tasks, each
    /// thread's Krylov steps counted from the start of its task.
    #[test]
    fn running_follows_threads_and_ranks() {
        let r = super::Running::new(true);
        let lane = r.lane();
        let pg = lane.progress().unwrap();
        pg.step(1e-3, 1e-10); // a step of an earlier task
        lane.start(5);
        let t = r.snapshot();
        assert_eq!(
            (t.len(), t[0].task, t[0].rank, t[0].krylov),
            (1, 5, 0, None)
        );
        pg.step(1e-4, 1e-10);
        let k = r.snapshot()[0].krylov.unwrap();
        assert_eq!((k.steps, k.rel_residual), (1, 1e-4));
        r.assigned(3, &[8, 9]);
        let t = r.snapshot();
        assert_eq!(t.len(), 2);
        assert!(t.iter().any(|x| (x.task, x.rank, x.krylov) == (8, 3, None)));
        r.returned(3, 8);
        assert!(r.snapshot().iter().any(|x| (x.task, x.rank) == (9, 3)));
        r.returned(3, 9);
        lane.end();
        assert!(r.snapshot().is_empty());
        // --quiet: no counters for the solver
        assert!(super::Running::new(false).lane().progress().is_none());
    }
}
