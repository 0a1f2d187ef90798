//! Running tasks: the shared scheduler, compute threads, the collector that stores results and
//! writes checkpoints, signals, and the single-process executor (no MPI, or an MPI world of 1).

use crate::layout::RunInfo;
use crate::progress::{Progress, Running, TaskNames};
use crate::schema::{status, TaskResult};
use crate::spec::Study;
use crate::store::Store;
use crate::task::compute_with;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Hands out pending tasks in order; `stop` ends the handing out (signal, `--stop-after`).
#[derive(Debug)]
pub struct Scheduler {
    pending: Vec<u64>,
    next: usize,
    stop: bool,
}

impl Scheduler {
    /// A scheduler over `pending` (in the order given).
    pub fn new(pending: Vec<u64>) -> Self {
        Self {
            pending,
            next: 0,
            stop: false,
        }
    }
    /// Up to `k` tasks.
    pub fn take(&mut self, k: usize) -> Vec<u64> {
        if self.stop {
            return Vec::new();
        }
        let end = (self.next + k).min(self.pending.len());
        let v = self.pending[self.next..end].to_vec();
        self.next = end;
        v
    }
    /// One task, if any is left.
    pub fn take_one(&mut self) -> Option<u64> {
        self.take(1).pop()
    }
    /// No more tasks will be handed out.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn exhausted(&self) -> bool {
        self.stop || self.next == self.pending.len()
    }
    /// Stops handing out tasks.
    pub fn stop(&mut self) {
        self.stop = true;
    }
}

/// Signal flags: SIGTERM and SIGUSR1 (Slurm's `--signal`), SIGHUP (a closed terminal, a lost ssh
/// connection), SIGINT (Ctrl-C; a second Ctrl-C exits at once with code 130). Each asks the run
/// to stop: finish the running tasks, save, exit 75.
#[derive(Clone)]
pub struct Signals {
    flags: Vec<(&'static str, Arc<AtomicBool>)>,
}

impl Signals {
    /// Registers the handlers (they only set flags).
    pub fn install() -> anyhow::Result<Self> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
        let mut flags = Vec::new();
        for (name, sig) in [
            ("SIGTERM", SIGTERM),
            ("SIGUSR1", SIGUSR1),
            ("SIGHUP", SIGHUP),
            ("SIGINT", SIGINT),
        ] {
            let f = Arc::new(AtomicBool::new(false));
            if (sig == SIGHUP || sig == SIGINT) && ignored_at_start(sig) {
                // `nohup` (SIGHUP) and a shell's background jobs (SIGINT) ignore these on
                // purpose: keep them ignored
                flags.push((name, f));
                continue;
            }
            if sig == SIGINT {
                signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&f))
                    .context("installing the SIGINT handler")?;
            }
            signal_hook::flag::register(sig, Arc::clone(&f))
                .with_context(|| format!("installing the {name} handler"))?;
            flags.push((name, f));
        }
        Ok(Self { flags })
    }

    /// The first signal caught, if any (a closed stdout/stderr counts as one: [`crate::out`]).
    pub fn caught(&self) -> Option<&'static str> {
        self.flags
            .iter()
            .find(|(_, f)| f.load(Ordering::Relaxed))
            .map(|(n, _)| *n)
            .or_else(|| crate::out::output_closed().then_some("the output pipe was closed"))
    }
}

/// Whether signal `sig` was ignored when the process started (`SigIgn` in /proc/self/status):
/// `nohup` ignores SIGHUP, a non-interactive shell's background jobs ignore SIGINT, and a program
/// should not undo that.
pub fn ignored_at_start(sig: i32) -> bool {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    s.lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .is_some_and(|mask| (1..=64).contains(&sig) && mask & (1u64 << (sig - 1)) != 0)
}

/// The parameters of a run: result file, checkpoints, progress output, early stop.
#[derive(Debug, Clone)]
pub struct RunParams {
    /// result file
    pub out: PathBuf,
    /// checkpoint every this many seconds
    pub checkpoint_secs: f64,
    /// and every this many finished tasks (0: off)
    pub checkpoint_tasks: u64,
    /// progress log period (seconds) when stderr is not a terminal
    pub progress_secs: f64,
    /// progress output at all
    pub progress: bool,
    /// stop cleanly after this many tasks of this run, as if signalled (tests)
    pub stop_after: Option<u64>,
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// every task is done
    Complete,
    /// stopped early (signal or `--stop-after`); the file holds what finished
    Interrupted(String),
}

