//! Full-space steady states of Eq. 3 against independent references: a dense complex LU of the
//! bordered full Liouvillian, the dense spectrum (gap), QuTiP fixtures, and Eq. 8 at ideal
//! positions.

use faer::linalg::solvers::Solve;
use faer::Mat;
use serde_json::Value;
use sqz_model::{positions, Params};
use sqz_steady::{solve, Method, SteadyParams, C64};
use sqz_superop::parity::{block_dim, block_index};
use std::f64::consts::PI;

/// Reference: dense complex LU of the full 4^N Liouvillian with row 0 replaced by the trace.
fn reference_rho(p: &Params, z: &[f64]) -> Vec<C64> {
    let n = p.n();
    let d = 1usize << n;
    let dd = d * d;
    let csr = sqz_superop::csr::assemble(p, z).unwrap();
    let mut a = Mat::<C64>::zeros(dd, dd);
    for (v, (r, c)) in csr.iter() {
        if r != 0 {
            a[(r, c)] += *v;
        }
    }
    for k in 0..d {
        a[(0, k * (d + 1))] = C64::new(1.0, 0.0);
    }
    let mut b = Mat::<C64>::zeros(dd, 1);
    b[(0, 0)] = C64::new(1.0, 0.0);
    a.partial_piv_lu().solve_in_place(b.as_mut());
    (0..dd).map(|i| b[(i, 0)]).collect()
}

/// Reference gap: smallest |Re lambda| over the nonzero eigenvalues of the dense parity block.
fn reference_gap(p: &Params, z: &[f64]) -> f64 {
    let n = p.n();
    let csr = sqz_superop::csr::assemble(p, z).unwrap();
    let blk = sqz_superop::csr::restrict_parity(&csr, n);
    let m = block_dim(n);
    let mut a = Mat::<C64>::zeros(m, m);
    for (v, (r, c)) in blk.iter() {
        a[(r, c)] += *v;
    }
    let mut ev = a.eigenvalues().unwrap();
    ev.sort_by(|x, y| x.norm().total_cmp(&y.norm()));
    ev[1..]
        .iter()
        .map(|l| l.re.abs())
        .fold(f64::INFINITY, f64::min)
}

fn max_diff_block(n: usize, xb: &[C64], full: &[C64]) -> f64 {
    let d = 1usize << n;
    let mut m: f64 = 0.0;
    for a in 0..d {
        for b in 0..d {
            let v = block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| xb[k]);
            m = m.max((v - full[a + d * b]).norm());
        }
    }
    m
}

/// Frobenius norm of `rho_block - rho_full` (the block vector embedded in the full space).
fn fro_diff_block(n: usize, xb: &[C64], full: &[C64]) -> f64 {
    let d = 1usize << n;
    let mut fro = 0.0;
    for a in 0..d {
        for b in 0..d {
            let v = block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| xb[k]);
            fro += (v - full[a + d * b]).norm_sqr();
        }
    }
    fro.sqrt()
}

fn inv_xi2_block(xb: &[C64]) -> f64 {
    sqz_superop::observables::moments_parity(xb)
        .squeezing()
        .unwrap()
        .inv_xi2
}

fn inv_xi2_full(x: &[C64]) -> f64 {
    sqz_superop::observables::moments(x)
        .squeezing()
        .unwrap()
        .inv_xi2
}

