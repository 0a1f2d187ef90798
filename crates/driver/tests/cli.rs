//! End-to-end tests of the `sqz` binary.

mod common;
use common::{collective_steady, json, sqz};

#[test]
fn analytic_json_has_the_promised_fields() {
    let v = json(&["analytic", "--n", "10", "--r", "0.5", "--json"]);
    for k in ["n", "r", "alpha", "delta", "xi2", "inv_xi2", "mean_spin"] {
        assert!(v.get(k).is_some(), "missing {k}: {v}");
    }
    assert_eq!(v["mean_spin"].as_array().unwrap().len(), 3);
    let xi2 = v["xi2"].as_f64().unwrap();
    assert!((v["inv_xi2"].as_f64().unwrap() * xi2 - 1.0).abs() < 1e-12);
    assert_eq!(v["alpha"].as_f64().unwrap(), 0.5);
    assert_eq!(v["delta"].as_f64().unwrap(), 1.0);
}

/// `sqz analytic` (Eq. 8) agrees with `sqz steady --model collective` (Eq. 7) at N = 400, and
/// N = 2000 finishes with a finite, squeezed result.
#[test]
fn analytic_agrees_with_collective_null_vector_at_n400_and_runs_at_n2000() {
    let a = json(&["analytic", "--n", "400", "--r", "1.9", "--json"]);
    let s = collective_steady("400", "1.9");
    let (xa, xs) = (a["xi2"].as_f64().unwrap(), s["xi2"].as_f64().unwrap());
    assert!((xa - xs).abs() < 1e-9 * xs, "xi2: Eq. 8 {xa} vs Eq. 7 {xs}");
    for i in 0..3 {
        let (ma, ms) = (
            a["mean_spin"][i].as_f64().unwrap(),
            s["mean_spin"][i].as_f64().unwrap(),
        );
        assert!((ma - ms).abs() < 1e-8, "mean spin {i}: {ma} vs {ms}");
    }
    assert!(s["residual"].as_f64().unwrap() < 1e-10);
    let big = json(&["analytic", "--n", "2000", "--r", "1.9", "--json"]);
    let x = big["xi2"].as_f64().unwrap();
    assert!(x.is_finite() && x > 0.0 && x < 0.05, "N = 2000: xi2 = {x}");
    // |<S_z>| <= j
    assert!(big["mean_spin"][2].as_f64().unwrap().abs() <= 1000.0);
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    for (args, needle) in [
        (vec!["analytic", "--n", "0", "--r", "0.5"], "1 <= N"),
        (vec!["analytic", "--n", "4", "--r", "-0.5"], "0 <= r"),
        (vec!["analytic", "--n", "4", "--r", "nan"], "0 <= r"),
        (
            vec!["steady", "--n", "4", "--r", "0.5", "--delta", "inf"],
            "delta",
        ),
        (
            vec!["scaling", "--n-min", "5", "--n-max", "3"],
            "n-min <= n-max",
        ),
        // a result file that does not exist is named as missing, not as damaged (issue 23)
        (
            vec!["disorder", "status", "/nonexistent-dir/missing.h5"],
            "opening /nonexistent-dir/missing.h5: no such file",
        ),
    ] {
        let (code, out, err) = sqz(&args);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.contains("NaN"));
    }
}