/// Rank 0's side: stores results, writes checkpoints, reports progress, decides to stop.
pub struct Collector<'a> {
    /// the study
    pub study: &'a Study,
    /// results so far
    pub store: Store,
    /// provenance of this run
    pub info: RunInfo,
    params: RunParams,
    progress: Progress,
    last_checkpoint: Instant,
    since_checkpoint: u64,
    new_done: u64,
    stop_reason: Option<String>,
    /// a checkpoint was written after the stop request
    stop_saved: bool,
    signals: Signals,
    /// when the last full write ended, and how long it took
    last_full: Instant,
    full_secs: f64,
    /// index into the file's host list of each rank's host
    rank_host: Vec<u64>,
    /// the tasks running now (progress output)
    running: Arc<Running>,
}

impl<'a> Collector<'a> {
    /// A collector over `store` (possibly resumed).
    pub fn new(
        study: &'a Study,
        store: Store,
        info: RunInfo,
        params: RunParams,
        signals: Signals,
    ) -> Self {
        let mut store = store;
        let hosts = if info.hosts.is_empty() {
            vec![crate::h5::host_name()]
        } else {
            info.hosts.clone()
        };
        store
            .prov
            .begin_run(crate::provenance::RunRecord::this_run(&hosts));
        let rank_host = hosts.iter().map(|h| store.prov.host_index(h)).collect();
        let done = store.done();
        let running = Arc::new(Running::new(params.progress));
        let names = TaskNames {
            configurations: study.configurations,
            w_text: study.w_text.clone(),
        };
        let progress = Progress::new(
            store.tasks() as u64,
            done,
            params.progress_secs,
            params.progress,
        )
        .with_running(Arc::clone(&running), names);
        Self {
            study,
            store,
            info,
            params,
            progress,
            last_checkpoint: Instant::now(),
            since_checkpoint: 0,
            new_done: 0,
            stop_reason: None,
            stop_saved: false,
            signals,
            last_full: Instant::now(),
            full_secs: 0.0,
            rank_host,
            running,
        }
    }

    /// The tasks running now, which the compute threads and the MPI executor keep up to date.
    pub fn running(&self) -> Arc<Running> {
        Arc::clone(&self.running)
    }

    /// Stores a result computed by this process (rank 0).
    pub fn accept(&mut self, r: &TaskResult) -> anyhow::Result<()> {
        self.accept_from(r, 0)
    }

    /// Stores a result computed by rank `rank`, with its provenance (rank, host, this run).
    pub fn accept_from(&mut self, r: &TaskResult, rank: usize) -> anyhow::Result<()> {
        let mut r = r.clone();
        r.rank = rank as u64;
        r.host = self
            .rank_host
            .get(rank)
            .copied()
            .unwrap_or(crate::schema::UNKNOWN);
        r.run = self.store.prov.current_run();
        if r.status == status::FAILED {
            let (wi, c) = self.study.split(r.task);
            self.progress.clear_line();
            let host = self.store.prov.hosts.get(r.host as usize);
            eprintln!(
                "sqz disorder: w_index {wi} (w = {}) configuration {c} failed on rank {rank} ({}): {}",
                self.study.w_text[wi],
                host.map_or("unknown host", String::as_str),
                r.error
            );
        }
        self.store.insert(&r);
        self.new_done += 1;
        self.since_checkpoint += 1;
        if let Some(k) = self.params.stop_after {
            if self.new_done >= k && self.stop_reason.is_none() {
                self.stop_reason = Some(format!("--stop-after {k}"));
            }
        }
        Ok(())
    }

