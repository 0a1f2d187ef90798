//! `sqz steady`: numerical steady states of Eq. 7 (collective) or Eq. 3 (full).

use crate::cli::{Model, SteadyArgs};
use crate::{report, resolve};
use anyhow::bail;
use serde_json::json;
use sqz_model::{collective, observables, Params};
use std::time::Instant;

pub fn run(a: &SteadyArgs) -> anyhow::Result<()> {
    if a.model == Model::Permutational {
        return crate::cmd_permutational::steady(a);
    }
    crate::cmd_permutational::reject_local_rates(&a.rates, a.model)?;
    let p = Params::new(a.phys.n, a.phys.r, a.phys.alpha, a.phys.delta)?;
    match a.model {
        Model::Collective => {
            if a.pos.w.is_some() || a.pos.positions.is_some() {
                bail!("--w and --positions belong to --model full: the collective model (Eq. 7) assumes ideal positions");
            }
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
        Model::Permutational => unreachable!("dispatched above"),
        Model::Full => {
            if !(a.tol > 0.0 && a.tol < 1.0) {
                bail!("invalid --tol {}: allowed 0 < tol < 1", a.tol);
            }
            let (z, src) = resolve::positions(p.n(), &a.pos)?;
            let init = resolve::initial(p.n(), &a.init)?;
            let sp = sqz_steady::SteadyParams {
                tol: a.tol,
                initial: init,
                estimate_gap: !a.no_gap,
                ..Default::default()
            };
            if p.n() <= 5 {
                // a 512 x 512 LU is faster on one thread than with rayon's wake-ups
                faer::set_global_parallelism(faer::Par::Seq);
            }
            let rep = sqz_steady::solve(&p, &z, &sp)?;
            let sq = sqz_superop::observables::moments_parity(&rep.rho_block).squeezing()?;
            let mut f = report::point_json(&p, &sq);
            f.insert("model".into(), json!("full"));
            f.insert("positions".into(), json!(z));
            if let resolve::PositionSource::Disorder { w, seed, config } = src {
                f.insert("w".into(), json!(w));
                f.insert("seed".into(), json!(seed));
                f.insert("config".into(), json!(config));
            }
            f.insert("method".into(), json!(rep.method.name()));
            f.insert("iterations".into(), json!(rep.iterations));
            f.insert("residual".into(), json!(rep.residual));
            f.insert("gap".into(), json!(rep.gap));
            f.insert("error_bound".into(), json!(rep.error_bound));
            f.insert("bound_met".into(), json!(rep.bound_met));
            f.insert("null_dim".into(), json!(rep.null_dim));
            f.insert("min_eigenvalue".into(), json!(rep.min_eigenvalue));
            f.insert("time_s".into(), json!(rep.seconds));
            f.insert("notes".into(), json!(rep.notes));
            for note in &rep.notes {
                eprintln!("sqz: note: {note}");
            }
            report::emit(f, a.json);
            Ok(())
        }
    }
}
