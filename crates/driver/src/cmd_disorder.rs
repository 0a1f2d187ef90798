//! `sqz disorder`: disorder studies (Fig. 4) from a study TOML, over threads or MPI ranks, with an
//! HDF5 result file that a re-run resumes. See `crate::study` and `docs/hdf5-layout.md`.

use crate::report;
use crate::study::{self, exec::Ending, spec::Study, store, EXIT_INTERRUPTED};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

/// `sqz disorder`
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_long_help = "Exit codes: 0 the study is complete; 2 error (bad study file, a result file of \
another study, a damaged result file, another run writing the same result file, a full disk, not \
enough memory, ...); 75 stopped early by SIGTERM/SIGUSR1/SIGHUP/SIGINT (Slurm's --signal) or a closed \
output pipe, after saving every finished configuration: run the same command again to continue; 130 \
a second Ctrl-C (nothing saved since the last checkpoint). Failures and what is kept: \
docs/reliability.md. Under mpirun, send SIGUSR1 to mpirun (it forwards it; on SIGTERM mpirun \
kills the ranks a moment later, after sqz saved what had finished).\n\nExamples:\n  sqz disorder jobs/fig4d-n5.toml --out out/fig4d.h5\n  \
mpirun -n 4 sqz disorder study.toml\n  srun --mpi=pmix sqz disorder study.toml\n  \
sqz disorder check study.toml\n  sqz disorder status out/fig4d.h5\n  sqz disorder compare a.h5 b.h5"
)]
pub struct DisorderArgs {
    /// other actions: check a study file, show a result file's progress, compare two files
    #[command(subcommand)]
    pub action: Option<DisorderAction>,
    /// the study file (TOML; see the commented examples in jobs/)
    #[arg(required = true)]
    pub study: Option<PathBuf>,
    /// result file [default: the study path with extension .h5]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// discard an existing result file and start over
    #[arg(long)]
    pub fresh: bool,
    /// compute threads of a single-process run [default: all cores], 1 <= threads <= 4 x the
    /// cores (at least 64; more threads than cores only share them: a warning); under MPI each
    /// rank computes one task at a time
    #[arg(long, allow_hyphen_values = true, value_parser = crate::cli::parse_count)]
    pub threads: Option<usize>,
    /// write the result file every SECONDS (and on exit, and when a signal arrives)
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub checkpoint_every: f64,
    /// also write it every K finished tasks (0: off)
    #[arg(long, default_value_t = 0, value_name = "K", allow_hyphen_values = true, value_parser = crate::cli::parse_count_u64)]
    pub checkpoint_tasks: u64,
    /// progress log period when stderr is not a terminal
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub progress_every: f64,
    /// no progress output
    #[arg(long)]
    pub quiet: bool,
    /// print one JSON object (rank 0) instead of the table
    #[arg(long)]
    pub json: bool,
    /// stop cleanly after K tasks of this run, as a signal would (for tests)
    #[arg(long, hide = true, value_name = "K")]
    pub stop_after: Option<u64>,
    /// panic in task K on purpose, to test that a panic aborts all ranks (for tests)
    #[arg(long, hide = true, value_name = "K")]
    pub panic_at_task: Option<u64>,
}

/// `sqz disorder <action>`
#[derive(Debug, Subcommand)]
pub enum DisorderAction {
    /// Validate a study file; print its normalised form, hash and size.
    Check {
        /// the study file
        study: PathBuf,
    },
    /// Progress recorded in a result file (done/total); exit code 0 when complete, 3 when not.
    Status {
        /// the result file
        file: PathBuf,
        /// print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Compare the result datasets of two files bit for bit (timings excluded); exit code 0
    /// when identical, 1 when not.
    Compare {
        /// first file
        a: PathBuf,
        /// second file
        b: PathBuf,
        /// instead: check that B kept every task finished in A unchanged, wall times included
        /// (B was resumed from A without recomputing them)
        #[arg(long)]
        kept: bool,
    },
}

/// An exit with a given code; `message` (if any) is printed by `main`.
#[derive(Debug)]
pub struct Exit {
    /// process exit code
    pub code: u8,
    /// printed as `sqz: <message>`
    pub message: Option<String>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{m}"),
            None => write!(f, "exit code {}", self.code),
        }
    }
}

impl std::error::Error for Exit {}

