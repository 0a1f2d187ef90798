//! Issue 12: no silent wrong answer, no lost result file. One test (or more) per defect of the
//! issue that a single process shows; the ones that need two processes, a private mount or long
//! studies are in scripts/test-extra.sh. Every test here failed on the code before the fix.

mod common;
use common::{cmd, dir, s, sqz_env, sqz_limited as sqz, study_json, write};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_files(d: &Path) -> Vec<String> {
    std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.contains(".tmp."))
        .collect()
}

// ------------------------------------------------------------------ 1. physical checks

/// The issue's repro: without the gap estimate the dense solve returned `<S^z> = 290` at N = 5
/// with exit code 0. Now an error that names the cause.
#[test]
fn item1_unphysical_state_without_gap_is_an_error() {
    let (code, out, err, _) = sqz(
        &[
            "steady",
            "--model",
            "full",
            "--n",
            "5",
            "--r",
            "0.5",
            "--positions",
            "0,1pi,2pi,3pi,4pi",
            "--no-gap",
            "--json",
        ],
        60,
    );
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("not unique"), "{err}");
    assert!(!out.contains("inv_xi2"), "{out}");
    // nearly degenerate disorder (1e-8 pi): the state the dense solve returns has eigenvalues
    // near -0.68 and |<S^z>| above N/2; it is refused, the reason named
    let (code, out, err, _) = sqz(
        &[
            "steady", "--model", "full", "--n", "5", "--r", "0.5", "--w", "1e-8pi", "--config",
            "0", "--no-gap", "--json",
        ],
        60,
    );
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("negative eigenvalue"), "{err}");
    assert!(err.contains("not physical"), "{err}");
}

