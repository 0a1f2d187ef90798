//! The analytic steady state of the collective model, Eq. 8:
//!
//! ```text
//! rho(inf) = sum_{m,n} p_m p_n* <phi_m|phi_n> |psi_m><psi_n|
//! R_z = i (4|M|)^(-1/2) ( S+ e^{i alpha/2} sinh r - S- e^{-i alpha/2} cosh r )
//! R_z |psi_m> = m |psi_m>,  R_z^dag |phi_m> = m |phi_m>,  <phi_m|psi_n> = delta_mn
//! p_{m+1} = [ (A m - i Delta_N) / (A (m+1) + i Delta_N) ] p_m
//! ```
//!
//! ## How it is evaluated (stable to N in the thousands)
//! `rho = F F^dag / Tr(F F^dag)` with `F = sum_m p_m |psi_m><phi_m| = p(R_z)`, a function of
//! `R_z`. With `R_z = -U S^y U^{-1}`, `U = exp[c S^z]`, `c = ln(tanh r)/2 + i alpha/2`:
//!
//! ```text
//! F = U g(S^y) U^{-1},   g(k) = p_{-k},   F[l,k] = e^{c (l-k)} G[l,k],  G = g(S^y)
//! ```
//!
//! `G` is a function of a Hermitian matrix, computed from the eigenvectors of the real
//! symmetric `S^x` (`S^y = D^dag S^x D`, `D = diag(i^k)`), which are perfectly conditioned.
//! `R_z` itself is never diagonalised: its eigenbasis has condition number ~ `coth(r)^j`.
//! The factor `e^{Re c (l-k)} = tanh(r)^{(l-k)/2}` spans hundreds of orders of magnitude at
//! large N or small r; it is applied in logarithms with a global shift, so no entry overflows
//! and the largest entries of `F` (which fix `rho`) keep full relative precision. Checked against
//! the null vector of Eq. 7 to ~1e-15 in `max |rho|` for N up to 400 (tests and `sqz validate`).
//!
//! `p_m` is started at the `m` of smallest `|m|` and continued outward, so the limit
//! `Delta_N -> 0` is exact: for integer `j` it gives the dark state `R_z |psi_0> = 0`
//! (`p_m = delta_{m0}`), for half-integer `j` it gives `p_m ~ 1/m`. `r = 0` (no squeezing) gives
//! the ground state `|j,-j>`, the steady state of a vacuum reservoir.

use crate::observables::{hermitize_normalize, moments_factored, SpinMoments};
use crate::{spin, ModelError, Params, C64};
use faer::Mat;
use rayon::prelude::*;

/// The analytic steady state in factored form `rho = F F^dag / Tr(F F^dag)`.
#[derive(Debug, Clone)]
pub struct AnalyticSteady {
    /// the factor `F` (Dicke basis, scaled so that its largest entry is ~1)
    pub f: Mat<C64>,
}

impl AnalyticSteady {
    /// The density matrix in the Dicke basis (O(N^3)), sequential (faer `Par::Seq`, never the
    /// process-global setting).
    pub fn rho(&self) -> Mat<C64> {
        let mut rho = Mat::<C64>::zeros(self.f.nrows(), self.f.nrows());
        faer::linalg::matmul::matmul(
            rho.as_mut(),
            faer::Accum::Replace,
            self.f.as_ref(),
            self.f.adjoint(),
            C64::new(1.0, 0.0),
            faer::Par::Seq,
        );
        hermitize_normalize(&mut rho).expect("F F^dag has a positive trace");
        rho
    }

    /// Spin moments without forming `rho` (O(N^2)).
    pub fn moments(&self) -> SpinMoments {
        moments_factored(&self.f)
    }
}

/// The coefficients `p_m`, m = -j..j (index `k = m + j`), normalised to `max |p| = 1`.
pub fn p_coefficients(p: &Params) -> Vec<C64> {
    let n = p.n();
    let dn = p.delta_n();
    let m = |k: usize| spin::m_of(n, k);
    let k0 = (0..=n)
        .min_by(|&a, &b| m(a).abs().total_cmp(&m(b).abs()))
        .unwrap_or(0);
    let mut c = vec![C64::default(); n + 1];
    c[k0] = C64::new(1.0, 0.0);
    for k in k0..n {
        // p_{m+1} = p_m (m - i dn) / (m + 1 + i dn)
        c[k + 1] = c[k] * C64::new(m(k), -dn) / C64::new(m(k) + 1.0, dn);
    }
    for k in (1..=k0).rev() {
        // p_{m-1} = p_m (m + i dn) / (m - 1 - i dn)
        c[k - 1] = c[k] * C64::new(m(k), dn) / C64::new(m(k) - 1.0, -dn);
    }
    c
}

