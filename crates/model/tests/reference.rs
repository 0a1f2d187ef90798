//! Eq. 8 (analytic) against Eq. 7 (sparse null vector) and against QuTiP fixtures computed by
//! `scripts/fixtures/make_fixtures.py`.

use faer::Mat;
use serde_json::Value;
use sqz_model::{analytic, collective, observables, Params, C64};

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../fixtures/qutip/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn dense(v: &Value) -> Mat<C64> {
    let (r, c) = (
        v["dim"][0].as_u64().unwrap() as usize,
        v["dim"][1].as_u64().unwrap() as usize,
    );
    let re = v["re"].as_array().unwrap();
    let im = v["im"].as_array().unwrap();
    Mat::from_fn(r, c, |i, j| {
        C64::new(
            re[i * c + j].as_f64().unwrap(),
            im[i * c + j].as_f64().unwrap(),
        )
    })
}

fn max_diff(a: &Mat<C64>, b: &Mat<C64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut m: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).norm());
        }
    }
    m
}

/// Eq. 8 equals the Eq. 7 null vector to 1e-10 (max element of rho) for N = 1..40 over a grid
/// of r, alpha, Delta (each N sees four of the grid points, cycling through all of them).
#[test]
fn analytic_equals_null_vector_n1_to_40() {
    let rs = [0.02, 0.3, 0.8, 1.5, 2.5];
    let alphas = [0.5, -1.3, 2.9];
    let deltas = [1.0, 0.25, 0.0, 4.0];
    let mut grid = Vec::new();
    for &r in &rs {
        for &a in &alphas {
            for &d in &deltas {
                grid.push((r, a, d));
            }
        }
    }
    let mut worst: f64 = 0.0;
    for n in 1..=40usize {
        for k in 0..4 {
            let (r, a, d) = grid[(n * 4 + k * 7) % grid.len()];
            let p = Params::new(n, r, a, d).unwrap();
            let an = analytic::steady_state(&p).unwrap().rho();
            let nv = collective::steady_state(&p, faer::Par::Seq).unwrap();
            let diff = max_diff(&an, &nv.rho);
            worst = worst.max(diff);
            assert!(
                diff < 1e-10,
                "N={n} r={r} alpha={a} delta={d}: max |rho_8 - rho_7| = {diff:e}"
            );
            assert!(nv.residual < 1e-10, "residual {}", nv.residual);
            // the factored moments equal the moments of the formed rho
            let m1 = analytic::steady_state(&p).unwrap().moments();
            let m2 = observables::moments(&an);
            for i in 0..3 {
                assert!((m1.mean[i] - m2.mean[i]).abs() < 1e-10 * (1.0 + n as f64));
            }
        }
    }
    eprintln!("worst max |rho_8 - rho_7| over N = 1..40: {worst:e}");
}

/// Large N: the two agree in rho and in xi^2.
#[test]
fn analytic_equals_null_vector_large_n() {
    for &(n, r) in &[(120, 1.2), (200, 0.4), (200, 1.9)] {
        let p = Params::new(n, r, 0.5, 1.0).unwrap();
        let an = analytic::steady_state(&p).unwrap();
        let nv = collective::steady_state(&p, faer::Par::Seq).unwrap();
        let diff = max_diff(&an.rho(), &nv.rho);
        assert!(diff < 1e-10, "N={n} r={r}: {diff:e}");
        let x1 = an.moments().squeezing().unwrap().xi2;
        let x2 = observables::moments(&nv.rho).squeezing().unwrap().xi2;
        assert!((x1 - x2).abs() < 1e-9 * x2, "N={n} r={r}: xi2 {x1} vs {x2}");
    }
}

/// The QuTiP steady states of Eq. 7 (scripts/fixtures/make_fixtures.py).
#[test]
fn qutip_collective_steady_states() {
    let f = fixture("collective_steady.json");
    let cases = f["cases"].as_array().unwrap();
    assert!(cases.len() >= 18);
    for c in cases {
        let n = c["N"].as_u64().unwrap() as usize;
        let (r, a, d) = (
            c["r"].as_f64().unwrap(),
            c["alpha"].as_f64().unwrap(),
            c["delta"].as_f64().unwrap(),
        );
        let p = Params::new(n, r, a, d).unwrap();
        let want = dense(&c["rho"]);
        let an = analytic::steady_state(&p).unwrap();
        let nv = collective::steady_state(&p, faer::Par::Seq).unwrap();
        assert!(
            max_diff(&an.rho(), &want) < 1e-10,
            "N={n} r={r}: Eq. 8 vs QuTiP"
        );
        assert!(
            max_diff(&nv.rho, &want) < 1e-10,
            "N={n} r={r}: Eq. 7 vs QuTiP"
        );
        let sq = an.moments().squeezing().unwrap();
        let xi2 = c["xi2"].as_f64().unwrap();
        assert!(
            (sq.xi2 - xi2).abs() < 1e-9 * xi2,
            "N={n} r={r}: xi2 {} vs {xi2}",
            sq.xi2
        );
        for i in 0..3 {
            let m = c["mean_spin"][i].as_f64().unwrap();
            assert!((sq.mean_spin[i] - m).abs() < 1e-10, "mean spin {i}");
        }
    }
}

/// The Eq. 7 Liouvillian itself equals QuTiP's, entry by entry.
#[test]
fn qutip_collective_liouvillian() {
    let f = fixture("collective_liouvillian.json");
    for c in f["cases"].as_array().unwrap() {
        let n = c["N"].as_u64().unwrap() as usize;
        let p = Params::new(
            n,
            c["r"].as_f64().unwrap(),
            c["alpha"].as_f64().unwrap(),
            c["delta"].as_f64().unwrap(),
        )
        .unwrap();
        let l = &c["liouvillian"];
        let d2 = (n + 1) * (n + 1);
        let mut want = vec![C64::default(); d2 * d2];
        let nnz = l["nnz"].as_u64().unwrap() as usize;
        for k in 0..nnz {
            let (i, j) = (
                l["row"][k].as_u64().unwrap() as usize,
                l["col"][k].as_u64().unwrap() as usize,
            );
            want[i * d2 + j] +=
                C64::new(l["re"][k].as_f64().unwrap(), l["im"][k].as_f64().unwrap());
        }
        let mut got = vec![C64::default(); d2 * d2];
        for (i, j, v) in collective::liouvillian_triplets(&p) {
            got[i * d2 + j] += v;
        }
        let diff = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(diff < 1e-12, "N={n}: max |L - L_qutip| = {diff:e}");
    }
}

/// Bad inputs give errors that name the value and the range, never NaN.
#[test]
fn bad_inputs_and_limits() {
    assert!(Params::new(5, f64::NAN, 0.5, 1.0)
        .unwrap_err()
        .to_string()
        .contains("NaN"));
    // r -> 0 and Delta -> 0 limits stay finite and agree with the null vector
    for &(n, r, d) in &[(8, 1e-7, 1.0), (8, 0.6, 0.0), (9, 0.6, 0.0), (8, 0.6, 1e-9)] {
        let p = Params::new(n, r, 0.5, d).unwrap();
        let an = analytic::steady_state(&p).unwrap().rho();
        let nv = collective::steady_state(&p, faer::Par::Seq).unwrap();
        assert!(max_diff(&an, &nv.rho) < 1e-9, "N={n} r={r} delta={d}");
    }
}