#[test]
fn dense_hermitian_matches_dense_complex_lu_n2_to_5() {
    for n in 2..=5usize {
        for (k, &w) in [0.01 * PI, 0.1 * PI, 0.3 * PI, 0.5 * PI].iter().enumerate() {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let z = positions::disordered(n, w, 7, k as u64).unwrap();
            let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
            assert_eq!(rep.method, Method::DenseHermitian);
            let want = reference_rho(&p, &z);
            let diff = max_diff_block(n, &rep.rho_block, &want);
            assert!(diff < 1e-8, "N={n} w={w}: max |rho - rho_ref| = {diff:e}");
            let (a, b) = (inv_xi2_block(&rep.rho_block), inv_xi2_full(&want));
            assert!((a - b).abs() < 1e-6, "N={n} w={w}: 1/xi2 {a} vs {b}");
            assert!(rep.min_eigenvalue > -1e-9);
            let tr: C64 = (0..1usize << n)
                .map(|a| rep.rho_block[block_index(n, a, a).unwrap()])
                .sum();
            assert!((tr.re - 1.0).abs() < 1e-12 && tr.im.abs() < 1e-14);
            let bound = rep.error_bound.unwrap();
            assert!(
                bound.is_finite() && bound < 1e-6,
                "N={n} w={w}: bound {bound:e}"
            );
        }
    }
}

#[test]
fn gap_estimate_matches_dense_spectrum() {
    for n in 2..=5usize {
        for (k, &w) in [0.01 * PI, 0.3 * PI].iter().enumerate() {
            let p = Params::new(n, 0.3, 0.5, 1.0).unwrap();
            let z = positions::disordered(n, w, 11, k as u64).unwrap();
            let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
            let g = rep.gap.unwrap();
            let want = reference_gap(&p, &z);
            assert!(
                (g - want).abs() <= 1e-6 * want,
                "N={n} w={w}: gap {g:e} vs dense {want:e}"
            );
        }
    }
}

#[test]
fn tiny_disorder_within_reported_bound() {
    for n in [3usize, 4, 5] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let z = positions::disordered(n, 0.001 * PI, 3, 0).unwrap();
        let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
        let want = reference_rho(&p, &z);
        let bound = rep.error_bound.unwrap();
        // the Frobenius error of either solve is about residual / gap
        let fro = fro_diff_block(n, &rep.rho_block, &want);
        assert!(
            fro <= 10.0 * bound.max(1e-12),
            "N={n}: |rho - ref| = {fro:e}, bound {bound:e}"
        );
        assert!(rep.gap.unwrap() < 1e-4, "the gap closes at small w");
    }
}

#[test]
fn qutip_full_steady_states() {
    for n in [3usize, 4] {
        let path = format!(
            "{}/../../fixtures/qutip/full_steady_N{n}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let f: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let p = Params::new(
            n,
            f["r"].as_f64().unwrap(),
            f["alpha"].as_f64().unwrap(),
            f["delta"].as_f64().unwrap(),
        )
        .unwrap();
        for c in f["cases"].as_array().unwrap() {
            let z: Vec<f64> = c["positions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
            let d = 1usize << n;
            let (re, im) = (
                c["rho"]["re"].as_array().unwrap(),
                c["rho"]["im"].as_array().unwrap(),
            );
            let mut diff: f64 = 0.0;
            for a in 0..d {
                for b in 0..d {
                    let want = C64::new(
                        re[a * d + b].as_f64().unwrap(),
                        im[a * d + b].as_f64().unwrap(),
                    );
                    let got = block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| rep.rho_block[k]);
                    diff = diff.max((got - want).norm());
                }
            }
            assert!(diff < 1e-9, "N={n}: max |rho - rho_qutip| = {diff:e}");
            let inv = inv_xi2_block(&rep.rho_block);
            assert!((inv - c["inv_xi2"].as_f64().unwrap()).abs() < 1e-8);
            let g = c["gap_even_parity"].as_f64().unwrap();
            assert!(
                (rep.gap.unwrap() - g).abs() < 1e-6 * g,
                "gap {} vs {g}",
                rep.gap.unwrap()
            );
        }
    }
}

