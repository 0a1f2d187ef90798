//! `--model permutational` of `sqz steady` and `sqz evolve` (local loss and dephasing), and the
//! validation of `--gamma-loss` / `--gamma-deph` for every model.

mod common;

use common::{json, sqz};

/// The issue's example at a CI-sized N (sparse LU): 1/xi^2 with a bound, the method and the time.
#[test]
fn steady_reports_inv_xi2_with_a_bound_method_and_time() {
    let v = json(&[
        "steady",
        "--model",
        "permutational",
        "--n",
        "30",
        "--r",
        "1.14",
        "--gamma-loss",
        "0.05",
        "--json",
    ]);
    for k in [
        "inv_xi2",
        "inv_xi2_bound",
        "error_bound",
        "gap",
        "residual",
        "method",
        "time_s",
        "symmetric_population",
        "beta",
        "dim",
    ] {
        assert!(v.get(k).is_some(), "missing {k}: {v}");
    }
    assert_eq!(v["model"], "permutational");
    assert_eq!(v["method"], "sparse-lu");
    assert_eq!(v["bound_met"], true);
    // the same certificate fields as `--model full` (issue 21): one Outcome for every model
    assert_eq!(v["outcome"], "converged");
    assert_eq!(v["null_dim"], 1);
    assert!((v["beta"].as_f64().unwrap() - 1.0 / 1.05).abs() < 1e-15);
    let b = v["inv_xi2_bound"].as_f64().unwrap();
    assert!(b > 0.0 && b < 1e-6, "{v}");
    let sym = v["symmetric_population"].as_f64().unwrap();
    assert!(sym > 0.0 && sym < 1.0);
}

/// Above the direct-solver size the two-level GMRES is used, and it agrees with the LU.
#[test]
fn steady_two_level_agrees_with_the_lu_at_n_60() {
    let v = json(&[
        "steady",
        "--model",
        "permutational",
        "--n",
        "60",
        "--r",
        "0.9",
        "--gamma-loss",
        "0.1",
        "--gamma-deph",
        "0.02",
        "--json",
    ]);
    assert_eq!(v["method"], "gmres-two-level");
    assert_eq!(v["bound_met"], true);
    let p = sqz_model::Params::new(60, 0.9, 0.5, 1.0)
        .unwrap()
        .with_local_rates(0.1, 0.02)
        .unwrap();
    let s = sqz_steady::permutational::solve(
        &p,
        &sqz_steady::SteadyParams {
            perm_solver: sqz_steady::permutational::PermSolver::Direct,
            estimate_gap: false,
            ..Default::default()
        },
    )
    .unwrap();
    let want = s.squeezing().unwrap().inv_xi2;
    assert!(
        (v["inv_xi2"].as_f64().unwrap() - want).abs() < 1e-9,
        "{v} vs {want}"
    );
}

/// Without local rates the permutational model reports the J = N/2 state, i.e. Eq. 8.
#[test]
fn steady_without_rates_is_eq8() {
    let v = json(&[
        "steady",
        "--model",
        "permutational",
        "--n",
        "20",
        "--r",
        "0.7",
        "--json",
    ]);
    let a = json(&["analytic", "--n", "20", "--r", "0.7", "--json"]);
    assert_eq!(v["method"], "symmetric-subspace-lu");
    assert!((v["inv_xi2"].as_f64().unwrap() - a["inv_xi2"].as_f64().unwrap()).abs() < 1e-10);
    assert_eq!(v["symmetric_population"].as_f64().unwrap(), 1.0);
    assert!(v["notes"][0].as_str().unwrap().contains("degenerate"));
    // one steady state per J block (J = 10, 9, .., 0), as the full model's ideal positions
    assert_eq!(v["outcome"], "degenerate");
    assert_eq!(v["null_dim"], 11);
}

/// `sqz evolve --model permutational`: trace kept, relaxation towards the steady state, the
/// symmetric weight leaks out of J = N/2 under local loss.
#[test]
fn evolve_runs_and_approaches_the_steady_state() {
    let rates = [
        "--model",
        "permutational",
        "--n",
        "12",
        "--r",
        "0.6",
        "--gamma-loss",
        "0.2",
        "--gamma-deph",
        "0.1",
        "--json",
    ];
    let v = json(&[&["evolve", "--times", "0,1,200"][..], &rates].concat());
    let s = json(&[&["steady"][..], &rates].concat());
    let tr = v["trace"].as_array().unwrap();
    assert!(tr.iter().all(|x| (x.as_f64().unwrap() - 1.0).abs() < 1e-10));
    let inv = v["inv_xi2"].as_array().unwrap();
    assert!((inv[0].as_f64().unwrap() - 1.0).abs() < 1e-12); // the ground state
    let last = inv[2].as_f64().unwrap();
    assert!(
        (last - s["inv_xi2"].as_f64().unwrap()).abs() < 1e-6,
        "{last} vs {s}"
    );
    let sym = v["symmetric_population"].as_array().unwrap();
    assert_eq!(sym[0].as_f64().unwrap(), 1.0);
    assert!(sym[2].as_f64().unwrap() < 0.99);
    assert_eq!(v["sector"], "even");
    // a coherent state needs both sectors
    let c = json(&[
        "evolve",
        "--model",
        "permutational",
        "--n",
        "6",
        "--r",
        "0.3",
        "--gamma-deph",
        "0.1",
        "--init",
        "product:0.5pi,0",
        "--times",
        "0,0.5",
        "--json",
    ]);
    assert_eq!(c["sector"], "all");
    let ms = c["mean_spin"][0].as_array().unwrap();
    assert!((ms[0].as_f64().unwrap() - 3.0).abs() < 1e-12);
}

