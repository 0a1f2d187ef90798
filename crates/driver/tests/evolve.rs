//! End-to-end tests of `sqz evolve` (issue 5): QuTiP `mesolve` fixtures (Eq. 3 with disorder,
//! Eq. 7), collective vs full model at ideal positions, long-time limits against steady states,
//! trace conservation, HDF5 output and the Husimi Q.

mod common;
use common::{collective_steady, f64s, json, max_abs_diff, sqz};
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let p = root().join("fixtures/qutip").join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fixture")).expect("fixture JSON")
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:?}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn spins(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().flat_map(f64s).collect()
}

fn trace_drift(v: &Value) -> f64 {
    let t = f64s(&v["trace"]);
    max_abs_diff(&t, &vec![1.0; t.len()])
}

/// Eq. 3 with disorder (w = 0.3 pi), N = 3 and 4, from all ground: 1/xi^2 and the mean spin at
/// t = 0..20 (step 0.5) and 200 against QuTiP's mesolve (atol 1e-12, rtol 1e-10).
#[test]
fn full_model_matches_qutip_mesolve_n3_n4() {
    for n in [3, 4] {
        let f = fixture(&format!("full_evolve_N{n}.json"));
        let t = f64s(&f["t"]);
        let z = f64s(&f["positions"]);
        let v = json(&[
            "evolve",
            "--model",
            "full",
            "--n",
            &n.to_string(),
            "--r",
            &f["r"].to_string(),
            "--alpha",
            &f["alpha"].to_string(),
            "--delta",
            &f["delta"].to_string(),
            &format!("--positions={}", list(&z)),
            "--times",
            &list(&t),
            "--json",
        ]);
        assert_eq!(f64s(&v["t"]), t);
        let d = max_abs_diff(&f64s(&v["inv_xi2"]), &f64s(&f["inv_xi2"]));
        assert!(d < 1e-6, "N = {n}: max |1/xi^2 - QuTiP| = {d:e}");
        let ds = max_abs_diff(&spins(&v["mean_spin"]), &spins(&f["mean_spin"]));
        assert!(ds < 1e-6, "N = {n}: mean spin differs by {ds:e}");
        let tr = trace_drift(&v);
        assert!(tr < 1e-12, "N = {n}: trace drift {tr:e}");
        assert_eq!(v["operator"], "parity-block matrix-free (Eq. 3)");
    }
}

/// Eq. 7, N = 10, from |j,-j> and from |j,0> against QuTiP; xi^2 is null where |<S>| = 0.
#[test]
fn collective_model_matches_qutip_mesolve_n10() {
    let f = fixture("collective_evolve.json");
    let t = f64s(&f["t"]);
    for run in f["runs"].as_array().unwrap() {
        let m = run["initial_m"].as_f64().unwrap();
        let v = json(&[
            "evolve",
            "--n",
            "10",
            "--r",
            &f["r"].to_string(),
            "--init",
            &format!("dicke:{m}"),
            "--times",
            &list(&t),
            "--json",
        ]);
        let d = max_abs_diff(&f64s(&v["inv_xi2"]), &f64s(&run["inv_xi2"]));
        assert!(d < 1e-6, "m = {m}: max |1/xi^2 - QuTiP| = {d:e}");
        let ds = max_abs_diff(&spins(&v["mean_spin"]), &spins(&run["mean_spin"]));
        assert!(ds < 1e-6, "m = {m}: mean spin differs by {ds:e}");
        for (k, (a, b)) in v["xi2"]
            .as_array()
            .unwrap()
            .iter()
            .zip(run["xi2"].as_array().unwrap())
            .enumerate()
        {
            assert_eq!(a.is_null(), b.is_null(), "m = {m}, t[{k}]: {a} vs {b}");
            if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
                assert!(
                    (x - y).abs() < 1e-6 * y.max(1.0),
                    "m = {m}, t[{k}]: {x} vs {y}"
                );
            }
        }
        let tr = trace_drift(&v);
        assert!(tr < 1e-12, "m = {m}: trace drift {tr:e}");
    }
}

/// Ideal positions: the full model (Eq. 3 in the parity block, or the whole space for a product
/// state that mixes parities) equals the collective model (Eq. 7) from |j,-j>, |j,m> and a spin
/// coherent state.
#[test]
fn full_equals_collective_at_ideal_positions() {
    let common = [
        "--n", "4", "--r", "0.6", "--alpha", "0.3", "--t-max", "6", "--steps", "24", "--json",
    ];
    for init in ["ground", "dicke:-1", "dicke:1", "product:0.7pi,0.4"] {
        let mut a = vec!["evolve", "--model", "collective", "--init", init];
        a.extend_from_slice(&common);
        let c = json(&a);
        let mut b = vec!["evolve", "--model", "full", "--init", init];
        b.extend_from_slice(&common);
        let f = json(&b);
        let d = max_abs_diff(&f64s(&c["inv_xi2"]), &f64s(&f["inv_xi2"]));
        assert!(
            d < 1e-8,
            "{init}: 1/xi^2 collective vs full differ by {d:e}"
        );
        let ds = max_abs_diff(&spins(&c["mean_spin"]), &spins(&f["mean_spin"]));
        assert!(ds < 1e-8, "{init}: mean spin differs by {ds:e}");
        assert!(trace_drift(&c) < 1e-12 && trace_drift(&f) < 1e-12, "{init}");
        if init.starts_with("product") {
            assert_eq!(f["operator"], "full matrix-free (Eq. 3)");
        } else {
            assert_eq!(f["operator"], "parity-block matrix-free (Eq. 3)");
        }
    }
}

