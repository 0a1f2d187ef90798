//! A whole run of a study: start-up checks (the launcher, the output path, the memory share of
//! each concurrent solve), the lock, resume or a fresh file, the executor (threads, or MPI ranks
//! with feature `mpi`), the final write and the report for the command line.

use crate::exec::{self, Collector, Ending, RunParams, Signals};
use crate::layout::RunInfo;
use crate::spec::Study;
use crate::store::Store;
use crate::{layout, lock};
#[cfg(feature = "mpi")]
use crate::{mpi_exec, Exit, EXIT_INTERRUPTED};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Options of `sqz disorder` (resolved from the command line).
#[derive(Debug, Clone)]
pub struct Options {
    /// the study file
    pub study: PathBuf,
    /// result file (default: the study path with extension `.h5`)
    pub out: Option<PathBuf>,
    /// discard an existing result file
    pub fresh: bool,
    /// compute threads of a single-process run (default: all cores)
    pub threads: Option<usize>,
    /// checkpoint period in seconds
    pub checkpoint_secs: f64,
    /// checkpoint every K finished tasks (0: off)
    pub checkpoint_tasks: u64,
    /// progress log period (seconds) when stderr is not a terminal
    pub progress_secs: f64,
    /// no progress output
    pub quiet: bool,
    /// stop cleanly after this many tasks, as if signalled (tests)
    pub stop_after: Option<u64>,
}

/// What a run did, for the report of rank 0.
#[derive(Debug)]
pub struct Report {
    /// MPI rank of this process (only rank 0 prints)
    pub rank: usize,
    /// why the run ended
    pub ending: Ending,
    /// result file
    pub out: PathBuf,
    /// the study (rank 0)
    pub study: Option<Study>,
    /// the results (rank 0)
    pub store: Option<Store>,
    /// tasks computed by this run
    pub computed: u64,
    /// wall time of this run
    pub seconds: f64,
    /// MPI ranks
    pub ranks: usize,
    /// compute threads per rank
    pub threads: usize,
}

/// The result file of a study: `--out`, else the study path with extension `.h5`.
pub fn out_path(o: &Options) -> PathBuf {
    o.out
        .clone()
        .unwrap_or_else(|| o.study.with_extension("h5"))
}

fn read_study(path: &Path) -> anyhow::Result<Study> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the study file {}", path.display()))?;
    Study::from_toml(&text).with_context(|| format!("study file {}", path.display()))
}

/// How many processes the launcher started, from its environment: `(variable, value)`.
fn launcher_size() -> Option<(&'static str, u64)> {
    let get = |k: &'static str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|v| (k, v))
    };
    get("OMPI_COMM_WORLD_SIZE")
        .or_else(|| get("PMI_SIZE"))
        .or_else(|| get("SLURM_STEP_NUM_TASKS"))
        .or_else(|| get("SLURM_NTASKS"))
}

/// Refuses the classic launcher mistake: several processes that each see an MPI world of 1
/// would all compute the whole study and overwrite each other's file.
fn check_launcher(world: usize) -> anyhow::Result<()> {
    if world > 1 {
        return Ok(());
    }
    if let Some((var, n)) = launcher_size() {
        if n > 1 {
            let built = if cfg!(feature = "mpi") {
                "This sqz is built with MPI, but no MPI launcher started it (plain `srun` without \
                 `--mpi=pmix`, or sqz run directly in a batch script?)"
            } else {
                "This sqz is built without MPI (cargo feature `mpi`; scripts/setup.sh enables it \
                 when MPI is installed)"
            };
            anyhow::bail!(
                "{var}={n} asks for {n} processes, but this process sees an MPI world of 1: the launcher \
                 is wrong and {n} copies would each run the whole study into the same file. {built}. \
                 Launch with `srun --mpi=pmix sqz disorder ...` or `mpirun -n {n} sqz disorder ...`, or \
                 run one process with `--ntasks=1`"
            );
        }
    }
    Ok(())
}

/// Whether an MPI launcher started this process (only then is MPI initialised: a singleton
/// `MPI_Init` is slow, and in some containers fails).
#[cfg(feature = "mpi")]
fn mpi_launched() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]
        .iter()
        .any(|k| std::env::var_os(k).is_some())
        || std::env::var_os("SQZ_MPI_INIT").is_some_and(|v| v == "1")
}

