//! Observables of a collective spin state: mean spin, the Wineland squeezing parameter and the
//! Husimi Q function (definitions as in the paper, below Eq. 7).
//!
//! * mean spin `<S> = (<S^x>, <S^y>, <S^z>)`, direction `n = (sin th cos ph, sin th sin ph, cos th)`;
//! * `n1 = (cos th cos ph, cos th sin ph, -sin th)`, `n2 = (-sin ph, cos ph, 0)`;
//! * `xi_R^2 = N min Var(S_perp) / |<S>|^2`, the minimum over directions in the `n1, n2` plane:
//!   the smaller eigenvalue of the symmetrised covariance matrix of `S.n1, S.n2`;
//! * `Q(th, ph) = (2j+1)/(4 pi) <th,ph| rho |th,ph>` with the spin coherent state
//!   `|th,ph> = (1+|eta|^2)^(-j) exp(-eta* S-) |j,j>`, `eta = -tan(th/2) e^{-i ph}`.

use crate::sparse::SparseOp;
use crate::{spin, ModelError, C64};
use faer::Mat;

/// First and (symmetrised) second moments of the collective spin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpinMoments {
    /// number of TLS (the `N` in `xi_R^2`)
    pub n: usize,
    /// `(<S^x>, <S^y>, <S^z>)`
    pub mean: [f64; 3],
    /// `Re <S_a S_b>` (= `<{S_a, S_b}>/2`)
    pub second: [[f64; 3]; 3],
}

/// Unit vectors `(n, n1, n2)`: the mean-spin direction and the two perpendicular axes.
pub type Axes = ([f64; 3], [f64; 3], [f64; 3]);

/// The squeezing summary every command reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Squeezing {
    /// Wineland parameter `xi_R^2`
    pub xi2: f64,
    /// `1 / xi_R^2`, what the paper plots
    pub inv_xi2: f64,
    /// mean spin `(<S^x>, <S^y>, <S^z>)`
    pub mean_spin: [f64; 3],
    /// smallest variance in the plane perpendicular to the mean spin
    pub var_min: f64,
}

impl SpinMoments {
    /// The perpendicular unit vectors `n1`, `n2` of the paper for the mean-spin direction.
    pub fn perpendicular_axes(&self) -> Result<Axes, ModelError> {
        let s = self.mean;
        let len = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
        if len.is_nan() || len <= 1e-12 * self.n.max(1) as f64 {
            return Err(ModelError::ZeroMeanSpin(len));
        }
        let th = (s[2] / len).clamp(-1.0, 1.0).acos();
        let ph = s[1].atan2(s[0]);
        let n0 = [th.sin() * ph.cos(), th.sin() * ph.sin(), th.cos()];
        let n1 = [th.cos() * ph.cos(), th.cos() * ph.sin(), -th.sin()];
        let n2 = [-ph.sin(), ph.cos(), 0.0];
        Ok((n0, n1, n2))
    }

    /// Covariance `Re<(S.u)(S.v)> - <S.u><S.v>`.
    pub fn covariance(&self, u: &[f64; 3], v: &[f64; 3]) -> f64 {
        let mut c = 0.0;
        for a in 0..3 {
            for b in 0..3 {
                c += u[a] * v[b] * (self.second[a][b] - self.mean[a] * self.mean[b]);
            }
        }
        c
    }

    /// `xi_R^2` and friends; an error when the mean spin vanishes.
    pub fn squeezing(&self) -> Result<Squeezing, ModelError> {
        let (_, n1, n2) = self.perpendicular_axes()?;
        let a = self.covariance(&n1, &n1);
        let d = self.covariance(&n2, &n2);
        let b = self.covariance(&n1, &n2);
        let var_min = 0.5 * (a + d) - (0.25 * (a - d) * (a - d) + b * b).sqrt();
        let s2: f64 = self.mean.iter().map(|x| x * x).sum();
        let xi2 = self.n as f64 * var_min / s2;
        if !xi2.is_finite() || xi2 <= 0.0 {
            return Err(ModelError::Numerical(format!(
                "xi_R^2 = {xi2} is not a positive number (Var_min = {var_min:e}, |<S>|^2 = {s2:e})"
            )));
        }
        Ok(Squeezing {
            xi2,
            inv_xi2: 1.0 / xi2,
            mean_spin: self.mean,
            var_min,
        })
    }
}

fn spin_ops(n: usize) -> [SparseOp; 3] {
    [spin::s_x(n), spin::s_y(n), spin::s_z(n)]
}

/// `Tr(rho O)` for a dense Dicke-basis `rho` and a sparse `O`.
pub fn expect(rho: &Mat<C64>, op: &SparseOp) -> C64 {
    op.entries.iter().map(|&(r, c, v)| rho[(c, r)] * v).sum()
}

/// Moments of a Dicke-basis density matrix (`N = rho.nrows() - 1`).
pub fn moments(rho: &Mat<C64>) -> SpinMoments {
    let n = rho.nrows() - 1;
    let ops = spin_ops(n);
    let mut mean = [0.0; 3];
    let mut second = [[0.0; 3]; 3];
    for a in 0..3 {
        mean[a] = expect(rho, &ops[a]).re;
        for b in 0..3 {
            second[a][b] = expect(rho, &ops[a].mul(&ops[b])).re;
        }
    }
    SpinMoments { n, mean, second }
}

