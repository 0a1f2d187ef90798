//! The w -> 0+ limit (`sqz_steady::limit`): the expansion, the two evaluations, the
//! convergence of full solves to the limit, and the rate coefficients against the slowest rates
//! of the Liouvillian at small w.
use faer::Mat;
use sqz_krylov::LinOp;
use sqz_model::Params;
use sqz_steady::limit::{self, LimitMethod, LimitParams, LimitSetup};
use sqz_steady::C64;
use std::f64::consts::PI;

fn rel_diff(a: &Mat<C64>, b: &Mat<C64>) -> (f64, f64) {
    let mut d: f64 = 0.0;
    let mut s: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max((a[(i, j)] - b[(i, j)]).norm());
            s = s.max(a[(i, j)].norm());
        }
    }
    (d, s)
}

fn vnorm(x: &[C64]) -> f64 {
    x.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt()
}

fn apply(p: &Params, z: &[f64], x: &[C64]) -> Vec<C64> {
    let op = sqz_superop::ParityBlock::new(p, z).unwrap();
    let mut y = vec![C64::default(); x.len()];
    op.apply(x, &mut y, &mut op.new_scratch());
    y
}

/// (N, seed, configuration) of the generator comparison (full space against Kronecker).
const GENERATOR_CASES: &[(usize, u64, u64)] =
    &[(3, 1, 0), (4, 1, 0), (4, 7, 3), (5, 1, 0), (6, 2, 1)];
/// (N, seed, configuration) of the rate comparison (dense spectra of L(w)).
const RATE_CASES: &[(usize, u64, u64)] =
    &[(3, 1, 0), (4, 1, 0), (4, 2021, 4), (5, 1, 0), (5, 2021, 3)];

/// L1 and L2 of the dense reference are the Taylor coefficients of the matrix-free Liouvillian.
#[test]
fn taylor_coefficients_are_those_of_the_liouvillian() {
    for (n, seed) in [(3usize, 1u64), (4, 2)] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, 0);
        let ft = limit::FullTaylor::new(&p, &chi, faer::Par::Seq);
        let bd = sqz_superop::parity::block_dim(n);
        let x: Vec<C64> = (0..bd)
            .map(|k| C64::new((k as f64 * 0.37).sin(), (k as f64 * 0.11).cos()))
            .collect();
        let l0 = apply(&p, &limit::positions(&chi, 0.0), &x);
        // central differences with one Richardson step (errors h^4)
        let d1 = |h: f64| -> Vec<C64> {
            let (a, b) = (
                apply(&p, &limit::positions(&chi, h), &x),
                apply(&p, &limit::positions(&chi, -h), &x),
            );
            a.iter().zip(&b).map(|(a, b)| (a - b) / (2.0 * h)).collect()
        };
        let d2 = |h: f64| -> Vec<C64> {
            let (a, b) = (
                apply(&p, &limit::positions(&chi, h), &x),
                apply(&p, &limit::positions(&chi, -h), &x),
            );
            a.iter()
                .zip(&b)
                .zip(&l0)
                .map(|((a, b), c)| (a + b - 2.0 * c) / (2.0 * h * h))
                .collect()
        };
        let h = 1e-2;
        let r1: Vec<C64> = d1(h)
            .iter()
            .zip(d1(2.0 * h))
            .map(|(a, b)| (4.0 * a - b) / 3.0)
            .collect();
        let r2: Vec<C64> = d2(h)
            .iter()
            .zip(d2(2.0 * h))
            .map(|(a, b)| (4.0 * a - b) / 3.0)
            .collect();
        let (e1, e2) = (ft.l1(&x), ft.l2(&x));
        let err1 = vnorm(&r1.iter().zip(&e1).map(|(a, b)| a - b).collect::<Vec<_>>()) / vnorm(&e1);
        let err2 = vnorm(&r2.iter().zip(&e2).map(|(a, b)| a - b).collect::<Vec<_>>()) / vnorm(&e2);
        eprintln!("N = {n}: |L1 - FD| / |L1| = {err1:.2e}, |L2 - FD| / |L2| = {err2:.2e}");
        assert!(err1 < 1e-7 && err2 < 1e-6, "N = {n}: {err1:e} {err2:e}");
    }
}

