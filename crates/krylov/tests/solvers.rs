//! GMRES and Arnoldi against dense references.

use faer::linalg::solvers::DenseSolveCore;
use faer::Mat;
use sqz_krylov::{
    eigs_largest, gmres, DenseOp, EigParams, GmresParams, Identity, KrylovError, LinOp, C64,
};

/// GMRES parameters.
fn params(restart: usize, max_iters: usize, rel_tol: f64) -> GmresParams {
    GmresParams {
        restart,
        max_iters,
        rel_tol,
    }
}

/// A deterministic pseudo-random matrix, diagonally shifted to be well conditioned.
fn test_matrix(n: usize, shift: f64) -> Mat<C64> {
    let mut s = 12345u64;
    let mut rnd = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    Mat::from_fn(n, n, |i, j| {
        C64::new(rnd(), rnd()) / (n as f64).sqrt()
            + if i == j {
                C64::new(shift, 0.3)
            } else {
                C64::default()
            }
    })
}

#[test]
fn gmres_solves_a_nonsymmetric_system() {
    let n = 200;
    let a = DenseOp(test_matrix(n, 2.0));
    let xs: Vec<C64> = (0..n)
        .map(|i| C64::new((i as f64).sin(), (i as f64 * 0.3).cos()))
        .collect();
    let mut b = vec![C64::default(); n];
    a.apply(&xs, &mut b, &mut ());
    let mut x = vec![C64::default(); n];
    let info = gmres(&a, None::<&Identity>, &b, &mut x, &params(30, 2000, 1e-12)).unwrap();
    let err = x
        .iter()
        .zip(&xs)
        .map(|(u, v)| (u - v).norm())
        .fold(0.0, f64::max);
    assert!(err < 1e-10, "error {err:e}, {info:?}");
    assert!(info.rel_residual <= 1e-12);
}

#[test]
fn gmres_with_exact_preconditioner_converges_in_one_step() {
    let n = 60;
    let m = test_matrix(n, 0.2);
    let inv = DenseOp(m.partial_piv_lu().inverse());
    let a = DenseOp(m);
    let b: Vec<C64> = (0..n).map(|i| C64::new(1.0, i as f64)).collect();
    let mut x = vec![C64::default(); n];
    let info = gmres(&a, Some(&inv), &b, &mut x, &GmresParams::default()).unwrap();
    assert!(info.iterations <= 2, "{info:?}");
}

#[test]
fn gmres_reports_non_convergence_with_what_it_reached() {
    let n = 100;
    let a = DenseOp(test_matrix(n, 0.0));
    let b = vec![C64::new(1.0, 0.0); n];
    let mut x = vec![C64::default(); n];
    let e = gmres(&a, None::<&Identity>, &b, &mut x, &params(10, 1, 1e-14)).unwrap_err();
    match e {
        KrylovError::NoConvergence {
            iterations,
            rel_residual,
            ..
        } => {
            assert!(iterations >= 1);
            assert!(rel_residual > 1e-14 && rel_residual.is_finite());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn arnoldi_finds_the_largest_eigenvalues_of_a_nonnormal_matrix() {
    let n = 150;
    let mut m = test_matrix(n, 0.0);
    // plant three well separated large eigenvalues through a non-normal similarity
    for (k, v) in [(0, 9.0), (1, -7.0), (2, 5.5)] {
        m[(k, k)] += C64::new(v, 0.5);
    }
    let want = m.eigenvalues().unwrap();
    let mut want: Vec<C64> = want;
    want.sort_by(|a, b| b.norm().total_cmp(&a.norm()));
    let a = DenseOp(m);
    let start: Vec<C64> = (0..n)
        .map(|i| C64::new(1.0 + 0.1 * i as f64, 0.0))
        .collect();
    let r = eigs_largest(
        &a,
        &mut (),
        &start,
        &EigParams {
            nev: 3,
            krylov_dim: 40,
            tol: 1e-10,
            max_restarts: 50,
        },
    )
    .unwrap();
    for k in 0..3 {
        assert!(
            (r.values[k] - want[k]).norm() < 1e-8 * want[k].norm(),
            "{k}: {} vs {}",
            r.values[k],
            want[k]
        );
        // residual check
        let mut av = vec![C64::default(); n];
        a.apply(&r.vectors[k], &mut av, &mut ());
        let res = av
            .iter()
            .zip(&r.vectors[k])
            .map(|(x, v)| (x - r.values[k] * v).norm_sqr())
            .sum::<f64>()
            .sqrt();
        assert!(res < 1e-7 * want[k].norm(), "residual {res:e}");
    }
}
