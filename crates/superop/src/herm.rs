//! The real form of the weak-parity block over Hermitian matrices: half the numbers of the
//! complex block, the same index map.
//!
//! `L` maps Hermitian matrices to Hermitian matrices (`L(rho^dag) = L(rho)^dag`), so on them it is
//! a real-linear map of `4^N / 2` real coordinates. In the block layout of [`crate::parity`] the
//! block is `[M_0 | M_1]` with `M_p` the `H x H` matrix (`H = 2^N / 2`) of the ket and bra half
//! indices `(h_a, h_b)` at parity `p`, and `a < b` exactly when `h_a < h_b` (the dropped bit is
//! fixed by the parity). The real form `X` stores, at the block index of `(h_a, h_b)`,
//!
//! ```text
//! X = Re M_p[h_a, h_b]   (h_a <= h_b),        X = Im M_p[h_b, h_a]   (h_a > h_b)
//! ```
//!
//! i.e. the upper triangle's real parts and, mirrored below the diagonal, its imaginary parts;
//! the diagonal is real. [`to_complex`] and [`to_real`] convert (cache-blocked transposes),
//! [`HermParity`] applies `L` in this form ([`sqz_krylov::LinOp`] over `f64`, caller-owned
//! scratch, no lock). The real inner product `<X, Y> = sum X_k Y_k` is, on the matrices,
//! `sum_a rho_aa sigma_aa + Re sum_{a != b} conj(rho_ab) sigma_ab / 2`.
//!
//! Local loss and dephasing ([`crate::local`]) have real coefficients and map the upper triangle
//! to itself, so their pass runs directly on the real form (after the engine's apply).

use crate::basis::hilbert_dim;
use crate::kernel::{Engine, Geometry, Scratch};
use crate::lindblad::TwoJump;
use crate::local::LocalPass;
use crate::memory::{self, Operator, Requirement};
use crate::{SuperopError, C64};
use rayon::prelude::*;
use sqz_krylov::LinOp;
use sqz_model::Params;

/// Tile edge of the blocked transposes.
const TILE: usize = 64;

/// `H = 2^N / 2` (1 for N = 0).
fn half(n: usize) -> usize {
    (hilbert_dim(n) / 2).max(1)
}

/// The complex block vector (Hermitian) of the real form `x`; `out` is overwritten.
///
/// # Panics
/// If the lengths are not `4^N / 2`.
pub fn to_complex(n: usize, x: &[f64], out: &mut [C64]) {
    let h = half(n);
    assert_eq!(x.len(), 2 * h * h, "real form length");
    assert_eq!(out.len(), 2 * h * h, "block length");
    out.par_chunks_mut(h * TILE.min(h))
        .enumerate()
        .for_each(|(chunk, o)| {
            let cols_per = TILE.min(h);
            let col0 = chunk * cols_per; // column over both parities: (p, hb)
            let (p, hb0) = (col0 / h, col0 % h);
            let base = p * h * h;
            let ncols = o.len() / h;
            for ha0 in (0..h).step_by(TILE) {
                let ha1 = (ha0 + TILE).min(h);
                for c in 0..ncols {
                    let hb = hb0 + c;
                    for ha in ha0..ha1 {
                        let v = match ha.cmp(&hb) {
                            std::cmp::Ordering::Less => {
                                C64::new(x[base + ha + h * hb], x[base + hb + h * ha])
                            }
                            std::cmp::Ordering::Greater => {
                                C64::new(x[base + hb + h * ha], -x[base + ha + h * hb])
                            }
                            std::cmp::Ordering::Equal => C64::new(x[base + ha + h * hb], 0.0),
                        };
                        o[ha + h * c] = v;
                    }
                }
            }
        });
}

/// The real form of the complex block vector `y` (taken as Hermitian: only its upper triangle,
/// `h_a <= h_b`, is read); `out` is overwritten.
///
/// # Panics
/// If the lengths are not `4^N / 2`.
pub fn to_real(n: usize, y: &[C64], out: &mut [f64]) {
    let h = half(n);
    assert_eq!(y.len(), 2 * h * h, "block length");
    assert_eq!(out.len(), 2 * h * h, "real form length");
    out.par_chunks_mut(h * TILE.min(h))
        .enumerate()
        .for_each(|(chunk, o)| {
            let cols_per = TILE.min(h);
            let col0 = chunk * cols_per;
            let (p, hb0) = (col0 / h, col0 % h);
            let base = p * h * h;
            let ncols = o.len() / h;
            for ha0 in (0..h).step_by(TILE) {
                let ha1 = (ha0 + TILE).min(h);
                for c in 0..ncols {
                    let hb = hb0 + c;
                    for ha in ha0..ha1 {
                        o[ha + h * c] = if ha <= hb {
                            y[base + ha + h * hb].re
                        } else {
                            y[base + hb + h * ha].im
                        };
                    }
                }
            }
        });
}

/// Scratch of one [`HermParity`] application: the complex input and output and the kernel's
/// scratch.
#[derive(Debug, Clone)]
pub struct HermScratch {
    xc: Vec<C64>,
    yc: Vec<C64>,
    gx: Vec<C64>,
    kernel: Scratch,
}

/// The Eq. 3 Liouvillian on the real form of Hermitian parity-block matrices (module docs).
#[derive(Debug)]
pub struct HermParity {
    n: usize,
    engine: Engine,
    /// the local loss/dephasing pass, `None` without local rates
    local: Option<LocalPass>,
}