/// The Kronecker form of G1 and G2 equals the full-space assembly (GMRES for L0^#).
#[test]
fn kronecker_generators_equal_the_full_space_ones() {
    for &(n, seed, conf) in GENERATOR_CASES {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, conf);
        let su = LimitSetup::new(&p, faer::Par::Seq).unwrap();
        let t = std::time::Instant::now();
        let (g1f, g2f, solves) = limit::full_space_generators(&su, &p, &chi, 1e-13).unwrap();
        let tf = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let (g1k, g2k) = limit::kronecker_generators(&su, &chi);
        let tk = t.elapsed().as_secs_f64();
        let (d1, s1) = rel_diff(&g1f, &g1k);
        let (d2, s2) = rel_diff(&g2f, &g2k);
        eprintln!(
            "N = {n}: |G1| = {s1:.3e}, diff {d1:.2e}; |G2| = {s2:.3e}, diff {d2:.2e}; full {tf:.2} s ({solves} solves), kronecker {tk:.3} s"
        );
        assert!(d1 < 1e-11 * s1.max(1.0), "G1 differs by {d1:e}");
        assert!(d2 < 1e-9 * s2.max(1.0), "G2 differs by {d2:e}");
    }
}

/// `|rho(w) - rho*|_F` over the parity block, and the difference in 1/xi^2.
fn distance(rho: &[C64], lim: &limit::LimitReport) -> (f64, f64) {
    let d = vnorm(
        &rho.iter()
            .zip(&lim.rho_block)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
    );
    let a = sqz_superop::observables::moments_parity(rho)
        .squeezing()
        .unwrap()
        .inv_xi2;
    let b = lim.squeezing().unwrap().inv_xi2;
    (d, (a - b).abs())
}

fn kron() -> LimitParams {
    LimitParams {
        method: LimitMethod::Kronecker,
        ..Default::default()
    }
}

fn full() -> LimitParams {
    LimitParams {
        method: LimitMethod::FullSpace,
        ..Default::default()
    }
}

fn binom(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// The spec's small-disorder statements (N = 4, r = 0.5): the spectrum of G1 is purely imaginary
/// and its kernel has dimension 6 (`binom(N, N/2)` in general); the null vector of the
/// populations matrix is unique.
#[test]
fn first_order_rotates_and_does_not_damp() {
    for n in 2..=6usize {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, 1, 0);
        let rep = limit::limit_state(&p, &chi, &full()).unwrap();
        eprintln!(
            "N = {n}: max |Re G1| / max |G1| = {:.1e}, dim ker G1 = {}, uniqueness gap {:.4}, rates/w^2 {:?}",
            rep.g1_real_part, rep.ker_g1_dim, rep.uniqueness_gap, rep.rate_coefficients
        );
        assert!(rep.g1_real_part < 1e-13, "N = {n}: G1 has a real part");
        assert_eq!(rep.ker_g1_dim, binom(n, n / 2), "N = {n}");
        if n == 4 {
            assert_eq!(rep.ker_g1_dim, 6);
        }
        assert!(rep.uniqueness_gap > 1e-3, "N = {n}");
        assert!(rep.rate_coefficients.iter().all(|&r| r > 0.0));
    }
}

