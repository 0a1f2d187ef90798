//! Collective-spin moments of a full-space density matrix, for `xi_R^2`.
//!
//! `S^- = sum_i sigma_i`, `S^+ = (S^-)^dag`, `S^z = sum_i (n_i - 1/2)`,
//! `S^x = (S^+ + S^-)/2`, `S^y = (S^+ - S^-)/(2i)`. Expectations are `Tr(rho X)` of the given
//! `rho` (no renormalisation), as in the fixtures. `Tr(rho X Y) = sum_b sum_c rho[b, c] <c|X Y|b>`
//! is summed over the `O(N^2)` states `c` reachable from each basis state `b`: `O(N^2 2^N)` work
//! in total, negligible next to one Liouvillian apply. [`SpinMoments::squeezing`] then gives
//! `xi_R^2` (definitions in [`sqz_model::observables`]).

use crate::basis::{excitations, hilbert_dim, side};
use crate::parity::block_index;
use crate::C64;
use sqz_model::observables::SpinMoments;

/// 0: `S^+`, 1: `S^-`, 2: `S^z`; pushes `(c, <c|O|s> * amp)`.
fn apply_op(op: usize, n: usize, s: usize, amp: f64, out: &mut Vec<(usize, f64)>) {
    match op {
        0 => out.extend(
            (0..n)
                .filter(|i| s >> i & 1 == 0)
                .map(|i| (s | 1 << i, amp)),
        ),
        1 => out.extend(
            (0..n)
                .filter(|i| s >> i & 1 == 1)
                .map(|i| (s & !(1 << i), amp)),
        ),
        _ => out.push((s, amp * (excitations(s) as f64 - 0.5 * n as f64))),
    }
}

/// Moments from an element accessor `rho(a, b)`.
pub fn moments_with(n: usize, rho: impl Fn(usize, usize) -> C64) -> SpinMoments {
    let d = hilbert_dim(n);
    let mut e1 = [C64::new(0.0, 0.0); 3];
    let mut e2 = [[C64::new(0.0, 0.0); 3]; 3];
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for b in 0..d {
        for k in 0..3 {
            first.clear();
            apply_op(k, n, b, 1.0, &mut first);
            e1[k] += first.iter().map(|&(c, amp)| rho(b, c) * amp).sum::<C64>();
        }
        for l in 0..3 {
            first.clear();
            apply_op(l, n, b, 1.0, &mut first);
            for k in 0..3 {
                second.clear();
                for &(c1, amp) in &first {
                    apply_op(k, n, c1, amp, &mut second);
                }
                e2[k][l] += second.iter().map(|&(c, amp)| rho(b, c) * amp).sum::<C64>();
            }
        }
    }
    // S_a = sum_k w[a][k] O_k
    let h = C64::new(0.5, 0.0);
    let ih = C64::new(0.0, 0.5);
    let z = C64::new(0.0, 0.0);
    let w = [[h, h, z], [-ih, ih, z], [z, z, C64::new(1.0, 0.0)]];
    let mut mean = [0.0; 3];
    let mut sec = [[0.0; 3]; 3];
    for a in 0..3 {
        mean[a] = (0..3).map(|k| w[a][k] * e1[k]).sum::<C64>().re;
        for bb in 0..3 {
            let mut s = C64::new(0.0, 0.0);
            for k in 0..3 {
                for l in 0..3 {
                    s += w[a][k] * w[bb][l] * e2[k][l];
                }
            }
            sec[a][bb] = s.re;
        }
    }
    SpinMoments {
        n,
        mean,
        second: sec,
    }
}

/// Moments of a full-space `vec(rho)` (length `4^N`, column-major).
///
/// # Panics
/// If `x.len()` is not `4^N`.
pub fn moments(x: &[C64]) -> SpinMoments {
    let d = side(x.len());
    let n = d.trailing_zeros() as usize;
    moments_with(n, |a, b| x[a + d * b])
}

/// Moments of a parity-block vector ([`crate::parity`]); elements outside the block are zero.
///
/// # Panics
/// If `xb.len()` is not `4^N / 2`.
pub fn moments_parity(xb: &[C64]) -> SpinMoments {
    let n = crate::parity::n_of_len(xb.len());
    moments_with(n, |a, b| {
        block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| xb[k])
    })
}
