//! The w -> 0+ limit (`sqz_steady::limit`): the expansion, the two evaluations, and the
//! convergence of full solves to the limit.
use faer::Mat;
use sqz_krylov::LinearOperator;
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
    op.apply(x, &mut y);
    y
}

/// L1 and L2 of the dense reference are the Taylor coefficients of the matrix-free Liouvillian.
#[test]
fn taylor_coefficients_are_those_of_the_liouvillian() {
    for (n, seed) in [(3usize, 1u64), (4, 2)] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, 0);
        let ft = limit::FullTaylor::new(&p, &chi);
        let bd = sqz_superop::parity::block_dim(n);
        let x: Vec<C64> = (0..bd)
            .map(|k| C64::new((k as f64 * 0.37).sin(), (k as f64 * 0.11).cos()))
            .collect();
        let l0 = apply(&p, &limit::positions(&chi, 0.0), &x);
        // central differences with one Richardson step (errors h^4)
        let d1 = |h: f64| -> Vec<C64> {
            let (a, b) = (apply(&p, &limit::positions(&chi, h), &x), apply(&p, &limit::positions(&chi, -h), &x));
            a.iter().zip(&b).map(|(a, b)| (a - b) / (2.0 * h)).collect()
        };
        let d2 = |h: f64| -> Vec<C64> {
            let (a, b) = (apply(&p, &limit::positions(&chi, h), &x), apply(&p, &limit::positions(&chi, -h), &x));
            a.iter().zip(&b).zip(&l0).map(|((a, b), c)| (a + b - 2.0 * c) / (2.0 * h * h)).collect()
        };
        let h = 1e-2;
        let r1: Vec<C64> = d1(h).iter().zip(d1(2.0 * h)).map(|(a, b)| (4.0 * a - b) / 3.0).collect();
        let r2: Vec<C64> = d2(h).iter().zip(d2(2.0 * h)).map(|(a, b)| (4.0 * a - b) / 3.0).collect();
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
    for (n, seed, conf) in [(3usize, 1u64, 0u64), (4, 1, 0), (4, 7, 3), (5, 1, 0), (6, 2, 1)] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let chi = sqz_model::positions::chi(n, seed, conf);
        let su = LimitSetup::new(&p).unwrap();
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
