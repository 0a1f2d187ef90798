//! Local loss and dephasing (beyond the paper's Eq. 3; [`sqz_model::Params::with_local_rates`])
//! in the matrix-free operators: an extra pass after the two-jump engine, present only when a
//! rate is nonzero (the zero-rate operators do exactly what they did before).
//!
//! For every TLS i the Liouvillian gains `gamma_loss D[s-_i] rho + (gamma_deph/2) D[sigma^z_i] rho`
//! with `D[c] rho = c rho c^dag - {c^dag c, rho}/2`. In the basis `rho[a, b]` (formulas of
//! [`crate::csr`], which assembles the same terms):
//!
//! ```text
//! (L_loc rho)[a, b] = -( (gamma_loss/2) (n(a) + n(b)) + gamma_deph |a XOR b| ) rho[a, b]
//!                   + gamma_loss sum_{i: bit i of a and b is 0} rho[a + 2^i, b + 2^i]
//! ```
//!
//! (`n` the excitation number, `|a XOR b|` the number of TLS whose ket and bra differ). The loss
//! jump flips bit i of both `a` and `b`, so it flips both parities together: the weak-parity block
//! (ket parity = bra parity, [`crate::parity`]) is mapped to itself, and a flip of the same bit in
//! `a` and `b` keeps `a < b` (the real form of [`crate::herm`] maps its upper triangle, real parts
//! and imaginary parts each to themselves: the coefficients are real). The pass therefore works
//! unchanged on complex full-space and parity-block vectors and on the real Hermitian form.
//!
//! Cost: one more sweep-triple over the vectors (read `x`, read and write `y`,
//! [`LOCAL_SWEEPS`]; the `N` loss sources of an output column are `N` other columns of `x`, read
//! once each per column, mostly from cache) and `1 + N/4` complex multiply-adds per element on
//! average (a bit pair `(0, 0)` in a quarter of the elements), `1` if only dephasing. Parallel over
//! disjoint chunks of output columns; no allocation.

use crate::basis::{hilbert_dim, parity};
use crate::kernel::Geometry;
use rayon::prelude::*;
use sqz_model::Params;
use std::ops::{AddAssign, Mul};

/// Extra vector sweeps of the local pass: reads `x`, reads and writes `y`.
pub const LOCAL_SWEEPS: usize = 3;

/// The local terms of one operator in one geometry (module docs).
#[derive(Debug, Clone)]
pub(crate) struct LocalPass {
    n: usize,
    geometry: Geometry,
    gamma_loss: f64,
    gamma_deph: f64,
}

impl LocalPass {
    /// The pass of `p`'s local rates, `None` when both are 0 (no work at all then).
    pub fn new(p: &Params, geometry: Geometry) -> Option<Self> {
        p.has_local_rates().then(|| Self {
            n: p.n(),
            geometry,
            gamma_loss: p.gamma_loss(),
            gamma_deph: p.gamma_deph(),
        })
    }

    /// Rows of the stored matrix (`D` full, `D/2` parity block); columns are always `D`.
    fn nrows(&self) -> usize {
        let d = hilbert_dim(self.n);
        match self.geometry {
            Geometry::Full => d,
            Geometry::Parity => (d / 2).max(1),
        }
    }

    /// Complex multiply-adds per apply (module docs: `1 + N/4` per element with loss).
    pub fn madds(&self, dim: usize) -> u64 {
        let per = if self.gamma_loss != 0.0 {
            1.0 + self.n as f64 / 4.0
        } else {
            1.0
        };
        (per * dim as f64).round() as u64
    }

    /// `y += L_loc x` on vectors of the geometry (complex, or the real Hermitian form).
    ///
    /// # Panics
    /// If the lengths are not those of the geometry.
    pub fn add<T>(&self, x: &[T], y: &mut [T])
    where
        T: Copy + Send + Sync + AddAssign + Mul<f64, Output = T>,
    {
        let n = self.n;
        let d = hilbert_dim(n);
        let nrows = self.nrows();
        assert_eq!(x.len(), nrows * d, "local pass: input length");
        assert_eq!(y.len(), nrows * d, "local pass: output length");
        let geometry = self.geometry;
        let h = nrows;
        // (ket index a of row r at bra parity p, row of a ket index, column of a bra index)
        let ket = move |r: usize, p: usize| match geometry {
            Geometry::Full => r,
            Geometry::Parity => (r << 1) | (parity(r) ^ p),
        };
        let row = move |a: usize| match geometry {
            Geometry::Full => a,
            Geometry::Parity => a >> 1,
        };
        let col = move |b: usize| match geometry {
            Geometry::Full => b,
            Geometry::Parity => (b >> 1) + h * parity(b),
        };
        let bra = move |c: usize| match geometry {
            Geometry::Full => c,
            Geometry::Parity => {
                let (hb, p) = (c % h, c / h);
                (hb << 1) | (parity(hb) ^ p)
            }
        };
        let (gl, gd) = (self.gamma_loss, self.gamma_deph);
        let cols_per = d.div_ceil(4 * rayon::current_num_threads().max(1)).max(1);
        let cols_per = if x.len() < 1 << 12 { d } else { cols_per };
        y.par_chunks_mut(cols_per * nrows)
            .enumerate()
            .for_each(|(chunk, yc)| {
                // source columns of the loss jumps of bit i, per output column
                let mut src_col = [0usize; 64];
                for (k, ycol) in yc.chunks_mut(nrows).enumerate() {
                    let c = chunk * cols_per + k;
                    let b = bra(c);
                    let p = parity(b);
                    let free_b = !b & (d - 1);
                    if gl != 0.0 {
                        for (i, s) in src_col.iter_mut().enumerate().take(n) {
                            if free_b >> i & 1 == 1 {
                                *s = col(b | 1 << i) * nrows;
                            }
                        }
                    }
                    let xcol = &x[c * nrows..(c + 1) * nrows];
                    let nb = b.count_ones();
                    for (r, out) in ycol.iter_mut().enumerate() {
                        let a = ket(r, p);
                        let diag = -0.5 * gl * f64::from(a.count_ones() + nb)
                            - gd * f64::from((a ^ b).count_ones());
                        let mut acc = xcol[r] * diag;
                        if gl != 0.0 {
                            let mut free = free_b & !a;
                            while free != 0 {
                                let i = free.trailing_zeros() as usize;
                                free &= free - 1;
                                acc += x[src_col[i] + row(a | 1 << i)] * gl;
                            }
                        }
                        *out += acc;
                    }
                }
            });
    }
}