/// Both evaluations give the same limit state and rate coefficients.
#[test]
fn kronecker_limit_equals_the_full_space_limit() {
    for (n, r, seed, conf) in [
        (3usize, 0.5, 1u64, 0u64),
        (4, 0.3, 2021, 5),
        (5, 0.5, 2021, 0),
        (5, 0.2, 3, 4),
        (6, 0.5, 1, 0),
        (7, 0.4, 1, 2),
    ] {
        let p = Params::new(n, r, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, conf);
        let su = LimitSetup::new(&p, faer::Par::Seq).unwrap();
        let a = limit::limit_state_with(&su, &p, &chi, &full()).unwrap();
        let b = limit::limit_state_with(&su, &p, &chi, &kron()).unwrap();
        assert_eq!(a.method, LimitMethod::FullSpace);
        assert_eq!(b.method, LimitMethod::Kronecker);
        let d = vnorm(
            &a.rho_block
                .iter()
                .zip(&b.rho_block)
                .map(|(x, y)| x - y)
                .collect::<Vec<_>>(),
        );
        let dr = a
            .rate_coefficients
            .iter()
            .zip(&b.rate_coefficients)
            .map(|(x, y)| (x - y).abs() / y)
            .fold(0.0, f64::max);
        let (sa, sb) = (
            a.squeezing().unwrap().inv_xi2,
            b.squeezing().unwrap().inv_xi2,
        );
        eprintln!(
            "N = {n}, r = {r}: 1/xi^2 {sa:.8} vs {sb:.8}; |rho_a - rho_b| = {d:.1e}; rates {dr:.1e}; \
             full {:.2} s ({} solves), kronecker {:.4} s",
            a.seconds, a.solves, b.seconds
        );
        assert!(d < 1e-10, "N = {n}: states differ by {d:e}");
        assert!(dr < 1e-8, "N = {n}: rates differ by {dr:e}");
        assert_eq!(a.rate_kinds, b.rate_kinds);
        assert!((a.min_frequency - b.min_frequency).abs() < 1e-10);
    }
}

/// Trace 1, Hermitian, positive; the exact smallest eigenvalue equals a dense one; the limit
/// does not depend on the scale of chi and the rates scale like its square.
#[test]
fn limit_state_is_physical_and_scale_free() {
    let n = 5;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let chi = sqz_model::positions::chi(n, 2021, 7);
    let rep = limit::limit_state(&p, &chi, &LimitParams::default()).unwrap();
    let tr = sqz_superop::parity::trace(n, &rep.rho_block);
    assert!((tr - C64::new(1.0, 0.0)).norm() < 1e-13, "trace {tr}");
    let dense_min = sqz_steady::min_eigenvalue(n, &rep.rho_block, faer::Par::Seq);
    assert!(rep.min_eigenvalue > 0.0);
    assert!(
        (dense_min - rep.min_eigenvalue).abs() < 1e-12,
        "{dense_min:e} vs {:e}",
        rep.min_eigenvalue
    );
    let d = 1usize << n;
    for a in 0..d {
        for b in 0..d {
            if let Some(k) = sqz_superop::parity::block_index(n, a, b) {
                let k2 = sqz_superop::parity::block_index(n, b, a).unwrap();
                assert!((rep.rho_block[k] - rep.rho_block[k2].conj()).norm() < 1e-15);
            }
        }
    }
    let wsum: f64 = rep.sector_weights.iter().map(|w| w.1).sum();
    assert!((wsum - 1.0).abs() < 1e-13);
    assert!(rep.populations.iter().flatten().all(|&x| x > 0.0));
    let half: Vec<f64> = chi.iter().map(|c| 0.5 * c).collect();
    let rep2 = limit::limit_state(&p, &half, &LimitParams::default()).unwrap();
    let dd = vnorm(
        &rep.rho_block
            .iter()
            .zip(&rep2.rho_block)
            .map(|(x, y)| x - y)
            .collect::<Vec<_>>(),
    );
    assert!(dd < 1e-12, "scaled chi: {dd:e}");
    for (x, y) in rep.rate_coefficients.iter().zip(&rep2.rate_coefficients) {
        assert!((0.25 * x - y).abs() < 1e-12 * x, "{x} {y}");
    }
}

