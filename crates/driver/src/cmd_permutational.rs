//! `--model permutational` of `sqz steady` and `sqz evolve`: Eq. 7 plus local loss and dephasing
//! of every TLS (`--gamma-loss`, `--gamma-deph`, units of A) on permutation-invariant states,
//! blocks of total spin J ([`sqz_permutational`]). Ideal positions only.
//!
//! `sqz steady --model permutational` reports `inv_xi2` with `inv_xi2_bound` (first-order bound
//! implied by `error_bound = residual / gap` on the state), the method (`sparse-lu` up to
//! 3 000 unknowns (N = 30), `gmres-two-level` above, `symmetric-subspace-lu` without local rates), the
//! weight of the symmetric subspace and the time. Without local rates the steady state is
//! degenerate across J; the one reported is the state reached from a symmetric initial state
//! (J = N/2, equal to Eq. 8).
//!
//! `sqz evolve --model permutational` propagates from `ground`, `dicke:M` or `product:TH,PH` (all
//! in J = N/2) with Krylov `expv`; per time `inv_xi2`, `mean_spin`, `trace` and
//! `symmetric_population`. No Husimi output.

use crate::cli::{EvolveArgs, Global, LocalRateArgs, Model, PhysArgs, PositionArgs, SteadyArgs};
use crate::cmd_evolve::{check_krylov, output_times, XI2_FILL};
use crate::{report, resolve};
use anyhow::{bail, Context};
use serde_json::{json, Map, Value};
use sqz_dynamics::propagate::ortho_name;
use sqz_krylov::expv::ExpvParams;
use sqz_model::Params;
use sqz_permutational::evolve::{self as perm_evolve, Trajectory};
use sqz_permutational::{state, steady_state, SteadyOptions};
use sqz_study::h5;
use sqz_study::progress::Propagation;
use sqz_superop::memory;
use std::time::Instant;

/// Validated parameters with the local rates (validated by clap already).
pub(crate) fn params(phys: &PhysArgs, rates: &LocalRateArgs) -> anyhow::Result<Params> {
    Ok(Params::new(phys.n, phys.r, phys.alpha, phys.delta)?
        .with_local_rates(rates.gamma_loss, rates.gamma_deph)?)
}

/// For `--model collective`: refuses nonzero local rates (their ranges are clap's); Eq. 7 has
/// none.
pub fn reject_local_rates(rates: &LocalRateArgs, model: Model) -> anyhow::Result<()> {
    if model == Model::Collective && (rates.gamma_loss != 0.0 || rates.gamma_deph != 0.0) {
        bail!(
            "--model {} with --gamma-loss {} --gamma-deph {}: the collective model (Eq. 7) has no \
             local rates (allowed: 0); use --model permutational (ideal positions) or --model full",
            model.name(),
            rates.gamma_loss,
            rates.gamma_deph
        );
    }
    Ok(())
}

fn check_n(n: usize) -> anyhow::Result<()> {
    if n > sqz_permutational::N_MAX_PERM {
        bail!(
            "invalid --n {n} for --model permutational: at most {} TLS (O(N^3) unknowns)",
            sqz_permutational::N_MAX_PERM
        );
    }
    Ok(())
}

fn check_ideal(a: &PositionArgs) -> anyhow::Result<()> {
    if a.w.is_some() || a.positions.is_some() {
        bail!(
            "--model permutational assumes ideal positions (Eq. 7 plus local terms); --w and \
             --positions need --model full"
        );
    }
    Ok(())
}

fn rate_fields(m: &mut Map<String, Value>, p: &Params) {
    m.insert("model".into(), json!("permutational"));
    m.insert("gamma_loss".into(), json!(p.gamma_loss()));
    m.insert("gamma_deph".into(), json!(p.gamma_deph()));
    m.insert("beta".into(), json!(p.beta()));
}

