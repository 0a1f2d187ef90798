//! Collective spin operators in the Dicke basis of total spin `j = N/2`.
//!
//! Basis index `k = m + j` for `m = -j..j` ascending: index 0 is `|j,-j>` (all TLS in `|g>`).
//! `S+ |j,m> = sqrt(j(j+1) - m(m+1)) |j,m+1>`.

use crate::sparse::SparseOp;
use crate::C64;

/// `sqrt(j(j+1) - m(m+1))` for the basis index `k` (m = k - j): the matrix element
/// `<k+1| S+ |k>`.
pub fn s_plus_element(n: usize, k: usize) -> f64 {
    // j(j+1) - m(m+1) = (j - m)(j + m + 1) = (n - k)(k + 1)
    (((n - k) * (k + 1)) as f64).sqrt()
}

/// `m` of basis index `k`.
pub fn m_of(n: usize, k: usize) -> f64 {
    k as f64 - n as f64 / 2.0
}

/// `S+` on the `N+1`-dimensional Dicke space.
pub fn s_plus(n: usize) -> SparseOp {
    SparseOp::new(
        n + 1,
        (0..n).map(|k| (k + 1, k, C64::new(s_plus_element(n, k), 0.0))),
    )
}

/// `S-` on the Dicke space.
pub fn s_minus(n: usize) -> SparseOp {
    s_plus(n).adjoint()
}

/// `S^z` on the Dicke space.
pub fn s_z(n: usize) -> SparseOp {
    SparseOp::new(n + 1, (0..=n).map(|k| (k, k, C64::new(m_of(n, k), 0.0))))
}

/// `S^x = (S+ + S-)/2`.
pub fn s_x(n: usize) -> SparseOp {
    s_plus(n).axpby(C64::new(0.5, 0.0), &s_minus(n), C64::new(0.5, 0.0))
}

/// `S^y = (S+ - S-)/(2i)`.
pub fn s_y(n: usize) -> SparseOp {
    s_plus(n).axpby(C64::new(0.0, -0.5), &s_minus(n), C64::new(0.0, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commutation_relations() {
        for n in [1, 2, 5] {
            let (sp, sm, sz) = (s_plus(n), s_minus(n), s_z(n));
            let comm = sp
                .mul(&sm)
                .axpby(C64::new(1.0, 0.0), &sm.mul(&sp), C64::new(-1.0, 0.0));
            let want = sz.axpby(C64::new(2.0, 0.0), &sz, C64::new(0.0, 0.0));
            assert_eq!(comm.entries.len(), want.entries.len());
            for (a, b) in comm.entries.iter().zip(&want.entries) {
                assert_eq!((a.0, a.1), (b.0, b.1));
                assert!((a.2 - b.2).norm() < 1e-12);
            }
        }
    }
}