/// Columns of `F` per partial sum of [`moments_factored`]: the sums run over fixed chunks of this
/// many columns (in parallel) and the chunk sums are added in chunk order, so the result does not
/// depend on the number of threads or on how rayon splits the work.
pub const MOMENT_CHUNK: usize = 16;

/// Moments of `rho = F F^dag / Tr(F F^dag)` without forming `rho` (O(N^2), parallel over the
/// columns of `F`): `<S_a S_b> = sum_k (S_a f_k)^dag (S_b f_k) / sum_k |f_k|^2`. The same bits
/// on any number of threads ([`MOMENT_CHUNK`]).
pub fn moments_factored(f: &Mat<C64>) -> SpinMoments {
    use rayon::prelude::*;
    let n = f.nrows() - 1;
    let sp: Vec<f64> = (0..n).map(|k| spin::s_plus_element(n, k)).collect();
    let chunks: Vec<std::ops::Range<usize>> = (0..f.ncols())
        .step_by(MOMENT_CHUNK)
        .map(|k0| k0..(k0 + MOMENT_CHUNK).min(f.ncols()))
        .collect();
    // [norm, mean x3, second 3x3], one partial sum per chunk of columns
    let partial: Vec<[f64; 13]> = chunks
        .into_par_iter()
        .map(|cols| {
            cols.fold([0.0f64; 13], |mut acc, k| {
                let col = f.col(k);
                let x = |i: usize| col[i];
                let mut u = [
                    vec![C64::default(); n + 1],
                    vec![C64::default(); n + 1],
                    vec![C64::default(); n + 1],
                ];
                for i in 0..=n {
                    // (S+ f)_i = s_{i-1} f_{i-1},  (S- f)_i = s_i f_{i+1}
                    let up = if i > 0 {
                        x(i - 1) * sp[i - 1]
                    } else {
                        C64::default()
                    };
                    let dn = if i < n {
                        x(i + 1) * sp[i]
                    } else {
                        C64::default()
                    };
                    u[0][i] = 0.5 * (up + dn);
                    u[1][i] = (up - dn) * C64::new(0.0, -0.5);
                    u[2][i] = x(i) * spin::m_of(n, i);
                }
                for i in 0..=n {
                    let xi = x(i).conj();
                    acc[0] += x(i).norm_sqr();
                    for a in 0..3 {
                        acc[1 + a] += (xi * u[a][i]).re;
                        for b in 0..3 {
                            acc[4 + 3 * a + b] += (u[a][i].conj() * u[b][i]).re;
                        }
                    }
                }
                acc
            })
        })
        .collect();
    let acc = partial.iter().fold([0.0f64; 13], |mut a, b| {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        a
    });
    let norm = acc[0];
    let mut mean = [0.0; 3];
    let mut second = [[0.0; 3]; 3];
    for a in 0..3 {
        mean[a] = acc[1 + a] / norm;
        for b in 0..3 {
            second[a][b] = acc[4 + 3 * a + b] / norm;
        }
    }
    SpinMoments { n, mean, second }
}

/// Makes `rho` exactly Hermitian and of trace 1; an error if the trace is not positive and finite.
pub fn hermitize_normalize(rho: &mut Mat<C64>) -> Result<(), ModelError> {
    let d = rho.nrows();
    for i in 0..d {
        for j in i..d {
            let v = 0.5 * (rho[(i, j)] + rho[(j, i)].conj());
            rho[(i, j)] = v;
            rho[(j, i)] = v.conj();
        }
    }
    let tr: f64 = (0..d).map(|i| rho[(i, i)].re).sum();
    if !(tr.is_finite() && tr > 0.0) {
        return Err(ModelError::Numerical(format!(
            "trace of the state is {tr}, not positive"
        )));
    }
    for j in 0..d {
        for i in 0..d {
            rho[(i, j)] /= tr;
        }
    }
    Ok(())
}

/// `ln C(n, k)`.
fn ln_binom(n: usize, k: usize) -> f64 {
    let lf = |m: usize| (1..=m).map(|x| (x as f64).ln()).sum::<f64>();
    lf(n) - lf(k) - lf(n - k)
}

/// Spin coherent state `|th, ph>` in the Dicke basis (index `k = m + j`), normalised.
pub fn coherent_state(n: usize, theta: f64, phi: f64) -> Vec<C64> {
    // |th,ph> = sum_{l=0}^{2j} sqrt(C(2j,l)) cos^{2j-l}(th/2) sin^l(th/2) e^{i l ph} |j, j-l>
    let (c, s) = ((0.5 * theta).cos(), (0.5 * theta).sin());
    let pow = |x: f64, e: usize| if e == 0 { 1.0 } else { x.powi(e as i32) };
    let mut v = vec![C64::default(); n + 1];
    for l in 0..=n {
        let mag = (0.5 * ln_binom(n, l)).exp() * pow(c, n - l) * pow(s, l);
        v[n - l] = C64::from_polar(mag, l as f64 * phi);
    }
    v
}

