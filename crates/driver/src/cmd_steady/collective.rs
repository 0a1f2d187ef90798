//! `sqz steady --model collective`: the steady state of Eq. 7 in the Dicke basis
//! (`sqz_model::collective`, sparse LU of the `(N+1)^2` Liouvillian). Ideal positions, no local
//! rates.

use crate::cli::{Global, SteadyArgs};
use crate::{report, resolve};
use anyhow::bail;
use serde_json::json;
use sqz_model::{collective, observables};
use std::time::Instant;

pub fn run(a: &SteadyArgs, g: Global) -> anyhow::Result<()> {
    resolve::reject_local_rates(&a.rates)?;
    let p = resolve::params(&a.phys, &a.rates)?;
    if a.pos.w.is_some() || a.pos.positions.is_some() {
        bail!("--w and --positions belong to --model full: the collective model (Eq. 7) assumes ideal positions");
    }
    // Eq. 7's steady state is unique: the initial state only has to exist at this N
    resolve::steady_initial(p.n(), &a.init, false)?;
    resolve::memory_guard(
        "the collective steady state (Eq. 7, sparse LU of the (N+1)^2 Liouvillian)",
        p.n(),
        collective::bytes,
    )?;
    let t0 = Instant::now();
    // faer's parallelism: rayon, what the command used when it read faer's global setting
    let s = collective::steady_state(&p, faer::Par::rayon(0))?;
    let sq = observables::moments(&s.rho).squeezing()?;
    let mut f = report::point_json(&p, &sq);
    f.insert("model".into(), json!("collective"));
    f.insert("method".into(), json!("sparse-lu"));
    f.insert("residual".into(), json!(s.residual));
    f.insert("residual_max".into(), json!(s.residual_max));
    f.insert("time_s".into(), json!(t0.elapsed().as_secs_f64()));
    report::emit(f, g.json);
    Ok(())
}