/// Long-time limit, collective model: from |j,-j> and from |j,1>, t = 200 gives the Eq. 8 /
/// Eq. 7 steady state (unique in the symmetric subspace).
#[test]
fn collective_long_time_limit_is_the_steady_state() {
    let a = json(&["analytic", "--n", "6", "--r", "0.5", "--json"]);
    let s = collective_steady("6", "0.5");
    for init in ["ground", "dicke:1"] {
        let e = json(&[
            "evolve", "--n", "6", "--r", "0.5", "--init", init, "--times", "200", "--json",
        ]);
        let x = e["inv_xi2"][0].as_f64().unwrap();
        for (name, r) in [("Eq. 8", &a), ("Eq. 7 null vector", &s)] {
            let y = r["inv_xi2"].as_f64().unwrap();
            assert!((x - y).abs() < 1e-8, "{init}: evolve {x} vs {name} {y}");
            let ds = max_abs_diff(&spins(&e["mean_spin"]), &f64s(&r["mean_spin"]));
            assert!(ds < 1e-8, "{init}: mean spin vs {name}: {ds:e}");
        }
    }
}

/// Long-time limit, full model with disorder (N = 3, w = 0.3 pi): the slowest rate is 0.0148 A,
/// so t = 3000 is converged to e^-44; compare with QuTiP's steadystate and with
/// `sqz steady --model full`. (t = 200, the last time of the mesolve fixture, is not converged.)
#[test]
fn full_long_time_limit_is_the_steady_state() {
    let f = fixture("full_steady_N3.json");
    let case = &f["cases"][0];
    assert!((case["w_over_pi"].as_f64().unwrap() - 0.3).abs() < 1e-12);
    let z = format!("--positions={}", list(&f64s(&case["positions"])));
    let e = json(&[
        "evolve", "--model", "full", "--n", "3", "--r", "0.5", &z, "--times", "200,3000", "--json",
    ]);
    let s = json(&[
        "steady", "--model", "full", "--n", "3", "--r", "0.5", &z, "--json",
    ]);
    let x = f64s(&e["inv_xi2"]);
    let want = case["inv_xi2"].as_f64().unwrap();
    assert!(
        (x[0] - want).abs() > 1e-3,
        "t = 200 should not be converged yet"
    );
    assert!(
        (x[1] - want).abs() < 1e-9,
        "t = 3000: {} vs QuTiP {want}",
        x[1]
    );
    let y = s["inv_xi2"].as_f64().unwrap();
    assert!(
        (x[1] - y).abs() < 1e-9,
        "t = 3000: {} vs sqz steady {y}",
        x[1]
    );
    let spin = &e["mean_spin"].as_array().unwrap()[1];
    let ds = max_abs_diff(&f64s(spin), &f64s(&case["mean_spin"]));
    assert!(ds < 1e-9, "mean spin vs QuTiP: {ds:e}");
    assert!(trace_drift(&e) < 1e-11, "trace drift {:e}", trace_drift(&e));
}

/// Ideal positions, full model from all ground: the long-time state is the collective steady
/// state (the dynamics never leaves the symmetric subspace although the full Liouvillian has a
/// C_N-dimensional null space).
#[test]
fn full_ideal_long_time_limit_is_the_collective_steady_state() {
    let a = json(&["analytic", "--n", "4", "--r", "0.5", "--json"]);
    let e = json(&[
        "evolve", "--model", "full", "--n", "4", "--r", "0.5", "--times", "300", "--json",
    ]);
    let (x, y) = (
        e["inv_xi2"][0].as_f64().unwrap(),
        a["inv_xi2"].as_f64().unwrap(),
    );
    assert!((x - y).abs() < 1e-8, "full ideal t = 300: {x} vs Eq. 8 {y}");
}