/// Equal offsets of neighbours (the pair is equivalent at every w), equal offsets everywhere,
/// and bad input are refused with errors that say so.
#[test]
fn degenerate_and_bad_directions_are_refused() {
    let p = Params::new(4, 0.5, 0.5, 1.0).unwrap();
    for lp in [kron(), full()] {
        let e = limit::limit_state(&p, &[0.3, 0.3, -0.5, 0.1], &lp).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, sqz_steady::SteadyError::Degenerate(_)), "{msg}");
        assert!(
            msg.contains("third order") && msg.contains("TLS 0 and 1"),
            "{msg}"
        );
        let e = limit::limit_state(&p, &[0.2; 4], &lp).unwrap_err();
        assert!(matches!(e, sqz_steady::SteadyError::Degenerate(_)), "{e}");
        assert!(
            e.to_string()
                .contains("first-order generator is degenerate"),
            "{e}"
        );
    }
    // equal offsets of TLS that are not neighbours: unique
    assert!(limit::limit_state(&p, &[0.3, -0.5, 0.3, 0.1], &kron()).is_ok());
    for bad in [
        vec![0.3, 0.1, 0.2],
        vec![0.3, 0.1, 1.5, 0.0],
        vec![0.3, f64::NAN, 0.2, 0.0],
    ] {
        let e = limit::limit_state(&p, &bad, &kron()).unwrap_err();
        assert!(e.to_string().contains("chi"), "{e}");
    }
    let p9 = Params::new(9, 0.5, 0.5, 1.0).unwrap();
    let e = limit::limit_state(&p9, &sqz_model::positions::chi(9, 1, 0), &full()).unwrap_err();
    assert!(e.to_string().contains("Kronecker"), "{e}");
}

/// Full solves (`sqz_steady::solve`, the default paths: dense LU at N <= 5, two-level GMRES at
/// N = 6) converge to the limit like w: the distance drops ~10x from w = 1e-3 pi to 1e-4 pi.
#[test]
fn full_solves_converge_to_the_limit_like_w() {
    for (n, r, seed, conf) in [
        (3usize, 0.5, 1u64, 0u64),
        (3, 0.3, 2021, 2),
        (4, 0.5, 1, 0),
        (4, 0.3135, 2021, 9),
        (5, 0.5, 2021, 3),
        (5, 0.3135, 7, 1),
        (6, 0.5, 1, 0),
    ] {
        let p = Params::new(n, r, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, conf);
        let lim = limit::limit_state(&p, &chi, &LimitParams::default()).unwrap();
        let mut d = Vec::new();
        for w in [1e-3 * PI, 1e-4 * PI] {
            let rep = sqz_steady::solve(
                &p,
                &limit::positions(&chi, w),
                &sqz_steady::SteadyParams::default(),
            )
            .unwrap();
            let (dr, dx) = distance(&rep.rho_block, &lim);
            eprintln!(
                "N = {n}, r = {r} ({seed}, {conf}), w = {:.0e} pi: |rho - rho*| = {dr:.3e}, |1/xi^2 - limit| = {dx:.3e} ({}, bound {:.1e})",
                w / PI,
                rep.method.name(),
                rep.error_bound.unwrap_or(f64::NAN)
            );
            d.push((dr, dx));
        }
        let ratio = d[0].0 / d[1].0;
        assert!((5.0..20.0).contains(&ratio), "N = {n}: ratio {ratio}");
        assert!(d[1].0 < 1e-3, "N = {n}: {:e} at 1e-4 pi", d[1].0);
        assert!(
            d[1].1 < 1e-3,
            "N = {n}: 1/xi^2 off by {:e} at 1e-4 pi",
            d[1].1
        );
    }
}