/// `sqz steady --model permutational`.
pub fn steady(a: &SteadyArgs, g: Global) -> anyhow::Result<()> {
    let p = params(&a.phys, &a.rates)?;
    check_n(p.n())?;
    check_ideal(&a.pos)?;
    if !(a.tol > 0.0 && a.tol < 1.0) {
        bail!("invalid --tol {}: allowed 0 < tol < 1", a.tol);
    }
    // the initial state matters only without local rates, and every symmetric one gives J = N/2
    a.init
        .dicke_index(p.n())
        .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
    let bytes: fn(usize) -> u64 = if p.has_local_rates() {
        |n| sqz_permutational::steady::bytes_estimate(n, true)
    } else {
        |n| sqz_permutational::steady::bytes_estimate(n, false)
    };
    resolve::memory_guard("the permutational steady state", p.n(), bytes)?;
    let opt = SteadyOptions {
        estimate_gap: !a.no_gap,
        tol: a.tol,
        ..Default::default()
    };
    let s = steady_state(&p, &opt)?;
    let sq = s.squeezing()?;
    let mut f = report::point_json(&p, &sq);
    rate_fields(&mut f, &p);
    f.insert("init".into(), json!(a.init.describe()));
    f.insert("method".into(), json!(s.method));
    f.insert("iterations".into(), json!(s.iterations));
    f.insert("residual".into(), json!(s.residual));
    f.insert("gap".into(), json!(s.gap));
    f.insert("error_bound".into(), json!(s.error_bound));
    f.insert("inv_xi2_bound".into(), json!(s.inv_xi2_bound));
    f.insert("bound_met".into(), json!(s.bound_met));
    f.insert("dim".into(), json!(s.basis.dim()));
    f.insert("nnz".into(), json!(s.nnz));
    f.insert("blocks".into(), json!(s.basis.blocks()));
    f.insert(
        "symmetric_population".into(),
        json!(s.symmetric_population()),
    );
    f.insert(
        "total_spin_squared".into(),
        json!(state::total_spin_squared(&s.basis, &s.x)),
    );
    f.insert("min_eigenvalue".into(), json!(s.min_eigenvalue));
    f.insert("time_s".into(), json!(s.seconds.total));
    f.insert(
        "timings_s".into(),
        json!({
            "assemble": s.seconds.assemble,
            "factor": s.seconds.factor,
            "solve": s.seconds.solve,
            "gap": s.seconds.gap,
        }),
    );
    f.insert("notes".into(), json!(s.notes));
    for note in &s.notes {
        eprintln!("sqz: note: {note}");
    }
    report::emit(f, g.json);
    Ok(())
}

/// A finished permutational propagation, with what it was run with.
struct Evolved {
    p: Params,
    init: String,
    expv: ExpvParams,
    seconds: f64,
    tr: Trajectory,
}

