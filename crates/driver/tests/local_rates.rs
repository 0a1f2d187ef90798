//! Issue 17, item 1: local loss and dephasing in the full model through the command line and the
//! studies. `sqz steady --model full` with rates against a dense null-space solve of a Lindbladian
//! built from explicit Kronecker products (the shared reference `sqz_testkit::dense_lindblad`,
//! checked against the assembly in `crates/superop/tests/local_rates.rs`); r = 0
//! with loss gives all TLS in |g>; the N = 6 full-space solve at ideal positions equals the
//! permutational model; `sqz evolve --model full` takes the rates; studies record them, validate
//! them and refuse a resume with other rates.

mod common;

use common::{dir, disorder, disorder_ok, f64s, json, s, sqz, write};
use sqz_testkit::dense_lindblad;

/// `sqz steady --model full ... --json` with the rates.
fn steady_full(n: &str, r: &str, w: &str, gl: &str, gd: &str) -> serde_json::Value {
    json(&[
        "steady",
        "--model",
        "full",
        "--n",
        n,
        "--r",
        r,
        "--w",
        w,
        "--seed",
        "1",
        "--gamma-loss",
        gl,
        "--gamma-deph",
        gd,
        "--json",
    ])
}

#[test]
fn cli_steady_with_local_rates_equals_the_dense_kronecker_reference() {
    for (n, w, gl, gd) in [
        (4usize, "0.1pi", 0.05, 0.0),
        (4, "0.1pi", 0.0, 0.1),
        (4, "0", 0.05, 0.0),
        (5, "0.1pi", 0.05, 0.02),
    ] {
        let v = steady_full(&n.to_string(), "0.5", w, &gl.to_string(), &gd.to_string());
        assert_eq!(v["gamma_loss"], gl, "{v}");
        assert_eq!(v["gamma_deph"], gd, "{v}");
        assert_eq!(v["method"], "dense-hermitian-lu", "{v}");
        assert_eq!(v["null_dim"], 1, "{v}");
        let z = f64s(&v["positions"]);
        let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0)
            .unwrap()
            .with_local_rates(gl, gd)
            .unwrap();
        let l = dense_lindblad::eq3_reference(&p, &z);
        let x = dense_lindblad::null_space_state(&l);
        assert!(dense_lindblad::residual(&l, &x) < 1e-12);
        let sq = sqz_superop::observables::moments(&x).squeezing().unwrap();
        let got = v["inv_xi2"].as_f64().unwrap();
        assert!(
            (got - sq.inv_xi2).abs() < 1e-9,
            "N = {n}, w = {w}, rates ({gl}, {gd}): 1/xi^2 {got} vs reference {}",
            sq.inv_xi2
        );
        let mean = f64s(&v["mean_spin"]);
        let m = sqz_superop::observables::moments(&x).mean;
        for k in 0..3 {
            assert!((mean[k] - m[k]).abs() < 1e-9, "N = {n}: <S_{k}>");
        }
        // the bound is the dense solve's (gap of the operator with the rates)
        assert!(v["error_bound"].as_f64().unwrap() < 1e-8, "{v}");
    }
}

/// r = 0 with local loss only: the vacuum bath and the loss leave every TLS in |g>:
/// `<S^z> = -N/2` and `1/xi^2 = 1` (N = 4 dense, N = 6 iterative).
#[test]
fn local_loss_at_r_0_leaves_all_tls_in_the_ground_state() {
    for n in [4usize, 6] {
        let v = steady_full(&n.to_string(), "0", "0.1pi", "0.3", "0");
        let mean = f64s(&v["mean_spin"]);
        assert!((mean[2] + n as f64 / 2.0).abs() < 1e-9, "N = {n}: {v}");
        assert!(mean[0].abs() < 1e-9 && mean[1].abs() < 1e-9, "{v}");
        assert!((v["inv_xi2"].as_f64().unwrap() - 1.0).abs() < 1e-8, "{v}");
    }
}

/// At ideal positions the full model equals the permutational one (N <= 6); with local loss the
/// steady state is unique, so the full-space solve takes no collective reduction.
#[test]
fn full_space_n_6_with_rates_equals_the_permutational_model_at_ideal_positions() {
    let n = 6;
    for (gl, gd) in [(0.05, 0.0), (0.02, 0.05)] {
        let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0)
            .unwrap()
            .with_local_rates(gl, gd)
            .unwrap();
        let z = sqz_model::positions::ideal(n);
        let rep = sqz_steady::solve(&p, &z, &Default::default()).unwrap();
        assert_eq!(rep.method, sqz_steady::Method::GmresJacobi);
        assert_eq!(rep.null_dim, 1);
        let m = sqz_superop::observables::moments_parity(&rep.rho_block);
        let full = m.squeezing().unwrap().inv_xi2;
        let s = sqz_steady::permutational::solve(
            &p,
            &sqz_steady::SteadyParams {
                perm_solver: sqz_steady::permutational::PermSolver::Direct,
                estimate_gap: false,
                ..Default::default()
            },
        )
        .unwrap();
        let perm = s.squeezing().unwrap().inv_xi2;
        let pm = sqz_permutational::state::moments(&s.details.basis, &s.rho_block);
        let dm: f64 = (0..3).map(|k| (m.mean[k] - pm.mean[k]).abs()).sum();
        assert!(
            (full - perm).abs() < 1e-8 && dm < 1e-8,
            "rates ({gl}, {gd}): full {full} vs permutational {perm}, <S> {dm:e}"
        );
    }
}