/// Peak bytes of [`steady_state`] (and of the moments of its result) at N, an upper estimate:
/// the eigenvectors of `S^x` (`(N+1)^2` doubles), the real and imaginary parts of `g(S^x)` and
/// their half-size products (about 3 `(N+1)^2` doubles), and the complex factor `F`; 64 bytes
/// per element of an `(N+1) x (N+1)` matrix in all (measured peak: 59 B at N = 1000, 47 B at
/// N = 2000, 36 B at N = 4000).
pub fn bytes(n: usize) -> u64 {
    let d = n as u64 + 1;
    d.saturating_mul(d).saturating_mul(64)
}

/// Eq. 8 for the parameters `p` (units `A = 1`).
pub fn steady_state(p: &Params) -> Result<AnalyticSteady, ModelError> {
    steady_state_with(p, &Eq8Basis::new(p.n()))
}

/// Eq. 8 with a precomputed [`Eq8Basis`] for the same N.
///
/// # Panics
/// If `basis.n() != p.n()`.
pub fn steady_state_with(p: &Params, basis: &Eq8Basis) -> Result<AnalyticSteady, ModelError> {
    assert_eq!(basis.n(), p.n(), "Eq8Basis built for another N");
    let n = p.n();
    let d = n + 1;
    if p.r() == 0.0 {
        // vacuum reservoir: the ground state |j,-j>
        let f = Mat::<C64>::from_fn(d, 1, |i, _| {
            if i == 0 {
                C64::new(1.0, 0.0)
            } else {
                C64::default()
            }
        });
        return Ok(AnalyticSteady { f });
    }
    let pm = p_coefficients(p);
    let (h_re, h_im) = basis.g_of_sx(|m| pm[(-m + n as f64 / 2.0).round() as usize]);
    // F[l,k] = exp(c (l-k)) i^{k-l} H[l,k], with a global shift in the exponent
    let ln_t = p.r().tanh().ln(); // < 0
    let re_c = 0.5 * ln_t;
    let phase_rate = 0.5 * p.alpha() - std::f64::consts::FRAC_PI_2;
    // per diagonal dk = l - k: the largest |H| on it, and the factor e^{c dk} relative to the
    // global shift (logs only, O(N) of them)
    let nd = 2 * n + 1;
    let mut diag_max = vec![0.0f64; nd];
    for k in 0..d {
        for l in 0..d {
            let a2 = h_re[(l, k)].powi(2) + h_im[(l, k)].powi(2);
            let slot = &mut diag_max[l + n - k];
            *slot = slot.max(a2);
        }
    }
    let shift = (0..nd)
        .filter(|&i| diag_max[i] > 0.0)
        .map(|i| re_c * (i as f64 - n as f64) + 0.5 * diag_max[i].ln())
        .fold(f64::NEG_INFINITY, f64::max);
    if !shift.is_finite() {
        return Err(ModelError::Numerical("Eq. 8: the factor F vanished".into()));
    }
    // entries below 1e-300 of the largest are dropped (they cannot change rho in double precision)
    let factor: Vec<C64> = (0..nd)
        .map(|i| {
            let dk = i as f64 - n as f64;
            let lnf = re_c * dk - shift;
            if diag_max[i] == 0.0 || 0.5 * diag_max[i].ln() + lnf < -690.0 {
                C64::default()
            } else {
                C64::from_polar(lnf.exp(), phase_rate * dk)
            }
        })
        .collect();
    let f = Mat::<C64>::from_fn(d, d, |l, k| {
        let fac = factor[l + n - k];
        if fac == C64::default() {
            C64::default()
        } else {
            C64::new(h_re[(l, k)], h_im[(l, k)]) * fac
        }
    });
    Ok(AnalyticSteady { f })
}