/// `sqz evolve --model permutational`.
pub fn evolve(a: &EvolveArgs, g: Global) -> anyhow::Result<()> {
    let p = params(&a.phys, &a.rates)?;
    let n = p.n();
    check_n(n)?;
    check_ideal(&a.pos)?;
    if a.husimi_times.is_some() {
        bail!("--husimi-times is not available with --model permutational");
    }
    let psi = a
        .init
        .collective_vector(n)
        .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
    let (times, _) = output_times(a)?;
    check_krylov(a)?;
    let basis = perm_evolve::basis(&p, &psi);
    let need = perm_evolve::bytes_estimate(&basis, a.krylov_dim);
    let avail = memory::available_bytes();
    if need > avail {
        bail!(
            "the permutational propagation at N = {n} needs about {}, {} available",
            memory::human_bytes(need),
            memory::human_bytes(avail)
        );
    }
    let expv = ExpvParams {
        krylov_dim: a.krylov_dim,
        tol: a.tol,
        orthogonalization: a.orthogonalization.resolve(basis.dim()),
        ..ExpvParams::default()
    };
    let start = Instant::now();
    let t_end = times.iter().copied().fold(0.0, f64::max);
    let mut progress = Propagation::new(t_end, g.quiet);
    let tr = perm_evolve::trajectory(&p, &psi, &times, &expv, |t, i| progress.update(t, i));
    progress.finish();
    let run = Evolved {
        p,
        init: a.init.describe(),
        expv,
        tr: tr.context("permutational time evolution")?,
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(path) = &a.out {
        write_h5(path, &run).with_context(|| format!("writing {}", path.display()))?;
    }
    if g.json {
        let mut m = json_fields(&run);
        if let Some(path) = &a.out {
            m.insert("out".into(), json!(path.display().to_string()));
        }
        report::emit(m, true);
    } else {
        print_text(&run);
    }
    Ok(())
}

fn write_h5(path: &std::path::Path, run: &Evolved) -> anyhow::Result<()> {
    let (p, s) = (&run.p, &run.tr.series);
    h5::write_atomically(path, |f| {
        h5::attr_str(f, "command", "evolve")?;
        h5::attr_str(f, "model", "permutational")?;
        h5::attr_u64(f, "n", p.n() as u64)?;
        h5::attr_f64(f, "r", p.r())?;
        h5::attr_f64(f, "alpha", p.alpha())?;
        h5::attr_f64(f, "delta", p.delta())?;
        h5::attr_f64(f, "gamma_loss", p.gamma_loss())?;
        h5::attr_f64(f, "gamma_deph", p.gamma_deph())?;
        h5::attr_str(f, "init", &run.init)?;
        h5::attr_str(f, "sector", run.tr.sector.name())?;
        h5::attr_u64(f, "dim", run.tr.dim as u64)?;
        h5::attr_f64(f, "tol", run.expv.tol)?;
        h5::attr_u64(f, "krylov_dim", run.expv.krylov_dim as u64)?;
        h5::attr_str(
            f,
            "orthogonalization",
            &ortho_name(run.expv.orthogonalization),
        )?;
        h5::attr_u64(f, "matvecs", run.tr.info.matvecs as u64)?;
        h5::attr_f64(f, "error_estimate", run.tr.info.error_estimate)?;
        h5::attr_f64(f, "time_s", run.seconds)?;
        h5::attr_f64(f, "xi2_fill_value", XI2_FILL)?;
        h5::ds_f64(f, "t", &s.t)?;
        h5::ds_f64(f, "inv_xi2", &s.inv_xi2)?;
        let x: Vec<f64> = s.xi2.iter().map(|x| x.unwrap_or(XI2_FILL)).collect();
        h5::ds_f64(f, "xi2", &x)?;
        let mask: Vec<bool> = s.xi2.iter().map(|x| x.is_some()).collect();
        h5::ds_bool(f, "xi2_defined", &mask)?;
        let ms: Vec<f64> = s.mean.iter().flatten().copied().collect();
        h5::ds_nd(f, "mean_spin", &[s.t.len(), 3], &ms)?;
        h5::ds_f64(f, "trace", &s.trace)?;
        h5::ds_f64(f, "symmetric_population", &s.sym)?;
        Ok(())
    })
}

fn json_fields(run: &Evolved) -> Map<String, Value> {
    let (p, s) = (&run.p, &run.tr.series);
    let mut m = Map::new();
    rate_fields(&mut m, p);
    m.insert("n".into(), json!(p.n()));
    m.insert("r".into(), json!(p.r()));
    m.insert("alpha".into(), json!(p.alpha()));
    m.insert("delta".into(), json!(p.delta()));
    m.insert("init".into(), json!(run.init));
    m.insert("operator".into(), json!("permutational-csr"));
    m.insert("sector".into(), json!(run.tr.sector.name()));
    m.insert("dim".into(), json!(run.tr.dim));
    m.insert("tol".into(), json!(run.expv.tol));
    m.insert("krylov_dim".into(), json!(run.expv.krylov_dim));
    m.insert(
        "orthogonalization".into(),
        json!(ortho_name(run.expv.orthogonalization)),
    );
    m.insert("t".into(), json!(s.t));
    m.insert("inv_xi2".into(), json!(s.inv_xi2));
    m.insert("xi2".into(), json!(s.xi2));
    m.insert("mean_spin".into(), json!(s.mean));
    m.insert("trace".into(), json!(s.trace));
    m.insert("symmetric_population".into(), json!(s.sym));
    let i = &run.tr.info;
    m.insert(
        "krylov".into(),
        json!({"steps": i.steps, "matvecs": i.matvecs, "error_estimate": i.error_estimate}),
    );
    m.insert("time_s".into(), json!(run.seconds));
    m
}

fn print_text(run: &Evolved) {
    let (p, s, i) = (&run.p, &run.tr.series, &run.tr.info);
    println!(
        "# sqz evolve: N = {}, r = {}, alpha = {}, delta = {}, gamma_loss = {}, gamma_deph = {}, \
         init {}, permutational CSR ({} sector, dim {})",
        p.n(),
        p.r(),
        p.alpha(),
        p.delta(),
        p.gamma_loss(),
        p.gamma_deph(),
        run.init,
        run.tr.sector.name(),
        run.tr.dim
    );
    println!(
        "# krylov: {} steps, {} matvecs, error estimate {:.2e}, {:.3} s",
        i.steps, i.matvecs, i.error_estimate, run.seconds
    );
    println!(
        "# {:>12} {:>16} {:>14} {:>14} {:>14} {:>18} {:>12}",
        "t", "inv_xi2", "Sx", "Sy", "Sz", "trace", "P(J=N/2)"
    );
    for k in 0..s.t.len() {
        let m = s.mean[k];
        println!(
            "  {:>12.6} {:>16.10e} {:>14.6e} {:>14.6e} {:>14.6e} {:>18.15} {:>12.8}",
            s.t[k], s.inv_xi2[k], m[0], m[1], m[2], s.trace[k], s.sym[k]
        );
    }
}
