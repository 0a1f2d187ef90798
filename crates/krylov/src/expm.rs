//! The small dense matrix exponential of the Krylov steppers: scaling and squaring with
//! Higham's Pade approximants of degree 3, 5, 7, 9 or 13 chosen from the 1-norm (N. J. Higham,
//! SIAM J. Matrix Anal. Appl. 26, 1179 (2005)). Not an eigendecomposition: the Hessenberg
//! matrices of a non-normal operator are non-normal and their eigenvectors can be
//! ill-conditioned. Cost `O(k^3)` per evaluation of a `k x k` matrix.
//!
//! [`expm`] allocates; [`ExpmScratch`] keeps the matrices of repeated evaluations (one per
//! [`crate::expv::ExpvWorkspace`]), and can return only the first column (what a step needs).

use crate::C64;
use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// Pade coefficients `b_0..b_m` (Higham 2005, Table 2.3 / Eq. 2.3) for m = 3, 5, 7, 9, 13.
const PADE3: [f64; 4] = [120.0, 60.0, 12.0, 1.0];
const PADE5: [f64; 6] = [30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0];
const PADE7: [f64; 8] = [
    17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0,
];
const PADE9: [f64; 10] = [
    17643225600.0,
    8821612800.0,
    2075673600.0,
    302702400.0,
    30270240.0,
    2162160.0,
    110880.0,
    3960.0,
    90.0,
    1.0,
];
const PADE13: [f64; 14] = [
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
];
/// `theta_m`: largest 1-norm for which the degree-m approximant has backward error <= 2^-53.
const THETA: [(usize, f64); 4] = [
    (3, 1.495585217958292e-2),
    (5, 2.53939833006323e-1),
    (7, 9.504178996162932e-1),
    (9, 2.097847961257068e0),
];
const THETA13: f64 = 5.371920351148152;

/// Scratch matrices of the dense exponential, for sizes up to `cap`.
#[derive(Debug)]
pub(crate) struct ExpmScratch {
    a: Mat<C64>,
    a2: Mat<C64>,
    a4: Mat<C64>,
    a6: Mat<C64>,
    u: Mat<C64>,
    v: Mat<C64>,
    t: Mat<C64>,
    piv: Vec<usize>,
}

impl ExpmScratch {
    pub(crate) fn new(cap: usize) -> Self {
        let z = || Mat::zeros(cap, cap);
        Self {
            a: z(),
            a2: z(),
            a4: z(),
            a6: z(),
            u: z(),
            v: z(),
            t: z(),
            piv: vec![0; cap],
        }
    }

    /// `out[0..k, 0..k] = exp(s X)` for the `k x k` matrix `x`; with `first_column_only` only
    /// `out[0..k, 0]` is guaranteed (the rest may be left unset).
    pub(crate) fn exp_into(
        &mut self,
        x: MatRef<'_, C64>,
        s: f64,
        out: MatMut<'_, C64>,
        first_column_only: bool,
    ) {
        let k = x.nrows();
        let mut out = out.submatrix_mut(0, 0, k, k);
        let mut a = self.a.as_mut().submatrix_mut(0, 0, k, k);
        for j in 0..k {
            for i in 0..k {
                a[(i, j)] = x[(i, j)] * s;
            }
        }
        let norm1 = norm1(a.rb());
        if !norm1.is_finite() {
            out.fill(C64::new(f64::NAN, f64::NAN));
            return;
        }
        let degree = THETA.iter().find(|(_, th)| norm1 <= *th).map(|(d, _)| *d);
        let squarings = match degree {
            Some(d) => {
                self.pade_low(k, d, out.rb_mut());
                0
            }
            None => self.pade13(k, norm1, out.rb_mut()),
        };
        self.rational(k, squarings, out, first_column_only);
    }