/// Eigenvectors of the real symmetric tridiagonal `S^x` (eigenvalues exactly `m = -j..j`), by
/// inverse iteration with the known eigenvalues: O(N^2) in all, orthogonal to ~1e-13 because the
/// eigenvalues are spaced by 1. Returns `(m, Q)` with `Q[:, i]` the unit eigenvector of `m[i]`.
pub fn sx_eigenvectors(n: usize) -> (Vec<f64>, Mat<f64>) {
    let d = n + 1;
    let b: Vec<f64> = (0..n).map(|k| 0.5 * spin::s_plus_element(n, k)).collect();
    let ms: Vec<f64> = (0..d).map(|k| spin::m_of(n, k)).collect();
    let mut q = Mat::<f64>::zeros(d, d);
    // a start vector with no parity symmetry and a good overlap with smooth eigenvectors
    let start: Vec<f64> = (0..d)
        .map(|k| 1.0 + 2.0 * k as f64 / d as f64 + 0.3 * ((k * 7 + 3) % 11) as f64 / 11.0)
        .collect();
    let cols: Vec<Vec<f64>> = ms
        .par_iter()
        .map(|&m| {
            let mut x = start.clone();
            let shift = m + 1e-10 * (1.0 + n as f64);
            if d == 1 {
                return vec![1.0];
            }
            let lu = TridiagLu::new(&b, -shift);
            // iterate until the residual |S^x x - m x|_inf is at rounding level (2 to 8 steps)
            let tol = 1e-13 * (1.0 + n as f64);
            for it in 0..8 {
                lu.solve(&mut x);
                let nrm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
                x.iter_mut().for_each(|v| *v /= nrm);
                if it >= 1 && tridiag_residual(&b, m, &x) <= tol {
                    break;
                }
            }
            x
        })
        .collect();
    for (i, x) in cols.iter().enumerate() {
        for k in 0..d {
            q[(k, i)] = x[k];
        }
    }
    (ms, q)
}

/// `max_k |(T x)_k - m x_k|` for the tridiagonal `T` with zero diagonal and off-diagonal `b`.
fn tridiag_residual(b: &[f64], m: f64, x: &[f64]) -> f64 {
    let d = x.len();
    (0..d)
        .map(|k| {
            let lo = if k > 0 { b[k - 1] * x[k - 1] } else { 0.0 };
            let hi = if k + 1 < d { b[k] * x[k + 1] } else { 0.0 };
            (lo + hi - m * x[k]).abs()
        })
        .fold(0.0, f64::max)
}

/// LU factors with partial pivoting (LAPACK `gttrf`) of `T + diag * I`, for the symmetric
/// tridiagonal `T` with zero diagonal and off-diagonal `b`. An exactly zero pivot is replaced by
/// a tiny one: inverse iteration wants the near-singular solve.
struct TridiagLu {
    mult: Vec<f64>,
    swap: Vec<bool>,
    dinv: Vec<f64>,
    du: Vec<f64>,
    du2: Vec<f64>,
}

impl TridiagLu {
    fn new(b: &[f64], diag: f64) -> Self {
        let d = b.len() + 1;
        let mut mult = vec![0.0; d - 1];
        let mut swap = vec![false; d - 1];
        let mut dd = vec![diag; d];
        let mut du: Vec<f64> = b.to_vec();
        let mut du2 = vec![0.0; d.saturating_sub(2)];
        for i in 0..d - 1 {
            let dl = b[i];
            if dd[i].abs() >= dl.abs() {
                if dd[i] == 0.0 {
                    dd[i] = f64::EPSILON;
                }
                let f = dl / dd[i];
                mult[i] = f;
                dd[i + 1] -= f * du[i];
            } else {
                let f = dd[i] / dl;
                mult[i] = f;
                swap[i] = true;
                dd[i] = dl;
                let t = dd[i + 1];
                dd[i + 1] = du[i] - f * t;
                du[i] = t;
                if i + 1 < d - 1 {
                    du2[i] = du[i + 1];
                    du[i + 1] *= -f;
                }
            }
        }
        if dd[d - 1] == 0.0 {
            dd[d - 1] = f64::EPSILON;
        }
        let dinv = dd.iter().map(|v| 1.0 / v).collect();
        Self {
            mult,
            swap,
            dinv,
            du,
            du2,
        }
    }

    fn solve(&self, x: &mut [f64]) {
        let d = x.len();
        for i in 0..d - 1 {
            if self.swap[i] {
                x.swap(i, i + 1);
            }
            x[i + 1] -= self.mult[i] * x[i];
        }
        x[d - 1] *= self.dinv[d - 1];
        if d >= 2 {
            x[d - 2] = (x[d - 2] - self.du[d - 2] * x[d - 1]) * self.dinv[d - 2];
        }
        for i in (0..d.saturating_sub(2)).rev() {
            x[i] = (x[i] - self.du[i] * x[i + 1] - self.du2[i] * x[i + 2]) * self.dinv[i];
        }
    }
}

