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

/// The analytic steady state in factored form `rho = F F^dag / Tr(F F^dag)`.
#[derive(Debug, Clone)]
pub struct AnalyticSteady {
    /// the factor `F` (Dicke basis, scaled so that its largest entry is ~1)
    pub f: Mat<C64>,
}

impl AnalyticSteady {
    /// The density matrix in the Dicke basis (O(N^3)).
    pub fn rho(&self) -> Mat<C64> {
        let mut rho = &self.f * self.f.adjoint();
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

/// Eq. 8 for the parameters `p` (units `A = 1`).
pub fn steady_state(p: &Params) -> Result<AnalyticSteady, ModelError> {
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
    let (h_re, h_im) = g_of_sx(n, |m| pm[(-m + n as f64 / 2.0).round() as usize]);
    // F[l,k] = exp(c (l-k)) i^{k-l} H[l,k], with a global shift in the exponent
    let ln_t = p.r().tanh().ln(); // < 0
    let re_c = 0.5 * ln_t;
    let phase_rate = 0.5 * p.alpha() - std::f64::consts::FRAC_PI_2;
    let mut shift = f64::NEG_INFINITY;
    for k in 0..d {
        for l in 0..d {
            let a = (h_re[(l, k)].powi(2) + h_im[(l, k)].powi(2)).sqrt();
            if a > 0.0 {
                shift = shift.max(re_c * (l as f64 - k as f64) + a.ln());
            }
        }
    }
    if !shift.is_finite() {
        return Err(ModelError::Numerical("Eq. 8: the factor F vanished".into()));
    }
    let f = Mat::<C64>::from_fn(d, d, |l, k| {
        let dk = l as f64 - k as f64;
        let h = C64::new(h_re[(l, k)], h_im[(l, k)]);
        let a = h.norm();
        if a == 0.0 {
            return C64::default();
        }
        let mag = (re_c * dk + a.ln() - shift).exp();
        h / a * C64::from_polar(mag, phase_rate * dk)
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
    let mut x = vec![0.0; d];
    for (i, &m) in ms.iter().enumerate() {
        // a start vector with no parity symmetry and a good overlap with smooth eigenvectors
        for (k, v) in x.iter_mut().enumerate() {
            *v = 1.0 + 2.0 * k as f64 / d as f64 + 0.3 * ((k * 7 + 3) % 11) as f64 / 11.0;
        }
        let shift = m + 1e-10 * (1.0 + n as f64);
        for _ in 0..3 {
            tridiag_solve(&b, -shift, &mut x);
            let nrm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            x.iter_mut().for_each(|v| *v /= nrm);
        }
        for k in 0..d {
            q[(k, i)] = x[k];
        }
    }
    (ms, q)
}

/// Solves `(T + diag * I) x = rhs` in place for the symmetric tridiagonal `T` with zero diagonal
/// and off-diagonal `b`, by Gaussian elimination with partial pivoting (LAPACK `gtsv`); an exactly
/// zero pivot is replaced by a tiny one (inverse iteration wants the near-singular solve).
fn tridiag_solve(b: &[f64], diag: f64, x: &mut [f64]) {
    let d = x.len();
    if d == 1 {
        x[0] /= if diag == 0.0 { f64::EPSILON } else { diag };
        return;
    }
    let mut dl: Vec<f64> = b.to_vec(); // sub-diagonal
    let mut dd = vec![diag; d]; // diagonal
    let mut du: Vec<f64> = b.to_vec(); // super-diagonal
    let mut du2 = vec![0.0; d.saturating_sub(2)]; // second super-diagonal (fill)
    for i in 0..d - 1 {
        if dd[i].abs() >= dl[i].abs() {
            if dd[i] == 0.0 {
                dd[i] = f64::EPSILON;
            }
            let f = dl[i] / dd[i];
            dd[i + 1] -= f * du[i];
            x[i + 1] -= f * x[i];
            dl[i] = 0.0;
        } else {
            let f = dd[i] / dl[i];
            dd[i] = dl[i];
            let t = dd[i + 1];
            dd[i + 1] = du[i] - f * t;
            du[i] = t;
            if i + 1 < d - 1 {
                du2[i] = du[i + 1];
                du[i + 1] *= -f;
            }
            x.swap(i, i + 1);
            x[i + 1] -= f * x[i];
        }
    }
    if dd[d - 1] == 0.0 {
        dd[d - 1] = f64::EPSILON;
    }
    x[d - 1] /= dd[d - 1];
    x[d - 2] = (x[d - 2] - du[d - 2] * x[d - 1]) / dd[d - 2];
    for i in (0..d.saturating_sub(2)).rev() {
        x[i] = (x[i] - du[i] * x[i + 1] - du2[i] * x[i + 2]) / dd[i];
    }
}

/// `H = g(S^x) = Q diag(g(m)) Q^T` as (real part, imaginary part), using the flip parity
/// `k -> N-k` of the eigenvectors: each parity contributes a matrix symmetric under both flips,
/// so only its top-left quarter is multiplied out (4x fewer flops than the full product).
fn g_of_sx(n: usize, g: impl Fn(f64) -> C64) -> (Mat<f64>, Mat<f64>) {
    let d = n + 1;
    let (ms, q) = sx_eigenvectors(n);
    let h = d.div_ceil(2); // rows 0..h cover the top half (incl. the middle row when N is even)
    let mut h_re = Mat::<f64>::zeros(d, d);
    let mut h_im = Mat::<f64>::zeros(d, d);
    for sign in [1.0, -1.0] {
        let cols: Vec<usize> = (0..d)
            .filter(|&i| {
                ((0..d).map(|k| q[(k, i)] * q[(n - k, i)]).sum::<f64>() > 0.0) == (sign > 0.0)
            })
            .collect();
        if cols.is_empty() {
            continue;
        }
        let c = cols.len();
        let top = Mat::<f64>::from_fn(h, c, |k, i| q[(k, cols[i])]);
        let gre = Mat::<f64>::from_fn(h, c, |k, i| top[(k, i)] * g(ms[cols[i]]).re);
        let gim = Mat::<f64>::from_fn(h, c, |k, i| top[(k, i)] * g(ms[cols[i]]).im);
        let pre = &gre * top.transpose();
        let pim = &gim * top.transpose();
        // block (k, l) with k, l < h; the others by the flips k -> N-k (factor sign each)
        for l in 0..d {
            let (ll, sl) = if l < h { (l, 1.0) } else { (n - l, sign) };
            for k in 0..d {
                let (kk, sk) = if k < h { (k, 1.0) } else { (n - k, sign) };
                h_re[(k, l)] += sk * sl * pre[(kk, ll)];
                h_im[(k, l)] += sk * sl * pim[(kk, ll)];
            }
        }
    }
    (h_re, h_im)
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
                let nv = crate::collective::steady_state(&p).unwrap();
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
