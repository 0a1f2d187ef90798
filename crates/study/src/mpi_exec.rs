//! MPI distribution (feature `mpi`): rank 0 hands out tasks on request and also computes; the
//! other ranks compute and send their results back with each request.
//!
//! Protocol (tags [`TAG_REQ`], [`TAG_WORK`]); every request gets exactly one reply:
//!
//! ```text
//! worker -> 0   REQ  [signal_caught: u8][want: u64][refusal: str][k: u64][k task results]
//! 0 -> worker   WORK [no_more: u8][k: u64][k task numbers: u64]
//! ```
//!
//! Each result carries the rank that computed it (schema field `rank`); rank 0 adds the host
//! (from [`gather_hosts`] at start-up) and the run. A worker whose node cannot fit the study's
//! solves (its own memory share) says why in its first request (`refusal`, empty otherwise):
//! rank 0 prints it with the rank's host, answers `no_more` and hands that rank nothing, so its
//! configurations go to the ranks that fit.
//!
//! A worker asks for 2 tasks at start and for 1 more with each result, so it always holds the
//! next task while it computes (no idle wait on the master). Rank 0's main thread only polls
//! (a channel from its compute thread and `MPI_Iprobe`, 1 ms apart); its compute thread never
//! calls MPI. A worker is finished when it was told `no_more` and holds no task. A worker that
//! catches a signal says so in its next request, and rank 0 stops the whole run.
//!
//! After the loop, rank 0 writes the file and broadcasts the outcome; any error or panic after
//! start-up aborts the whole job (`MPI_Abort`) instead of leaving ranks waiting.

use crate::exec::{compute_loop, panic_error, Collector, Outcome, Scheduler, Signals};
use crate::schema::TaskResult;
use crate::spec::Study;
use crate::task::compute;
use crate::wire::{Reader, Writer};
use mpi::point_to_point::MatchedReceiveVec;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::collections::VecDeque;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

/// worker -> rank 0: results and a request for more
pub const TAG_REQ: i32 = 611;
/// rank 0 -> worker: tasks
pub const TAG_WORK: i32 = 612;

#[derive(Default, Clone)]
struct WorkerState {
    hello: bool,
    assigned: usize,
    no_more_sent: bool,
    refused: bool,
}

impl WorkerState {
    fn finished(&self) -> bool {
        self.hello && self.no_more_sent && self.assigned == 0
    }
}