#[test]
fn hdf5_output_has_parameters_mask_and_husimi() {
    let dir = std::env::temp_dir().join(format!("sqz-evolve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ev.h5");
    let k = 41;
    let v = json(&[
        "evolve",
        "--n",
        "20",
        "--r",
        "0.8",
        "--init",
        "dicke:0",
        "--times",
        "0,0.5,1",
        "--husimi-times",
        "0,1",
        "--husimi-grid",
        &k.to_string(),
        "--out",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert!(v["xi2"][0].is_null() && v["inv_xi2"][0].as_f64() == Some(0.0));
    let f = hdf5::File::open(&path).unwrap();
    let attr_f = |name: &str| f.attr(name).unwrap().read_scalar::<f64>().unwrap();
    let attr_u = |name: &str| f.attr(name).unwrap().read_scalar::<u64>().unwrap();
    assert_eq!(attr_u("n"), 20);
    assert_eq!(attr_f("r"), 0.8);
    assert_eq!(attr_f("alpha"), 0.5);
    assert_eq!(attr_f("delta"), 1.0);
    assert_eq!(attr_f("init_m"), 0.0);
    assert!(f.attr("code_version").is_ok() && f.attr("command_line").is_ok());
    let t = f.dataset("t").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(t, vec![0.0, 0.5, 1.0]);
    let xi2 = f.dataset("xi2").unwrap().read_raw::<f64>().unwrap();
    let mask = f.dataset("xi2_defined").unwrap().read_raw::<u8>().unwrap();
    assert_eq!(mask, vec![0, 1, 1]);
    assert!(xi2.iter().all(|x| x.is_finite()));
    assert_eq!(xi2[0], attr_f("xi2_fill_value"));
    let ms = f.dataset("mean_spin").unwrap();
    assert_eq!(ms.shape(), vec![3, 3]);
    let h = f.group("husimi").unwrap();
    let q = h.dataset("q").unwrap();
    assert_eq!(q.shape(), vec![2, k, k]);
    let q = q.read_raw::<f64>().unwrap();
    assert!(q.iter().all(|x| x.is_finite() && *x >= -1e-12));
    let def = h.dataset("axes_defined").unwrap().read_raw::<u8>().unwrap();
    assert_eq!(def, vec![0, 1], "|j,0> has no mean direction at t = 0");
    std::fs::remove_dir_all(&dir).ok();
}

/// The Husimi Q of |j,-j> seen along its mean spin is the coherent-state peak: (2j+1)/(4 pi) at
/// the centre, and it integrates to ~1 over the projected hemisphere (N = 20: the far side holds
/// 2^-21 of the weight).
#[test]
fn husimi_of_the_ground_state_is_centred_and_normalised() {
    let dir = std::env::temp_dir().join(format!("sqz-husimi-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("q.h5");
    let k = 201;
    let (code, _, err) = sqz(&[
        "evolve",
        "--n",
        "20",
        "--r",
        "0.8",
        "--times",
        "0",
        "--husimi-times",
        "0",
        "--husimi-grid",
        &k.to_string(),
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let f = hdf5::File::open(&path).unwrap();
    let h = f.group("husimi").unwrap();
    let q = h.dataset("q").unwrap().read_raw::<f64>().unwrap();
    let x = h.dataset("x1").unwrap().read_raw::<f64>().unwrap();
    let n = h.dataset("n").unwrap().read_raw::<f64>().unwrap();
    assert!((n[2] + 1.0).abs() < 1e-15, "mean spin along -z: {n:?}");
    let centre = q[(k / 2) * k + k / 2];
    let peak = 21.0 / (4.0 * std::f64::consts::PI);
    assert!((centre - peak).abs() < 1e-12, "{centre} vs {peak}");
    // integral over the hemisphere: dOmega = dx1 dx2 / sqrt(1 - x1^2 - x2^2)
    let dx = x[1] - x[0];
    let mut total = 0.0;
    for i in 0..k {
        for j in 0..k {
            let r2 = x[i] * x[i] + x[j] * x[j];
            if r2 < 1.0 {
                total += q[i * k + j] * dx * dx / (1.0 - r2).sqrt();
            }
        }
    }
    assert!((total - 1.0).abs() < 2e-3, "integral of Q = {total}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_inputs_are_errors_that_name_the_value() {
    let cases: &[(&[&str], &str)] = &[
        (&["evolve", "--n", "4", "--r", "0.5"], "--t-max"),
        (
            &["evolve", "--n", "4", "--r", "0.5", "--times", "1,0.5"],
            "non-decreasing",
        ),
        (
            &[
                "evolve", "--n", "4", "--r", "0.5", "--t-max", "1", "--init", "dicke:7",
            ],
            "dicke:7",
        ),
        (
            &[
                "evolve", "--n", "4", "--r", "0.5", "--t-max", "1", "--init", "up",
            ],
            "\"up\"",
        ),
        (
            &[
                "evolve", "--n", "4", "--r", "0.5", "--t-max", "1", "--w", "0.1pi",
            ],
            "--model full",
        ),
        (
            &[
                "evolve",
                "--n",
                "4",
                "--r",
                "0.5",
                "--t-max",
                "1",
                "--husimi-times",
                "1",
            ],
            "--out",
        ),
        (
            &[
                "evolve", "--model", "full", "--n", "30", "--r", "0.5", "--t-max", "1",
            ],
            "30",
        ),
        (&["evolve", "--n", "4", "--r", "0.5", "--t-max", "-1"], "-1"),
        (
            &[
                "evolve", "--n", "4", "--r", "0.5", "--t-max", "1", "--tol", "0",
            ],
            "--tol",
        ),
    ];
    for (args, needle) in cases {
        let (code, _, err) = sqz(args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("internal error"), "{args:?}: {err}");
    }
}

#[test]
fn text_output_is_a_table() {
    let (code, out, err) = sqz(&[
        "evolve", "--n", "3", "--r", "0.5", "--t-max", "1", "--steps", "4",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 5);
    assert!(err.is_empty(), "short runs print no progress: {err}");
}