/// Refuses result paths that would destroy something: a directory, the study file itself.
fn check_out(study: &Path, out: &Path) -> anyhow::Result<()> {
    crate::h5::check_output_path(out)?;
    let same = match (std::fs::metadata(study), std::fs::metadata(out)) {
        (Ok(a), Ok(b)) => {
            use std::os::unix::fs::MetadataExt;
            a.dev() == b.dev() && a.ino() == b.ino()
        }
        _ => false,
    };
    if same
        || std::fs::canonicalize(study)
            .ok()
            .zip(out.parent().and_then(|d| {
                let d = if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                };
                std::fs::canonicalize(d).ok()
            }))
            .is_some_and(|(s, d)| {
                Some(s.as_path()) == out.file_name().map(|n| d.join(n)).as_deref()
            })
    {
        anyhow::bail!(
            "--out {} is the study file itself: the results would overwrite it. Choose another \
             --out (the default is the study path with extension .h5)",
            out.display()
        );
    }
    Ok(())
}

/// Removes temporary files of earlier writers of `out` (killed during a full write); called
/// with the lock held, so no other writer of `out` exists.
fn remove_stale_temps(out: &Path) -> anyhow::Result<()> {
    let legacy = out.with_extension("h5.tmp");
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut stale = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = dir.join(e.file_name());
            if crate::h5::is_temp_of(out, &p) {
                stale.push(p);
            }
        }
    }
    if legacy.exists() && legacy != out {
        stale.push(legacy);
    }
    for p in stale {
        std::fs::remove_file(&p)
            .with_context(|| format!("removing the stale temporary file {}", p.display()))?;
    }
    Ok(())
}

/// Loads the results to resume, or starts afresh; removes stale temporary files. The caller
/// holds the lock of `out`.
fn prepare_store(study: &Study, out: &Path, fresh: bool) -> anyhow::Result<(Store, bool)> {
    remove_stale_temps(out)?;
    if out.exists() && !fresh {
        let s = Store::load(out, study).with_context(|| {
            format!(
                "cannot resume from {} (run with --fresh to discard it, or choose another --out)",
                out.display()
            )
        })?;
        return Ok((s, true));
    }
    Ok((Store::new(study), false))
}

/// An error after the result file exists: says what the file on disk still holds.
fn unsaved(e: anyhow::Error, out: &Path, existed: bool) -> anyhow::Error {
    let kept = match layout::file_status(out) {
        Ok(st) if existed || out.exists() => format!(
            "{} still holds the {} of {} tasks saved at its last checkpoint (run the same command \
             again to continue from there)",
            out.display(),
            st.done,
            st.total
        ),
        _ => format!("{} was not written", out.display()),
    };
    let full = format!("{e:#}").contains("No space left on device");
    let kept = if full {
        format!("the disk is full: {kept}; free space on its file system")
    } else {
        kept
    };
    e.context(kept)
}

/// `1/xi^2(t)` at ideal positions, for the traces (`traces/inv_xi2_ideal`).
fn ideal_trace(study: &Study) -> Option<Vec<f64>> {
    let to = study.traces?;
    let ep = sqz_krylov::expv::ExpvParams {
        tol: to.tol,
        ..Default::default()
    };
    let z = sqz_model::positions::ideal(study.params.n());
    sqz_dynamics::traces::full_trace(&study.params, &z, &study.trace_times(), &ep)
        .ok()
        .map(|(v, _)| v)
}

/// `(xi2, 1/xi2)` at ideal positions, for the plots (`summary` attributes).
fn ideal_value(study: &Study) -> Option<(f64, f64)> {
    let z = sqz_model::positions::ideal(study.params.n());
    let rep = sqz_steady::solve(&study.params, &z, &Default::default()).ok()?;
    let sq = sqz_superop::observables::moments_parity(&rep.rho_block)
        .squeezing()
        .ok()?;
    Some((sq.xi2, sq.inv_xi2))
}

fn run_params(o: &Options, out: &Path) -> RunParams {
    RunParams {
        out: out.to_path_buf(),
        checkpoint_secs: o.checkpoint_secs,
        checkpoint_tasks: o.checkpoint_tasks,
        progress_secs: o.progress_secs,
        progress: !o.quiet,
        stop_after: o.stop_after,
    }
}