/// Rank 0: distributes `pending` over the other ranks and over `local_threads` compute threads
/// of its own (each solve within `memory_budget` bytes), collecting every result; `hosts` is
/// the host of each rank (messages).
pub fn master(
    world: &SimpleCommunicator,
    coll: &mut Collector,
    pending: Vec<u64>,
    local_threads: usize,
    memory_budget: Option<u64>,
) -> anyhow::Result<()> {
    let hosts = coll.info.hosts.clone();
    let size = world.size() as usize;
    let sched = Mutex::new(Scheduler::new(coll.limit(pending)));
    let mut workers = vec![WorkerState::default(); size];
    let (tx, rx) = mpsc::channel::<Outcome>();
    let study = coll.study;
    let running = coll.running();
    std::thread::scope(|s| {
        for _ in 0..local_threads {
            let tx = tx.clone();
            let (sched, running) = (&sched, &*running);
            s.spawn(move || compute_loop(study, memory_budget, sched, running, tx));
        }
        drop(tx);
        let mut local_done = local_threads == 0;
        let mut run = || -> anyhow::Result<()> {
            loop {
                // results of the local compute thread(s)
                if !local_done {
                    match rx.recv_timeout(Duration::from_millis(1)) {
                        Ok(Ok(r)) => coll.accept(&r)?,
                        Ok(Err(p)) => return Err(panic_error(study, &p)),
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => local_done = true,
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // requests of the other ranks
                while let Some(msg) = world
                    .any_process()
                    .immediate_matched_probe_with_tag(TAG_REQ)
                {
                    let (buf, st) = msg.matched_receive_vec::<u8>();
                    let src = st.source_rank() as usize;
                    let mut rd = Reader::new(&buf);
                    let caught = rd.u8()?;
                    let want = rd.u64()? as usize;
                    let refusal = rd.str()?;
                    let k = rd.u64()? as usize;
                    for _ in 0..k {
                        let r = rd.result()?;
                        anyhow::ensure!(
                            r.rank == src as u64,
                            "rank {src} sent a result of rank {}",
                            r.rank
                        );
                        coll.accept_from(&r, src)?;
                        running.returned(src, r.task);
                    }
                    anyhow::ensure!(rd.at_end(), "malformed request from rank {src}");
                    let w = &mut workers[src];
                    w.hello = true;
                    if !refusal.is_empty() && !w.refused {
                        w.refused = true;
                        coll.note(&format!(
                            "rank {src} on host {} computes no configuration: {refusal}; the \
                             other ranks compute its share",
                            hosts.get(src).map_or("?", String::as_str)
                        ));
                    }
                    w.assigned = w.assigned.checked_sub(k).ok_or_else(|| {
                        anyhow::anyhow!("rank {src} returned tasks it was not given")
                    })?;
                    if caught != 0 {
                        coll.request_stop(format!("a signal on rank {src}"));
                        sched.lock().expect("scheduler lock").stop();
                    }
                    let (tasks, no_more) = if w.refused {
                        (Vec::new(), true)
                    } else {
                        let mut sc = sched.lock().expect("scheduler lock");
                        let t = sc.take(want);
                        (t, sc.exhausted())
                    };
                    w.assigned += tasks.len();
                    running.assigned(src, &tasks);
                    w.no_more_sent |= no_more;
                    let mut out = Writer::default();
                    out.u8(no_more as u8);
                    out.u64(tasks.len() as u64);
                    for t in &tasks {
                        out.u64(*t);
                    }
                    world
                        .process_at_rank(src as i32)
                        .send_with_tag(&out.0[..], TAG_WORK);
                }
                if coll.tick()? {
                    sched.lock().expect("scheduler lock").stop();
                }
                if local_done && workers[1..].iter().all(WorkerState::finished) {
                    return Ok(());
                }
            }
        };
        let res = run();
        if res.is_err() {
            // do not let the local compute thread finish the whole study before the abort
            sched.lock().expect("scheduler lock").stop();
        }
        res
    })
}

/// A rank other than 0: computes the tasks it is given (each solve within `memory_budget`
/// bytes) until told there are no more. With a `refusal` (its node cannot fit the solves) it
/// computes nothing: it sends the reason to rank 0 and waits for the end.
pub fn worker(
    world: &SimpleCommunicator,
    study: &Study,
    signals: &Signals,
    memory_budget: Option<u64>,
    refusal: Option<String>,
) -> anyhow::Result<()> {
    let root = world.process_at_rank(0);
    let me = world.rank() as u64;
    let send = |caught: bool, want: u64, refusal: &str, results: &[TaskResult]| {
        let mut w = Writer::default();
        w.u8(caught as u8);
        w.u64(want);
        w.str(refusal);
        w.u64(results.len() as u64);
        for r in results {
            w.result(r);
        }
        root.send_with_tag(&w.0[..], TAG_REQ);
    };
    let mut queue = VecDeque::new();
    let mut no_more = false;
    let mut outstanding = 1usize;
    let first_want = if refusal.is_some() { 0 } else { 2 };
    send(
        signals.caught().is_some(),
        first_want,
        refusal.as_deref().unwrap_or(""),
        &[],
    );
    let take_reply = |buf: Vec<u8>, queue: &mut VecDeque<u64>, no_more: &mut bool| {
        let mut rd = Reader::new(&buf);
        *no_more |= rd.u8()? != 0;
        let k = rd.u64()?;
        for _ in 0..k {
            queue.push_back(rd.u64()?);
        }
        anyhow::ensure!(rd.at_end(), "malformed reply from rank 0");
        anyhow::Ok(())
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    // this rank's prepared set-ups, for every task it runs of this study
    let mut cache = sqz_steady::SolverCache::new();
    loop {
        // replies that already arrived
        while outstanding > 0 {
            match root.immediate_matched_probe_with_tag(TAG_WORK) {
                Some(msg) => {
                    let (buf, _) = msg.matched_receive_vec::<u8>();
                    outstanding -= 1;
                    take_reply(buf, &mut queue, &mut no_more)?;
                }
                None => break,
            }
        }
        let Some(t) = queue.pop_front() else {
            if outstanding == 0 {
                break;
            }
            let (buf, _) = root.receive_vec_with_tag::<u8>(TAG_WORK);
            outstanding -= 1;
            take_reply(buf, &mut queue, &mut no_more)?;
            continue;
        };
        let mut r = pool.install(|| compute(study, t, memory_budget, &mut cache));
        r.rank = me;
        let caught = signals.caught().is_some();
        let want = if no_more || caught { 0 } else { 1 };
        send(caught, want, "", &[r]);
        outstanding += 1;
    }
    Ok(())
}

/// Broadcasts bytes from rank 0 (length first).
pub fn broadcast_bytes(world: &SimpleCommunicator, bytes: &mut Vec<u8>) {
    let root = world.process_at_rank(0);
    let mut len = bytes.len() as u64;
    root.broadcast_into(&mut len);
    bytes.resize(len as usize, 0);
    root.broadcast_into(&mut bytes[..]);
}

/// The host name of every rank, in rank order, on rank 0 (empty on the others); collective.
pub fn gather_hosts(world: &SimpleCommunicator) -> Vec<String> {
    const LEN: usize = 256;
    let mut mine = [0u8; LEN];
    let name = crate::h5::host_name();
    let k = name.len().min(LEN);
    mine[..k].copy_from_slice(&name.as_bytes()[..k]);
    let root = world.process_at_rank(0);
    if world.rank() != 0 {
        root.gather_into(&mine[..]);
        return Vec::new();
    }
    let mut all = vec![0u8; LEN * world.size() as usize];
    root.gather_into_root(&mine[..], &mut all[..]);
    all.chunks_exact(LEN)
        .map(|c| {
            let end = c.iter().position(|&b| b == 0).unwrap_or(LEN);
            String::from_utf8_lossy(&c[..end]).into_owned()
        })
        .collect()
}

/// Broadcasts one number from rank 0.
pub fn broadcast_u64(world: &SimpleCommunicator, v: &mut u64) {
    world.process_at_rank(0).broadcast_into(v);
}

/// A panic anywhere aborts all ranks (after the usual message), instead of leaving the others
/// waiting forever for a rank that is gone.
pub fn abort_on_panic() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        prev(info);
        if mpi::is_initialized() && !mpi::is_finalized() {
            eprintln!("sqz: aborting all MPI ranks after a panic");
            SimpleCommunicator::world().abort(101);
        }
    }));
}

/// Aborts all ranks with an error message (an error on rank 0 after start-up).
pub fn abort_with(e: &anyhow::Error) -> ! {
    eprintln!("sqz: error: {e:#}");
    eprintln!("sqz: aborting all MPI ranks");
    SimpleCommunicator::world().abort(2)
}
