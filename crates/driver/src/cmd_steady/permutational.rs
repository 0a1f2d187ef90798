//! `sqz steady --model permutational`: Eq. 7 plus local loss and dephasing of every TLS
//! (`--gamma-loss`, `--gamma-deph`, units of A) on permutation-invariant states, blocks of total
//! spin J ([`sqz_steady::permutational::solve`], the engine of every steady state). Ideal positions only.
//!
//! Reports `inv_xi2` with `inv_xi2_bound` (first-order bound implied by `error_bound = residual /
//! gap` on the state), the method (`sparse-lu` up to 3 000 unknowns (N = 30), `gmres-two-level`
//! above, `symmetric-subspace-lu` without local rates), the weight of the symmetric subspace and
//! the time. Without local rates the steady state is degenerate across J; the one reported is the
//! state reached from a symmetric initial state (J = N/2, equal to Eq. 8).

use crate::cli::{Global, SteadyArgs};
use crate::{report, resolve};
use anyhow::bail;
use serde_json::json;
use sqz_permutational::state;

/// `sqz steady --model permutational`.
pub fn run(a: &SteadyArgs, g: Global) -> anyhow::Result<()> {
    let p = resolve::permutational_params(&a.phys, &a.rates, &a.pos)?;
    if !(a.tol > 0.0 && a.tol < 1.0) {
        bail!("invalid --tol {}: allowed 0 < tol < 1", a.tol);
    }
    // the initial state matters only without local rates, and every symmetric one gives J = N/2
    a.init
        .dicke_index(p.n())
        .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
    let bytes: fn(usize) -> u64 = if p.has_local_rates() {
        |n| sqz_steady::permutational::bytes_estimate(n, true)
    } else {
        |n| sqz_steady::permutational::bytes_estimate(n, false)
    };
    resolve::memory_guard("the permutational steady state", p.n(), bytes)?;
    let sp = sqz_steady::SteadyParams {
        estimate_gap: !a.no_gap,
        tol: a.tol,
        // faer's parallelism: rayon, what the command used when the permutational solve read
        // faer's global setting
        par: faer::Par::rayon(0),
        ..Default::default()
    };
    let s = sqz_steady::permutational::solve(&p, &sp)?;
    let sq = s.squeezing()?;
    let mut f = report::point_json(&p, &sq);
    report::permutational_fields(&mut f, &p);
    f.insert("init".into(), json!(a.init.describe()));
    f.insert("method".into(), json!(s.method.name()));
    f.insert("iterations".into(), json!(s.iterations));
    f.insert("residual".into(), json!(s.residual));
    f.insert("gap".into(), json!(s.gap));
    f.insert("error_bound".into(), json!(s.error_bound));
    f.insert("inv_xi2_bound".into(), json!(s.details.inv_xi2_bound));
    f.insert("bound_met".into(), json!(s.bound_met));
    f.insert("outcome".into(), json!(s.outcome.name()));
    f.insert("null_dim".into(), json!(s.null_dim));
    f.insert("dim".into(), json!(s.details.basis.dim()));
    f.insert("nnz".into(), json!(s.details.nnz));
    f.insert("blocks".into(), json!(s.details.basis.blocks()));
    f.insert(
        "symmetric_population".into(),
        json!(s.symmetric_population()),
    );
    f.insert(
        "total_spin_squared".into(),
        json!(state::total_spin_squared(&s.details.basis, &s.rho_block)),
    );
    f.insert("min_eigenvalue".into(), json!(s.min_eigenvalue));
    f.insert("time_s".into(), json!(s.seconds));
    f.insert(
        "timings_s".into(),
        json!({
            "assemble": s.details.timings.assemble,
            "factor": s.details.timings.factor,
            "solve": s.details.timings.solve,
            "gap": s.details.timings.gap,
        }),
    );
    f.insert("notes".into(), json!(s.notes));
    for note in &s.notes {
        eprintln!("sqz: note: {note}");
    }
    report::emit(f, g.json);
    Ok(())
}