/// What Eq. 8 needs that depends on N alone: the eigenvectors of `S^x`, split by their flip
/// parity `k -> N-k` and cut to their top halves. Build it once per N and reuse it for every
/// `(r, alpha, Delta)` (the scaling study evaluates ~60 values of r per N).
#[derive(Debug, Clone)]
pub struct Eq8Basis {
    n: usize,
    /// per parity (+1, -1): the eigenvalues `m` and the top `ceil((N+1)/2)` rows of their vectors
    parts: Vec<(f64, Vec<f64>, Mat<f64>)>,
}

impl Eq8Basis {
    /// The basis for N two-level systems (O(N^2)).
    pub fn new(n: usize) -> Self {
        let d = n + 1;
        let (ms, q) = sx_eigenvectors(n);
        let h = d.div_ceil(2); // rows 0..h cover the top half (incl. the middle row when N is even)
        let mut parts = Vec::new();
        for sign in [1.0, -1.0] {
            let cols: Vec<usize> = (0..d)
                .filter(|&i| {
                    ((0..d).map(|k| q[(k, i)] * q[(n - k, i)]).sum::<f64>() > 0.0) == (sign > 0.0)
                })
                .collect();
            if cols.is_empty() {
                continue;
            }
            let m = cols.iter().map(|&i| ms[i]).collect();
            let top = Mat::<f64>::from_fn(h, cols.len(), |k, i| q[(k, cols[i])]);
            parts.push((sign, m, top));
        }
        Self { n, parts }
    }