#[test]
fn scaling_writes_hdf5_with_parameters() {
    let dir = std::env::temp_dir().join(format!("sqz-test-{}", std::process::id()));
    let path = dir.join("scaling.h5");
    let v = json(&[
        "scaling",
        "--n-min",
        "4",
        "--n-max",
        "40",
        "--n-points",
        "5",
        "--out",
        path.to_str().unwrap(),
        "--json",
    ]);
    let n: Vec<u64> = v["n"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(n.first(), Some(&4));
    assert_eq!(n.last(), Some(&40));
    // squeezing grows with N and r_opt grows with N (Fig. 3c, d)
    let inv: Vec<f64> = v["inv_xi2_max"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(inv.windows(2).all(|w| w[1] > w[0]), "{inv:?}");
    let f = hdf5::File::open(&path).unwrap();
    assert_eq!(f.attr("alpha").unwrap().read_scalar::<f64>().unwrap(), 0.5);
    assert!(f.attr("code_version").is_ok());
    let ds: Vec<f64> = f
        .dataset("scaling/inv_xi2_max")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(ds.len(), n.len());
    for (a, b) in ds.iter().zip(&inv) {
        assert_eq!(a, b);
    }
    let b: f64 = f
        .group("fits/xi2_min_power_law")
        .unwrap()
        .attr("b")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert!(b < -0.3 && b > -0.8, "power-law exponent {b}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14: one `--init` syntax for every command, parsed once: a bad value is a usage error
/// (exit 2) naming the accepted forms, and `sqz steady` takes the fractions `sqz evolve` takes.
#[test]
fn every_command_takes_the_same_init_syntax() {
    for model in ["collective", "full"] {
        let (code, _, err) = sqz(&[
            "steady", "--model", model, "--n", "3", "--r", "0.5", "--init", "garbage",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("\"garbage\"") && err.contains("ground") && err.contains("dicke:M"),
            "{err}"
        );
        assert!(err.contains("product:THETA,PHI"), "{err}");
    }
    let (code, _, err) = sqz(&[
        "evolve", "--n", "3", "--r", "0.5", "--t-max", "1", "--init", "garbage",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dicke:M"), "{err}");
    // the same state by either spelling, in both commands
    let a = json(&[
        "steady",
        "--model",
        "full",
        "--n",
        "3",
        "--r",
        "0.5",
        "--init",
        "dicke:-3/2",
        "--json",
    ]);
    let b = json(&[
        "steady",
        "--model",
        "full",
        "--n",
        "3",
        "--r",
        "0.5",
        "--init",
        "dicke:-1.5",
        "--json",
    ]);
    assert_eq!(a["xi2"], b["xi2"]);
    assert_eq!(a["outcome"], "degenerate", "{a}");
    for init in ["dicke:-3/2", "dicke:-1.5", "ground", "product:pi,0"] {
        let e = json(&[
            "evolve", "--n", "3", "--r", "0.5", "--times", "0,1", "--init", init, "--json",
        ]);
        assert_eq!(e["t"].as_array().unwrap().len(), 2, "{init}: {e}");
        json(&[
            "steady", "--model", "full", "--n", "3", "--r", "0.5", "--init", init, "--json",
        ]);
    }
    // an M that N does not have, and a superposition the steady solver does not take
    for (init, needle) in [
        ("dicke:7", "dicke:7"),
        ("product:0.5pi,0", "THETA = 0 or pi"),
    ] {
        let (code, _, err) = sqz(&[
            "steady", "--model", "full", "--n", "3", "--r", "0.5", "--init", init,
        ]);
        assert_eq!(code, 2, "{init}: {err}");
        assert!(err.contains(needle), "{init}: {err}");
    }
}

/// `--json` and `--quiet` are global: accepted before or after the command, the same everywhere;
/// the full model reports its typed outcome next to `bound_met`.
#[test]
fn json_is_global_and_steady_reports_its_outcome() {
    let a = json(&["--json", "analytic", "--n", "10", "--r", "0.5"]);
    let b = json(&["analytic", "--n", "10", "--r", "0.5", "--json", "--quiet"]);
    assert_eq!((&a["xi2"], &a["mean_spin"]), (&b["xi2"], &b["mean_spin"]));
    let v = json(&[
        "steady", "--model", "full", "--n", "4", "--r", "0.5", "--w", "0.1pi", "--json",
    ]);
    assert_eq!(v["outcome"], "converged", "{v}");
    assert_eq!(v["bound_met"], true, "{v}");
    let (code, out, _) = sqz(&["steady", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--verify-gap") && out.contains("a few dozen extra solves"),
        "{out}"
    );
}

/// Issue 23 (progress): a two-level solve reports its Krylov steps and residual against the
/// target on stderr (log lines, stderr is not a terminal here) every `--progress-every` seconds;
/// `--quiet` silences it; a bad period is refused with the allowed range.
#[test]
fn steady_reports_progress_in_a_batch_log_and_quiet_silences_it() {
    let args = [
        "steady",
        "--model",
        "full",
        "--n",
        "8",
        "--r",
        "0.5",
        "--w",
        "0.5pi",
        "--seed",
        "2021",
        "--config",
        "6",
        "--json",
        "--progress-every",
        "0.1",
    ];
    let (code, out, err) = sqz(&args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("sqz steady (N = 8):") && l.contains("Krylov step"))
        .collect();
    assert!(!lines.is_empty(), "no progress line in: {err}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("relative residual") && l.contains("target")),
        "{lines:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "converged", "{v}");
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let (code, _, err) = sqz(&quiet);
    assert_eq!(code, 0);
    assert!(!err.contains("Krylov step"), "{err}");
    let mut bad = args.to_vec();
    let last = bad.len() - 1;
    bad[last] = "0";
    let (code, _, err) = sqz(&bad);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--progress-every 0") && err.contains("> 0"),
        "{err}"
    );
}