fn announce(
    o: &Options,
    study: &Study,
    store: &Store,
    resumed: bool,
    ranks: usize,
    threads: usize,
    out: &Path,
) {
    if o.quiet {
        return;
    }
    let done = store.done();
    let what = if resumed {
        format!(
            "resuming {} ({} of {} tasks done)",
            out.display(),
            done,
            store.tasks()
        )
    } else {
        format!("new result file {}", out.display())
    };
    eprintln!(
        "sqz disorder: {} ({}): N = {}, {} w values x {} configurations = {} tasks; {what}; \
         {ranks} rank(s) x {threads} compute thread(s)",
        o.study.display(),
        study.hash(),
        study.params.n(),
        study.n_w(),
        study.configurations,
        study.tasks(),
    );
}

/// Processes of this job on this node, from the launcher's environment (1 if unknown).
fn local_processes() -> u64 {
    let first = |k: &str| {
        std::env::var(k).ok().and_then(|v| {
            // "2", or Slurm's "32(x4)" / "2,1"
            let head: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
            head.parse::<u64>().ok()
        })
    };
    first("OMPI_COMM_WORLD_LOCAL_SIZE")
        .or_else(|| first("MPI_LOCALNRANKS"))
        .or_else(|| first("SLURM_STEP_TASKS_PER_NODE"))
        .or_else(|| first("SLURM_TASKS_PER_NODE"))
        .unwrap_or(1)
        .max(1)
}

/// The memory each concurrent solve on this node may use.
#[derive(Debug, Clone, Copy)]
struct Share {
    /// bytes per solve
    bytes: u64,
    /// concurrent solves on this node that share the memory (1 when the user set the limit)
    solves: u64,
    /// `SQZ_MEMORY_LIMIT` was set by the user (a per-solve limit)
    user: bool,
}

/// The memory share of each concurrent solve on this node: `available / (processes on this
/// node x solves per process)` (`sqz_superop::memory::available_bytes`), or all of
/// `SQZ_MEMORY_LIMIT` when the user set it (a per-solve limit then). Unless the user set it,
/// `SQZ_MEMORY_LIMIT` is also set to the share, so that every other memory guard of the solves
/// (the ideal path, the propagation) sees the share rather than the whole node. Runs before any
/// thread exists (`set_var`).
fn share_memory(solves_per_process: u64) -> Share {
    let var = sqz_superop::memory::MEMORY_LIMIT_ENV;
    if std::env::var_os(var).is_some() {
        return Share {
            bytes: sqz_superop::memory::available_bytes(),
            solves: 1,
            user: true,
        };
    }
    let solves = local_processes() * solves_per_process.max(1);
    let bytes = sqz_superop::memory::available_bytes() / solves;
    if solves > 1 {
        std::env::set_var(var, bytes.to_string());
    }
    Share {
        bytes,
        solves,
        user: false,
    }
}

/// Refuses a study whose solves do not fit in the memory share of each concurrent solve, before
/// anything is written: the path `sqz_steady::solve` would take for disordered positions
/// (`sqz_steady::memory::plan`), the collective reduction for ideal ones, and the parity-block
/// propagation of the traces.
fn check_memory(study: &Study, share: Share) -> anyhow::Result<()> {
    let n = study.params.n();
    let how = if share.user {
        "SQZ_MEMORY_LIMIT, for each solve".to_string()
    } else if share.solves > 1 {
        format!(
            "the memory available, shared by {} concurrent solves on this node",
            share.solves
        )
    } else {
        "the memory available".to_string()
    };
    let refuse = |e: String| {
        anyhow::anyhow!(
            "the study at N = {n} does not fit in the memory share of each solve, {} ({how}): \
             {e}. Use fewer --threads or ranks per node, more memory, or a smaller N",
            sqz_superop::memory::human_bytes(share.bytes)
        )
    };
    if let Some(sp) = study.steady_params(Some(share.bytes)) {
        if study.w.iter().any(|&w| w != 0.0) {
            let path =
                sqz_steady::memory::plan(n, &sp, share.bytes).map_err(|e| refuse(e.to_string()))?;
            // the dense path has no smaller variant: `solve_dense` refuses what does not fit
            let need = sqz_steady::dense_bytes(n);
            if path == sqz_steady::Method::DenseHermitian && need > share.bytes {
                return Err(refuse(format!(
                    "the dense steady-state solve at N = {n} needs about {} ({need} bytes), \
                     more than the {} ({} bytes) available",
                    sqz_superop::memory::human_bytes(need),
                    sqz_superop::memory::human_bytes(share.bytes),
                    share.bytes
                )));
            }
        }
        if study.w.contains(&0.0) {
            let need = sqz_steady::memory::ideal_bytes(n);
            if need > share.bytes {
                return Err(refuse(format!(
                    "the steady state at ideal positions (w = 0) needs about {}",
                    sqz_superop::memory::human_bytes(need)
                )));
            }
        }
    }
    if study.traces.is_some() {
        let ep = sqz_krylov::expv::ExpvParams::default();
        let req = sqz_superop::memory::Requirement::solve(
            sqz_superop::memory::Operator::ParityBlock,
            ep.krylov_dim + 3,
        );
        sqz_superop::memory::check_against(&req, req.bytes(n), share.bytes, Some(n))
            .map_err(|e| refuse(e.to_string()))?;
    }
    Ok(())
}

