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

use crate::cli::{EvolveArgs, LocalRateArgs, Model, SteadyArgs};
use crate::cmd_evolve::{
    auto_orthogonalization, parse_init, parse_orthogonalization, parse_times, uniform_grid, Init,
    XI2_FILL,
};
use crate::{h5, report};
use anyhow::{bail, Context};
use num_complex::Complex64 as C64;
use serde_json::{json, Map, Value};
use sqz_krylov::expv::{ExpvParams, ExpvWorkspace};
use sqz_model::observables;
use sqz_model::{ModelError, Params};
use sqz_permutational::{basis::Basis, state, steady_state, Sector, SteadyOptions};
use sqz_superop::memory;
use std::ops::ControlFlow;
use std::time::Instant;

/// Validated parameters with the local rates.
fn params(phys: &crate::cli::PhysArgs, rates: &LocalRateArgs) -> anyhow::Result<Params> {
    Ok(Params::new(phys.n, phys.r, phys.alpha, phys.delta)?
        .with_local_rates(rates.gamma_loss, rates.gamma_deph)?)
}

/// For `--model collective/full`: validates the rates and refuses nonzero ones.
pub fn reject_local_rates(rates: &LocalRateArgs, model: Model) -> anyhow::Result<()> {
    let p = Params::new(1, 0.0, 0.0, 0.0)?.with_local_rates(rates.gamma_loss, rates.gamma_deph)?;
    if p.has_local_rates() {
        let name = match model {
            Model::Collective => "collective",
            Model::Full => "full",
            Model::Permutational => "permutational",
        };
        bail!(
            "--model {name} with --gamma-loss {} --gamma-deph {}: local rates are supported by \
             --model permutational; the full model support is in progress",
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

fn check_ideal(a: &crate::cli::PositionArgs) -> anyhow::Result<()> {
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
pub fn steady(a: &SteadyArgs) -> anyhow::Result<()> {
    let p = params(&a.phys, &a.rates)?;
    check_n(p.n())?;
    check_ideal(&a.pos)?;
    if !(a.tol > 0.0 && a.tol < 1.0) {
        bail!("invalid --tol {}: allowed 0 < tol < 1", a.tol);
    }
    // the initial state matters only without local rates, and every symmetric one gives J = N/2
    crate::resolve::initial(p.n(), &a.init)?;
    let need = sqz_permutational::steady::bytes_estimate(p.n(), p.has_local_rates());
    let avail = memory::available_bytes();
    if need > avail {
        bail!(
            "the permutational steady state at N = {} needs about {}, {} available",
            p.n(),
            memory::human_bytes(need),
            memory::human_bytes(avail)
        );
    }
    let opt = SteadyOptions {
        estimate_gap: !a.no_gap,
        tol: a.tol,
        ..Default::default()
    };
    let s = steady_state(&p, &opt)?;
    let sq = s.squeezing()?;
    let mut f = report::point_json(&p, &sq);
    rate_fields(&mut f, &p);
    f.insert("init".into(), json!(a.init));
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
    report::emit(f, a.json);
    Ok(())
}

/// Observables of a state vector.
struct Point {
    inv_xi2: f64,
    xi2: Option<f64>,
    mean: [f64; 3],
    trace: f64,
    sym: f64,
}

fn measure(basis: &Basis, w: &[C64]) -> anyhow::Result<Point> {
    let m = state::moments(basis, w);
    let (inv_xi2, xi2) = match m.squeezing() {
        Ok(sq) => (sq.inv_xi2, Some(sq.xi2)),
        Err(ModelError::ZeroMeanSpin(_)) => (0.0, None),
        Err(e) => return Err(e.into()),
    };
    Ok(Point {
        inv_xi2,
        xi2,
        mean: m.mean,
        trace: state::trace(basis, w).re,
        sym: state::block_populations(basis, w)[0],
    })
}

/// `sqz evolve --model permutational`.
pub fn evolve(a: &EvolveArgs) -> anyhow::Result<()> {
    let p = params(&a.phys, &a.rates)?;
    let n = p.n();
    check_n(n)?;
    check_ideal(&a.pos)?;
    if a.husimi_times.is_some() {
        bail!("--husimi-times is not available with --model permutational");
    }
    let init = parse_init(n, &a.init)?;
    let times = match (&a.times, a.t_max) {
        (Some(list), None) => parse_times("--times", list)?,
        (None, Some(t)) => uniform_grid(t, a.steps)?,
        (Some(_), Some(_)) => bail!("give either --t-max T [--steps K] or --times, not both"),
        (None, None) => bail!("give the output times: --t-max T [--steps K] or --times t1,t2,..."),
    };
    if !(a.tol.is_finite() && a.tol > 0.0 && a.tol < 1e-2) {
        bail!("invalid --tol {}: expected 0 < tol < 1e-2", a.tol);
    }
    if !(2..=200).contains(&a.krylov_dim) {
        bail!(
            "invalid --krylov-dim {}: expected 2 <= m <= 200",
            a.krylov_dim
        );
    }
    let ortho = parse_orthogonalization(&a.orthogonalization)?;
    let psi: Vec<C64> = match init {
        Init::Ground => {
            let mut v = vec![C64::new(0.0, 0.0); n + 1];
            v[0] = C64::new(1.0, 0.0);
            v
        }
        Init::Dicke { k } => {
            let mut v = vec![C64::new(0.0, 0.0); n + 1];
            v[k] = C64::new(1.0, 0.0);
            v
        }
        Init::Product { theta, phi } => observables::coherent_state(n, theta, phi),
    };
    let sector = if state::pure_symmetric_fits_even(&psi) {
        Sector::Even
    } else {
        Sector::All
    };
    // without local rates J is conserved: the symmetric block alone is exact
    let j2_min = if p.has_local_rates() { n % 2 } else { n };
    let basis = Basis::new(n, sector, j2_min);
    let dim = basis.dim();
    let need = ExpvWorkspace::bytes(dim, a.krylov_dim)
        + 2 * 16 * dim as u64
        + sqz_permutational::liouvillian::csr_bytes_estimate(&basis);
    let avail = memory::available_bytes();
    if need > avail {
        bail!(
            "the permutational propagation at N = {n} needs about {}, {} available",
            memory::human_bytes(need),
            memory::human_bytes(avail)
        );
    }
    let params = ExpvParams {
        krylov_dim: a.krylov_dim,
        tol: a.tol,
        orthogonalization: ortho.unwrap_or_else(|| auto_orthogonalization(dim)),
        ..ExpvParams::default()
    };
    let mut pts: Vec<(f64, Point)> = Vec::with_capacity(times.len());
    let mut failure = None;
    let start = Instant::now();
    let info = sqz_permutational::evolve::evolve(&p, &psi, &times, &params, |t, basis, w| {
        match measure(basis, w) {
            Ok(pt) => {
                pts.push((t, pt));
                ControlFlow::Continue(())
            }
            Err(e) => {
                failure = Some(e.context(format!("observables at t = {t}")));
                ControlFlow::Break(())
            }
        }
    })
    .context("permutational time evolution")?;
    if let Some(e) = failure {
        return Err(e);
    }
    let seconds = start.elapsed().as_secs_f64();
    let t: Vec<f64> = pts.iter().map(|x| x.0).collect();
    let inv: Vec<f64> = pts.iter().map(|x| x.1.inv_xi2).collect();
    let xi2: Vec<Option<f64>> = pts.iter().map(|x| x.1.xi2).collect();
    let mean: Vec<[f64; 3]> = pts.iter().map(|x| x.1.mean).collect();
    let tr: Vec<f64> = pts.iter().map(|x| x.1.trace).collect();
    let sym: Vec<f64> = pts.iter().map(|x| x.1.sym).collect();
    let init_s = match init {
        Init::Ground => "ground".to_string(),
        Init::Dicke { k } => format!("dicke:{}", k as f64 - n as f64 / 2.0),
        Init::Product { theta, phi } => format!("product:{theta},{phi}"),
    };
    let sector_s = match sector {
        Sector::All => "all",
        Sector::Even => "even",
    };
    if let Some(path) = &a.out {
        h5::write_atomically(path, |f| {
            h5::attr_str(f, "command", "evolve")?;
            h5::attr_str(f, "model", "permutational")?;
            h5::attr_u64(f, "n", n as u64)?;
            h5::attr_f64(f, "r", p.r())?;
            h5::attr_f64(f, "alpha", p.alpha())?;
            h5::attr_f64(f, "delta", p.delta())?;
            h5::attr_f64(f, "gamma_loss", p.gamma_loss())?;
            h5::attr_f64(f, "gamma_deph", p.gamma_deph())?;
            h5::attr_str(f, "init", &init_s)?;
            h5::attr_str(f, "sector", sector_s)?;
            h5::attr_u64(f, "dim", dim as u64)?;
            h5::attr_f64(f, "tol", a.tol)?;
            h5::attr_u64(f, "krylov_dim", a.krylov_dim as u64)?;
            h5::attr_u64(f, "matvecs", info.matvecs as u64)?;
            h5::attr_f64(f, "error_estimate", info.error_estimate)?;
            h5::attr_f64(f, "time_s", seconds)?;
            h5::attr_f64(f, "xi2_fill_value", XI2_FILL)?;
            h5::ds_f64(f, "t", &t)?;
            h5::ds_f64(f, "inv_xi2", &inv)?;
            let x: Vec<f64> = xi2.iter().map(|x| x.unwrap_or(XI2_FILL)).collect();
            h5::ds_f64(f, "xi2", &x)?;
            let mask: Vec<bool> = xi2.iter().map(|x| x.is_some()).collect();
            h5::ds_bool(f, "xi2_defined", &mask)?;
            let ms: Vec<f64> = mean.iter().flatten().copied().collect();
            f.new_dataset::<f64>()
                .shape([t.len(), 3])
                .create("mean_spin")?
                .write_raw(&ms)?;
            h5::ds_f64(f, "trace", &tr)?;
            h5::ds_f64(f, "symmetric_population", &sym)?;
            Ok(())
        })
        .with_context(|| format!("writing {}", path.display()))?;
    }
    if a.json {
        let mut m = Map::new();
        rate_fields(&mut m, &p);
        m.insert("n".into(), json!(n));
        m.insert("r".into(), json!(p.r()));
        m.insert("alpha".into(), json!(p.alpha()));
        m.insert("delta".into(), json!(p.delta()));
        m.insert("init".into(), json!(init_s));
        m.insert("operator".into(), json!("permutational-csr"));
        m.insert("sector".into(), json!(sector_s));
        m.insert("dim".into(), json!(dim));
        m.insert("tol".into(), json!(a.tol));
        m.insert("krylov_dim".into(), json!(a.krylov_dim));
        m.insert("t".into(), json!(t));
        m.insert("inv_xi2".into(), json!(inv));
        m.insert("xi2".into(), json!(xi2));
        m.insert("mean_spin".into(), json!(mean));
        m.insert("trace".into(), json!(tr));
        m.insert("symmetric_population".into(), json!(sym));
        m.insert(
            "krylov".into(),
            json!({"steps": info.steps, "matvecs": info.matvecs, "error_estimate": info.error_estimate}),
        );
        m.insert("time_s".into(), json!(seconds));
        if let Some(path) = &a.out {
            m.insert("out".into(), json!(path.display().to_string()));
        }
        report::emit(m, true);
    } else {
        println!(
            "# sqz evolve: N = {n}, r = {}, alpha = {}, delta = {}, gamma_loss = {}, gamma_deph = {}, \
             init {init_s}, permutational CSR ({sector_s} sector, dim {dim})",
            p.r(),
            p.alpha(),
            p.delta(),
            p.gamma_loss(),
            p.gamma_deph()
        );
        println!(
            "# krylov: {} steps, {} matvecs, error estimate {:.2e}, {seconds:.3} s",
            info.steps, info.matvecs, info.error_estimate
        );
        println!(
            "# {:>12} {:>16} {:>14} {:>14} {:>14} {:>18} {:>12}",
            "t", "inv_xi2", "Sx", "Sy", "Sz", "trace", "P(J=N/2)"
        );
        for k in 0..t.len() {
            println!(
                "  {:>12.6} {:>16.10e} {:>14.6e} {:>14.6e} {:>14.6e} {:>18.15} {:>12.8}",
                t[k], inv[k], mean[k][0], mean[k][1], mean[k][2], tr[k], sym[k]
            );
        }
    }
    Ok(())
}
