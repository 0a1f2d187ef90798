//! `sqz_krylov::expv` against dense references: a non-normal matrix with known eigenvectors
//! (`exp(tA) = S exp(tD) S^{-1}`), a Jordan-like shift operator in the parallel regime, a
//! trace-preserving generator, and the small dense `expm`.

use faer::Mat;
use sqz_krylov::expv::{
    expm, expv, expv_times, Event, ExpvError, ExpvParams, ExpvWorkspace, Orthogonalization,
};
use sqz_krylov::{LinOp, C64};
use std::ops::ControlFlow;

struct Dense(Mat<C64>);

impl LinOp<C64> for Dense {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.0.nrows()
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        let n = self.dim();
        for (i, yi) in y.iter_mut().enumerate() {
            let mut s = C64::new(0.0, 0.0);
            for j in 0..n {
                s += self.0[(i, j)] * x[j];
            }
            *yi = s;
        }
    }
}

/// Deterministic pseudo-random numbers in [-1, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    fn c(&mut self) -> C64 {
        C64::new(self.next(), self.next())
    }
}

fn matmul(a: &Mat<C64>, b: &Mat<C64>) -> Mat<C64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    for j in 0..b.ncols() {
        for k in 0..a.ncols() {
            let bkj = b[(k, j)];
            for i in 0..a.nrows() {
                c[(i, j)] += a[(i, k)] * bkj;
            }
        }
    }
    c
}

/// Inverse of an upper-triangular matrix with unit diagonal.
fn inv_unit_upper(s: &Mat<C64>) -> Mat<C64> {
    let n = s.nrows();
    let mut x = Mat::<C64>::zeros(n, n);
    for j in 0..n {
        x[(j, j)] = C64::new(1.0, 0.0);
        for i in (0..j).rev() {
            let mut acc = C64::new(0.0, 0.0);
            for k in i + 1..=j {
                acc += s[(i, k)] * x[(k, j)];
            }
            x[(i, j)] = -acc;
        }
    }
    x
}

/// A = S D S^{-1}: non-normal, eigenvalues with Re in [-40, -0.01], |Im| <= 20.
fn nonnormal(n: usize, seed: u64) -> (Mat<C64>, Mat<C64>, Vec<C64>, Mat<C64>) {
    let mut rng = Lcg(seed);
    let s = Mat::from_fn(n, n, |i, j| {
        if i == j {
            C64::new(1.0, 0.0)
        } else if i < j {
            rng.c() * 0.25
        } else {
            C64::new(0.0, 0.0)
        }
    });
    let si = inv_unit_upper(&s);
    let d: Vec<C64> = (0..n)
        .map(|k| {
            let re = -0.01 - 40.0 * (k as f64 / n as f64).powi(2);
            C64::new(re, 20.0 * rng.next())
        })
        .collect();
    let sd = Mat::from_fn(n, n, |i, j| s[(i, j)] * d[j]);
    (matmul(&sd, &si), s, d, si)
}

fn reference(s: &Mat<C64>, d: &[C64], si: &Mat<C64>, t: f64, v: &[C64]) -> Vec<C64> {
    let n = v.len();
    let y: Vec<C64> = (0..n)
        .map(|i| (0..n).map(|j| si[(i, j)] * v[j]).sum::<C64>() * (d[i] * t).exp())
        .collect();
    (0..n)
        .map(|i| (0..n).map(|j| s[(i, j)] * y[j]).sum())
        .collect()
}

fn max_diff(a: &[C64], b: &[C64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm())
        .fold(0.0, f64::max)
}