    /// The numerator and denominator parts `U` (in `u`) and `V` (in `v`) of the Pade
    /// approximant of degree `d` in {3, 5, 7, 9} of `exp(A)`, `A` in `a` (`out` as work).
    fn pade_low(&mut self, k: usize, d: usize, mut out: MatMut<'_, C64>) {
        let one = C64::new(1.0, 0.0);
        let mm = |dst: MatMut<'_, C64>, l: MatRef<'_, C64>, r: MatRef<'_, C64>| {
            matmul(dst, Accum::Replace, l, r, one, Par::Seq)
        };
        let a = self.a.as_ref().submatrix(0, 0, k, k);
        let (a2, a4, a6) = (&mut self.a2, &mut self.a4, &mut self.a6);
        let (u, v, t) = (&mut self.u, &mut self.v, &mut self.t);
        let b: &[f64] = match d {
            3 => &PADE3,
            5 => &PADE5,
            7 => &PADE7,
            _ => &PADE9,
        };
        mm(sub(a2, k), a, a);
        // powers A^2, A^4, A^6, A^8 as needed: use a4, a6 and t (for A^8)
        if d >= 5 {
            mm(
                sub(a4, k),
                a2.as_ref().submatrix(0, 0, k, k),
                a2.as_ref().submatrix(0, 0, k, k),
            );
        }
        if d >= 7 {
            mm(
                sub(a6, k),
                a4.as_ref().submatrix(0, 0, k, k),
                a2.as_ref().submatrix(0, 0, k, k),
            );
        }
        if d >= 9 {
            mm(
                sub(t, k),
                a6.as_ref().submatrix(0, 0, k, k),
                a2.as_ref().submatrix(0, 0, k, k),
            );
        }
        // v = sum even b_{2i} A^{2i}; u_tmp (in out) = sum odd b_{2i+1} A^{2i}
        let pow = |i: usize, r: usize, c: usize| -> C64 {
            let id = if r == c { one } else { C64::new(0.0, 0.0) };
            match i {
                0 => id,
                1 => a2[(r, c)],
                2 => a4[(r, c)],
                3 => a6[(r, c)],
                _ => t[(r, c)],
            }
        };
        for c in 0..k {
            for r in 0..k {
                let mut ev = C64::new(0.0, 0.0);
                let mut od = C64::new(0.0, 0.0);
                for i in 0..=d / 2 {
                    let pw = pow(i, r, c);
                    ev += pw * b[2 * i];
                    od += pw * b[2 * i + 1];
                }
                v[(r, c)] = ev;
                out[(r, c)] = od;
            }
        }
        mm(sub(u, k), a, out.rb());
    }

    /// `A` in `a` scaled by `2^-s` with `s` the squarings that bring its 1-norm `norm1` below
    /// [`THETA13`], then `U` (in `u`) and `V` (in `v`) of the degree-13 Pade approximant (`out`
    /// as work); returns `s`.
    fn pade13(&mut self, k: usize, norm1: f64, mut out: MatMut<'_, C64>) -> u32 {
        let one = C64::new(1.0, 0.0);
        let par = Par::Seq;
        let mm = |dst: MatMut<'_, C64>, l: MatRef<'_, C64>, r: MatRef<'_, C64>| {
            matmul(dst, Accum::Replace, l, r, one, par)
        };
        let squarings = (norm1 / THETA13).log2().ceil().max(0.0) as u32;
        let sc = 0.5f64.powi(squarings as i32);
        let mut am = self.a.as_mut().submatrix_mut(0, 0, k, k);
        for j in 0..k {
            for i in 0..k {
                am[(i, j)] *= sc;
            }
        }
        let a = self.a.as_ref().submatrix(0, 0, k, k);
        let (a2, a4, a6) = (&mut self.a2, &mut self.a4, &mut self.a6);
        let (u, v, t) = (&mut self.u, &mut self.v, &mut self.t);
        let b = &PADE13;
        mm(sub(a2, k), a, a);
        mm(
            sub(a4, k),
            a2.as_ref().submatrix(0, 0, k, k),
            a2.as_ref().submatrix(0, 0, k, k),
        );
        mm(
            sub(a6, k),
            a4.as_ref().submatrix(0, 0, k, k),
            a2.as_ref().submatrix(0, 0, k, k),
        );
        // t = b13 A6 + b11 A4 + b9 A2 ; out = b7 A6 + b5 A4 + b3 A2 + b1 I
        // u = A (A6 t + out)
        // t2 = b12 A6 + b10 A4 + b8 A2 ; v = A6 t2 + b6 A6 + b4 A4 + b2 A2 + b0 I
        for c in 0..k {
            for r in 0..k {
                let id = if r == c { one } else { C64::new(0.0, 0.0) };
                let (x2, x4, x6) = (a2[(r, c)], a4[(r, c)], a6[(r, c)]);
                t[(r, c)] = x6 * b[13] + x4 * b[11] + x2 * b[9];
                out[(r, c)] = x6 * b[7] + x4 * b[5] + x2 * b[3] + id * b[1];
            }
        }
        // out += A6 t
        matmul(
            out.rb_mut(),
            Accum::Add,
            a6.as_ref().submatrix(0, 0, k, k),
            t.as_ref().submatrix(0, 0, k, k),
            one,
            par,
        );
        mm(sub(u, k), a, out.rb());
        for c in 0..k {
            for r in 0..k {
                let id = if r == c { one } else { C64::new(0.0, 0.0) };
                let (x2, x4, x6) = (a2[(r, c)], a4[(r, c)], a6[(r, c)]);
                t[(r, c)] = x6 * b[12] + x4 * b[10] + x2 * b[8];
                v[(r, c)] = x6 * b[6] + x4 * b[4] + x2 * b[2] + id * b[0];
            }
        }
        matmul(
            sub(v, k),
            Accum::Add,
            a6.as_ref().submatrix(0, 0, k, k),
            t.as_ref().submatrix(0, 0, k, k),
            one,
            par,
        );
        squarings
    }

    /// `out = r(A)^(2^squarings)` with `r(A) = (V - U)^{-1} (V + U)` from `u` and `v` (`a`, `t`
    /// and `piv` as work); with `first_column_only` and few enough applications, only its first
    /// column, by repeated application of `r` to `e_1`.
    fn rational(
        &mut self,
        k: usize,
        squarings: u32,
        mut out: MatMut<'_, C64>,
        first_column_only: bool,
    ) {
        let one = C64::new(1.0, 0.0);
        let par = Par::Seq;
        let mut a = self.a.as_mut().submatrix_mut(0, 0, k, k);
        let (u, v, t) = (&mut self.u, &mut self.v, &mut self.t);
        // r(A) = (V - U)^{-1} (V + U): Q = V - U in `a`, P = V + U in `v`
        for c in 0..k {
            for r in 0..k {
                let (uu, vv) = (u[(r, c)], v[(r, c)]);
                a[(r, c)] = vv - uu;
                v[(r, c)] = vv + uu;
            }
        }
        lu_factor(a.rb_mut(), &mut self.piv[..k]);
        let applications = 1u64 << squarings.min(62);
        if first_column_only && applications <= (squarings as u64 + 1) * k as u64 / 2 {
            // exp(A) e_1 = r(A/2^s)^(2^s) e_1 by 2^s applications of r (O(k^2) each) instead of
            // s squarings (O(k^3) each)
            let mut y = u.as_mut().submatrix_mut(0, 0, k, 1);
            y.fill(C64::new(0.0, 0.0));
            y[(0, 0)] = one;
            for _ in 0..applications {
                let mut tcol = t.as_mut().submatrix_mut(0, 0, k, 1);
                matmul(
                    tcol.rb_mut(),
                    Accum::Replace,
                    v.as_ref().submatrix(0, 0, k, k),
                    y.rb(),
                    one,
                    par,
                );
                lu_solve(a.rb(), &self.piv[..k], tcol.rb_mut());
                y.copy_from(tcol.rb());
            }
            out.rb_mut().submatrix_mut(0, 0, k, 1).copy_from(y.rb());
            return;
        }
        out.copy_from(v.as_ref().submatrix(0, 0, k, k));
        lu_solve(a.rb(), &self.piv[..k], out.rb_mut());
        for _ in 0..squarings {
            t.as_mut().submatrix_mut(0, 0, k, k).copy_from(out.rb());
            let tr = t.as_ref().submatrix(0, 0, k, k);
            matmul(out.rb_mut(), Accum::Replace, tr, tr, one, par);
        }
    }
}

