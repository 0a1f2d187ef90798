//! `sqz validate`: the same ideal problem three ways (and one matrix-free check), with one table
//! of agreement and time per method — the check to run on a new machine or cluster. The methods
//! are `sqz_steady::validate`.

use crate::cli::{Global, ValidateArgs};
use anyhow::bail;
use serde_json::json;
use sqz_model::Params;
use sqz_steady::validate::{all_agree, validate, AGREE};

pub fn run(a: &ValidateArgs, g: Global) -> anyhow::Result<()> {
    let p = Params::new(a.n, a.r, a.alpha, a.delta)?;
    let n = p.n();
    if n > 400 {
        bail!("invalid --n {n}: allowed 1 <= N <= 400 (the Eq. 7 null vector is the limit)");
    }
    // faer's parallelism: rayon, what the command used when it read faer's global setting
    let rows = validate(&p, faer::Par::rayon(0))?;
    let ok = all_agree(&rows);
    if g.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| json!({"method": r.method, "xi2": r.xi2, "max_abs_diff_vs_eq8": r.diff, "detail": r.detail, "time_s": r.seconds}))
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
                r.method, xi, df, r.seconds, r.detail
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