/// Bad rates name the flag, the value and the range; collective/full refuse nonzero rates.
#[test]
fn local_rates_are_validated() {
    for (flag, val) in [
        ("--gamma-loss", "-0.1"),
        ("--gamma-deph", "nan"),
        ("--gamma-loss", "1e7"),
        ("--gamma-deph", "inf"),
        ("--gamma-loss", "x"),
    ] {
        let (code, _, err) = sqz(&[
            "steady",
            "--model",
            "permutational",
            "--n",
            "4",
            "--r",
            "0.5",
            flag,
            val,
        ]);
        assert_eq!(code, 2, "{flag} {val}: {err}");
        // clap's error names the flag and the value, the parser the range
        assert!(
            err.contains(flag) && err.contains(val) && err.contains("0 <= gamma <= 1e6"),
            "{flag} {val}: {err}"
        );
    }
    // collective refuses local rates, full (issue 17) takes them
    for model in ["collective", "full"] {
        for cmd in ["steady", "evolve"] {
            let mut args = vec![
                cmd,
                "--model",
                model,
                "--n",
                "3",
                "--r",
                "0.5",
                "--gamma-loss",
                "0.1",
            ];
            if cmd == "evolve" {
                args.extend(["--t-max", "1"]);
            }
            let (code, _, err) = sqz(&args);
            if model == "full" {
                // issue 17, item 1: the full model has the local rates
                assert_eq!(code, 0, "{args:?}: {err}");
                continue;
            }
            assert_eq!(code, 2, "{args:?}");
            assert!(
                err.contains("collective model (Eq. 7) has no local rates")
                    && err.contains("--model permutational"),
                "{args:?}: {err}"
            );
        }
        // zero rates keep the existing models working
        let (code, _, err) = sqz(&[
            "steady",
            "--model",
            model,
            "--n",
            "3",
            "--r",
            "0.5",
            "--gamma-loss",
            "0",
        ]);
        assert_eq!(code, 0, "{model}: {err}");
    }
    let (code, _, err) = sqz(&[
        "steady",
        "--model",
        "permutational",
        "--n",
        "4",
        "--r",
        "0.5",
        "--w",
        "0.1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("ideal positions"), "{err}");
    let (code, _, err) = sqz(&[
        "steady",
        "--model",
        "permutational",
        "--n",
        "401",
        "--r",
        "0.5",
        "--gamma-loss",
        "0.1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("401") && err.contains("400"), "{err}");
}

/// Issue 17, items 1 and 2: the full `4^N` model with local rates (the CSR assembly of
/// `sqz_superop`, sparse LU with refinement, and `sqz_steady::solve`) and the permutational model
/// agree at ideal positions, N = 4, 5; two independent constructions of the local terms.
#[test]
fn full_space_csr_with_local_rates_equals_the_permutational_model() {
    for n in [4usize, 5] {
        for (gl, gd) in [(0.2, 0.0), (0.0, 0.3), (0.1, 0.3)] {
            let p = sqz_model::Params::new(n, 0.7, 0.5, 1.0)
                .unwrap()
                .with_local_rates(gl, gd)
                .unwrap();
            let z = sqz_model::positions::ideal(n);
            // the production solver: dense, also for dephasing alone at ideal positions (its
            // steady state is unique: the LU is not singular; before issue 22 it was refused)
            let r = sqz_steady::solve(&p, &z, &Default::default()).unwrap();
            assert_eq!(r.method, sqz_steady::Method::DenseHermitian);
            let prod = sqz_superop::observables::moments_parity(&r.rho_block);
            let rho =
                sqz_steady::sparse_direct::solve_sparse_refined(&p, &z, faer::Par::Seq).unwrap();
            let m = sqz_superop::observables::moments(&rho);
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
            let x = prod.squeezing().unwrap().inv_xi2;
            assert!((x - perm).abs() < 1e-9, "N = {n}: solve {x} vs {perm}");
            assert!(
                (full - perm).abs() < 1e-9 && dm < 1e-9,
                "N = {n}, rates ({gl}, {gd}): full {full} vs permutational {perm}, <S> {dm:e}"
            );
        }
    }
}
