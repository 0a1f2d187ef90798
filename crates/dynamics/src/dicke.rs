//! The Eq. 7 Liouvillian in the Dicke basis as a CSR [`LinOp`].
//!
//! Eq. 7 (`sqz_model::collective`) acts on the `(N+1)^2` elements of `vec(rho)` (column-major,
//! Dicke index `k = m + j`). Its triplets come from
//! [`sqz_model::collective::liouvillian_triplets`] (at most 9 per column: `S^z` commutator, the
//! `D(S+,S-)`, `D(S-,S+)` sandwiches and anticommutators, and the `D(S+,S+)`, `D(S-,S-)` terms
//! that shift both indices by two); here they are sorted into rows once, so that an apply is one
//! pass over the rows (parallel above [`PAR_MIN_ROWS`] rows).

use num_complex::Complex64 as C64;
use rayon::prelude::*;
use sqz_krylov::LinOp;
use sqz_model::{collective, Params};

/// Below this many rows an apply runs on one thread.
pub const PAR_MIN_ROWS: usize = 1 << 14;

/// Bytes per stored nonzero (value + column index) in [`DickeLiouvillian`].
const BYTES_PER_NNZ: u64 = 16 + 8;
/// Upper bound on the nonzeros per row of Eq. 7 used by [`DickeLiouvillian::bytes_estimate`].
const MAX_ROW_NNZ: u64 = 9;

/// The Eq. 7 Liouvillian of `(N+1)^2` dimension, compressed sparse rows.
#[derive(Debug, Clone)]
pub struct DickeLiouvillian {
    dim: usize,
    row_ptr: Vec<usize>,
    col: Vec<usize>,
    val: Vec<C64>,
}

impl DickeLiouvillian {
    /// Assembles Eq. 7 for `p` (the caller checks memory first with [`Self::bytes_estimate`]).
    pub fn new(p: &Params) -> Self {
        let d = p.n() + 1;
        let dim = d * d;
        let trip = collective::liouvillian_triplets(p);
        let mut row_ptr = vec![0usize; dim + 1];
        for &(r, _, _) in &trip {
            row_ptr[r + 1] += 1;
        }
        for r in 0..dim {
            row_ptr[r + 1] += row_ptr[r];
        }
        let mut next = row_ptr.clone();
        let mut col = vec![0usize; trip.len()];
        let mut val = vec![C64::new(0.0, 0.0); trip.len()];
        // triplets are sorted by column, so each row comes out sorted by column
        for &(r, c, v) in &trip {
            let k = next[r];
            col[k] = c;
            val[k] = v;
            next[r] += 1;
        }
        Self {
            dim,
            row_ptr,
            col,
            val,
        }
    }

    /// Upper bound on the bytes of the operator at `n` TLS (including the assembly triplets).
    pub fn bytes_estimate(n: usize) -> u64 {
        let dim = ((n as u64) + 1).pow(2);
        // CSR + the triplets it is sorted from (row, col, value = 32 bytes each)
        dim * MAX_ROW_NNZ * (BYTES_PER_NNZ + 32) + 8 * (dim + 1)
    }

    fn row(&self, r: usize, x: &[C64]) -> C64 {
        let (a, b) = (self.row_ptr[r], self.row_ptr[r + 1]);
        self.col[a..b]
            .iter()
            .zip(&self.val[a..b])
            .map(|(&c, &v)| v * x[c])
            .sum()
    }
}

impl LinOp<C64> for DickeLiouvillian {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.dim
    }

    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        assert_eq!(x.len(), self.dim, "DickeLiouvillian: input length");
        assert_eq!(y.len(), self.dim, "DickeLiouvillian: output length");
        if self.dim >= PAR_MIN_ROWS {
            const CHUNK: usize = 2048;
            y.par_chunks_mut(CHUNK).enumerate().for_each(|(c, ys)| {
                for (i, yi) in ys.iter_mut().enumerate() {
                    *yi = self.row(c * CHUNK + i, x);
                }
            });
        } else {
            for (r, yi) in y.iter_mut().enumerate() {
                *yi = self.row(r, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_apply_equals_triplet_apply() {
        for n in [1usize, 4, 9, 130] {
            let p = Params::new(n, 0.7, 0.3, 1.2).unwrap();
            let op = DickeLiouvillian::new(&p);
            let dim = (n + 1) * (n + 1);
            let x: Vec<C64> = (0..dim)
                .map(|k| C64::new((k % 7) as f64 - 3.0, (k % 5) as f64 * 0.5))
                .collect();
            let mut y = vec![C64::new(0.0, 0.0); dim];
            op.apply(&x, &mut y, &mut ());
            let mut want = vec![C64::new(0.0, 0.0); dim];
            for (r, c, v) in collective::liouvillian_triplets(&p) {
                want[r] += v * x[c];
            }
            let err = y
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-10, "n={n}: {err}");
            assert!(op.val.len() as u64 <= dim as u64 * MAX_ROW_NNZ);
        }
    }
}
