//! `sqz scaling`: the Fig. 3(b-d) study with Eq. 8 (`sqz_model::scaling`): per N, r_opt, the
//! largest `1/xi^2` and the squeezed range of r; the fits `(xi^2)_min = a N^b` (paper, Eq. 9:
//! a = 1.64, b = -0.54) and `r_opt = c ln N + d` (paper: c = 0.27, d = -0.11) over
//! `N >= fit_n_min`, with standard errors.

use crate::cli::{Global, ScalingArgs};
use anyhow::{bail, Context};
use rayon::prelude::*;
use serde_json::json;
use sqz_model::scaling::{n_grid, range_fit, scan, LineFit, ScalingPoint};
use sqz_model::Params;
use sqz_study::h5;
use std::time::Instant;

pub fn run(a: &ScalingArgs, g: Global) -> anyhow::Result<()> {
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
            if !g.json && !g.quiet {
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
    // both fits exist or neither (they share the abscissae ln N)
    let fit = range_fit(&points, a.fit_n_min, usize::MAX);
    let (xi_fit, r_fit) = (fit.map(|f| f.xi), fit.map(|f| f.r));
    let elapsed = t0.elapsed().as_secs_f64();

    if let Some(path) = &a.out {
        write_h5(path, a, &points, xi_fit, r_fit, elapsed)?;
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
    if g.json {
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

/// Writes the result file of `sqz scaling --out`: the arguments as attributes, the points per N
/// in `/scaling`, the fits in `/fits`.
fn write_h5(
    path: &std::path::Path,
    a: &ScalingArgs,
    points: &[ScalingPoint],
    xi_fit: Option<LineFit>,
    r_fit: Option<LineFit>,
    elapsed: f64,
) -> anyhow::Result<()> {
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
        h5::write_scaling_points(&g, points)?;
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
        h5::write_scaling_fits(&f.create_group("fits")?, xi_fit, r_fit)?;
        Ok(())
    })
}
