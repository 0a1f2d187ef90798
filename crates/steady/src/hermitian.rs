//! Real coordinates of Hermitian matrices in the parity block.
//!
//! `L` maps Hermitian matrices to Hermitian matrices (`L(rho^dag) = L(rho)^dag`), so on them it
//! is a real-linear map. A Hermitian `H` in the block is fixed by `Re H[a,a]` and, for `a < b`,
//! `Re H[a,b]`, `Im H[a,b]`: `D^2/2` real numbers, as many as the complex block has entries.
//! Working over the reals halves the memory of a dense matrix and divides the LU work by ~4.

use crate::C64;
use sqz_superop::parity::{block_dim, block_index, full_index};

/// What one real coordinate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coord {
    /// `Re H[a,a]`
    Diag(usize),
    /// `Re H[a,b]`, `a < b`
    Re(usize, usize),
    /// `Im H[a,b]`, `a < b`
    Im(usize, usize),
}

/// The coordinate system for N TLS.
#[derive(Debug, Clone)]
pub struct HermCoords {
    /// number of TLS
    pub n: usize,
    /// the coordinates, in order
    pub coords: Vec<Coord>,
    /// for each block index with `a <= b`: its first coordinate (Diag or Re; Im follows)
    first: Vec<usize>,
}

impl HermCoords {
    /// Coordinates of the parity block of N TLS.
    pub fn new(n: usize) -> Self {
        let bd = block_dim(n);
        let mut coords = Vec::with_capacity(bd);
        let mut first = vec![usize::MAX; bd];
        for k in 0..bd {
            let (a, b) = full_index(n, k);
            if a == b {
                first[k] = coords.len();
                coords.push(Coord::Diag(a));
            } else if a < b {
                first[k] = coords.len();
                coords.push(Coord::Re(a, b));
                coords.push(Coord::Im(a, b));
            }
        }
        debug_assert_eq!(coords.len(), bd);
        Self { n, coords, first }
    }

    /// Number of real coordinates (`4^N / 2`).
    pub fn len(&self) -> usize {
        self.coords.len()
    }

    /// Always false (N >= 1).
    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }

    /// Adds `v` (an element `Y[a,b]` of a Hermitian `Y`, any `a, b` in the block) into the real
    /// coordinate vector `out`; elements with `a > b` are skipped (they repeat `Y[b,a]`).
    #[inline]
    pub fn accumulate(&self, a: usize, b: usize, v: C64, out: &mut [f64]) {
        if a > b {
            return;
        }
        if let Some(k) = block_index(self.n, a, b) {
            let i = self.first[k];
            if a == b {
                out[i] += v.re;
            } else {
                out[i] += v.re;
                out[i + 1] += v.im;
            }
        }
    }

    /// The parity-block complex vector of the Hermitian matrix with coordinates `x`.
    pub fn to_block(&self, x: &[f64]) -> Vec<C64> {
        let mut out = vec![C64::new(0.0, 0.0); block_dim(self.n)];
        for (i, c) in self.coords.iter().enumerate() {
            match *c {
                Coord::Diag(a) => {
                    out[block_index(self.n, a, a).expect("diagonal in block")] = C64::new(x[i], 0.0)
                }
                Coord::Re(a, b) => {
                    let v = C64::new(x[i], x[i + 1]);
                    out[block_index(self.n, a, b).expect("in block")] = v;
                    out[block_index(self.n, b, a).expect("in block")] = v.conj();
                }
                Coord::Im(..) => {}
            }
        }
        out
    }

    /// Coordinates of the Hermitian part of a parity-block vector.
    pub fn from_block(&self, xb: &[C64]) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        for (i, c) in self.coords.iter().enumerate() {
            match *c {
                Coord::Diag(a) => out[i] = xb[block_index(self.n, a, a).expect("diagonal")].re,
                Coord::Re(a, b) => {
                    let v = 0.5
                        * (xb[block_index(self.n, a, b).expect("in block")]
                            + xb[block_index(self.n, b, a).expect("in block")].conj());
                    out[i] = v.re;
                    out[i + 1] = v.im;
                }
                Coord::Im(..) => {}
            }
        }
        out
    }
}
