//! `sqz validate`: the same ideal problem three ways (and one matrix-free check), with one table
//! of agreement and time per method — the check to run on a new machine or cluster.
//!
//! * Eq. 8, analytic (the reference);
//! * Eq. 7, sparse-LU null vector in the Dicke basis;
//! * Eq. 3 in the full parity block: the steady state reached from all ground, by projecting on
//!   the (degenerate, Catalan-dimensional) null space from a dense SVD (N <= 5);
//! * Eq. 3 matrix-free: the residual `|L rho_8|` of Eq. 8 embedded in the full space (N <= 12).

use crate::cli::{Global, ValidateArgs};
use anyhow::bail;
use serde_json::json;
use sqz_model::{analytic, collective, observables, positions, Params, C64};
use sqz_superop::parity::{block_dim, block_index};
use std::time::Instant;

/// Agreement required of every method, in max |rho - rho_8|.
const AGREE: f64 = 1e-8;

struct Row {
    method: &'static str,
    xi2: Option<f64>,
    diff: Option<f64>,
    extra: String,
    seconds: f64,
}

fn embed(n: usize, rho: &faer::Mat<C64>) -> Vec<C64> {
    let d = 1usize << n;
    let dicke: Vec<Vec<C64>> = (0..=n)
        .map(|k| sqz_superop::basis::dicke_vector(n, k))
        .collect();
    let mut xb = vec![C64::new(0.0, 0.0); block_dim(n)];
    for a in 0..d {
        let ka = a.count_ones() as usize;
        for b in 0..d {
            let kb = b.count_ones() as usize;
            if let Some(i) = block_index(n, a, b) {
                xb[i] = rho[(ka, kb)] * dicke[ka][a] * dicke[kb][b];
            }
        }
    }
    xb
}

pub fn run(a: &ValidateArgs, g: Global) -> anyhow::Result<()> {
    let p = Params::new(a.n, a.r, a.alpha, a.delta)?;
    let n = p.n();
    if n > 400 {
        bail!("invalid --n {n}: allowed 1 <= N <= 400 (the Eq. 7 null vector is the limit)");
    }
    let mut rows = Vec::new();
    let t = Instant::now();
    let an = analytic::steady_state(&p)?;
    let rho8 = an.rho();
    let sq8 = an.moments().squeezing()?;
    rows.push(Row {
        method: "Eq. 8 analytic",
        xi2: Some(sq8.xi2),
        diff: None,
        extra: "reference".into(),
        seconds: t.elapsed().as_secs_f64(),
    });

    let t = Instant::now();
    let nv = collective::steady_state(&p)?;
    let sq7 = observables::moments(&nv.rho).squeezing()?;
    let mut d7: f64 = 0.0;
    for j in 0..=n {
        for i in 0..=n {
            d7 = d7.max((nv.rho[(i, j)] - rho8[(i, j)]).norm());
        }
    }
    rows.push(Row {
        method: "Eq. 7 Dicke null vector (sparse LU)",
        xi2: Some(sq7.xi2),
        diff: Some(d7),
        extra: format!("residual {:.1e}", nv.residual),
        seconds: t.elapsed().as_secs_f64(),
    });

    if n <= 5 {
        let t = Instant::now();
        let z = positions::ideal(n);
        let mut rho0 = vec![C64::new(0.0, 0.0); block_dim(n)];
        rho0[block_index(n, 0, 0).expect("ground in block")] = C64::new(1.0, 0.0);
        let (proj, dim) = sqz_steady::nullspace::project_null_space(&p, &z, &rho0)?;
        let e8 = embed(n, &rho8);
        let d3 = proj
            .iter()
            .zip(&e8)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max);
        let sq3 = sqz_superop::observables::moments_parity(&proj).squeezing()?;
        rows.push(Row {
            method: "Eq. 3 full space, null-space projection from all ground (dense SVD)",
            xi2: Some(sq3.xi2),
            diff: Some(d3),
            extra: format!(
                "null space dim {dim} (Catalan C_N = {})",
                sqz_steady::ideal::catalan(n)
            ),
            seconds: t.elapsed().as_secs_f64(),
        });
        if dim as u64 != sqz_steady::ideal::catalan(n) {
            bail!(
                "the full-space null space has dimension {dim}, expected the Catalan number {}",
                sqz_steady::ideal::catalan(n)
            );
        }
    }
    if n <= 12 {
        let t = Instant::now();
        let op = sqz_superop::ParityBlock::new(&p, &positions::ideal(n))?;
        let e8 = embed(n, &rho8);
        let mut y = vec![C64::new(0.0, 0.0); e8.len()];
        sqz_krylov::LinearOperator::apply(&op, &e8, &mut y);
        let res = y.iter().map(|v| v.norm()).fold(0.0, f64::max);
        rows.push(Row {
            method: "Eq. 3 matrix-free: max |L rho_8| of Eq. 8 embedded",
            xi2: None,
            diff: Some(res),
            extra: "residual of the analytic state in the full space".into(),
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    let ok = rows.iter().all(|r| r.diff.is_none_or(|d| d <= AGREE));
    if g.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| json!({"method": r.method, "xi2": r.xi2, "max_abs_diff_vs_eq8": r.diff, "detail": r.extra, "time_s": r.seconds}))
            .collect();
        println!(
            "{}",
            json!({"n": n, "r": a.r, "alpha": a.alpha, "delta": a.delta, "agree_tol": AGREE, "ok": ok, "methods": items})
        );
    } else {
        println!(
            "validate: N = {n}, r = {}, alpha = {}, Delta = {} (ideal positions, from all ground)",
            a.r, a.alpha, a.delta
        );
        println!(
            "{:<72} {:>16} {:>12} {:>10}  detail",
            "method", "xi^2", "max|d rho|", "time [s]"
        );
        for r in &rows {
            let xi = r.xi2.map_or("-".to_string(), |x| format!("{x:.12}"));
            let df = r.diff.map_or("-".to_string(), |x| format!("{x:.1e}"));
            println!(
                "{:<72} {:>16} {:>12} {:>10.4}  {}",
                r.method, xi, df, r.seconds, r.extra
            );
        }
        println!(
            "{}",
            if ok {
                format!("OK: all methods agree with Eq. 8 to {AGREE:.0e}")
            } else {
                "FAILED: disagreement above tolerance".into()
            }
        );
    }
    if !ok {
        bail!("validation failed: a method disagrees with Eq. 8 by more than {AGREE:e}");
    }
    Ok(())
}
