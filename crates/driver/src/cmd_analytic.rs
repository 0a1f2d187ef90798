//! `sqz analytic`: Eq. 8.

use crate::cli::{AnalyticArgs, Global};
use crate::report;
use serde_json::json;
use sqz_model::{analytic, Params};
use std::time::Instant;

pub fn run(a: &AnalyticArgs, g: Global) -> anyhow::Result<()> {
    let p = Params::new(a.phys.n, a.phys.r, a.phys.alpha, a.phys.delta)?;
    crate::resolve::memory_guard(
        "the analytic steady state (Eq. 8, dense (N+1) x (N+1) matrices)",
        p.n(),
        analytic::bytes,
    )?;
    let t0 = Instant::now();
    let s = analytic::steady_state(&p)?;
    let sq = s.moments().squeezing()?;
    let mut f = report::point_json(&p, &sq);
    f.insert("method".into(), json!("eq8"));
    f.insert("time_s".into(), json!(t0.elapsed().as_secs_f64()));
    report::emit(f, g.json);
    Ok(())
}
