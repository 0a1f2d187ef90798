//! `sqz disorder`: disorder studies (Fig. 4) from a study TOML, over threads or MPI ranks, with an
//! HDF5 result file that a re-run resumes. The engine is `sqz_study`; the layout is
//! `docs/hdf5-layout.md`.

use crate::cli::{DisorderAction, DisorderArgs, Global};
use crate::report;
use serde_json::json;
use sqz_study::exec::Ending;
use sqz_study::spec::Study;
use sqz_study::store::{Store, Summary};
use sqz_study::{compare as files, layout, provenance, run as study, Exit, EXIT_INTERRUPTED};

fn validate(a: &DisorderArgs, g: Global) -> anyhow::Result<()> {
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
        if t > cores && !g.quiet {
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

pub fn run(a: &DisorderArgs, g: Global) -> anyhow::Result<()> {
    match &a.action {
        Some(DisorderAction::Check { study }) => return check(study),
        Some(DisorderAction::Status { file }) => return status(file, g.json),
        Some(DisorderAction::Compare { a, b, kept }) => return compare(a, b, *kept),
        None => {}
    }
    validate(a, g)?;
    if let Some(k) = a.panic_at_task {
        sqz_study::task::PANIC_AT.store(k, std::sync::atomic::Ordering::Relaxed);
    }
    let o = study::Options {
        study: a.study.clone().expect("clap requires the study file"),
        out: a.out.clone(),
        fresh: a.fresh,
        threads: a.threads,
        checkpoint_secs: a.checkpoint_every,
        checkpoint_tasks: a.checkpoint_tasks,
        progress_secs: a.progress_every,
        quiet: g.quiet,
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
    if g.json {
        print_json(&rep, study, store, &s, &interrupted);
    } else if interrupted.is_none() && study.steady.is_none() {
        println!(
            "steady states not computed (traces only): see /traces in {}",
            rep.out.display()
        );
    } else if interrupted.is_none() {
        print_table(study, &s);
    }
    if !g.quiet {
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

/// The summary of a finished (or interrupted) run as one JSON object on stdout (`--json`).
fn print_json(
    rep: &study::Report,
    study: &Study,
    store: &Store,
    s: &Summary,
    interrupted: &Option<String>,
) {
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
    if study.w_limit.iter().any(|&x| x) {
        f.insert("w_limit".into(), json!(study.w_limit));
    }
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
}

/// The table of the steady-state statistics per w on stdout (a complete run with steady states).
fn print_table(study: &Study, s: &Summary) {
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

/// The per-host and per-run part of `sqz disorder status` (format 3 files): JSON fields, or
/// printed lines.
fn provenance_status(
    file: &std::path::Path,
    json_out: Option<&mut serde_json::Map<String, serde_json::Value>>,
) -> anyhow::Result<()> {
    let Some((p, s)) = provenance::of_file(file)? else {
        if json_out.is_none() {
            println!("  (no per-host record: the file predates format 3)");
        }
        return Ok(());
    };
    match json_out {
        Some(m) => m.extend(s.json_fields(&p)),
        None => s.text_lines(&p).iter().for_each(|l| println!("{l}")),
    }
    Ok(())
}

fn status(file: &std::path::Path, as_json: bool) -> anyhow::Result<()> {
    let st = layout::file_status(file)?;
    if as_json {
        let mut m = serde_json::Map::from_iter([
            ("done".to_string(), json!(st.done)),
            ("total".to_string(), json!(st.total)),
            ("failed".to_string(), json!(st.failed)),
            ("study_hash".to_string(), json!(st.hash)),
        ]);
        provenance_status(file, Some(&mut m))?;
        report::emit(m, true);
    } else {
        println!(
            "{}: {}/{} tasks done ({} failed), study {}",
            file.display(),
            st.done,
            st.total,
            st.failed,
            st.hash
        );
        provenance_status(file, None)?;
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
        let (n, diff) = files::compare_kept(a, b)?;
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
    let diff = files::compare(a, b)?;
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