#[test]
fn nonnormal_dense_matrix_matches_eigen_reference_at_many_times() {
    let n = 80;
    let (a, s, d, si) = nonnormal(n, 7);
    let op = Dense(a);
    let mut rng = Lcg(99);
    let v0: Vec<C64> = (0..n).map(|_| rng.c()).collect();
    let times = [0.0, 1e-3, 0.05, 0.05, 0.3, 1.0, 2.5, 10.0, 40.0];
    let variants = [
        (10usize, Orthogonalization::Full),
        (30, Orthogonalization::Full),
        (30, Orthogonalization::Incomplete(2)),
        (20, Orthogonalization::Incomplete(5)),
    ];
    for (m, orthogonalization) in variants {
        let params = ExpvParams {
            krylov_dim: m,
            tol: 1e-12,
            orthogonalization,
            ..ExpvParams::default()
        };
        let mut ws = ExpvWorkspace::new(n, m);
        let mut v = v0.clone();
        let mut seen = Vec::new();
        let info = expv_times(&op, &mut (), &times, &mut v, &params, &mut ws, |ev| {
            if let Event::Output { index, t, w } = ev {
                let want = reference(&s, &d, &si, t, &v0);
                let scale = want.iter().map(|x| x.norm()).fold(1e-3, f64::max);
                let err = max_diff(w, &want);
                assert!(
                    err < 1e-9 * scale.max(1.0),
                    "m={m} {orthogonalization:?} t={t}: max error {err:e} (scale {scale:e})"
                );
                seen.push(index);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen, (0..times.len()).collect::<Vec<_>>());
        assert_eq!(info.outputs, times.len());
        assert_eq!(info.t, 40.0);
        assert!(!info.stopped);
        assert!(info.matvecs >= info.steps * m);
        assert!(info.error_estimate < 1e-8, "{info:?}");
        // final state is left in v
        let want = reference(&s, &d, &si, 40.0, &v0);
        assert!(max_diff(&v, &want) < 1e-9);
    }
}

#[test]
fn krylov_space_filling_the_matrix_and_exact_breakdown() {
    let n = 12;
    let (a, s, d, si) = nonnormal(n, 3);
    let op = Dense(a);
    let v0: Vec<C64> = (0..n).map(|k| C64::new(1.0, k as f64 * 0.1)).collect();
    let mut v = v0.clone();
    let info = expv(
        &op,
        3.0,
        &mut v,
        &ExpvParams {
            krylov_dim: 40,
            ..ExpvParams::default()
        },
    )
    .unwrap();
    // the 12-dimensional Krylov space is the whole space: h_{13,12} is rounding noise, the
    // error estimate is tiny and the step after the initial guess reaches t
    assert!(info.steps <= 2, "{info:?}");
    let want = reference(&s, &d, &si, 3.0, &v0);
    assert!(max_diff(&v, &want) < 1e-11, "{}", max_diff(&v, &want));

    // an exact eigenvector: h_{2,1} = 0 exactly, a happy breakdown
    let diag = Mat::from_fn(5, 5, |i, j| {
        if i == j {
            C64::new(-2.0 * (i + 1) as f64, 1.0)
        } else {
            C64::new(0.0, 0.0)
        }
    });
    let mut e0 = vec![C64::new(0.0, 0.0); 5];
    e0[0] = C64::new(1.0, 0.0);
    let info = expv(&Dense(diag), 2.5, &mut e0, &ExpvParams::default()).unwrap();
    assert_eq!((info.steps, info.happy_breakdowns, info.matvecs), (1, 1, 1));
    let want = (C64::new(-2.0, 1.0) * 2.5).exp();
    assert!((e0[0] - want).norm() < 1e-15 && e0[1..].iter().all(|x| x.norm() == 0.0));
}

/// Shift operator `A = lambda I + N`, `(N x)_k = x_{k+1}`: a Jordan block of size 40000 (the
/// parallel code path). `exp(tA) v = e^{lambda t} sum_i t^i / i! N^i v`.
struct Jordan {
    n: usize,
    lambda: C64,
}

impl LinOp<C64> for Jordan {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        for k in 0..self.n {
            y[k] = self.lambda * x[k]
                + if k + 1 < self.n {
                    x[k + 1]
                } else {
                    C64::new(0.0, 0.0)
                };
        }
    }
}

#[test]
fn large_jordan_block_matches_series() {
    let n = 40_000;
    let op = Jordan {
        n,
        lambda: C64::new(-0.5, 2.0),
    };
    let v0: Vec<C64> = (0..n)
        .map(|k| C64::new((k as f64 * 0.01).sin(), (k as f64 * 0.003).cos()))
        .collect();
    let norm0 = v0.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
    let times = [0.7, 4.0];
    for orthogonalization in [Orthogonalization::Full, Orthogonalization::Incomplete(4)] {
        let mut v = v0.clone();
        let mut ws = ExpvWorkspace::new(n, 30);
        let params = ExpvParams {
            tol: 1e-12,
            orthogonalization,
            ..ExpvParams::default()
        };
        expv_times(&op, &mut (), &times, &mut v, &params, &mut ws, |ev| {
            if let Event::Output { t, w, .. } = ev {
                let mut want = vec![C64::new(0.0, 0.0); n];
                let mut c = 1.0;
                for i in 0..80 {
                    for k in 0..n - i {
                        want[k] += v0[k + i] * c;
                    }
                    c *= t / (i + 1) as f64;
                }
                let e = (op.lambda * t).exp();
                want.iter_mut().for_each(|x| *x *= e);
                let err = max_diff(w, &want);
                assert!(err < 1e-10 * norm0, "{orthogonalization:?} t={t}: {err:e}");
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    }
}

/// A generator with zero column sums (a Markov generator, complex off-diagonal "rates" allowed):
/// the sum of the entries is conserved by exp(tA) and by the corrected Krylov scheme to rounding.
#[test]
fn linear_invariant_is_conserved_to_rounding() {
    let n = 60;
    let mut rng = Lcg(5);
    let mut a = Mat::from_fn(n, n, |i, j| {
        if i != j {
            C64::new(2.0 * rng.next().abs(), 0.5 * rng.next())
        } else {
            C64::new(0.0, 0.0)
        }
    });
    for j in 0..n {
        let s: C64 = (0..n).filter(|&i| i != j).map(|i| a[(i, j)]).sum();
        a[(j, j)] = -s;
    }
    let op = Dense(a);
    let times: Vec<f64> = (0..=50).map(|k| k as f64 * 0.4).collect();
    for orthogonalization in [Orthogonalization::Full, Orthogonalization::Incomplete(3)] {
        let mut v = vec![C64::new(0.0, 0.0); n];
        v[0] = C64::new(1.0, 0.0);
        let mut ws = ExpvWorkspace::new(n, 20);
        let params = ExpvParams {
            krylov_dim: 20,
            tol: 1e-8,
            orthogonalization,
            ..ExpvParams::default()
        };
        let mut worst = 0.0f64;
        let info = expv_times(&op, &mut (), &times, &mut v, &params, &mut ws, |ev| {
            if let Event::Output { w, .. } = ev {
                let s: C64 = w.iter().sum();
                worst = worst.max((s - C64::new(1.0, 0.0)).norm());
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(
            worst < 1e-13,
            "{orthogonalization:?}: sum drift {worst:e} ({info:?})"
        );
    }
}

#[test]
fn observer_can_stop_and_errors_name_the_problem() {
    let n = 20;
    let (a, ..) = nonnormal(n, 11);
    let op = Dense(a);
    let mut v = vec![C64::new(1.0, 0.0); n];
    let mut ws = ExpvWorkspace::new(n, 10);
    let p = ExpvParams {
        krylov_dim: 10,
        ..ExpvParams::default()
    };
    let mut count = 0;
    let info = expv_times(
        &op,
        &mut (),
        &[0.0, 1.0, 2.0, 3.0],
        &mut v,
        &p,
        &mut ws,
        |ev| {
            if let Event::Output { .. } = ev {
                count += 1;
                if count == 2 {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert!(info.stopped);
    assert_eq!(info.outputs, 2);
    assert_eq!(info.t, 1.0);

    let e = expv_times(&op, &mut (), &[1.0, 0.5], &mut v, &p, &mut ws, |_| {
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert!(matches!(e, ExpvError::BadTimes { index: 1, .. }), "{e}");
    let e = expv_times(&op, &mut (), &[-1.0], &mut v, &p, &mut ws, |_| {
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert!(e.to_string().contains("-1"), "{e}");
    let bad = ExpvParams { tol: 0.0, ..p };
    assert!(matches!(
        expv(&op, 1.0, &mut v, &bad),
        Err(ExpvError::InvalidParameter { name: "tol", .. })
    ));
    v[3] = C64::new(f64::NAN, 0.0);
    assert!(matches!(
        expv(&op, 1.0, &mut v, &p),
        Err(ExpvError::NonFinite { .. })
    ));
    // the zero vector stays zero
    let mut z = vec![C64::new(0.0, 0.0); n];
    let info = expv(&op, 5.0, &mut z, &p).unwrap();
    assert!(z.iter().all(|x| x.norm() == 0.0));
    assert_eq!(info.matvecs, 0);
}

/// `expm` against a Taylor series (small norm) and against `exp(A) = exp(A/2)^2` consistency
/// with a diagonalisable reference (large norm, scaling and squaring).
#[test]
fn dense_expm_matches_references() {
    let n = 14;
    let mut rng = Lcg(21);
    for &scale in &[1e-4, 0.02, 0.2, 0.9, 2.0] {
        let a = Mat::from_fn(n, n, |_, _| rng.c() * (scale / n as f64));
        let e = expm(a.as_ref());
        // Taylor to convergence
        let mut term = Mat::<C64>::identity(n, n);
        let mut sum = term.clone();
        for k in 1..40 {
            term = matmul(&term, &a);
            term.as_mut()
                .col_iter_mut()
                .for_each(|c| c.iter_mut().for_each(|x| *x /= k as f64));
            sum += &term;
        }
        let mut err = 0.0f64;
        for j in 0..n {
            for i in 0..n {
                err = err.max((e[(i, j)] - sum[(i, j)]).norm());
            }
        }
        assert!(err < 1e-14, "scale {scale}: {err:e}");
    }
    let (a, s, d, si) = nonnormal(10, 4);
    for &t in &[0.5, 3.0, 20.0] {
        let at = Mat::from_fn(10, 10, |i, j| a[(i, j)] * t);
        let e = expm(at.as_ref());
        for j in 0..10 {
            let mut ej = vec![C64::new(0.0, 0.0); 10];
            ej[j] = C64::new(1.0, 0.0);
            let want = reference(&s, &d, &si, t, &ej);
            for i in 0..10 {
                assert!(
                    (e[(i, j)] - want[i]).norm() < 1e-11,
                    "t={t} ({i},{j}): {} vs {}",
                    e[(i, j)],
                    want[i]
                );
            }
        }
    }
}