/// Runs a study (see the module docs).
pub fn run(o: &Options) -> anyhow::Result<Report> {
    // a closed stdout/stderr (`| head`) is a stop request, not a crash: save, then exit
    crate::out::keep_running_on_close();
    #[cfg(feature = "mpi")]
    if mpi_launched() {
        let share = share_memory(1);
        return run_mpi(o, share);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = share_memory(o.threads.unwrap_or(cores) as u64);
    check_launcher(1)?;
    run_single(o, 1, share)
}

/// One process, `threads` compute threads (also an MPI world of 1).
fn run_single(o: &Options, ranks: usize, share: Share) -> anyhow::Result<Report> {
    let t0 = std::time::Instant::now();
    let study = read_study(&o.study)?;
    check_memory(&study, share)?;
    let out = out_path(o);
    check_out(&o.study, &out)?;
    let signals = Signals::install()?;
    let lock = lock::ResultLock::acquire(&out)?;
    let (store, resumed) = prepare_store(&study, &out, o.fresh)?;
    let pending = store.pending();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = o.threads.unwrap_or(cores).clamp(1, pending.len().max(1));
    announce(o, &study, &store, resumed, ranks, threads, &out);
    let info = RunInfo {
        study_file: o.study.display().to_string(),
        ranks,
        threads,
        hosts: vec![crate::h5::host_name()],
        ideal: ideal_value(&study),
        ideal_trace: ideal_trace(&study),
    };
    let mut coll = Collector::new(&study, store, info, run_params(o, &out), signals);
    coll.write_full().map_err(|e| unsaved(e, &out, resumed))?;
    let ran = exec::run_local(&mut coll, pending, threads, Some(share.bytes));
    let computed = coll.new_done();
    let (store, ending) = match ran {
        Ok(()) => coll.finish().map_err(|e| unsaved(e, &out, true))?,
        Err(e) => return Err(unsaved(e, &out, true)),
    };
    drop(lock);
    Ok(Report {
        rank: 0,
        ending,
        out,
        study: Some(study.clone()),
        store: Some(store),
        computed,
        seconds: t0.elapsed().as_secs_f64(),
        ranks,
        threads,
    })
}

#[cfg(feature = "mpi")]
fn run_mpi(o: &Options, share: Share) -> anyhow::Result<Report> {
    use mpi::traits::Communicator;
    let t0 = std::time::Instant::now();
    let (universe, _level) = mpi::initialize_with_threading(mpi::Threading::Funneled)
        .ok_or_else(|| anyhow::anyhow!("MPI was already initialised"))?;
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    if size == 1 {
        check_launcher(1)?;
        let r = run_single(o, 1, share);
        drop(universe);
        return r;
    }
    mpi_exec::abort_on_panic();
    let signals = Signals::install()?;
    let out = out_path(o);
    if o.threads.is_some_and(|t| t > 1) && rank == 0 && !o.quiet {
        eprintln!(
            "sqz disorder: --threads applies to single-process runs; under MPI every rank computes \
             one task at a time (start one rank per core)"
        );
    }

    let (study, prepared) = match mpi_start(o, &world, rank, share, &out) {
        Ok(p) => p,
        Err(e) => {
            drop(universe);
            return Err(e);
        }
    };
    let hosts = mpi_exec::gather_hosts(&world);

    let mut code: u64 = 0;
    let report = if rank == 0 {
        let (_, store, resumed, lk) = prepared.expect("rank 0 prepared the store");
        let pending = store.pending();
        announce(o, &study, &store, resumed, size, 1, &out);
        let info = RunInfo {
            study_file: o.study.display().to_string(),
            ranks: size,
            threads: 1,
            hosts,
            ideal: ideal_value(&study),
            ideal_trace: ideal_trace(&study),
        };
        let mut coll = Collector::new(&study, store, info, run_params(o, &out), signals);
        let res = coll
            .write_full()
            .map_err(|e| unsaved(e, &out, resumed))
            .and_then(|_| {
                mpi_exec::master(&world, &mut coll, pending, 1, Some(share.bytes))
                    .map_err(|e| unsaved(e, &out, true))
            });
        if let Err(e) = res {
            mpi_exec::abort_with(&e);
        }
        let computed = coll.new_done();
        let (store, ending) = coll
            .finish()
            .unwrap_or_else(|e| mpi_exec::abort_with(&unsaved(e, &out, true)));
        drop(lk);
        if ending != Ending::Complete {
            code = EXIT_INTERRUPTED as u64;
        }
        mpi_exec::broadcast_u64(&world, &mut code);
        Report {
            rank,
            ending,
            out,
            study: Some(study),
            store: Some(store),
            computed,
            seconds: t0.elapsed().as_secs_f64(),
            ranks: size,
            threads: 1,
        }
    } else {
        let ending = mpi_worker(&world, &study, &signals, share);
        Report {
            rank,
            ending,
            out,
            study: None,
            store: None,
            computed: 0,
            seconds: t0.elapsed().as_secs_f64(),
            ranks: size,
            threads: 1,
        }
    };
    drop(universe);
    Ok(report)
}

/// What rank 0 prepares at start-up under MPI: the study, its store, whether it was resumed,
/// and the lock on the result file.
#[cfg(feature = "mpi")]
type Prepared = (Study, Store, bool, lock::ResultLock);

/// Start-up under MPI: rank 0 validates the study, takes the lock and loads or creates the result
/// file, then broadcasts go / no-go and the study text; every rank returns the same study (rank 0
/// also what it prepared), or on no-go the error to end with (rank 0's, `Exit` code 2 elsewhere).
#[cfg(feature = "mpi")]
fn mpi_start(
    o: &Options,
    world: &mpi::topology::SimpleCommunicator,
    rank: usize,
    share: Share,
    out: &Path,
) -> anyhow::Result<(Study, Option<Prepared>)> {
    // Start-up: rank 0 validates, loads or creates the file, then tells everyone go / no-go and
    // sends the study text, so that all ranks run the very same study.
    let mut go: u64 = 0;
    let mut text = Vec::new();
    let mut prepared = None;
    let mut failure = None;
    if rank == 0 {
        match read_study(&o.study).and_then(|s| {
            check_memory(&s, share)?;
            check_out(&o.study, out)?;
            let lk = lock::ResultLock::acquire(out)?;
            let (st, resumed) = prepare_store(&s, out, o.fresh)?;
            Ok((s, st, resumed, lk))
        }) {
            Ok(p) => {
                go = 1;
                text = p.0.text.clone().into_bytes();
                prepared = Some(p);
            }
            Err(e) => failure = Some(e),
        }
    }
    mpi_exec::broadcast_u64(world, &mut go);
    if go == 0 {
        return Err(failure.unwrap_or_else(|| {
            anyhow::Error::new(Exit {
                code: 2,
                message: None,
            })
        }));
    }
    mpi_exec::broadcast_bytes(world, &mut text);
    let study = Study::from_toml(&String::from_utf8_lossy(&text))
        .unwrap_or_else(|e| mpi_exec::abort_with(&e.context("the study broadcast by rank 0")));
    Ok((study, prepared))
}

/// A worker rank under MPI: computes the tasks rank 0 sends (none if its node cannot fit the
/// solves), then receives rank 0's exit code and returns the run's ending from it.
#[cfg(feature = "mpi")]
fn mpi_worker(
    world: &mpi::topology::SimpleCommunicator,
    study: &Study,
    signals: &Signals,
    share: Share,
) -> Ending {
    let mut code: u64 = 0;
    // a rank whose node cannot fit the solves (its own share) computes nothing and says why
    let refusal = check_memory(study, share).err().map(|e| format!("{e:#}"));
    if let Err(e) = mpi_exec::worker(world, study, signals, Some(share.bytes), refusal) {
        mpi_exec::abort_with(&e);
    }
    mpi_exec::broadcast_u64(world, &mut code);
    if code == 0 {
        Ending::Complete
    } else {
        Ending::Interrupted("stopped by rank 0".into())
    }
}