#[test]
fn evolve_full_takes_the_rates_and_collective_refuses_them() {
    let v = json(&[
        "evolve",
        "--model",
        "full",
        "--n",
        "3",
        "--r",
        "0.5",
        "--w",
        "0.1pi",
        "--gamma-loss",
        "0.2",
        "--gamma-deph",
        "0.1",
        "--t-max",
        "1",
        "--steps",
        "2",
        "--json",
    ]);
    assert_eq!(v["gamma_loss"], 0.2, "{v}");
    assert_eq!(v["gamma_deph"], 0.1, "{v}");
    let (code, _, err) = sqz(&[
        "evolve",
        "--model",
        "collective",
        "--n",
        "3",
        "--r",
        "0.5",
        "--gamma-loss",
        "0.2",
        "--t-max",
        "1",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("0.2") && err.contains("permutational"),
        "{err}"
    );
}

const STUDY: &str =
    "n = 4\nr = 0.5\nw = [\"0.1pi\"]\nconfigurations = 2\nseed = 1\ngamma_loss = 0.1\n";

#[test]
fn a_study_with_local_rates_records_them_and_refuses_a_resume_with_others() {
    let d = dir("rates");
    let p = write(&d, "rates.toml", STUDY);
    let out = d.join("rates.h5");
    disorder_ok(&p, &out, &["--quiet"]);
    let f = hdf5::File::open(&out).unwrap();
    let attr = |k: &str| f.attr(k).unwrap().read_scalar::<f64>().unwrap();
    assert_eq!(attr("gamma_loss"), 0.1);
    assert_eq!(attr("gamma_deph"), 0.0);
    let inv: Vec<f64> = f.dataset("steady/inv_xi2").unwrap().read_raw().unwrap();
    let mean: Vec<f64> = f
        .dataset("summary/inv_xi2_mean")
        .unwrap()
        .read_raw()
        .unwrap();
    drop(f);
    let mut cli = Vec::new();
    for c in ["0", "1"] {
        let v = json(&[
            "steady",
            "--model",
            "full",
            "--n",
            "4",
            "--r",
            "0.5",
            "--w",
            "0.1pi",
            "--seed",
            "1",
            "--config",
            c,
            "--gamma-loss",
            "0.1",
            "--json",
        ]);
        cli.push(v["inv_xi2"].as_f64().unwrap());
    }
    for k in 0..2 {
        assert!((inv[k] - cli[k]).abs() < 1e-12, "{inv:?} vs {cli:?}");
    }
    assert!((mean[0] - 0.5 * (cli[0] + cli[1])).abs() < 1e-12);
    // another rate is another study
    let other = write(&d, "other.toml", &STUDY.replace("0.1\n", "0.2\n"));
    let (code, _, err) = disorder(&other, &out, &["--quiet"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("different study"), "{err}");
    // a bad rate names the key and the range
    let bad = write(&d, "bad.toml", &STUDY.replace("0.1\n", "-1\n"));
    let (code, _, err) = disorder(&bad, &d.join("bad.h5"), &["--quiet"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("gamma_loss") && err.contains("-1") && err.contains("0 <= gamma <= 1e6"),
        "{err}"
    );
}

/// A file written before the rates existed (no `gamma_loss`/`gamma_deph` attributes) resumes as
/// rates 0: a study without rates keeps its hash.
#[test]
fn a_file_without_rate_attributes_resumes_as_rates_0() {
    let d = dir("old");
    let text = "n = 4\nr = 0.5\nw = [\"0.1pi\"]\nconfigurations = 4\nseed = 3\n";
    let p = write(&d, "old.toml", text);
    let out = d.join("old.h5");
    let (code, _, err) = disorder(&p, &out, &["--threads", "1", "--stop-after", "2"]);
    assert_eq!(code, 75, "{err}");
    {
        let f = hdf5::File::open_rw(&out).unwrap();
        assert_eq!(
            f.attr("gamma_loss").unwrap().read_scalar::<f64>().unwrap(),
            0.0
        );
        f.delete_attr("gamma_loss").unwrap();
        f.delete_attr("gamma_deph").unwrap();
    }
    disorder_ok(&p, &out, &["--quiet"]);
    let st = json(&["disorder", "status", "--json", s(&out)]);
    assert_eq!(st["done"], 4, "{st}");
    let with = write(
        &d,
        "zero.toml",
        &format!("{text}gamma_loss = 0\ngamma_deph = 0\n"),
    );
    disorder_ok(&with, &out, &["--quiet"]);
}