fn sub(m: &mut Mat<C64>, k: usize) -> MatMut<'_, C64> {
    m.as_mut().submatrix_mut(0, 0, k, k)
}

fn norm1(a: MatRef<'_, C64>) -> f64 {
    (0..a.ncols())
        .map(|j| {
            (0..a.nrows())
                .map(|i| a[(i, j)].norm_sqr().sqrt())
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// LU factorisation with partial pivoting in place (`Q = P^T L U`, unit `L` below the
/// diagonal); `piv[c]` is the row swapped with row `c` at step `c`. A zero pivot leaves NaNs in
/// later solves, which the callers treat as a failed step.
fn lu_factor(mut q: MatMut<'_, C64>, piv: &mut [usize]) {
    let k = q.nrows();
    for c in 0..k {
        let mut best = c;
        let mut bv = q[(c, c)].norm_sqr();
        for r in c + 1..k {
            let x = q[(r, c)].norm_sqr();
            if x > bv {
                best = r;
                bv = x;
            }
        }
        piv[c] = best;
        if best != c {
            for j in 0..k {
                let tmp = q[(c, j)];
                q[(c, j)] = q[(best, j)];
                q[(best, j)] = tmp;
            }
        }
        let d = q[(c, c)];
        let inv = if bv > 0.0 {
            d.inv()
        } else {
            C64::new(f64::NAN, f64::NAN)
        };
        for r in c + 1..k {
            let l = q[(r, c)] * inv;
            q[(r, c)] = l;
            if l == C64::new(0.0, 0.0) {
                continue;
            }
            for j in c + 1..k {
                let x = q[(c, j)];
                q[(r, j)] -= l * x;
            }
        }
    }
}

/// `B <- Q^{-1} B` with the factors of [`lu_factor`].
fn lu_solve(q: MatRef<'_, C64>, piv: &[usize], mut b: MatMut<'_, C64>) {
    let k = q.nrows();
    for j in 0..b.ncols() {
        for c in 0..k {
            if piv[c] != c {
                let tmp = b[(c, j)];
                b[(c, j)] = b[(piv[c], j)];
                b[(piv[c], j)] = tmp;
            }
        }
        for c in 0..k {
            let x = b[(c, j)];
            if x != C64::new(0.0, 0.0) {
                for r in c + 1..k {
                    b[(r, j)] -= q[(r, c)] * x;
                }
            }
        }
        for r in (0..k).rev() {
            let mut acc = b[(r, j)];
            for c in r + 1..k {
                acc -= q[(r, c)] * b[(c, j)];
            }
            b[(r, j)] = acc / q[(r, r)];
        }
    }
}

/// The dense matrix exponential `exp(A)` of a small square matrix: scaling and squaring with
/// Higham's (2005) Pade approximants (degree 3, 5, 7, 9 or 13 by the 1-norm).
///
/// # Panics
/// If `a` is not square.
pub fn expm(a: MatRef<'_, C64>) -> Mat<C64> {
    assert_eq!(a.nrows(), a.ncols(), "expm: square matrix expected");
    let k = a.nrows();
    let mut s = ExpmScratch::new(k.max(1));
    let mut out = Mat::zeros(k, k);
    if k > 0 {
        s.exp_into(a, 1.0, out.as_mut(), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expm_of_diagonal_and_nilpotent() {
        for &s in &[1e-3, 0.1, 1.0, 3.0, 30.0, 300.0] {
            let a = Mat::from_fn(3, 3, |i, j| {
                if i == j {
                    C64::new(-(i as f64), 0.5 * i as f64) * s
                } else {
                    C64::new(0.0, 0.0)
                }
            });
            let e = expm(a.as_ref());
            for i in 0..3 {
                let want = (C64::new(-(i as f64), 0.5 * i as f64) * s).exp();
                assert!((e[(i, i)] - want).norm() < 1e-13 * want.norm().max(1.0));
            }
        }
        // Jordan block: exp(t J) = e^{lt} [[1, t], [0, 1]]
        let t = 7.0;
        let a = Mat::from_fn(2, 2, |i, j| match (i, j) {
            (0, 1) => C64::new(t, 0.0),
            (0, 0) | (1, 1) => C64::new(-t, 0.0),
            _ => C64::new(0.0, 0.0),
        });
        let e = expm(a.as_ref());
        let el = (-t).exp();
        assert!((e[(0, 0)].re - el).abs() < 1e-15);
        assert!((e[(0, 1)].re - t * el).abs() < 1e-14 * t * el * 10.0);
        assert!(e[(1, 0)].norm() < 1e-300);
    }

    #[test]
    fn first_column_by_repeated_application_equals_squaring() {
        let k = 12;
        let x = Mat::from_fn(k, k, |i, j| {
            let v = ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.5;
            C64::new(v - if i == j { 1.0 } else { 0.0 }, 0.3 * v)
        });
        for &s in &[0.01, 1.0, 8.0, 40.0, 300.0] {
            let mut sc = ExpmScratch::new(k);
            let mut full = Mat::zeros(k, k);
            let mut col = Mat::zeros(k, k);
            sc.exp_into(x.as_ref(), s, full.as_mut(), false);
            sc.exp_into(x.as_ref(), s, col.as_mut(), true);
            let scale = (0..k).map(|i| full[(i, 0)].norm()).fold(1e-300, f64::max);
            for i in 0..k {
                assert!(
                    (full[(i, 0)] - col[(i, 0)]).norm() < 1e-12 * scale,
                    "s={s} i={i}: {} vs {}",
                    full[(i, 0)],
                    col[(i, 0)]
                );
            }
        }
    }
}