    /// Periodic work: signals, checkpoint timer, progress. Returns true when a stop was requested
    /// (now or earlier). After a stop request one checkpoint saves what finished so far (in
    /// case the running tasks outlast the grace period before SIGKILL); [`Collector::finish`]
    /// writes once more after the running tasks end. Nothing is written per result.
    pub fn tick(&mut self) -> anyhow::Result<bool> {
        if self.stop_reason.is_none() {
            if let Some(sig) = self.signals.caught() {
                self.stop_reason = Some(sig.to_string());
            }
        }
        if let Some(why) = &self.stop_reason {
            if !self.stop_saved {
                self.stop_saved = true;
                let why = why.clone();
                if self.since_checkpoint > 0 {
                    self.checkpoint()?;
                }
                // said at once: the running tasks may take minutes (a batch log would otherwise
                // stay silent until they end, or until SIGKILL)
                self.progress.clear_line();
                eprintln!(
                    "sqz disorder: stopping ({why}): {} of {} tasks saved; waiting for the tasks still running to end (killed now, only those are lost: a resume recomputes them)",
                    self.store.done(),
                    self.store.tasks()
                );
            }
        } else {
            let due_time =
                self.last_checkpoint.elapsed().as_secs_f64() >= self.params.checkpoint_secs;
            let due_tasks = self.params.checkpoint_tasks > 0
                && self.since_checkpoint >= self.params.checkpoint_tasks;
            if (due_time || due_tasks) && self.since_checkpoint > 0 {
                self.checkpoint()?;
            } else if due_time {
                self.last_checkpoint = Instant::now();
            }
        }
        self.progress.update(self.store.done(), self.store.failed());
        Ok(self.stop_reason.is_some())
    }

    /// Prints a note (`sqz disorder: ...`) above the progress bar.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn note(&mut self, msg: &str) {
        self.progress.clear_line();
        eprintln!("sqz disorder: {msg}");
    }

    /// Requests a stop (a worker rank caught a signal).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn request_stop(&mut self, why: String) {
        if self.stop_reason.is_none() {
            self.stop_reason = Some(why);
        }
    }

    /// The whole file, written anew under a temporary name and renamed (the start of a run,
    /// failed tasks to record).
    pub fn write_full(&mut self) -> anyhow::Result<()> {
        let t0 = Instant::now();
        self.store.write(&self.params.out, self.study, &self.info)?;
        self.full_secs = t0.elapsed().as_secs_f64();
        self.last_full = Instant::now();
        self.last_checkpoint = Instant::now();
        self.since_checkpoint = 0;
        Ok(())
    }

    /// A checkpoint: the rows finished since the last write, in place
    /// ([`Store::update`]); failed tasks need a full write, done at
    /// most every `max(checkpoint period, 10 x its duration)` and at the end. If the in-place
    /// update fails (e.g. another program holds the file open), the whole file is rewritten.
    pub fn checkpoint(&mut self) -> anyhow::Result<()> {
        let full_due = self.store.has_unwritten_failures()
            && self.last_full.elapsed().as_secs_f64()
                >= (10.0 * self.full_secs).max(self.params.checkpoint_secs);
        if full_due {
            return self.write_full();
        }
        if let Err(e) = self.store.update(&self.params.out, self.study) {
            self.progress.clear_line();
            eprintln!("sqz disorder: note: {e:#}; rewriting the whole file instead");
            return self.write_full();
        }
        self.last_checkpoint = Instant::now();
        self.since_checkpoint = 0;
        Ok(())
    }

    /// Final write and the reason the run ended.
    pub fn finish(mut self) -> anyhow::Result<(Store, Ending)> {
        if self.store.has_unwritten_failures() {
            self.write_full()?;
        } else if self.store.has_unwritten() {
            self.checkpoint()?;
        }
        self.progress.update(self.store.done(), self.store.failed());
        self.progress.print(true);
        let complete = self.store.done() == self.store.tasks() as u64;
        let ending = if complete {
            Ending::Complete
        } else {
            Ending::Interrupted(
                self.stop_reason
                    .clone()
                    .unwrap_or_else(|| "stopped".to_string()),
            )
        };
        Ok((self.store, ending))
    }

    /// The tasks this run may hand out: with `--stop-after k` only the first `k` (so the stop does
    /// not race with fast tasks that other threads or ranks would otherwise still finish).
    pub fn limit(&self, mut pending: Vec<u64>) -> Vec<u64> {
        if let Some(k) = self.params.stop_after {
            pending.truncate(usize::try_from(k).unwrap_or(usize::MAX));
        }
        pending
    }

    /// Tasks this run has finished.
    pub fn new_done(&self) -> u64 {
        self.new_done
    }
}

/// A task that panicked (a bug): its number and the panic message.
#[derive(Debug, Clone)]
pub struct TaskPanic {
    /// task number
    pub task: u64,
    /// panic message
    pub message: String,
}