#[test]
fn ideal_positions_reduce_to_eq8_and_report_degeneracy() {
    for n in [2usize, 3, 4, 5] {
        let p = Params::new(n, 0.8, 0.5, 1.0).unwrap();
        let rep = solve(&p, &positions::ideal(n), &SteadyParams::default()).unwrap();
        assert_eq!(rep.method, Method::CollectiveReduction);
        assert_eq!(rep.null_dim, sqz_steady::ideal::catalan(n));
        assert!(rep.residual < 1e-12, "residual {}", rep.residual);
        let an = sqz_model::analytic::steady_state(&p)
            .unwrap()
            .moments()
            .squeezing()
            .unwrap();
        assert!((inv_xi2_block(&rep.rho_block) - an.inv_xi2).abs() < 1e-10);
    }
}

#[test]
fn nearly_ideal_positions_are_reported_as_degenerate_not_solved_wrongly() {
    let n = 3;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let mut z = positions::ideal(n);
    z[1] += 1e-12; // not ideal to the detector's 1e-9? it is: treated as ideal
    let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
    assert_eq!(rep.method, Method::CollectiveReduction);
    z[1] += 1e-7; // just outside: the dense solve must notice the degeneracy or bound the error
    match solve(&p, &z, &SteadyParams::default()) {
        Err(sqz_steady::SteadyError::Degenerate(_)) => {}
        Ok(rep) => assert!(
            !rep.bound_met,
            "a nearly degenerate problem cannot meet a 1e-8 bound"
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn degenerate_null_space_detected_and_projection_equals_collective_state() {
    for n in [2usize, 3, 4] {
        let p = Params::new(n, 0.6, 0.5, 1.0).unwrap();
        let z = positions::ideal(n);
        // all ground as a parity-block vector
        let mut rho0 = vec![C64::new(0.0, 0.0); block_dim(n)];
        rho0[block_index(n, 0, 0).unwrap()] = C64::new(1.0, 0.0);
        let (proj, dim) =
            sqz_steady::nullspace::project_null_space(&p, &z, &rho0, faer::Par::Seq).unwrap();
        assert_eq!(
            dim as u64,
            sqz_steady::ideal::catalan(n),
            "N={n}: null-space dimension"
        );
        let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
        let diff = proj
            .iter()
            .zip(&rep.rho_block)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(
            diff < 1e-9,
            "N={n}: projection vs collective reduction {diff:e}"
        );
    }
}

#[test]
fn closed_form_diagonal_matches_assembled_operator() {
    for n in [2usize, 4] {
        let p = Params::new(n, 0.7, 0.3, 1.3).unwrap();
        let z = positions::disordered(n, 0.2 * PI, 5, 1).unwrap();
        let csr = sqz_superop::csr::assemble(&p, &z).unwrap();
        let blk = sqz_superop::csr::restrict_parity(&csr, n);
        let dg = sqz_steady::iterative::block_diagonal(&p);
        let mut want = vec![C64::new(0.0, 0.0); dg.len()];
        for (v, (i, j)) in blk.iter() {
            if i == j {
                want[i] += *v;
            }
        }
        let diff = dg
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(diff < 1e-12, "N={n}: diagonal differs by {diff:e}");
    }
}

#[test]
fn iterative_path_agrees_with_dense() {
    for (n, w) in [(4usize, 0.3 * PI), (5, 0.1 * PI)] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let z = positions::disordered(n, w, 2, 3).unwrap();
        let dense = solve(&p, &z, &SteadyParams::default()).unwrap();
        let it =
            sqz_steady::iterative::solve_iterative(&p, &z, &SteadyParams::default(), 5000).unwrap();
        assert_eq!(it.method, Method::GmresJacobi);
        let diff = it
            .rho_block
            .iter()
            .zip(&dense.rho_block)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(diff < 1e-8, "N={n}: iterative vs dense {diff:e}");
        // an iteration cap of 1 is reported as non-convergence, with what was reached
        match sqz_steady::iterative::solve_iterative(&p, &z, &SteadyParams::default(), 1) {
            Err(sqz_steady::SteadyError::NoConvergence { detail, .. }) => {
                assert!(detail.contains("relative residual"), "{detail}")
            }
            other => panic!("expected non-convergence, got {other:?}"),
        }
    }
}

/// The two-level solver (used for N >= 6) against the dense complex LU at N = 4, 5 across
/// w = 0.001 .. 0.5 pi: rho to 1e-8, 1/xi2 to 1e-6, the true error within the reported bound,
/// and the Galerkin gap estimate within a factor 2 of the dense spectrum's.
#[test]
fn two_level_matches_dense_complex_lu_and_bounds_its_error() {
    for n in [4usize, 5] {
        for (k, &w) in [0.001 * PI, 0.01 * PI, 0.1 * PI, 0.3 * PI, 0.5 * PI]
            .iter()
            .enumerate()
        {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let z = positions::disordered(n, w, 5, k as u64).unwrap();
            let rep =
                sqz_steady::twolevel::solve_two_level(&p, &z, &SteadyParams::default(), 20_000)
                    .unwrap();
            assert_eq!(rep.method, Method::TwoLevel);
            let want = reference_rho(&p, &z);
            let diff = max_diff_block(n, &rep.rho_block, &want);
            assert!(diff < 1e-8, "N={n} w={w}: max |rho - rho_ref| = {diff:e}");
            let (a, b) = (inv_xi2_block(&rep.rho_block), inv_xi2_full(&want));
            assert!((a - b).abs() < 1e-6, "N={n} w={w}: 1/xi2 {a} vs {b}");
            assert!(rep.min_eigenvalue > -1e-9);
            let fro = fro_diff_block(n, &rep.rho_block, &want);
            let bound = rep
                .error_bound
                .unwrap_or_else(|| panic!("N={n} w={w}: no bound: {:?}", rep.notes));
            assert!(
                fro <= bound.max(1e-12),
                "N={n} w={w}: |rho - ref| = {fro:e} above the bound {bound:e}"
            );
            let (g, gw) = (rep.gap.unwrap(), reference_gap(&p, &z));
            assert!(
                g < 2.0 * gw && g > gw / 2.0,
                "N={n} w={w}: gap estimate {g:e} vs dense {gw:e}"
            );
        }
    }
}

/// N = 6 goes to the two-level solver by default and agrees with the dense Hermitian LU; an
/// iteration cap of 1 is reported as non-convergence.
#[test]
fn two_level_is_the_default_beyond_n5_and_reports_non_convergence() {
    let n = 6;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    for (k, &w) in [0.01 * PI, 0.3 * PI].iter().enumerate() {
        let z = positions::disordered(n, w, 9, k as u64).unwrap();
        let rep = solve(&p, &z, &SteadyParams::default()).unwrap();
        assert_eq!(rep.method, Method::TwoLevel);
        assert!(rep.bound_met, "{:?}", rep.notes);
        let dense = sqz_steady::solve_dense(&p, &z, &SteadyParams::default()).unwrap();
        let diff = rep
            .rho_block
            .iter()
            .zip(&dense.rho_block)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(diff < 1e-8, "w={w}: two-level vs dense {diff:e}");
        let (g, gd) = (rep.gap.unwrap(), dense.gap.unwrap());
        assert!(g < 2.0 * gd && g > gd / 2.0, "gap {g:e} vs dense {gd:e}");
    }
    let z = positions::disordered(n, 0.1 * PI, 9, 5).unwrap();
    match sqz_steady::twolevel::solve_two_level(&p, &z, &SteadyParams::default(), 1) {
        Err(sqz_steady::SteadyError::NoConvergence { detail, .. }) => {
            assert!(detail.contains("relative residual"), "{detail}")
        }
        other => panic!("expected non-convergence, got {other:?}"),
    }
}

/// The default path at N = 7 against independent sparse-direct references
/// (`scripts/fixtures/make_steady_reference.sh`: sparse LU of the term-by-term CSR + one
/// refinement step, residual ~5e-16): the true error `|rho - rho_ref|_F` is within the reported
/// bound, and the bound meets the default tolerance 1e-8. The third case (w = 0.5 pi,
/// configuration 3) is the one whose Galerkin gap estimate is 4 times the operator's own gap.
/// The reference state of `fixtures/steady/PREFIX.{json,bin}` (`reference_rho`), its parameters
/// and positions (checked against the fixture's own record of them).
fn load_reference(prefix: &str) -> (Params, Vec<f64>, Vec<C64>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/steady");
    let prefix = format!("{dir}/{prefix}");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{prefix}.json")).unwrap()).unwrap();
    let bytes = std::fs::read(format!("{prefix}.bin")).unwrap();
    let want: Vec<C64> = bytes
        .chunks_exact(16)
        .map(|c| {
            C64::new(
                f64::from_le_bytes(c[..8].try_into().unwrap()),
                f64::from_le_bytes(c[8..].try_into().unwrap()),
            )
        })
        .collect();
    let n = meta["n"].as_u64().unwrap() as usize;
    assert_eq!(want.len(), block_dim(n));
    let p = Params::new(
        n,
        meta["r"].as_f64().unwrap(),
        meta["alpha"].as_f64().unwrap(),
        meta["delta"].as_f64().unwrap(),
    )
    .unwrap();
    // "config" is the random stream (a study task's `w_index * 2^32 + configuration`)
    let z = positions::disordered(
        n,
        meta["w_over_pi"].as_f64().unwrap() * PI,
        meta["seed"].as_u64().unwrap(),
        meta["config"].as_u64().unwrap(),
    )
    .unwrap();
    let zf: Vec<f64> = meta["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let dz = z
        .iter()
        .zip(&zf)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(dz < 1e-12, "positions of the fixture differ by {dz:e}");
    (p, z, want)
}

/// Solves the fixture's problem with the default path and checks the two-level solver's state
/// against the reference: bound met, true error within the bound and below 1e-8.
fn assert_two_level_within_bound(prefix: &str) {
    let (p, z, want) = load_reference(prefix);
    let rep = solve(&p, &z, &SteadyParams::default())
        .unwrap_or_else(|e| panic!("{prefix}: the solve failed: {e}"));
    assert_eq!(rep.method, Method::TwoLevel);
    let err = rep
        .rho_block
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).norm_sqr())
        .sum::<f64>()
        .sqrt();
    let bound = rep.error_bound.unwrap();
    assert!(rep.bound_met, "{prefix}: {:?}", rep.notes);
    assert!(
        err <= bound,
        "{prefix}: true error {err:e} above the reported bound {bound:e} ({:?})",
        rep.notes
    );
    assert!(err < 1e-8, "{prefix}: true error {err:e}");
}

#[test]
fn two_level_true_error_within_bound_at_n7() {
    for prefix in [
        "full_N7_w0.01pi_s1_c0",
        "full_N7_w0.3pi_s1_c0",
        "full_N7_w0.5pi_s1_c3",
    ] {
        assert_two_level_within_bound(prefix);
    }
}

/// Two configurations at strong disorder (N = 7, r = 0.5, w = 0.8 pi, the cell of
/// jobs/robustness/n7-r05.toml: seed 2021, w index 11) on which restarted GMRES(100) failed
/// after 20 000 iterations (relative residuals 2.4e-7 and 0.33), docs/numerics.md "Failed solves
/// at strong disorder". Configuration 8 also has a slow mode outside the coarse space (operator
/// gap 2.9e-5 against a Galerkin gap of 0.21: a bound on the Galerkin gap would understate the
/// error 60-fold). Both are solved by GMRES-DR and their states agree with the sparse-direct
/// references within the reported bounds.
#[test]
fn formerly_failing_strong_disorder_configurations_solved_within_bound_at_n7() {
    for prefix in ["full_N7_w0.8pi_s2021_w11c8", "full_N7_w0.8pi_s2021_w11c33"] {
        assert_two_level_within_bound(prefix);
    }
}