    /// Number of TLS this basis is for.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `H = g(S^x) = Q diag(g(m)) Q^T` as (real part, imaginary part). Each parity contributes a
    /// matrix symmetric under both flips, so only its top-left quarter is multiplied out (4x
    /// fewer flops than the full product).
    fn g_of_sx(&self, g: impl Fn(f64) -> C64) -> (Mat<f64>, Mat<f64>) {
        let n = self.n;
        let d = n + 1;
        let h = d.div_ceil(2);
        let mut h_re = Mat::<f64>::zeros(d, d);
        let mut h_im = Mat::<f64>::zeros(d, d);
        for (sign, m, top) in &self.parts {
            let gv: Vec<C64> = m.iter().map(|&x| g(x)).collect();
            let gre = Mat::<f64>::from_fn(h, m.len(), |k, i| top[(k, i)] * gv[i].re);
            let gim = Mat::<f64>::from_fn(h, m.len(), |k, i| top[(k, i)] * gv[i].im);
            // sequential GEMMs (never faer's process-global parallelism)
            let mul = |a: &Mat<f64>| {
                let mut out = Mat::<f64>::zeros(a.nrows(), top.nrows());
                faer::linalg::matmul::matmul(
                    out.as_mut(),
                    faer::Accum::Replace,
                    a.as_ref(),
                    top.transpose(),
                    1.0,
                    faer::Par::Seq,
                );
                out
            };
            let pre = mul(&gre);
            let pim = mul(&gim);
            // block (k, l) with k, l < h; the others by the flips k -> N-k (factor sign each)
            for l in 0..d {
                let (ll, sl) = if l < h { (l, 1.0) } else { (n - l, *sign) };
                for k in 0..d {
                    let (kk, sk) = if k < h { (k, 1.0) } else { (n - k, *sign) };
                    h_re[(k, l)] += sk * sl * pre[(kk, ll)];
                    h_im[(k, l)] += sk * sl * pim[(kk, ll)];
                }
            }
        }
        (h_re, h_im)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_diff(a: &Mat<C64>, b: &Mat<C64>) -> f64 {
        let mut m: f64 = 0.0;
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                m = m.max((a[(i, j)] - b[(i, j)]).norm());
            }
        }
        m
    }

    #[test]
    fn p_recurrence_holds_and_limits_are_finite() {
        let p = Params::new(7, 0.5, 0.5, 1.0).unwrap();
        let c = p_coefficients(&p);
        let dn = p.delta_n();
        for k in 0..7 {
            let m = k as f64 - 3.5;
            let want = c[k] * C64::new(m, -dn) / C64::new(m + 1.0, dn);
            assert!((c[k + 1] - want).norm() < 1e-14);
        }
        // |p_m| ~ 1/sqrt(m^2 + dn^2)
        let ratio = c[0].norm() / c[7].norm();
        assert!((ratio - 1.0).abs() < 1e-12);
        // Delta -> 0, integer j: the dark state p_m = delta_{m,0}
        let p0 = Params::new(4, 0.5, 0.5, 0.0).unwrap();
        let c0 = p_coefficients(&p0);
        assert_eq!(c0[2], C64::new(1.0, 0.0));
        assert!(c0
            .iter()
            .enumerate()
            .all(|(k, v)| k == 2 || v.norm() == 0.0));
    }

    #[test]
    fn matches_collective_null_vector_small_n() {
        for n in [1, 2, 3, 6, 11] {
            for &(r, a, dl) in &[
                (0.5, 0.5, 1.0),
                (1.3, -2.0, 0.2),
                (0.05, 1.0, 3.0),
                (0.8, 0.5, 0.0),
            ] {
                let p = Params::new(n, r, a, dl).unwrap();
                let an = steady_state(&p).unwrap().rho();
                let nv = crate::collective::steady_state(&p, faer::Par::Seq).unwrap();
                let diff = max_diff(&an, &nv.rho);
                assert!(diff < 1e-10, "n={n} r={r} alpha={a} delta={dl}: {diff:e}");
            }
        }
    }

    #[test]
    fn sx_eigenvectors_are_orthonormal_eigenvectors() {
        for n in [1, 2, 7, 60, 301] {
            let (ms, q) = sx_eigenvectors(n);
            let d = n + 1;
            let qtq = q.transpose() * &q;
            let sx = Mat::<f64>::from_fn(d, d, |i, k| {
                if i == k + 1 {
                    0.5 * spin::s_plus_element(n, k)
                } else if k == i + 1 {
                    0.5 * spin::s_plus_element(n, i)
                } else {
                    0.0
                }
            });
            let aq = &sx * &q;
            for i in 0..d {
                for k in 0..d {
                    let want = if i == k { 1.0 } else { 0.0 };
                    assert!(
                        (qtq[(i, k)] - want).abs() < 1e-11,
                        "n={n} Q^T Q[{i},{k}] = {}",
                        qtq[(i, k)]
                    );
                    assert!((aq[(i, k)] - ms[k] * q[(i, k)]).abs() < 1e-10 * (1.0 + n as f64));
                }
            }
        }
    }

    /// At large N every eigenvector must be converged (a too-small shift with too few steps once
    /// left some contaminated at 1e-8, invisible at N <= 300 but visible in xi^2 at N = 1000).
    #[test]
    fn sx_eigenvectors_converged_at_large_n() {
        let n = 1000;
        let (ms, q) = sx_eigenvectors(n);
        let b: Vec<f64> = (0..n).map(|k| 0.5 * spin::s_plus_element(n, k)).collect();
        let x: Vec<Vec<f64>> = (0..=n)
            .map(|i| (0..=n).map(|k| q[(k, i)]).collect())
            .collect();
        for i in 0..=n {
            let r = tridiag_residual(&b, ms[i], &x[i]);
            assert!(
                r <= 1e-13 * (1.0 + n as f64),
                "eigenvector {i}: residual {r:e}"
            );
        }
        for (i, j) in [
            (0, 1),
            (499, 500),
            (500, 501),
            (998, 1000),
            (3, 997),
            (250, 750),
        ] {
            let dot: f64 = x[i].iter().zip(&x[j]).map(|(a, b)| a * b).sum();
            assert!(dot.abs() < 1e-10, "<q_{i}, q_{j}> = {dot:e}");
        }
    }

    #[test]
    fn no_squeezing_is_ground_state_and_tiny_r_is_finite() {
        let p = Params::new(50, 0.0, 0.5, 1.0).unwrap();
        let rho = steady_state(&p).unwrap().rho();
        assert_eq!(rho[(0, 0)], C64::new(1.0, 0.0));
        let p = Params::new(300, 1e-9, 0.5, 1.0).unwrap();
        let s = steady_state(&p).unwrap();
        let m = s.moments();
        assert!((m.mean[2] + 150.0).abs() < 1e-6, "{:?}", m.mean);
        assert!(s
            .f
            .col_iter()
            .all(|c| c.iter().all(|v| v.re.is_finite() && v.im.is_finite())));
    }
}