/// What a compute thread sends back.
pub type Outcome = Result<TaskResult, TaskPanic>;

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// A compute thread: takes tasks from `sched` until none is left, inside a one-thread rayon
/// pool so that nothing inside a solve spreads to other threads; each solve within
/// `memory_budget` bytes. A panic in a task is caught, stops the scheduler and is sent back
/// (under MPI the panic hook aborts the job first). The thread tells `running` which task it
/// runs, and its solves record their Krylov steps in the thread's counters there.
pub fn compute_loop(
    study: &Study,
    memory_budget: Option<u64>,
    sched: &Mutex<Scheduler>,
    running: &Running,
    tx: mpsc::Sender<Outcome>,
) {
    let lane = running.lane();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread rayon pool");
    // this thread's prepared set-ups, for every task it runs of this study
    let mut cache = sqz_steady::SolverCache::new();
    pool.install(|| loop {
        let next = sched.lock().expect("scheduler lock").take_one();
        let Some(t) = next else { break };
        lane.start(t);
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compute_with(study, t, memory_budget, &mut cache, lane.progress())
        }))
        .map_err(|p| {
            sched.lock().expect("scheduler lock").stop();
            TaskPanic {
                task: t,
                message: panic_message(p.as_ref()),
            }
        });
        lane.end();
        if tx.send(out).is_err() {
            break;
        }
    });
}

/// The error for a panicked task.
pub fn panic_error(study: &Study, p: &TaskPanic) -> anyhow::Error {
    let (wi, c) = study.split(p.task);
    anyhow::anyhow!(
        "internal error: the solve of w_index {wi} configuration {c} (task {}) panicked: {}; \
         the finished tasks are saved. This is a bug: please report it with the study file",
        p.task,
        p.message
    )
}

/// Runs the pending tasks in this process on `threads` compute threads, each solve within
/// `memory_budget` bytes.
pub fn run_local(
    coll: &mut Collector,
    pending: Vec<u64>,
    threads: usize,
    memory_budget: Option<u64>,
) -> anyhow::Result<()> {
    let sched = Mutex::new(Scheduler::new(coll.limit(pending)));
    let (tx, rx) = mpsc::channel::<Outcome>();
    let study = coll.study;
    let running = coll.running();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (sched, running) = (&sched, &*running);
            s.spawn(move || compute_loop(study, memory_budget, sched, running, tx));
        }
        drop(tx);
        let mut result = Ok(());
        loop {
            // take every result already queued before the periodic work, so that its cost
            // (a checkpoint) is paid per batch, not per result
            let mut first = Some(rx.recv_timeout(Duration::from_millis(100)));
            let mut disconnected = false;
            loop {
                let next = match first.take() {
                    Some(x) => x,
                    None => match rx.try_recv() {
                        Ok(x) => Ok(x),
                        Err(mpsc::TryRecvError::Empty) => break,
                        Err(mpsc::TryRecvError::Disconnected) => {
                            Err(mpsc::RecvTimeoutError::Disconnected)
                        }
                    },
                };
                match next {
                    Ok(Ok(r)) => {
                        if let Err(e) = coll.accept(&r) {
                            result = Err(e);
                        }
                    }
                    Ok(Err(p)) => {
                        if result.is_ok() {
                            result = Err(panic_error(study, &p));
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            if disconnected {
                break;
            }
            if result.is_ok() {
                match coll.tick() {
                    Ok(true) => sched.lock().expect("scheduler lock").stop(),
                    Ok(false) => {}
                    Err(e) => result = Err(e),
                }
            }
            if result.is_err() {
                sched.lock().expect("scheduler lock").stop();
            }
        }
        if result.is_err() {
            // keep what finished (a failed write is reported by the first error anyway)
            let _ = coll.checkpoint();
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_hands_out_in_order_and_stops() {
        let mut s = Scheduler::new(vec![3, 5, 7, 9]);
        assert_eq!(s.take(3), vec![3, 5, 7]);
        assert!(!s.exhausted());
        assert_eq!(s.take_one(), Some(9));
        assert!(s.exhausted());
        assert_eq!(s.take(2), Vec::<u64>::new());
        let mut s = Scheduler::new(vec![1, 2]);
        s.stop();
        assert!(s.exhausted());
        assert_eq!(s.take_one(), None);
    }
}
