//! Small helpers for the full `2^N` basis and `4^N` Liouville space.
//!
//! Basis index `b = sum_i n_i 2^i` (TLS 0 is the least significant bit); `vec(rho)` is
//! column-major, `rho[a, b]` at `a + D b` with `D = 2^N`.

use crate::C64;

/// Hilbert-space dimension `D = 2^N`.
///
/// # Panics
/// If `2^N` overflows `usize`.
pub fn hilbert_dim(n: usize) -> usize {
    1usize
        .checked_shl(n as u32)
        .filter(|_| n < usize::BITS as usize)
        .expect("2^N overflows usize")
}

/// Liouville-space dimension `4^N`.
///
/// # Panics
/// If `4^N` overflows `usize`.
pub fn liouville_dim(n: usize) -> usize {
    let d = hilbert_dim(n);
    d.checked_mul(d).expect("4^N overflows usize")
}

/// Parity of the excitation number of basis state `b` (0 even, 1 odd).
#[inline(always)]
pub fn parity(b: usize) -> usize {
    (b.count_ones() & 1) as usize
}

/// Excitation number `sum_i n_i` of basis state `b`.
#[inline(always)]
pub fn excitations(b: usize) -> usize {
    b.count_ones() as usize
}

/// `vec(|psi><psi|)` of a pure state `psi` (length `D`).
pub fn pure_state(psi: &[C64]) -> Vec<C64> {
    let d = psi.len();
    let mut v = Vec::with_capacity(d * d);
    for b in 0..d {
        for a in 0..d {
            v.push(psi[a] * psi[b].conj());
        }
    }
    v
}

/// `vec(rho)` of all TLS in `|g>` (the Dicke state `|j, -j>`).
pub fn ground_state(n: usize) -> Vec<C64> {
    let mut v = vec![C64::new(0.0, 0.0); liouville_dim(n)];
    v[0] = C64::new(1.0, 0.0);
    v
}

/// The normalised symmetric (Dicke) state `|j = N/2, m = k - N/2>` in the full basis: the equal
/// superposition of the `C(N, k)` basis states with `k` excitations. Real and non-negative, so its
/// phase matches the Dicke basis of [`sqz_model::spin`] (`S+ |j,m>` has non-negative elements).
///
/// # Panics
/// If `k > n`.
pub fn dicke_vector(n: usize, k: usize) -> Vec<C64> {
    assert!(k <= n, "Dicke index k = {k} > N = {n}");
    let d = hilbert_dim(n);
    let count = (0..d).filter(|&b| excitations(b) == k).count();
    let amp = 1.0 / (count as f64).sqrt();
    (0..d)
        .map(|b| C64::new(if excitations(b) == k { amp } else { 0.0 }, 0.0))
        .collect()
}

/// `Tr rho` of a full-space `vec(rho)`.
///
/// # Panics
/// If `x.len()` is not a power of 4.
pub fn trace(x: &[C64]) -> C64 {
    let d = side(x.len());
    (0..d).map(|a| x[a + d * a]).sum()
}

/// `D` from `D^2`.
///
/// # Panics
/// If `len` is not the square of a power of two.
pub fn side(len: usize) -> usize {
    let d = (len as f64).sqrt().round() as usize;
    assert!(
        d * d == len && d.is_power_of_two(),
        "length {len} is not 4^N"
    );
    d
}