/// The slowest relaxation rates `|Re lambda|` of the parity-block Liouvillian (dense spectrum),
/// the trace mode excluded, ascending.
fn slowest_rates(p: &Params, z: &[f64], k: usize) -> Vec<f64> {
    let op = sqz_superop::ParityBlock::new(p, z).unwrap();
    let bd = op.dim();
    let mut m = Mat::<C64>::zeros(bd, bd);
    let mut e = vec![C64::default(); bd];
    let mut y = vec![C64::default(); bd];
    let mut s = op.new_scratch();
    for j in 0..bd {
        e.iter_mut().for_each(|v| *v = C64::default());
        e[j] = C64::new(1.0, 0.0);
        op.apply(&e, &mut y, &mut s);
        for i in 0..bd {
            m[(i, j)] = y[i];
        }
    }
    let mut re: Vec<f64> = m.eigenvalues().unwrap().iter().map(|l| -l.re).collect();
    re.sort_by(|a, b| a.total_cmp(b));
    re.into_iter().skip(1).take(k).collect()
}

/// The rate coefficients times w^2 are the slowest rates of L(w) at small w (dense spectra,
/// N = 3..5): within 3 % at w = 1e-2 pi and 0.1 % at 1e-3 pi.
#[test]
fn rate_coefficients_are_the_slowest_rates_over_w_squared() {
    for &(n, seed, conf) in RATE_CASES {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, conf);
        let lim = limit::limit_state(&p, &chi, &LimitParams::default()).unwrap();
        let k = lim.rate_coefficients.len().min(4);
        for (w, tol) in [(1e-2 * PI, 3e-2), (1e-3 * PI, 1e-3)] {
            let got = slowest_rates(&p, &limit::positions(&chi, w), k);
            let rel: Vec<f64> = got
                .iter()
                .zip(&lim.rate_coefficients)
                .map(|(g, c)| (g / (w * w) - c).abs() / c)
                .collect();
            eprintln!(
                "N = {n} ({seed}, {conf}) w = {:.0e} pi: rates/w^2 {:?} vs limit {:?}: rel {:?}",
                w / PI,
                got.iter()
                    .map(|g| format!("{:.5e}", g / (w * w)))
                    .collect::<Vec<_>>(),
                lim.rate_coefficients[..k]
                    .iter()
                    .map(|c| format!("{c:.5e}"))
                    .collect::<Vec<_>>(),
                rel.iter().map(|x| format!("{x:.1e}")).collect::<Vec<_>>()
            );
            assert!(rel.iter().all(|&x| x < tol), "N = {n}, w = {w}: {rel:?}");
        }
    }
}

/// At N = 6 the operator's own slowest rate (`twolevel::verify_gap`, shift-invert Arnoldi with
/// two-level inner solves) over w^2 is the gap coefficient of the limit; the Galerkin estimate
/// `Y^dag L Z` misses `-Y^dag L1 L0^# L1 Z` and is off by a w-independent factor.
#[test]
fn gap_coefficient_matches_the_operator_gap_at_n6() {
    let n = 6;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let chi = sqz_model::positions::chi(n, 1, 0);
    let lim = limit::limit_state(&p, &chi, &LimitParams::default()).unwrap();
    let setup = sqz_steady::twolevel::Setup::new(&p, faer::Par::Seq).unwrap();
    let w = 1e-2 * PI;
    let g = sqz_steady::twolevel::verify_gap(
        &setup,
        &p,
        &limit::positions(&chi, w),
        &sqz_steady::SteadyParams::default(),
    )
    .unwrap();
    let c = lim.gap_coefficient().unwrap();
    let rel = (g.gap / (w * w) - c).abs() / c;
    eprintln!(
        "N = 6, w = 1e-2 pi: gap / w^2 = {:.5e}, limit {c:.5e} (rel {rel:.1e}); Galerkin {:?}",
        g.gap / (w * w),
        g.galerkin.map(|x| x / (w * w))
    );
    assert!(rel < 3e-2, "{rel}");
}
