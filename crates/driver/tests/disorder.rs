//! End-to-end tests of `sqz disorder` in one process (the MPI and Slurm runs are in
//! scripts/test-extra.sh): validation messages, identical results for any thread count,
//! resume after `--stop-after`, SIGTERM and SIGKILL (with who computed what, and a format-2 file
//! resumed and upgraded), refusal of another study's file, `--fresh`,
//! the launcher check, and the running tasks in the progress log (none with `--quiet`).

mod common;
use common::{cmd, dir, disorder, disorder_ok, ok, s, sqz, write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SMALL: &str = r#"
# N = 4, two w values, 20 configurations (the CI study of issue 6)
n = 4
r = 0.5
w = ["0.03pi", 0.3]
configurations = 20
seed = 42
"#;

#[test]
fn bad_study_files_name_the_key_and_range() {
    let d = dir("bad");
    for (text, needle) in [
        ("n = 4\nr = 0.5\nw = [0.1]\nconfigs = 3\n", "configs"),
        (
            "n = 4\nr = 0.5\nw = [0.1]\n[steady]\ntolerance = 1e-8\n",
            "tolerance",
        ),
        ("n = 16\nr = 0.5\nw = [0.1]\n", "n <= 15"),
        ("n = 4\nr = 0.5\nw = [\"0.1qi\"]\n", "w[0]"),
        (
            "n = 4\nr = 0.5\nw = [0.1]\nconfigurations = -5\n",
            "configurations",
        ),
        (
            "n = 4\nr = 0.5\nw = [0.1]\n[traces]\nt_max = 5.0\npoints = 0\n",
            "traces.points",
        ),
    ] {
        let p = write(&d, "bad.toml", text);
        let (code, _, err) = sqz(&["disorder", s(&p), "--out", s(&d.join("bad.h5"))]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(
            err.contains(needle),
            "{text}: message lacks {needle:?}: {err}"
        );
        assert!(!d.join("bad.h5").exists());
    }
    let p = write(&d, "good.toml", SMALL);
    let out = ok(&["disorder", "check", s(&p)]);
    assert!(
        out.contains("\"tasks\":40") && out.contains("fnv1a64:"),
        "{out}"
    );
}

#[test]
fn thread_counts_give_identical_files_and_json_reports_statistics() {
    let d = dir("threads");
    let p = write(&d, "small.toml", SMALL);
    let (a, b) = (d.join("t1.h5"), d.join("t2.h5"));
    disorder_ok(&p, &a, &["--threads", "1", "--quiet"]);
    let out = ok(&[
        "disorder",
        s(&p),
        "--out",
        s(&b),
        "--threads",
        "2",
        "--quiet",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["complete"], true);
    assert_eq!(v["tasks_done"], 40);
    assert_eq!(v["count"][0], 20);
    let m = v["inv_xi2_mean"][1].as_f64().unwrap();
    let sd = v["inv_xi2_std"][1].as_f64().unwrap();
    assert!(m > 0.0 && m.is_finite() && sd > 0.0, "{v}");
    let sem = v["inv_xi2_sem"][1].as_f64().unwrap();
    assert!((sem - sd / 20f64.sqrt()).abs() < 1e-14);
    ok(&["disorder", "compare", s(&a), s(&b)]);
    ok(&["disorder", "status", s(&a)]);
}

#[test]
fn stop_and_resume_equals_an_uninterrupted_run_without_recomputing() {
    let d = dir("resume");
    let p = write(&d, "small.toml", SMALL);
    let (full, part) = (d.join("full.h5"), d.join("part.h5"));
    ok(&["disorder", s(&p), "--out", s(&full), "--quiet"]);
    let (code, _, err) = disorder(&p, &part, &["--threads", "1", "--stop-after", "13"]);
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    // the compute thread may finish a few more tasks while the stop takes effect: all are saved
    let (code, _, _) = sqz(&["disorder", "status", s(&part)]);
    assert_eq!(code, 3);
    let done = done_in(&part);
    assert!((13..40).contains(&done), "{done}");
    let snapshot = d.join("snapshot.h5");
    std::fs::copy(&part, &snapshot).unwrap();
    let out = ok(&["disorder", s(&p), "--out", s(&part), "--json", "--quiet"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["computed_this_run"], 40 - done, "{v}");
    ok(&["disorder", "compare", s(&full), s(&part)]);
    ok(&["disorder", "compare", "--kept", s(&snapshot), s(&part)]);
    // who computed what: one host, rank 0, two runs outside Slurm with their own configurations
    let st = common::json(&["disorder", "status", "--json", s(&part)]);
    assert_eq!(st["hosts"].as_array().unwrap().len(), 1, "{st}");
    assert_eq!(st["hosts"][0]["configurations"], 40, "{st}");
    assert_eq!(st["hosts"][0]["ranks"]["0"], 40, "{st}");
    assert_eq!(st["unrecorded"], 0, "{st}");
    let runs = st["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{st}");
    for (r, n) in runs.iter().zip([done, 40 - done]) {
        assert!(r["job_id"] == "none" && r["node_list"] == "none", "{st}");
        assert!(r["configurations"] == n && r["saved"] == n, "{st}");
    }
    let text = ok(&["disorder", "status", s(&part)]);
    assert!(text.contains("run 1: no Slurm job, 1 rank(s)"), "{text}");
    // a complete file: a re-run computes nothing
    let out = ok(&["disorder", s(&p), "--out", s(&part), "--json", "--quiet"]);
    assert!(out.contains("\"computed_this_run\":0"), "{out}");
}

#[test]
fn a_format_2_file_without_provenance_is_resumed_and_upgraded() {
    let d = dir("format2");
    let p = write(&d, "small.toml", SMALL);
    let (full, part) = (d.join("full.h5"), d.join("part.h5"));
    ok(&["disorder", s(&p), "--out", s(&full), "--quiet"]);
    let (code, _, err) = disorder(&p, &part, &["--threads", "1", "--stop-after", "10"]);
    assert_eq!(code, 75, "{err}");
    let done = done_in(&part);
    {
        // what a format-2 build wrote: no /provenance, format_version 2
        let f = hdf5::File::open_rw(&part).unwrap();
        f.unlink("provenance").unwrap();
        f.attr("format_version")
            .unwrap()
            .write_scalar(&2u64)
            .unwrap();
    }
    let (code, text, _) = sqz(&["disorder", "status", s(&part)]);
    assert!(code == 3 && text.contains("predates format 3"), "{text}");
    disorder_ok(&p, &part, &[]);
    ok(&["disorder", "compare", s(&full), s(&part)]);
    let st = common::json(&["disorder", "status", "--json", s(&part)]);
    assert_eq!(st["unrecorded"], done, "{st}");
    assert_eq!(st["hosts"][0]["configurations"], 40 - done, "{st}");
    assert_eq!(st["runs"].as_array().unwrap().len(), 1, "{st}");
    let f = hdf5::File::open(&part).unwrap();
    assert_eq!(
        f.attr("format_version")
            .unwrap()
            .read_scalar::<u64>()
            .unwrap(),
        3
    );
}

#[test]
fn another_study_is_refused_and_fresh_starts_over() {
    let d = dir("refuse");
    let p = write(&d, "small.toml", SMALL);
    let out = d.join("r.h5");
    ok(&["disorder", s(&p), "--out", s(&out), "--quiet"]);
    // comments and formatting do not make another study
    let same = write(
        &d,
        "same.toml",
        &format!("# reformatted\n{}", SMALL.replace("0.3", "0.30")),
    );
    ok(&["disorder", s(&same), "--out", s(&out), "--quiet"]);
    let other = write(&d, "other.toml", &SMALL.replace("seed = 42", "seed = 43"));
    let (code, _, err) = sqz(&["disorder", s(&other), "--out", s(&out), "--quiet"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("different study") && err.contains("--fresh"),
        "{err}"
    );
    disorder_ok(&other, &out, &["--quiet", "--fresh"]);
    let (code, out2, _) = sqz(&["disorder", "status", s(&out)]);
    assert_eq!(code, 0, "{out2}");
    // not a study file at all
    let junk = write(&d, "junk.h5", "not hdf5");
    let (code, _, err) = sqz(&["disorder", s(&p), "--out", s(&junk), "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("--fresh"), "{err}");
}

/// A kill between a checkpoint's writes of the `completed` mask and of `status` (the commit
/// point) leaves tasks marked completed with a pending status: the resume computes them again,
/// and `compare --kept` must not count them as finished (test-extra's kill -9 rounds hit this
/// window once: "changed tasks that k9-snap-4.h5 had finished").
#[test]
fn compare_kept_counts_a_task_finished_by_its_status_not_the_completed_mask() {
    let d = dir("torn");
    let p = write(&d, "small.toml", SMALL);
    let part = d.join("part.h5");
    let (code, _, err) = disorder(&p, &part, &["--threads", "1", "--stop-after", "13"]);
    assert_eq!(code, 75, "{err}");
    // the torn checkpoint: one pending task with completed = 1
    {
        let f = hdf5::File::open_rw(&part).unwrap();
        let st: Vec<u8> = f.dataset("steady/status").unwrap().read_raw().unwrap();
        let t = st.iter().position(|&x| x == 0).expect("a pending task");
        let (wi, c) = (t / 20, t % 20);
        f.dataset("steady/completed")
            .unwrap()
            .write_slice(&[1u8][..], (wi, c..c + 1))
            .unwrap();
    }
    let snapshot = d.join("snapshot.h5");
    std::fs::copy(&part, &snapshot).unwrap();
    ok(&["disorder", s(&p), "--out", s(&part), "--quiet"]);
    let (code, out, err) = sqz(&["disorder", "compare", "--kept", s(&snapshot), s(&part)]);
    assert_eq!(code, 0, "{out}{err}");
    // and it still catches a recomputed finished task: a fresh run recomputes all of them
    ok(&["disorder", s(&p), "--out", s(&part), "--quiet", "--fresh"]);
    let (code, _, _) = sqz(&["disorder", "compare", "--kept", s(&snapshot), s(&part)]);
    assert_ne!(code, 0);
}

/// A study long enough to be killed mid-way: N = 6, ~17 ms per task on one
/// core of the CI machine, 200 tasks, so ~3 s after the 5th task is saved. (At
/// N = 5 and 120 tasks the whole run took 0.46 s once the solver got faster,
/// and it finished before the signal arrived.)
const LONG: &str = "n = 6\nr = 0.5\nw = [\"0.1pi\", \"0.3pi\"]\nconfigurations = 100\nseed = 5\n[steady]\nestimate_gap = false\n";

fn done_in(path: &Path) -> u64 {
    let (_, out, _) = sqz(&["disorder", "status", "--json", s(path)]);
    serde_json::from_str::<serde_json::Value>(&out)
        .ok()
        .and_then(|v| v["done"].as_u64())
        .unwrap_or(0)
}

fn kill_midway(signal: Option<&str>, name: &str) {
    let d = dir(name);
    let p = write(&d, "long.toml", LONG);
    let (full, part) = (d.join("full.h5"), d.join("part.h5"));
    let mut child = cmd()
        .args([
            "disorder",
            s(&p),
            "--out",
            s(&part),
            "--threads",
            "1",
            "--quiet",
        ])
        .args(["--checkpoint-tasks", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while done_in(&part) < 5 {
        assert!(t0.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    match signal {
        Some(sig) => {
            let st = Command::new("kill")
                .args([sig, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        }
        None => child.kill().unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let done = done_in(&part);
    if signal.is_some() {
        assert!(
            done < 200,
            "the study finished ({done} tasks) before the signal: make LONG longer"
        );
        assert_eq!(out.status.code(), Some(75), "{err}");
        assert!(err.contains("interrupted (SIG"), "{err}");
        // said when the signal is seen, before the running task ends
        assert!(
            err.contains("sqz disorder: stopping (SIG") && err.contains("tasks saved; waiting"),
            "{err}"
        );
    }
    assert!((5..200).contains(&done), "done {done}");
    ok(&["disorder", s(&p), "--out", s(&part), "--quiet"]);
    ok(&["disorder", s(&p), "--out", s(&full), "--quiet"]);
    ok(&["disorder", "compare", s(&full), s(&part)]);
    assert!(!d.join("part.h5.tmp").exists());
}

#[test]
fn sigterm_saves_and_resume_completes() {
    kill_midway(Some("-TERM"), "term");
}

#[test]
fn sigusr1_saves_too() {
    kill_midway(Some("-USR1"), "usr1");
}

#[test]
fn sigkill_loses_at_most_the_unsaved_tasks_and_resume_completes() {
    kill_midway(None, "kill");
}

#[test]
fn several_slurm_tasks_with_a_world_of_one_is_refused() {
    let d = dir("launcher");
    let p = write(&d, "small.toml", SMALL);
    let out = cmd()
        .args(["disorder", s(&p), "--out", s(&d.join("x.h5"))])
        .env("SLURM_NTASKS", "4")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("launcher is wrong") && err.contains("srun --mpi=pmix"),
        "{err}"
    );
    assert!(!d.join("x.h5").exists());
}

#[test]
fn a_panicking_task_stops_the_run_with_an_error_and_keeps_the_finished_ones() {
    let d = dir("panic");
    let p = write(&d, "small.toml", SMALL);
    let out = d.join("p.h5");
    let (code, _, err) = disorder(&p, &out, &["--threads", "2", "--panic-at-task", "25"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("panicked") && err.contains("configuration 5"),
        "{err}"
    );
    let done = done_in(&out);
    assert!(done < 40, "{done}");
    // the file is valid and the run resumes
    ok(&["disorder", s(&p), "--out", s(&out), "--quiet"]);
    assert_eq!(done_in(&out), 40);
}

#[test]
fn time_traces_are_stored_identically_for_any_thread_count_and_resume() {
    let d = dir("traces");
    let text = "n = 3\nr = 0.5\nw = [\"0.1pi\", \"0.3pi\"]\nconfigurations = 6\nseed = 9\n[traces]\nt_max = 4.0\npoints = 5\n";
    let p = write(&d, "tr.toml", text);
    let (a, b) = (d.join("a.h5"), d.join("b.h5"));
    disorder_ok(&p, &a, &["--threads", "1", "--quiet"]);
    let (code, _, err) = sqz(&[
        "disorder",
        s(&p),
        "--out",
        s(&b),
        "--threads",
        "2",
        "--stop-after",
        "5",
    ]);
    assert_eq!(code, 75, "{err}");
    ok(&["disorder", s(&p), "--out", s(&b), "--quiet"]);
    ok(&["disorder", "compare", s(&a), s(&b)]);
    let out = ok(&["disorder", "check", s(&p)]);
    assert!(out.contains("\"points\":5"), "{out}");
}

/// Issue 14: a study may have any N of the full-space representations; whether it fits is
/// decided at start-up against the memory share of each concurrent solve, before any file is
/// written, naming N, the estimate, the share and the largest N that fits.
#[test]
fn a_study_that_does_not_fit_its_memory_share_is_refused_up_front() {
    let d = dir("n11");
    let st = write(
        &d,
        "n11.toml",
        "n = 11\nr = 0.5\nw = [\"0.1pi\"]\nconfigurations = 2\n",
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&["disorder", "check", s(&st)])).unwrap();
    assert_eq!(v["normalised"]["n"], 11, "{v}");
    let out = d.join("n11.h5");
    let o = cmd()
        .args(["disorder", s(&st), "--out", s(&out), "--threads", "2"])
        .env("SQZ_MEMORY_LIMIT", "64MiB")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for needle in [
        "N = 11",
        "needs about",
        "memory share",
        "64.00 MiB",
        "largest N that fits",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!out.exists(), "nothing is written");
    std::fs::remove_dir_all(&d).ok();
}

/// A study whose tasks take seconds (N = 8, the two-level Krylov solver) names its running tasks
/// in a batch log (stderr not a terminal): task number, w and configuration, elapsed time and
/// Krylov step, a line at least every `--progress-every` s. `--quiet` prints nothing, and the
/// results are the same bits either way.
#[test]
fn the_progress_log_names_the_running_tasks_and_quiet_silences_it() {
    let d = dir("running");
    let p = write(
        &d,
        "n8.toml",
        "n = 8\nr = 0.5\nw = [\"0.1pi\"]\nconfigurations = 2\nseed = 1\n",
    );
    let (a, b) = (d.join("log.h5"), d.join("quiet.h5"));
    let every = ["--threads", "1", "--progress-every", "0.3"];
    let (code, _, err) = disorder(&p, &a, &every);
    assert_eq!(code, 0, "{err}");
    let running: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("sqz disorder: running 1 task: task "))
        .collect();
    assert!(!running.is_empty(), "no running-task line in: {err}");
    assert!(
        running
            .iter()
            .any(|l| l.contains("task 0 (w = 0.1pi, configuration 0): ")
                && l.contains(", Krylov step ")
                && l.contains("(target ")),
        "{running:?}"
    );
    // the elapsed time, `Ns`
    assert!(
        running.iter().all(|l| l
            .split(": ")
            .nth(3)
            .and_then(|x| x.split(',').next())
            .and_then(|x| x.strip_suffix('s'))
            .is_some_and(|x| x.parse::<u64>().is_ok())),
        "{running:?}"
    );
    let (code, out, err) = disorder(&p, &b, &[&every[..], &["--quiet"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "--quiet printed on stderr");
    assert!(out.contains("0.1pi"), "{out}");
    ok(&["disorder", "compare", s(&a), s(&b)]);
}
