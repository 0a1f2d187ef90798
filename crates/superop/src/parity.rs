//! The weak-parity block of Eq. 3: a matrix-free operator on half of the Liouville space.
//!
//! With `P = prod_i sigma^z_i`, `rho -> P rho P` commutes with the Liouvillian (every jump flips
//! one excitation, `H` conserves them), so `L` maps the two halves "ket and bra excitation
//! numbers of equal parity" and "of different parity" to themselves. The physical one, which
//! contains the all-ground state `|0><0|`, is the equal-parity block handled here.
//!
//! ## Index map
//! With `D = 2^N`, `H = D/2` and `p(x)` the parity of the excitation number of `x`, an element
//! `rho[a, b]` with `p(a) = p(b) = p` sits at
//!
//! ```text
//! k = (a >> 1) + H * ( (b >> 1) + H * p )          (0 <= k < D^2 / 2)
//! ```
//!
//! i.e. the block is a column-major `H x D` matrix whose rows are the ket states with the lowest
//! bit dropped, and whose columns are the bra states ordered even parity first. The dropped bit is
//! fixed by the parity: `a = (h_a << 1) | (p(h_a) ^ p)`, `b = (h_b << 1) | (p(h_b) ^ p)`.
//! [`block_index`] and [`full_index`] implement the two directions, [`embed`] and [`restrict`]
//! the vector maps.
//!
//! The operator is the same two-jump engine as [`crate::matfree`] with every site index
//! relabelled (a bit flip `a ^ m` becomes `h ^ (m >> 1)` on the ket and
//! `c ^ ((m >> 1) | p(m) << (N-1))` on the bra column): half the memory and half the work of the
//! full operator. (A further factor 2 would come from Hermiticity, `L(rho^dag) = L(rho)^dag`,
//! over the reals; not done, the Krylov solvers work over the complex numbers.)

use crate::basis::{hilbert_dim, parity, side};
use crate::engine_op::{EngineOp, ParityHalf};
use crate::C64;

/// Dimension of the block, `4^N / 2`.
pub fn block_dim(n: usize) -> usize {
    let d = hilbert_dim(n);
    d * d / 2
}

/// Block index of `rho[a, b]`, `None` if `p(a) != p(b)` (the element is not in the block).
///
/// # Panics
/// If `a` or `b` is not below `2^N`.
#[inline]
pub fn block_index(n: usize, a: usize, b: usize) -> Option<usize> {
    let d = hilbert_dim(n);
    assert!(a < d && b < d, "basis index out of range for N = {n}");
    let h = d / 2;
    let p = parity(b);
    (parity(a) == p).then_some((a >> 1) + h * ((b >> 1) + h * p))
}

/// `(a, b)` of block index `k`.
///
/// # Panics
/// If `k >= block_dim(n)`.
#[inline]
pub fn full_index(n: usize, k: usize) -> (usize, usize) {
    assert!(k < block_dim(n), "block index {k} out of range for N = {n}");
    let h = hilbert_dim(n) / 2;
    let (ha, c) = (k % h, k / h);
    let (hb, p) = (c % h, c / h);
    ((ha << 1) | (parity(ha) ^ p), (hb << 1) | (parity(hb) ^ p))
}

/// The block part of a full-space `vec(rho)` (the other half is dropped).
///
/// # Panics
/// If `x.len()` is not `4^N`.
pub fn restrict(n: usize, x: &[C64]) -> Vec<C64> {
    let mut out = vec![C64::new(0.0, 0.0); block_dim(n)];
    restrict_into(n, x, &mut out);
    out
}

/// [`restrict`] into `out` (length `4^N / 2`).
pub fn restrict_into(n: usize, x: &[C64], out: &mut [C64]) {
    let d = hilbert_dim(n);
    assert_eq!(x.len(), d * d, "full vector length");
    assert_eq!(out.len(), d * d / 2, "block vector length");
    for (k, o) in out.iter_mut().enumerate() {
        let (a, b) = full_index(n, k);
        *o = x[a + d * b];
    }
}

/// The full-space `vec(rho)` of a block vector (zeros outside the block).
///
/// # Panics
/// If `xb.len()` is not `4^N / 2`.
pub fn embed(n: usize, xb: &[C64]) -> Vec<C64> {
    let d = hilbert_dim(n);
    let mut out = vec![C64::new(0.0, 0.0); d * d];
    embed_into(n, xb, &mut out);
    out
}

/// [`embed`] into `out` (length `4^N`; elements outside the block are set to zero).
pub fn embed_into(n: usize, xb: &[C64], out: &mut [C64]) {
    let d = hilbert_dim(n);
    assert_eq!(out.len(), d * d, "full vector length");
    assert_eq!(xb.len(), d * d / 2, "block vector length");
    out.iter_mut().for_each(|v| *v = C64::new(0.0, 0.0));
    for (k, v) in xb.iter().enumerate() {
        let (a, b) = full_index(n, k);
        out[a + d * b] = *v;
    }
}

/// `Tr rho` of a block vector.
pub fn trace(n: usize, xb: &[C64]) -> C64 {
    let d = hilbert_dim(n);
    assert_eq!(xb.len(), d * d / 2, "block vector length");
    (0..d)
        .map(|a| xb[block_index(n, a, a).expect("diagonal is in the block")])
        .sum()
}

/// The block vector of all TLS in `|g>`.
pub fn ground_state(n: usize) -> Vec<C64> {
    let mut v = vec![C64::new(0.0, 0.0); block_dim(n)];
    v[0] = C64::new(1.0, 0.0);
    v
}

/// `N` from a block-vector length.
///
/// # Panics
/// If `len` is not `4^N / 2`.
pub fn n_of_len(len: usize) -> usize {
    side(2 * len).trailing_zeros() as usize
}

/// The Eq. 3 Liouvillian restricted to the equal-parity block, matrix-free (two-jump form).
pub type ParityBlock = EngineOp<ParityHalf>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_map_is_a_bijection_onto_the_equal_parity_half() {
        for n in 1..=5 {
            let d = hilbert_dim(n);
            let mut seen = vec![false; block_dim(n)];
            for b in 0..d {
                for a in 0..d {
                    match block_index(n, a, b) {
                        Some(k) => {
                            assert!(!seen[k]);
                            seen[k] = true;
                            assert_eq!(full_index(n, k), (a, b));
                        }
                        None => assert_ne!(parity(a), parity(b)),
                    }
                }
            }
            assert!(seen.iter().all(|&s| s));
            assert_eq!(block_index(n, 0, 0), Some(0));
            assert_eq!(n_of_len(block_dim(n)), n);
        }
    }
}
