//! The scalars the Krylov methods work over: `f64` (real forms, e.g. the real coordinates of
//! Hermitian matrices) and `C64`, with the two SIMD kernels the fused Gram-Schmidt sweeps of
//! [`crate::orth`] are built from.

use crate::C64;
use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real or complex scalar.
pub trait Scalar:
    Copy
    + Clone
    + Send
    + Sync
    + Default
    + PartialEq
    + Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
{
    /// complex conjugate (identity for reals)
    fn conj(self) -> Self;
    /// `|x|^2`
    fn abs2(self) -> f64;
    /// `|x|`
    fn abs(self) -> f64 {
        self.abs2().sqrt()
    }
    /// the real number `x`
    fn from_re(x: f64) -> Self;
    /// real part
    fn re(self) -> f64;
    /// `sum conj(a_i) b_i` in SIMD registers (call inside a `pulp` dispatch)
    fn simd_dot<S: pulp::Simd>(simd: S, a: &[Self], b: &[Self]) -> Self;
    /// `p -= c v` in SIMD registers (call inside a `pulp` dispatch)
    fn simd_axpy_neg<S: pulp::Simd>(simd: S, c: Self, v: &[Self], p: &mut [Self]);
}

impl Scalar for f64 {
    #[inline(always)]
    fn conj(self) -> Self {
        self
    }
    #[inline(always)]
    fn abs2(self) -> f64 {
        self * self
    }
    #[inline(always)]
    fn from_re(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self
    }
    #[inline(always)]
    fn simd_dot<S: pulp::Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
        let (av, at) = S::as_simd_f64s(a);
        let (bv, bt) = S::as_simd_f64s(b);
        let zero = simd.splat_f64s(0.0);
        let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
        let (ac, ar) = av.split_at(av.len() / 4 * 4);
        let (bc, br) = bv.split_at(ac.len());
        for (x, y) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
            s0 = simd.mul_add_f64s(x[0], y[0], s0);
            s1 = simd.mul_add_f64s(x[1], y[1], s1);
            s2 = simd.mul_add_f64s(x[2], y[2], s2);
            s3 = simd.mul_add_f64s(x[3], y[3], s3);
        }
        for (x, y) in ar.iter().zip(br) {
            s0 = simd.mul_add_f64s(*x, *y, s0);
        }
        let s = simd.add_f64s(simd.add_f64s(s0, s1), simd.add_f64s(s2, s3));
        let mut r = simd.reduce_sum_f64s(s);
        for (x, y) in at.iter().zip(bt) {
            r += x * y;
        }
        r
    }
    #[inline(always)]
    fn simd_axpy_neg<S: pulp::Simd>(simd: S, c: f64, v: &[f64], p: &mut [f64]) {
        let mc = simd.splat_f64s(-c);
        let (pv, pt) = S::as_mut_simd_f64s(p);
        let (vv, vt) = S::as_simd_f64s(v);
        for (x, y) in pv.iter_mut().zip(vv) {
            *x = simd.mul_add_f64s(mc, *y, *x);
        }
        for (x, y) in pt.iter_mut().zip(vt) {
            *x -= c * y;
        }
    }
}

impl Scalar for C64 {
    #[inline(always)]
    fn conj(self) -> Self {
        num_complex::Complex::conj(&self)
    }
    #[inline(always)]
    fn abs2(self) -> f64 {
        self.norm_sqr()
    }
    #[inline(always)]
    fn from_re(x: f64) -> Self {
        C64::new(x, 0.0)
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self.re
    }
    #[inline(always)]
    fn simd_dot<S: pulp::Simd>(simd: S, a: &[C64], b: &[C64]) -> C64 {
        let (av, at) = S::as_simd_c64s(a);
        let (bv, bt) = S::as_simd_c64s(b);
        let zero = simd.splat_c64s(C64::new(0.0, 0.0));
        let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
        let (ac, ar) = av.split_at(av.len() / 4 * 4);
        let (bc, br) = bv.split_at(ac.len());
        for (x, y) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
            s0 = simd.conj_mul_add_c64s(x[0], y[0], s0);
            s1 = simd.conj_mul_add_c64s(x[1], y[1], s1);
            s2 = simd.conj_mul_add_c64s(x[2], y[2], s2);
            s3 = simd.conj_mul_add_c64s(x[3], y[3], s3);
        }
        for (x, y) in ar.iter().zip(br) {
            s0 = simd.conj_mul_add_c64s(*x, *y, s0);
        }
        let s = simd.add_c64s(simd.add_c64s(s0, s1), simd.add_c64s(s2, s3));
        let mut r = simd.reduce_sum_c64s(s);
        for (x, y) in at.iter().zip(bt) {
            r += x.conj() * y;
        }
        r
    }
    #[inline(always)]
    fn simd_axpy_neg<S: pulp::Simd>(simd: S, c: C64, v: &[C64], p: &mut [C64]) {
        let mc = simd.splat_c64s(-c);
        let (pv, pt) = S::as_mut_simd_c64s(p);
        let (vv, vt) = S::as_simd_c64s(v);
        for (x, y) in pv.iter_mut().zip(vv) {
            *x = simd.mul_add_c64s(mc, *y, *x);
        }
        for (x, y) in pt.iter_mut().zip(vt) {
            *x -= c * y;
        }
    }
}