impl Exit {
    /// Prints the message and gives the exit code (used by `main`).
    pub fn report(&self) -> std::process::ExitCode {
        if let Some(m) = &self.message {
            eprintln!("sqz: {m}");
        }
        std::process::ExitCode::from(self.code)
    }
}

fn validate(a: &DisorderArgs) -> anyhow::Result<()> {
    if !(a.checkpoint_every.is_finite() && a.checkpoint_every > 0.0) {
        anyhow::bail!(
            "invalid --checkpoint-every {}: allowed a number of seconds > 0",
            a.checkpoint_every
        );
    }
    if !(a.progress_every.is_finite() && a.progress_every > 0.0) {
        anyhow::bail!(
            "invalid --progress-every {}: allowed a number of seconds > 0",
            a.progress_every
        );
    }
    if let Some(t) = a.threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max = threads_max(cores);
        if t == 0 || t > max {
            anyhow::bail!(
                "invalid --threads {t}: allowed 1 <= threads <= {max} (4 x the {cores} cores \
                 available, at least 64; every compute thread holds one solve in memory)"
            );
        }
        if t > cores && !a.quiet {
            eprintln!(
                "sqz disorder: warning: --threads {t} is more than the {cores} cores available: the \
                 threads share them (no faster) and split the memory into {t} shares"
            );
        }
    }
    Ok(())
}

/// Largest `--threads`: 4 x the cores available, at least 64.
pub fn threads_max(cores: usize) -> usize {
    (4 * cores).max(64)
}

pub fn run(a: &DisorderArgs) -> anyhow::Result<()> {
    match &a.action {
        Some(DisorderAction::Check { study }) => return check(study),
        Some(DisorderAction::Status { file, json }) => return status(file, *json),
        Some(DisorderAction::Compare { a, b, kept }) => return compare(a, b, *kept),
        None => {}
    }
    validate(a)?;
    if let Some(k) = a.panic_at_task {
        study::task::PANIC_AT.store(k, std::sync::atomic::Ordering::Relaxed);
    }
    let o = study::Options {
        study: a.study.clone().expect("clap requires the study file"),
        out: a.out.clone(),
        fresh: a.fresh,
        threads: a.threads,
        checkpoint_secs: a.checkpoint_every,
        checkpoint_tasks: a.checkpoint_tasks,
        progress_secs: a.progress_every,
        quiet: a.quiet,
        stop_after: a.stop_after,
    };
    let rep = study::run(&o)?;
    let interrupted = match &rep.ending {
        Ending::Complete => None,
        Ending::Interrupted(why) => Some(why.clone()),
    };
    if rep.rank != 0 {
        return match interrupted {
            None => Ok(()),
            Some(_) => Err(Exit {
                code: EXIT_INTERRUPTED,
                message: None,
            }
            .into()),
        };
    }
    let (study, store) = (
        rep.study.as_ref().expect("rank 0 has the study"),
        rep.store.as_ref().expect("rank 0 has the results"),
    );
    let s = store.summary();
    if a.json {
        let mut f = serde_json::Map::new();
        f.insert("out".into(), json!(rep.out.display().to_string()));
        f.insert("study_hash".into(), json!(study.hash()));
        f.insert("complete".into(), json!(interrupted.is_none()));
        f.insert("interrupted_by".into(), json!(interrupted));
        f.insert("tasks_total".into(), json!(store.tasks()));
        f.insert("tasks_done".into(), json!(store.done()));
        f.insert("tasks_failed".into(), json!(store.failed()));
        f.insert("computed_this_run".into(), json!(rep.computed));
        f.insert("seconds".into(), json!(rep.seconds));
        f.insert("ranks".into(), json!(rep.ranks));
        f.insert("threads".into(), json!(rep.threads));
        f.insert("w".into(), json!(study.w));
        // a w without any ok configuration has no mean: null (the file holds the fill value -1)
        let defined = |v: &[f64], min: u64| -> Vec<Option<f64>> {
            v.iter()
                .zip(&s.count)
                .map(|(x, &c)| (c >= min).then_some(*x))
                .collect()
        };
        f.insert("count".into(), json!(s.count));
        f.insert("inv_xi2_mean".into(), json!(defined(&s.inv_xi2_mean, 1)));
        f.insert("inv_xi2_std".into(), json!(defined(&s.inv_xi2_std, 1)));
        f.insert("inv_xi2_sem".into(), json!(defined(&s.inv_xi2_sem, 1)));
        f.insert("xi2_mean".into(), json!(defined(&s.xi2_mean, 1)));
        report::emit(f, true);
    } else if interrupted.is_none() && study.steady.is_none() {
        println!(
            "steady states not computed (traces only): see /traces in {}",
            rep.out.display()
        );
    } else if interrupted.is_none() {
        println!(
            "{:>12} {:>8} {:>6} {:>12} {:>11} {:>11} {:>10}",
            "w", "w/pi", "count", "mean 1/xi^2", "std", "sem", "squeezed"
        );
        for i in 0..study.n_w() {
            if s.count[i] == 0 {
                // every configuration failed: no mean (see the failures in the file)
                println!(
                    "{:>12} {:>8.4} {:>6} {:>12} {:>11} {:>11} {:>10}",
                    study.w_text[i],
                    study.w[i] / std::f64::consts::PI,
                    0,
                    "-",
                    "-",
                    "-",
                    "-"
                );
                continue;
            }
            println!(
                "{:>12} {:>8.4} {:>6} {:>12.6} {:>11.3e} {:>11.3e} {:>9.1}%",
                study.w_text[i],
                study.w[i] / std::f64::consts::PI,
                s.count[i],
                s.inv_xi2_mean[i],
                s.inv_xi2_std[i],
                s.inv_xi2_sem[i],
                100.0 * s.squeezed_fraction[i]
            );
        }
    }
    if !a.quiet {
        eprintln!(
            "sqz disorder: {} of {} tasks in {} ({} failed); this run computed {} in {:.2} s on {} rank(s) x {} thread(s)",
            store.done(),
            store.tasks(),
            rep.out.display(),
            store.failed(),
            rep.computed,
            rep.seconds,
            rep.ranks,
            rep.threads
        );
    }
    match interrupted {
        None => Ok(()),
        Some(why) => Err(Exit {
            code: EXIT_INTERRUPTED,
            message: Some(format!(
                "interrupted ({why}): {} of {} tasks are saved in {}; run the same command again to continue (exit code {EXIT_INTERRUPTED})",
                store.done(),
                store.tasks(),
                rep.out.display()
            )),
        }
        .into()),
    }
}