/// In a study with `estimate_gap = false` and a tiny w, unphysical configurations were marked
/// ok and entered the mean (count 3, mean 1.29). Now `ok = 0` with the reason recorded.
#[test]
fn item1_unphysical_states_never_enter_a_study_mean() {
    let d = dir("item1-study");
    let st = write(&d, "tiny.toml", "n = 5\nr = 0.5\nw = [\"1e-8pi\", \"0.1pi\"]\nconfigurations = 3\nseed = 1\n[steady]\nestimate_gap = false\n");
    let out = d.join("tiny.h5");
    let v = study_json(&st, &out, 120);
    assert_eq!(v["count"][0], 1, "{v}");
    assert_eq!(v["count"][1], 3, "{v}");
    let f = hdf5::File::open(&out).unwrap();
    let ok: Vec<u8> = f.dataset("steady/ok").unwrap().read_raw().unwrap();
    let mins: Vec<f64> = f
        .dataset("steady/min_eigenvalue")
        .unwrap()
        .read_raw()
        .unwrap();
    for (o, m) in ok.iter().zip(&mins) {
        assert!(*o == 0 || *m >= -1e-6, "an ok state with eigenvalue {m}");
    }
    let failures = f
        .group("steady")
        .unwrap()
        .attr("failures")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert!(
        failures.as_str().contains("negative eigenvalue"),
        "{}",
        failures.as_str()
    );
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 2. N = 6 named

/// N = 6 at the degenerate positions ended in "no convergence, residual 4e8" after 30 s.
#[test]
fn item2_degenerate_positions_at_n6_are_named() {
    let (code, _, err, secs) = sqz(
        &[
            "steady",
            "--model",
            "full",
            "--n",
            "6",
            "--r",
            "0.5",
            "--positions",
            "0,1pi,2pi,3pi,4pi,5pi",
        ],
        120,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not unique") && err.contains("equivalent"),
        "{err}"
    );
    assert!(
        secs < 10.0,
        "refused up front, not after GMRES gives up ({secs} s)"
    );
}

// ------------------------------------------------------------------ 3. tolerances

/// `--tol 1e-300` never finished; `--tol 1e-30` finished without saying it was not met.
#[test]
fn item3_unreachable_tolerances_are_refused() {
    for tol in ["1e-300", "1e-30"] {
        let (code, _, err, secs) = sqz(
            &[
                "evolve", "--model", "full", "--n", "5", "--r", "0.5", "--w", "0.03pi", "--t-max",
                "10", "--tol", tol,
            ],
            60,
        );
        assert_eq!(code, 2, "--tol {tol}: {err}");
        assert!(err.contains("1e-14 <= tol"), "{err}");
        assert!(secs < 10.0);
        let (code, _, err, _) = sqz(
            &[
                "steady", "--model", "full", "--n", "4", "--r", "0.5", "--w", "0.1", "--tol", tol,
            ],
            60,
        );
        assert_eq!(code, 2, "steady --tol {tol}: {err}");
        assert!(err.contains("1e-14 <= tol"), "{err}");
    }
    // the smallest accepted one works and reports whether it was met
    let (code, out, err, _) = sqz(
        &[
            "evolve", "--model", "full", "--n", "5", "--r", "0.5", "--w", "0.03pi", "--t-max",
            "10", "--tol", "1e-14", "--json",
        ],
        60,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["notes"].is_array(), "{v}");
    // studies refuse them too, naming the key
    let d = dir("item3");
    let st = d.join("t.toml");
    std::fs::write(&st, "n = 3\nr = 0.5\nw = [0.1]\n[steady]\ntol = 1e-30\n").unwrap();
    let (code, _, err, _) = sqz(&["disorder", "check", s(&st)], 30);
    assert_eq!(code, 2);
    assert!(err.contains("steady.tol") && err.contains("1e-14"), "{err}");
    std::fs::write(
        &st,
        "n = 3\nr = 0.5\nw = [0.1]\n[traces]\nt_max = 1.0\ntol = 1e-300\n",
    )
    .unwrap();
    let (code, _, err, _) = sqz(&["disorder", "check", s(&st)], 30);
    assert_eq!(code, 2);
    assert!(err.contains("traces.tol") && err.contains("1e-14"), "{err}");
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 4. damaged files

const SMALL: &str = "n = 4\nr = 0.5\nw = [\"0.03pi\", 0.3]\nconfigurations = 20\nseed = 42\n";

/// Bytes flipped in `steady/inv_xi2` of a finished task were resumed into an inf/NaN summary.
#[test]
fn item4_a_corrupted_result_file_is_refused_on_resume() {
    let d = dir("item4");
    let st = d.join("s.toml");
    std::fs::write(&st, SMALL).unwrap();
    let out = d.join("r.h5");
    let (code, _, err, _) = sqz(
        &[
            "disorder",
            s(&st),
            "--out",
            s(&out),
            "--quiet",
            "--stop-after",
            "12",
        ],
        60,
    );
    assert_eq!(code, 75, "{err}");
    // flip bytes inside the value of task 3 (finished)
    let off = {
        let f = hdf5::File::open(&out).unwrap();
        let status: Vec<u8> = f.dataset("steady/status").unwrap().read_raw().unwrap();
        assert_eq!(status[3], 1);
        f.dataset("steady/inv_xi2").unwrap().offset().unwrap() as usize
    };
    let mut bytes = std::fs::read(&out).unwrap();
    for b in &mut bytes[off + 8 * 3 + 5..off + 8 * 3 + 8] {
        *b ^= 0xff;
    }
    std::fs::write(&out, &bytes).unwrap();
    let (code, stdout, err, _) = sqz(&["disorder", s(&st), "--out", s(&out), "--quiet"], 60);
    assert_eq!(code, 2, "{stdout} {err}");
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("w_index 0 configuration 3"), "{err}");
    assert!(
        !stdout.contains("inf") && !stdout.contains("NaN"),
        "{stdout}"
    );
    // the file was left as it was (nothing written over the damaged one)
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    // a truncated file is refused with a clear message too
    std::fs::write(&out, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err, _) = sqz(&["disorder", s(&st), "--out", s(&out), "--quiet"], 60);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot resume from"), "{err}");
    std::fs::remove_dir_all(&d).ok();
}

/// A w where every configuration failed had "count 0, mean 0.000000" in the summary.
#[test]
fn item4_a_w_without_results_has_no_mean() {
    let d = dir("item4-fill");
    // one GMRES iteration cannot converge: every configuration fails
    let st = write(
        &d,
        "f.toml",
        "n = 6\nr = 0.5\nw = [\"0.1pi\"]\nconfigurations = 2\nseed = 1\n[steady]\nmax_iters = 1\n",
    );
    let out = d.join("f.h5");
    let v = study_json(&st, &out, 120);
    assert_eq!(v["count"][0], 0);
    assert!(v["inv_xi2_mean"][0].is_null(), "{v}");
    let f = hdf5::File::open(&out).unwrap();
    for name in [
        "inv_xi2_mean",
        "inv_xi2_std",
        "xi2_mean",
        "squeezed_fraction",
    ] {
        let ds = f.dataset(&format!("summary/{name}")).unwrap();
        let x: Vec<f64> = ds.read_raw().unwrap();
        assert_eq!(x, vec![-1.0], "{name}");
        assert_eq!(
            ds.attr("fill_value").unwrap().read_scalar::<f64>().unwrap(),
            -1.0
        );
    }
    let (_, text, _, _) = sqz(&["disorder", s(&st), "--out", s(&out), "--quiet"], 60);
    assert!(!text.contains("0.000000"), "{text}");
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 7. SIGHUP

/// SIGHUP (closed terminal, lost ssh) killed the run: up to 30 s of finished work lost.
#[test]
fn item7_sighup_saves_and_exits_75() {
    let d = dir("item7");
    let st = write(&d, "long.toml", "n = 5\nr = 0.5\nw = [\"0.1pi\", \"0.3pi\"]\nconfigurations = 2000\nseed = 5\n[steady]\nestimate_gap = false\n");
    let out = d.join("r.h5");
    // A test run started under `nohup` passes an ignored SIGHUP on to the child, which sqz then
    // honours (below): restore the default disposition for this first part when coreutils' `env`
    // can (the run would otherwise finish, exit 0, and fail this test for the wrong reason).
    let mut c = cmd();
    if Command::new("env")
        .args(["--default-signal=HUP", "true"])
        .status()
        .is_ok_and(|st| st.success())
    {
        let mut e = Command::new("env");
        e.arg("--default-signal=HUP").arg(env!("CARGO_BIN_EXE_sqz"));
        c = common::without_launcher_env(e);
    }
    let child = c
        .args(["disorder", s(&st), "--out", s(&out), "--threads", "1"])
        .args(["--quiet", "--checkpoint-tasks", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait for a few finished tasks
    let t0 = Instant::now();
    loop {
        let (_, js, _, _) = sqz(&["disorder", "status", "--json", s(&out)], 30);
        let done = serde_json::from_str::<serde_json::Value>(&js)
            .ok()
            .and_then(|v| v["done"].as_u64())
            .unwrap_or(0);
        if done >= 5 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(75), "{err}");
    assert!(err.contains("interrupted (SIGHUP)"), "{err}");
    let (_, js, _, _) = sqz(&["disorder", "status", "--json", s(&out)], 30);
    let v: serde_json::Value = serde_json::from_str(&js).unwrap();
    let done = v["done"].as_u64().unwrap();
    assert!(
        (5..4000).contains(&done),
        "the finished tasks were saved: {v}"
    );
    assert!(temp_files(&d).is_empty(), "{:?}", temp_files(&d));
    // under `nohup` a hangup is ignored, as the user asked; SIGTERM still stops the run
    if Command::new("nohup").arg("--version").output().is_ok() {
        let mut child = Command::new("nohup")
            .arg(env!("CARGO_BIN_EXE_sqz"))
            .args(["disorder", s(&st), "--out", s(&out), "--threads", "1"])
            .args(["--quiet", "--checkpoint-tasks", "5"])
            .env_remove("SQZ_MEMORY_LIMIT")
            .current_dir(&d)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success());
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            child.try_wait().unwrap().is_none(),
            "nohup: SIGHUP must be ignored"
        );
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(75),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 8. --out

#[test]
fn item8_out_a_directory_or_the_study_file_is_refused() {
    let d = dir("item8");
    let st = d.join("s.toml");
    std::fs::write(&st, SMALL).unwrap();
    let sub = d.join("results");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, _, err, _) = sqz(&["disorder", s(&st), "--out", s(&sub), "--quiet"], 60);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a directory"), "{err}");
    assert!(temp_files(&d).is_empty(), "{:?}", temp_files(&d));
    let (code, _, err, _) = sqz(
        &["disorder", s(&st), "--out", s(&st), "--fresh", "--quiet"],
        60,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the study file itself"), "{err}");
    assert_eq!(std::fs::read_to_string(&st).unwrap(), SMALL);
    // the same through another spelling of the path
    let other = d.join(".").join("s.toml");
    let (code, _, _, _) = sqz(
        &["disorder", s(&st), "--out", s(&other), "--fresh", "--quiet"],
        60,
    );
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&st).unwrap(), SMALL);
    // other commands' --out: a directory is refused and leaves no temporary file
    let (code, _, err, _) = sqz(
        &[
            "evolve",
            "--n",
            "3",
            "--r",
            "0.5",
            "--t-max",
            "1",
            "--steps",
            "2",
            "--out",
            s(&sub),
        ],
        60,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a directory"), "{err}");
    assert!(temp_files(&d).is_empty(), "{:?}", temp_files(&d));
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 9, 10. memory guard

/// With a memory limit the GMRES-Jacobi fallback was started anyway (N = 14 aborted inside
/// GMRES, N = 13 took 20 GB of 24). Now refused before anything is allocated (the two-level
/// solver with its smallest Krylov basis is the last path; GMRES-Jacobi is no longer one).
#[test]
fn item9_the_fallback_solver_is_refused_when_it_does_not_fit() {
    let (code, _, err, secs) = sqz_env(
        &[
            "steady", "--model", "full", "--n", "10", "--r", "0.3", "--w", "0.1", "--seed", "1",
        ],
        ("SQZ_MEMORY_LIMIT", "100M"),
        60,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two-level"), "{err}");
    assert!(err.contains("largest N that fits is"), "{err}");
    assert!(err.contains("104857600 bytes"), "names the limit: {err}");
    assert!(secs < 5.0);
    // sqz info lists every path with its bytes, and which one is taken
    let (code, out, err, _) = sqz_env(
        &["info", "--n", "10", "--json"],
        ("SQZ_MEMORY_LIMIT", "100M"),
        30,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let methods: Vec<&str> = v["steady_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["method"].as_str().unwrap())
        .collect();
    for m in [
        "collective-reduction",
        "dense-hermitian-lu",
        "gmres-two-level",
    ] {
        assert!(methods.contains(&m), "{m}: {v}");
    }
    assert!(
        v["steady_path_now"].as_str().unwrap().contains("refused"),
        "{v}"
    );
}

/// The collective model and Eq. 8 had no guard (N = 100000: killed by the kernel, or a panic).
#[test]
fn item10_collective_and_analytic_are_guarded() {
    for args in [
        vec!["analytic", "--n", "100000", "--r", "0.5"],
        vec![
            "steady",
            "--model",
            "collective",
            "--n",
            "100000",
            "--r",
            "0.5",
        ],
    ] {
        let (code, _, err, secs) = sqz(&args, 30);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("largest N that fits"), "{err}");
        assert!(secs < 5.0);
    }
    // sizes that run in a few seconds but exceed a small limit are refused as well
    let (code, _, err, _) = sqz_env(
        &[
            "steady",
            "--model",
            "collective",
            "--n",
            "400",
            "--r",
            "0.5",
        ],
        ("SQZ_MEMORY_LIMIT", "500M"),
        60,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Eq. 7"), "{err}");
    let (code, _, err, _) = sqz_env(
        &["analytic", "--n", "4000", "--r", "0.5"],
        ("SQZ_MEMORY_LIMIT", "200M"),
        60,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Eq. 8"), "{err}");
}

// ------------------------------------------------------------------ 11. closed pipes

/// `sqz evolve ... | head -1` exited 101 ("this is a bug").
#[test]
fn item11_a_closed_stdout_ends_quietly() {
    let mut child = cmd()
        .args([
            "evolve", "--n", "5", "--r", "0.5", "--t-max", "10", "--steps", "1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // the reader is gone (dropped), as with `head -1`
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(line.starts_with("# sqz evolve"), "{line}");
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked") && !err.contains("bug"), "{err}");
}

/// `sqz disorder S.toml 2>&1 | head -2` aborted (134). Now the closed output is a stop request:
/// the run saves what finished and ends with 75, never a panic or an abort.
#[test]
fn item11_a_closed_stderr_stops_a_study_cleanly() {
    let d = dir("item11");
    let st = write(
        &d,
        "s.toml",
        "n = 4\nr = 0.5\nw = [\"0.1pi\", \"0.3pi\"]\nconfigurations = 2000\nseed = 3\n",
    );
    let out = d.join("r.h5");
    let mut child = cmd()
        .args(["disorder", s(&st), "--out", s(&out), "--threads", "1"])
        .args(["--progress-every", "0.05"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stderr.take().unwrap());
    for _ in 0..2 {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
    }
    drop(r);
    let t0 = Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the study did not stop after its stderr was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(75), "stopped and saved");
    let (c, js, _, _) = sqz(&["disorder", "status", "--json", s(&out)], 30);
    assert!(c == 0 || c == 3);
    let v: serde_json::Value = serde_json::from_str(&js).unwrap();
    assert!(v["done"].as_u64().unwrap() > 0, "{v}");
    std::fs::remove_dir_all(&d).ok();
}

// ------------------------------------------------------------------ 12. hyphen values

#[test]
fn item12_negative_numbers_get_the_range_error() {
    for (args, needle) in [
        (
            vec![
                "steady", "--model", "full", "--n", "4", "--r", "0.5", "--w", "-0.1pi",
            ],
            "0 <= w <= 10pi",
        ),
        (
            vec!["analytic", "--n", "-3", "--r", "0.5"],
            "1 <= N <= 100000",
        ),
        (
            vec!["evolve", "--n", "3", "--r", "0.5", "--t-max", "-1"],
            "t-max",
        ),
        (
            vec![
                "steady", "--model", "full", "--n", "4", "--r", "0.5", "--tol", "-1",
            ],
            "tol",
        ),
        (vec!["info", "--n", "-2"], "1 <= N <= 15"),
    ] {
        let (code, _, err, _) = sqz(&args, 30);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

// ------------------------------------------------------------------ 13. consistency

#[test]
fn item13_version_config_threads_and_wording() {
    let (code, out, _, _) = sqz(&["--version"], 10);
    assert_eq!(code, 0);
    assert!(out.contains("HDF5 library: 1."), "{out}");
    if cfg!(feature = "mpi") {
        assert!(out.contains("features: mpi"), "{out}");
    } else {
        assert!(out.contains("features: none"), "{out}");
    }
    let (code, _, err, _) = sqz(
        &[
            "steady",
            "--model",
            "full",
            "--n",
            "4",
            "--r",
            "0.5",
            "--w",
            "0.1",
            "--config",
            "4294967296",
        ],
        30,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2^32"), "{err}");
    let d = dir("item13");
    let st = d.join("s.toml");
    std::fs::write(&st, SMALL).unwrap();
    let (code, _, err, _) = sqz(
        &[
            "disorder",
            s(&st),
            "--out",
            s(&d.join("r.h5")),
            "--threads",
            "1000",
        ],
        30,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--threads 1000") && err.contains("cores"),
        "{err}"
    );
    // the study error for n says nothing that the solvers do not do (whether N fits in the
    // memory is checked when a study starts: issue 14)
    std::fs::write(&st, "n = 16\nr = 0.5\nw = [0.1]\n").unwrap();
    let (code, _, err, _) = sqz(&["disorder", "check", s(&st)], 30);
    assert_eq!(code, 2);
    assert!(err.contains("1 <= n <= 15"), "{err}");
    assert!(!err.contains("N <= 7") && !err.contains("45 s"), "{err}");
    std::fs::remove_dir_all(&d).ok();
}
