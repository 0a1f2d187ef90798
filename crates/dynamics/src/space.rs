//! Where a propagated state vector lives, and how to measure it there.

use faer::Mat;
use sqz_model::observables::{self, SpinMoments};
use sqz_model::C64;
use sqz_superop::{basis, parity};

/// The space of a state vector, with its N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Dicke basis, `(N+1)^2`
    Dicke(usize),
    /// weak-parity block of the full space, `4^N / 2`
    Parity(usize),
    /// full Liouville space, `4^N`
    Full(usize),
}

impl Space {
    /// Name of the operator that acts on this space (reports, result files).
    pub fn operator_name(self) -> &'static str {
        match self {
            Space::Dicke(_) => "dicke-csr (Eq. 7)",
            Space::Parity(_) => "parity-block matrix-free (Eq. 3)",
            Space::Full(_) => "full matrix-free (Eq. 3)",
        }
    }

    /// Collective-spin moments of the state `w`.
    pub fn moments(self, w: &[C64]) -> SpinMoments {
        match self {
            Space::Dicke(n) => observables::moments(&dicke_mat(n, w)),
            Space::Parity(_) => sqz_superop::observables::moments_parity(w),
            Space::Full(_) => sqz_superop::observables::moments(w),
        }
    }

    /// `Re Tr rho`.
    pub fn trace(self, w: &[C64]) -> f64 {
        match self {
            Space::Dicke(n) => (0..=n).map(|k| w[k * (n + 2)].re).sum(),
            Space::Parity(n) => parity::trace(n, w).re,
            Space::Full(_) => basis::trace(w).re,
        }
    }

    /// The state in (or projected on) the Dicke basis.
    pub fn dicke_rho(self, w: &[C64]) -> Mat<C64> {
        match self {
            Space::Dicke(n) => dicke_mat(n, w),
            Space::Parity(n) => dicke_projection(n, |a, b| {
                parity::block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| w[k])
            }),
            Space::Full(n) => {
                let d = basis::hilbert_dim(n);
                dicke_projection(n, |a, b| w[a + d * b])
            }
        }
    }
}

/// The `(N+1) x (N+1)` matrix of a column-major Dicke-basis vector.
pub fn dicke_mat(n: usize, w: &[C64]) -> Mat<C64> {
    let d = n + 1;
    Mat::from_fn(d, d, |i, j| w[i + d * j])
}

/// `<D_k| rho |D_l>` with the normalised symmetric states `D_k` (k excitations, equal real
/// amplitudes `C(N,k)^(-1/2)`, the phase convention of `sqz_superop::basis::dicke_vector`).
fn dicke_projection(n: usize, rho: impl Fn(usize, usize) -> C64) -> Mat<C64> {
    let d = basis::hilbert_dim(n);
    let mut count = vec![0usize; n + 1];
    for b in 0..d {
        count[b.count_ones() as usize] += 1;
    }
    let c: Vec<f64> = count.iter().map(|&x| 1.0 / (x as f64).sqrt()).collect();
    let mut out = Mat::<C64>::zeros(n + 1, n + 1);
    for b in 0..d {
        let kb = b.count_ones() as usize;
        for a in 0..d {
            let v = rho(a, b);
            if v != C64::new(0.0, 0.0) {
                let ka = a.count_ones() as usize;
                out[(ka, kb)] += v * (c[ka] * c[kb]);
            }
        }
    }
    out
}
