//! `sqz scaling`: the Fig. 3(b-d) study with Eq. 8.
//!
//! For each N: the optimal squeezing strength `r_opt` (golden-section search to `r_tol` after a
//! coarse scan), the maximal `1/xi^2`, and the range of `r` with `xi^2 < 1` (ends by bisection to
//! `r_tol`). Then the power-law fit `(xi^2)_min = a N^b` (paper, Eq. 9: a = 1.64, b = -0.54) and
//! the linear fit `r_opt = c ln N + d` (paper: c = 0.27, d = -0.11), least squares in log space
//! over `N >= fit_n_min`, with standard errors.

use crate::cli::ScalingArgs;
use crate::h5;
use anyhow::{bail, Context};
use rayon::prelude::*;
use serde_json::json;
use sqz_model::{analytic, Params};
use std::time::Instant;

/// Result for one N.
#[derive(Debug, Clone, Copy)]
pub struct ScalingPoint {
    pub n: usize,
    pub r_opt: f64,
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
    pub slope: f64,
    pub slope_err: f64,
    pub intercept: f64,
    pub intercept_err: f64,
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

/// `1/xi^2` of Eq. 8; a state without a mean spin counts as unsqueezed (0).
fn inv_xi2(base: &Params, basis: &analytic::Eq8Basis, r: f64) -> anyhow::Result<f64> {
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

/// The study for one N.
pub fn scan(base: &Params, r_max: f64, r_tol: f64) -> anyhow::Result<ScalingPoint> {
    let mut evals = 0usize;
    let basis = analytic::Eq8Basis::new(base.n());
    let mut f = |r: f64| -> anyhow::Result<f64> {
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
        let mut bisect = |mut below: f64, mut above: f64| -> anyhow::Result<f64> {
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

pub fn run(a: &ScalingArgs) -> anyhow::Result<()> {
    if a.n_min < 1 || a.n_max < a.n_min || a.n_max > 5000 {
        bail!(
            "invalid N range {}..{}: allowed 1 <= n-min <= n-max <= 5000",
            a.n_min,
            a.n_max
        );
    }
    if !(a.r_tol > 0.0 && a.r_tol <= 0.1) {
        bail!("invalid --r-tol {}: allowed 0 < r-tol <= 0.1", a.r_tol);
    }
    if !(a.r_max > 0.1 && a.r_max <= 10.0) {
        bail!("invalid --r-max {}: allowed 0.1 < r-max <= 10", a.r_max);
    }
    let base = Params::new(a.n_min, 0.5, a.alpha, a.delta)?;
    let ns = n_grid(a.n_min, a.n_max, a.n_points);
    let t0 = Instant::now();
    let total = ns.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // largest N first, for load balance
    let mut points: Vec<ScalingPoint> = ns
        .par_iter()
        .rev()
        .map(|&n| {
            let pt =
                scan(&base.with_n(n)?, a.r_max, a.r_tol).with_context(|| format!("N = {n}"))?;
            let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if !a.json {
                eprintln!(
                    "[{k:>3}/{total}] N = {n:>5}: r_opt = {:.4}, max 1/xi^2 = {:.5} ({:.1} s)",
                    pt.r_opt,
                    pt.inv_xi2_max,
                    t0.elapsed().as_secs_f64()
                );
            }
            Ok(pt)
        })
        .collect::<anyhow::Result<_>>()?;
    points.sort_by_key(|p| p.n);
    let fit_pts: Vec<&ScalingPoint> = points.iter().filter(|p| p.n >= a.fit_n_min).collect();
    let ln_n: Vec<f64> = fit_pts.iter().map(|p| (p.n as f64).ln()).collect();
    let ln_xi: Vec<f64> = fit_pts.iter().map(|p| (1.0 / p.inv_xi2_max).ln()).collect();
    let ropt: Vec<f64> = fit_pts.iter().map(|p| p.r_opt).collect();
    let xi_fit = fit_line(&ln_n, &ln_xi);
    let r_fit = fit_line(&ln_n, &ropt);
    let elapsed = t0.elapsed().as_secs_f64();

    if let Some(path) = &a.out {
        h5::write_atomically(path, |f| {
            h5::attr_str(
                f,
                "study",
                "scaling (Fig. 3b-d) with the analytic steady state, Eq. 8",
            )?;
            h5::attr_f64(f, "alpha", a.alpha)?;
            h5::attr_f64(f, "delta", a.delta)?;
            h5::attr_u64(f, "n_min", a.n_min as u64)?;
            h5::attr_u64(f, "n_max", a.n_max as u64)?;
            h5::attr_u64(f, "n_points", a.n_points as u64)?;
            h5::attr_f64(f, "r_tol", a.r_tol)?;
            h5::attr_f64(f, "r_max", a.r_max)?;
            h5::attr_u64(f, "fit_n_min", a.fit_n_min as u64)?;
            h5::attr_f64(f, "elapsed_s", elapsed)?;
            let g = f.create_group("scaling")?;
            h5::ds_u64(
                &g,
                "n",
                &points.iter().map(|p| p.n as u64).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "r_opt",
                &points.iter().map(|p| p.r_opt).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "inv_xi2_max",
                &points.iter().map(|p| p.inv_xi2_max).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "xi2_min",
                &points
                    .iter()
                    .map(|p| 1.0 / p.inv_xi2_max)
                    .collect::<Vec<_>>(),
            )?;
            h5::ds_bool(
                &g,
                "squeezed",
                &points.iter().map(|p| p.squeezed).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "r_lo",
                &points.iter().map(|p| p.r_lo).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "r_hi",
                &points.iter().map(|p| p.r_hi).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "r_range",
                &points.iter().map(|p| p.r_hi - p.r_lo).collect::<Vec<_>>(),
            )?;
            h5::ds_u64(
                &g,
                "evaluations",
                &points.iter().map(|p| p.evals as u64).collect::<Vec<_>>(),
            )?;
            let fg = f.create_group("fits")?;
            if let Some(x) = xi_fit {
                let s = fg.create_group("xi2_min_power_law")?;
                h5::attr_str(
                    &s,
                    "model",
                    "xi2_min = a * N^b; a = exp(intercept), b = slope",
                )?;
                h5::attr_f64(&s, "a", x.intercept.exp())?;
                h5::attr_f64(&s, "a_err", x.intercept.exp() * x.intercept_err)?;
                h5::attr_f64(&s, "b", x.slope)?;
                h5::attr_f64(&s, "b_err", x.slope_err)?;
                h5::attr_u64(&s, "points", x.points as u64)?;
                h5::attr_str(&s, "paper", "a = 1.64, b = -0.54 (Eq. 9)")?;
            }
            if let Some(x) = r_fit {
                let s = fg.create_group("r_opt_log_linear")?;
                h5::attr_str(&s, "model", "r_opt = c ln N + d")?;
                h5::attr_f64(&s, "c", x.slope)?;
                h5::attr_f64(&s, "c_err", x.slope_err)?;
                h5::attr_f64(&s, "d", x.intercept)?;
                h5::attr_f64(&s, "d_err", x.intercept_err)?;
                h5::attr_u64(&s, "points", x.points as u64)?;
                h5::attr_str(&s, "paper", "c = 0.27, d = -0.11")?;
            }
            Ok(())
        })?;
    }

    let fit_json = |f: Option<LineFit>, exp_intercept: bool| match f {
        Some(x) if exp_intercept => {
            json!({"a": x.intercept.exp(), "a_err": x.intercept.exp() * x.intercept_err, "b": x.slope, "b_err": x.slope_err, "points": x.points})
        }
        Some(x) => {
            json!({"c": x.slope, "c_err": x.slope_err, "d": x.intercept, "d_err": x.intercept_err, "points": x.points})
        }
        None => json!(null),
    };
    if a.json {
        let v = json!({
            "alpha": a.alpha, "delta": a.delta, "r_tol": a.r_tol, "fit_n_min": a.fit_n_min,
            "n": points.iter().map(|p| p.n).collect::<Vec<_>>(),
            "r_opt": points.iter().map(|p| p.r_opt).collect::<Vec<_>>(),
            "inv_xi2_max": points.iter().map(|p| p.inv_xi2_max).collect::<Vec<_>>(),
            "squeezed": points.iter().map(|p| p.squeezed).collect::<Vec<_>>(),
            "r_lo": points.iter().map(|p| p.r_lo).collect::<Vec<_>>(),
            "r_hi": points.iter().map(|p| p.r_hi).collect::<Vec<_>>(),
            "fit_xi2_min": fit_json(xi_fit, true),
            "fit_r_opt": fit_json(r_fit, false),
            "elapsed_s": elapsed,
        });
        println!("{v}");
    } else {
        println!(
            "{:>6} {:>9} {:>12} {:>9} {:>9}",
            "N", "r_opt", "max 1/xi^2", "r_lo", "r_hi"
        );
        for p in &points {
            println!(
                "{:>6} {:>9.4} {:>12.6} {:>9.4} {:>9.4}",
                p.n, p.r_opt, p.inv_xi2_max, p.r_lo, p.r_hi
            );
        }
        if let Some(x) = xi_fit {
            println!(
                "fit (N >= {}): (xi^2)_min = {:.3}(+-{:.3}) N^({:.4} +- {:.4})   [paper: 1.64 N^-0.54]",
                a.fit_n_min,
                x.intercept.exp(),
                x.intercept.exp() * x.intercept_err,
                x.slope,
                x.slope_err
            );
        }
        if let Some(x) = r_fit {
            println!(
                "fit (N >= {}): r_opt = ({:.4} +- {:.4}) ln N + ({:.4} +- {:.4})   [paper: 0.27 ln N - 0.11]",
                a.fit_n_min, x.slope, x.slope_err, x.intercept, x.intercept_err
            );
        }
        println!("{} values of N in {elapsed:.1} s", points.len());
    }
    Ok(())
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
