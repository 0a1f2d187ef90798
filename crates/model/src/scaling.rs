//! The Fig. 3(b-d) scaling study with Eq. 8 (`sqz scaling`, `sqz reproduce`).
//!
//! For each N: the optimal squeezing strength `r_opt` (golden-section search to `r_tol` after a
//! coarse scan), the maximal `1/xi^2`, and the range of `r` with `xi^2 < 1` (ends by bisection to
//! `r_tol`) ([`scan`]). Then the power-law fit `(xi^2)_min = a N^b` (paper, Eq. 9: a = 1.64,
//! b = -0.54) and the linear fit `r_opt = c ln N + d` (paper: c = 0.27, d = -0.11), least squares
//! in log space over a range of N, with standard errors ([`range_fit`]).

use crate::{analytic, ModelError, Params};

/// Result for one N.
#[derive(Debug, Clone, Copy)]
pub struct ScalingPoint {
    /// number of TLS
    pub n: usize,
    /// the r of the largest `1/xi^2`
    pub r_opt: f64,
    /// the largest `1/xi^2` over r
    pub inv_xi2_max: f64,
    /// whether some r gives xi^2 < 1
    pub squeezed: bool,
    /// lower end of the squeezed range (0 when squeezing starts at r -> 0+)
    pub r_lo: f64,
    /// upper end of the squeezed range (`r_max` when it extends beyond the search)
    pub r_hi: f64,
    /// number of Eq. 8 evaluations
    pub evals: usize,
}

/// A least-squares line `y = slope x + intercept` with standard errors.
#[derive(Debug, Clone, Copy)]
pub struct LineFit {
    /// slope
    pub slope: f64,
    /// its standard error (0 with two points)
    pub slope_err: f64,
    /// intercept
    pub intercept: f64,
    /// its standard error (0 with two points)
    pub intercept_err: f64,
    /// points in the fit
    pub points: usize,
}

/// Ordinary least squares with standard errors (needs >= 3 points for errors).
pub fn fit_line(x: &[f64], y: &[f64]) -> Option<LineFit> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let (slope_err, intercept_err) = if n > 2 {
        let rss: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| (b - intercept - slope * a).powi(2))
            .sum();
        let s2 = rss / (nf - 2.0);
        ((s2 / sxx).sqrt(), (s2 * (1.0 / nf + mx * mx / sxx)).sqrt())
    } else {
        (0.0, 0.0)
    };
    Some(LineFit {
        slope,
        slope_err,
        intercept,
        intercept_err,
        points: n,
    })
}

/// `1/xi^2` of Eq. 8 at `r` (the other parameters from `base`); a state without a mean spin
/// counts as unsqueezed (0).
pub fn inv_xi2(base: &Params, basis: &analytic::Eq8Basis, r: f64) -> Result<f64, ModelError> {
    let p = base.with_r(r)?;
    let s = analytic::steady_state_with(&p, basis)?;
    Ok(s.moments().squeezing().map(|q| q.inv_xi2).unwrap_or(0.0))
}

/// The N values: log-spaced, unique, ascending.
pub fn n_grid(n_min: usize, n_max: usize, points: usize) -> Vec<usize> {
    if points == 0 || points > n_max - n_min {
        return (n_min..=n_max).collect();
    }
    let (a, b) = ((n_min as f64).ln(), (n_max as f64).ln());
    let mut v: Vec<usize> = (0..points)
        .map(|i| {
            (a + (b - a) * i as f64 / (points - 1).max(1) as f64)
                .exp()
                .round() as usize
        })
        .collect();
    v.dedup();
    v
}