impl HermParity {
    /// Builds the operator (no vector allocated: the scratch is the caller's); memory-guarded
    /// like [`crate::ParityBlock`].
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SuperopError> {
        crate::validate(p, z)?;
        memory::guard(Requirement::operator(Operator::ParityBlock), p.n())?;
        Ok(Self {
            n: p.n(),
            engine: Engine::new(&TwoJump::new(p, z), Geometry::Parity),
            local: LocalPass::new(p, Geometry::Parity),
        })
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Bytes of one [`HermScratch`] at N: three complex block vectors and the kernel's scratch
    /// (two tile-major block vectors plus per-task buffers).
    pub fn scratch_bytes_for(n: usize) -> u64 {
        let bd = crate::parity::block_dim(n) as u64;
        let d = hilbert_dim(n) as u64;
        5 * 16 * bd + 2 * 16 * d * (4 * rayon::current_num_threads() as u64).max(1)
    }

    /// A kernel scratch for [`HermParity::apply_complex`].
    pub fn new_kernel_scratch(&self) -> Scratch {
        self.engine.new_scratch()
    }

    /// `y = L x` on complex block vectors (the ordinary parity-block apply).
    pub fn apply_complex(&self, x: &[C64], y: &mut [C64], s: &mut Scratch) {
        self.engine.apply(x, y, s);
        if let Some(l) = &self.local {
            l.add(x, y);
        }
    }

    /// Whether the operator has local loss or dephasing terms.
    pub fn has_local_rates(&self) -> bool {
        self.local.is_some()
    }

    /// `y = L x` for a Hermitian complex block vector `x`, exact on the upper triangle
    /// `h_a <= h_b` (what [`to_real`] reads); `gx` is a block-length work vector. About 1.75
    /// times fewer multiply-adds than [`HermParity::apply_complex`] (the pair terms of the
    /// one-sided operator once instead of twice, half of the ket-side jumps).
    pub fn apply_hermitian_upper(&self, x: &[C64], y: &mut [C64], s: &mut Scratch, gx: &mut [C64]) {
        self.engine.apply_hermitian_upper(x, y, s, gx);
        if let Some(l) = &self.local {
            l.add(x, y);
        }
    }
}

impl LinOp<f64> for HermParity {
    type Scratch = HermScratch;

    fn dim(&self) -> usize {
        self.engine.dim()
    }

    fn new_scratch(&self) -> HermScratch {
        let bd = self.engine.dim();
        HermScratch {
            xc: vec![C64::default(); bd],
            yc: vec![C64::default(); bd],
            gx: vec![C64::default(); bd],
            kernel: self.engine.new_scratch(),
        }
    }

    fn scratch_bytes(&self) -> u64 {
        Self::scratch_bytes_for(self.n)
    }

    fn apply(&self, x: &[f64], y: &mut [f64], s: &mut HermScratch) {
        to_complex(self.n, x, &mut s.xc);
        self.engine
            .apply_hermitian_upper(&s.xc, &mut s.yc, &mut s.kernel, &mut s.gx);
        to_real(self.n, &s.yc, y);
        if let Some(l) = &self.local {
            l.add(x, y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parity::{block_dim, full_index};

    fn hermitian_block(n: usize, seed: u64) -> Vec<C64> {
        let d = hilbert_dim(n);
        let val = |a: usize, b: usize| {
            let t = (a * 31 + b * 17) as f64 + seed as f64;
            C64::new((t * 0.37).sin(), (t * 0.91).cos())
        };
        (0..block_dim(n))
            .map(|k| {
                let (a, b) = full_index(n, k);
                match a.cmp(&b) {
                    std::cmp::Ordering::Less => val(a, b),
                    std::cmp::Ordering::Greater => val(b, a).conj(),
                    std::cmp::Ordering::Equal => C64::new(val(a, a).re, 0.0),
                }
            })
            .take(d * d / 2)
            .collect()
    }

    #[test]
    fn real_form_round_trips_and_applies_like_the_complex_block() {
        for n in [1usize, 2, 3, 5, 8] {
            let x = hermitian_block(n, 3);
            let bd = block_dim(n);
            let mut xr = vec![0.0; bd];
            to_real(n, &x, &mut xr);
            let mut back = vec![C64::default(); bd];
            to_complex(n, &xr, &mut back);
            let err = x
                .iter()
                .zip(&back)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(err == 0.0, "N = {n}: round trip {err:e}");
            // <X, X> = sum |rho_aa|^2 + sum_{a != b} |rho_ab|^2 / 2
            let want: f64 = (0..bd)
                .map(|k| {
                    let (a, b) = full_index(n, k);
                    x[k].norm_sqr() * if a == b { 1.0 } else { 0.5 }
                })
                .sum();
            let got: f64 = xr.iter().map(|v| v * v).sum();
            assert!((got - want).abs() < 1e-12 * want.max(1.0));
            if n >= 2 {
                let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
                let z: Vec<f64> = (0..n)
                    .map(|i| 6.2 * i as f64 + 0.1 * (i as f64).sin())
                    .collect();
                let op = HermParity::new(&p, &z).unwrap();
                let blk = crate::ParityBlock::new(&p, &z).unwrap();
                let mut y = vec![C64::default(); bd];
                blk.apply(&x, &mut y, &mut blk.new_scratch());
                let mut yr = vec![0.0; bd];
                let mut s = op.new_scratch();
                op.apply(&xr, &mut yr, &mut s);
                let mut yr2 = vec![0.0; bd];
                to_real(n, &y, &mut yr2);
                let err = yr
                    .iter()
                    .zip(&yr2)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(err < 1e-12, "N = {n}: apply {err:e}");
                // the output of a Hermitian input is Hermitian
                let mut herm = 0.0f64;
                for k in 0..bd {
                    let (a, b) = full_index(n, k);
                    let kt = crate::parity::block_index(n, b, a).unwrap();
                    herm = herm.max((y[k] - y[kt].conj()).norm());
                }
                assert!(herm < 1e-12, "N = {n}: L(x) not Hermitian: {herm:e}");
            }
        }
    }
}