/// Husimi Q of a Dicke-basis `rho` seen along a direction `n` (Fig. 2, `sqz evolve
/// --husimi-times`): the orthographic projection of the hemisphere around `n` onto the plane
/// spanned by `n1, n2`. Grid point `(x1, x2) = (xs[i1], xs[i2])` is the direction
/// `u = x1 n1 + x2 n2 + sqrt(1 - x1^2 - x2^2) n`; points with `x1^2 + x2^2 > 1` lie outside the
/// hemisphere and get `Q = 0`. Row-major `[i1 * xs.len() + i2]`, computed in parallel.
pub fn husimi_plane(rho: &Mat<C64>, (n0, n1, n2): Axes, xs: &[f64]) -> Vec<f64> {
    use rayon::prelude::*;
    let k = xs.len();
    (0..k * k)
        .into_par_iter()
        .map(|idx| {
            let (x1, x2) = (xs[idx / k], xs[idx % k]);
            let r2 = x1 * x1 + x2 * x2;
            if r2 > 1.0 {
                return 0.0;
            }
            let h = (1.0 - r2).sqrt();
            let u: Vec<f64> = (0..3)
                .map(|c| x1 * n1[c] + x2 * n2[c] + h * n0[c])
                .collect();
            let th = u[2].clamp(-1.0, 1.0).acos();
            let ph = u[1].atan2(u[0]);
            husimi_q(rho, &[th], &[ph])[0]
        })
        .collect()
}

/// Husimi `Q(th, ph)` of a Dicke-basis `rho` on a grid, row-major `[i_theta * phis.len() + i_phi]`.
pub fn husimi_q(rho: &Mat<C64>, thetas: &[f64], phis: &[f64]) -> Vec<f64> {
    let n = rho.nrows() - 1;
    let pref = (n as f64 + 1.0) / (4.0 * std::f64::consts::PI);
    let mut out = Vec::with_capacity(thetas.len() * phis.len());
    for &th in thetas {
        for &ph in phis {
            let v = coherent_state(n, th, ph);
            let mut q = C64::default();
            for j in 0..=n {
                let mut t = C64::default();
                for i in 0..=n {
                    t += v[i].conj() * rho[(i, j)];
                }
                q += t * v[j];
            }
            out.push(pref * q.re);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pure(v: &[C64]) -> Mat<C64> {
        Mat::from_fn(v.len(), v.len(), |i, j| v[i] * v[j].conj())
    }

    #[test]
    fn coherent_state_is_not_squeezed() {
        for n in [1, 4, 17, 60] {
            for &(th, ph) in &[(0.3, 0.0), (1.2, 2.0), (2.9, -1.0), (0.0, 0.0)] {
                let v = coherent_state(n, th, ph);
                let norm: f64 = v.iter().map(|x| x.norm_sqr()).sum();
                assert!((norm - 1.0).abs() < 1e-12);
                let rho = pure(&v);
                let sq = moments(&rho).squeezing().unwrap();
                assert!(
                    (sq.xi2 - 1.0).abs() < 1e-10,
                    "n={n} th={th}: xi2={}",
                    sq.xi2
                );
                // mean spin points along (th, ph) with length j
                let j = n as f64 / 2.0;
                assert!((sq.mean_spin[2] - j * th.cos()).abs() < 1e-10);
                // factored form agrees
                let f = Mat::from_fn(n + 1, 1, |i, _| v[i]);
                let sf = moments_factored(&f).squeezing().unwrap();
                assert!((sf.xi2 - sq.xi2).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn husimi_of_coherent_state_peaks_at_its_direction() {
        let n = 10;
        let rho = pure(&coherent_state(n, 1.0, 0.5));
        let q = husimi_q(&rho, &[1.0, 2.0], &[0.5]);
        assert!((q[0] - (n as f64 + 1.0) / (4.0 * std::f64::consts::PI)).abs() < 1e-12);
        assert!(q[1] < q[0]);
        // normalisation: integral of Q over the sphere is 1
        let (nt, np) = (200, 200);
        let th: Vec<f64> = (0..nt)
            .map(|i| (i as f64 + 0.5) * std::f64::consts::PI / nt as f64)
            .collect();
        let ph: Vec<f64> = (0..np)
            .map(|i| i as f64 * 2.0 * std::f64::consts::PI / np as f64)
            .collect();
        let q = husimi_q(&rho, &th, &ph);
        let dth = std::f64::consts::PI / nt as f64;
        let dph = 2.0 * std::f64::consts::PI / np as f64;
        let total: f64 = (0..nt)
            .map(|i| (0..np).map(|k| q[i * np + k]).sum::<f64>() * th[i].sin() * dth * dph)
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
    }

    #[test]
    fn zero_mean_spin_is_an_error() {
        let rho = Mat::<C64>::from_fn(3, 3, |i, j| {
            if i == j {
                C64::new(1.0 / 3.0, 0.0)
            } else {
                C64::default()
            }
        });
        assert!(matches!(
            moments(&rho).squeezing(),
            Err(ModelError::ZeroMeanSpin(_))
        ));
    }
}