/// The study for one N (`base.n()`): a coarse scan of 24 values of r up to `r_max`, a
/// golden-section search for r_opt to `r_tol`, and the ends of the squeezed range by bisection.
pub fn scan(base: &Params, r_max: f64, r_tol: f64) -> Result<ScalingPoint, ModelError> {
    let mut evals = 0usize;
    let basis = analytic::Eq8Basis::new(base.n());
    let mut f = |r: f64| -> Result<f64, ModelError> {
        evals += 1;
        inv_xi2(base, &basis, r)
    };
    // coarse scan, starting just above 0
    let m = 24;
    let rs: Vec<f64> = (1..=m).map(|i| r_max * i as f64 / m as f64).collect();
    let mut vals = Vec::with_capacity(m);
    for &r in &rs {
        vals.push(f(r)?);
    }
    let imax = (0..m)
        .max_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    // golden section on [r_{i-1}, r_{i+1}]
    let (mut a, mut b) = (
        if imax == 0 { 0.0 } else { rs[imax - 1] },
        rs[(imax + 1).min(m - 1)],
    );
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1)?, f(x2)?);
    while b - a > r_tol {
        if f1 >= f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1)?;
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2)?;
        }
    }
    let (r_opt, inv_max) = if f1 >= f2 { (x1, f1) } else { (x2, f2) };
    let (r_opt, inv_max) = if vals[imax] > inv_max {
        (rs[imax], vals[imax])
    } else {
        (r_opt, inv_max)
    };
    let squeezed = inv_max > 1.0;
    let (mut r_lo, mut r_hi) = (0.0, 0.0);
    if squeezed {
        // bisection for a crossing of 1/xi^2 = 1 between lo (value below 1) and hi (above 1)
        let mut bisect = |mut below: f64, mut above: f64| -> Result<f64, ModelError> {
            while (above - below).abs() > r_tol {
                let mid = 0.5 * (above + below);
                if f(mid)? > 1.0 {
                    above = mid;
                } else {
                    below = mid;
                }
            }
            Ok(0.5 * (above + below))
        };
        // left end: last coarse point below r_opt with 1/xi^2 <= 1
        let left = (0..m)
            .rev()
            .filter(|&i| rs[i] < r_opt)
            .find(|&i| vals[i] <= 1.0);
        r_lo = match left {
            Some(i) => bisect(rs[i], r_opt)?,
            None => 0.0,
        };
        let right = (0..m).filter(|&i| rs[i] > r_opt).find(|&i| vals[i] <= 1.0);
        r_hi = match right {
            Some(i) => bisect(rs[i], r_opt)?,
            None => r_max,
        };
    }
    Ok(ScalingPoint {
        n: base.n(),
        r_opt,
        inv_xi2_max: inv_max,
        squeezed,
        r_lo,
        r_hi,
        evals,
    })
}

/// The fits of `ln xi2_min` and `r_opt` against `ln N` over the points with
/// `n_min <= N <= n_max`.
#[derive(Debug, Clone, Copy)]
pub struct RangeFit {
    /// smallest N in the fit
    pub n_min: usize,
    /// largest N in the fit
    pub n_max: usize,
    /// `ln xi2_min = b ln N + ln a`: `a = exp(intercept)`, `b = slope`
    pub xi: LineFit,
    /// `r_opt = c ln N + d`: `c = slope`, `d = intercept`
    pub r: LineFit,
}

impl RangeFit {
    /// `a` of `xi2_min = a N^b` and its standard error.
    pub fn a(&self) -> (f64, f64) {
        let a = self.xi.intercept.exp();
        (a, a * self.xi.intercept_err)
    }
}

/// Both fits over the points with `n_min <= N <= n_max`; `None` with fewer than two distinct N.
pub fn range_fit(points: &[ScalingPoint], n_min: usize, n_max: usize) -> Option<RangeFit> {
    let sel: Vec<&ScalingPoint> = points
        .iter()
        .filter(|p| p.n >= n_min && p.n <= n_max)
        .collect();
    let ln_n: Vec<f64> = sel.iter().map(|p| (p.n as f64).ln()).collect();
    let ln_xi: Vec<f64> = sel.iter().map(|p| (1.0 / p.inv_xi2_max).ln()).collect();
    let ropt: Vec<f64> = sel.iter().map(|p| p.r_opt).collect();
    Some(RangeFit {
        n_min: sel.first()?.n,
        n_max: sel.last()?.n,
        xi: fit_line(&ln_n, &ln_xi)?,
        r: fit_line(&ln_n, &ropt)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fit_recovers_exact_line() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 0.27 * v - 0.11).collect();
        let f = fit_line(&x, &y).unwrap();
        assert!((f.slope - 0.27).abs() < 1e-12 && (f.intercept + 0.11).abs() < 1e-12);
        assert!(f.slope_err < 1e-12);
    }

    #[test]
    fn grid_is_unique_and_spans_range() {
        let g = n_grid(2, 1000, 48);
        assert_eq!(g[0], 2);
        assert_eq!(*g.last().unwrap(), 1000);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(n_grid(2, 5, 0), vec![2, 3, 4, 5]);
    }
}
