//! `sqz steady`: numerical steady states.

use crate::cli::{Model, SteadyArgs};
use crate::report;
use serde_json::json;
use sqz_model::{collective, observables, Params};
use std::time::Instant;

pub fn run(a: &SteadyArgs) -> anyhow::Result<()> {
    let p = Params::new(a.phys.n, a.phys.r, a.phys.alpha, a.phys.delta)?;
    match a.model {
        Model::Collective => {
            let t0 = Instant::now();
            let s = collective::steady_state(&p)?;
            let sq = observables::moments(&s.rho).squeezing()?;
            let mut f = report::point_json(&p, &sq);
            f.insert("model".into(), json!("collective"));
            f.insert("method".into(), json!("sparse-lu"));
            f.insert("residual".into(), json!(s.residual));
            f.insert("time_s".into(), json!(t0.elapsed().as_secs_f64()));
            report::emit(f, a.json);
            Ok(())
        }
        Model::Full => {
            anyhow::bail!("--model full is not available yet (steady-state solver of Eq. 3)")
        }
    }
}
