//! The shared certificate step (`sqz_krylov::certificate`): the gap from the inverse of a
//! deflated operator, with the deflated eigenvalue dropped by its trace, against a spectrum known
//! in closed form; and the verdict from a bound.

use faer::linalg::solvers::Solve;
use faer::Mat;
use sqz_krylov::certificate::{shift_invert_gap, GapParams, Outcome};
use sqz_krylov::{DenseOp, C64};

/// `L = S diag(0, lambda_1, ..) S^{-1}` with `S` upper unitriangular (non-normal), trace
/// functional `t = e_0^T S^{-1}` (zero on the eigenvectors of the nonzero eigenvalues), deflated
/// with `u = S e_0` (`t u = 1`): `L~ = L - u t^T` has the spectrum of `L` with 0 replaced by -1.
/// Returns `L~^{-1}` densely, and the trace entries: the basis is chosen so that `t = sum of the
/// entries listed`, by taking `S` with first row `e_0^T` (then `t = e_0^T`).
fn deflated_inverse(lambdas: &[C64]) -> (Mat<C64>, Vec<usize>) {
    let n = lambdas.len() + 1;
    // S: unit diagonal, first row e_0^T, entries 0.3 above the diagonal elsewhere
    let s = Mat::<C64>::from_fn(n, n, |i, j| {
        if i == j {
            C64::new(1.0, 0.0)
        } else if i > 0 && j > i {
            C64::new(0.3, 0.1)
        } else {
            C64::new(0.0, 0.0)
        }
    });
    let d = Mat::<C64>::from_fn(n, n, |i, j| match (i, j) {
        (0, 0) => C64::new(-1.0, 0.0), // the deflated eigenvalue
        (i, j) if i == j => lambdas[i - 1],
        _ => C64::new(0.0, 0.0),
    });
    let s_inv = s.partial_piv_lu().solve(Mat::<C64>::identity(n, n));
    let d_inv = Mat::<C64>::from_fn(n, n, |i, j| {
        if i == j {
            C64::new(1.0, 0.0) / d[(i, i)]
        } else {
            C64::new(0.0, 0.0)
        }
    });
    (&s * &d_inv * &s_inv, vec![0])
}

#[test]
fn gap_is_the_slowest_nonzero_rate_and_the_deflated_eigenvalue_is_dropped() {
    let lambdas = [
        C64::new(-0.3, 2.0),
        C64::new(-0.7, 0.0),
        C64::new(-2.0, 0.5),
        C64::new(-5.0, -1.0),
        C64::new(-9.0, 0.0),
        C64::new(-12.0, 3.0),
        C64::new(-20.0, 0.0),
    ];
    let (inv, trace) = deflated_inverse(&lambdas);
    let est = shift_invert_gap(
        &DenseOp(inv),
        &mut (),
        &trace,
        &GapParams {
            nev: 4,
            krylov_dim: 8,
            tries: 2,
            max_restarts: 40,
            tol: 1e-10,
        },
    );
    let gap = est.gap.expect("a gap");
    assert!((gap - 0.3).abs() < 1e-9, "gap {gap}");
    assert!(est.note.is_none());
    assert!(est.matvecs > 0);
    // -1 is among the four largest |1/lambda| (|1/-1| = 1 > 1/2) but must have been dropped
    assert!(
        est.eigenvalues
            .iter()
            .all(|l| (l - C64::new(-1.0, 0.0)).norm() > 1e-6),
        "{:?}",
        est.eigenvalues
    );
    assert!(est
        .eigenvalues
        .iter()
        .any(|l| (l - C64::new(-0.7, 0.0)).norm() < 1e-8));
}

#[test]
fn outcome_from_bound() {
    assert_eq!(
        Outcome::from_bound(Some(1e-9), 1e-8, String::new),
        Outcome::Converged
    );
    assert_eq!(
        Outcome::from_bound(Some(3e-8), 1e-8, String::new).name(),
        "bound-missed-at-precision-floor"
    );
    let o = Outcome::from_bound(None, 1e-8, || "not asked".into());
    assert_eq!(
        o,
        Outcome::NoGapEstimate {
            reason: "not asked".into()
        }
    );
    assert_eq!(o.name(), "no-gap-estimate");
}