fn check(path: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the study file {}: {e}", path.display()))?;
    let s =
        Study::from_toml(&text).map_err(|e| e.context(format!("study file {}", path.display())))?;
    let mut f = serde_json::Map::new();
    f.insert("study_hash".into(), json!(s.hash()));
    f.insert("tasks".into(), json!(s.tasks()));
    f.insert(
        "normalised".into(),
        serde_json::from_str(&s.normalised()).expect("normalised study is JSON"),
    );
    report::emit(f, true);
    Ok(())
}

fn status(file: &std::path::Path, as_json: bool) -> anyhow::Result<()> {
    let st = store::file_status(file)?;
    if as_json {
        report::emit(
            serde_json::Map::from_iter([
                ("done".to_string(), json!(st.done)),
                ("total".to_string(), json!(st.total)),
                ("failed".to_string(), json!(st.failed)),
                ("study_hash".to_string(), json!(st.hash)),
            ]),
            true,
        );
    } else {
        println!(
            "{}: {}/{} tasks done ({} failed), study {}",
            file.display(),
            st.done,
            st.total,
            st.failed,
            st.hash
        );
    }
    if st.done == st.total {
        Ok(())
    } else {
        Err(Exit {
            code: 3,
            message: None,
        }
        .into())
    }
}

fn compare(a: &std::path::Path, b: &std::path::Path, kept: bool) -> anyhow::Result<()> {
    if kept {
        let (n, diff) = store::compare_kept(a, b)?;
        if diff.is_empty() {
            println!(
                "kept: the {n} tasks finished in {} are unchanged in {}, wall times included (not recomputed)",
                a.display(),
                b.display()
            );
            return Ok(());
        }
        return Err(Exit {
            code: 1,
            message: Some(format!(
                "{} changed tasks that {} had finished, in: {}",
                b.display(),
                a.display(),
                diff.join(", ")
            )),
        }
        .into());
    }
    let diff = store::compare(a, b)?;
    if diff.is_empty() {
        println!(
            "identical: every result dataset of {} and {} is equal bit for bit (timings excluded)",
            a.display(),
            b.display()
        );
        Ok(())
    } else {
        Err(Exit {
            code: 1,
            message: Some(format!(
                "{} and {} differ in: {}",
                a.display(),
                b.display(),
                diff.join(", ")
            )),
        }
        .into())
    }
}
