//! `sqz evolve --model permutational`: Eq. 7 plus local loss and dephasing of every TLS on
//! permutation-invariant states ([`sqz_permutational::evolve`]), propagated from `ground`,
//! `dicke:M` or `product:TH,PH` (all in J = N/2) with Krylov `expv`; per time `inv_xi2`,
//! `mean_spin`, `trace` and `symmetric_population`. Ideal positions only; no Husimi output.
//! Prints JSON or text and writes the HDF5 file (`--out`) itself.

use super::h5::XI2_FILL;
use crate::cli::{EvolveArgs, Global};
use crate::{report, resolve};
use anyhow::{bail, Context};
use serde_json::{json, Map, Value};
use sqz_dynamics::propagate::ortho_name;
use sqz_krylov::expv::ExpvParams;
use sqz_model::Params;
use sqz_permutational::evolve::{self as perm_evolve, Trajectory};
use sqz_study::h5;
use sqz_study::progress::Propagation;
use sqz_superop::memory;
use std::time::Instant;

/// A finished permutational propagation, with what it was run with.
struct Evolved {
    p: Params,
    init: String,
    expv: ExpvParams,
    seconds: f64,
    tr: Trajectory,
}

/// `sqz evolve --model permutational`.
pub fn run(a: &EvolveArgs, g: Global) -> anyhow::Result<()> {
    let p = resolve::permutational_params(&a.phys, &a.rates, &a.pos)?;
    let n = p.n();
    if a.husimi_times.is_some() {
        bail!("--husimi-times is not available with --model permutational");
    }
    let psi = a
        .init
        .collective_vector(n)
        .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
    let (times, _) = resolve::output_times(a)?;
    resolve::check_krylov(a)?;
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
        let ms: Vec<f64> = s.mean_spin.iter().flatten().copied().collect();
        h5::ds_nd(f, "mean_spin", &[s.t.len(), 3], &ms)?;
        h5::ds_f64(f, "trace", &s.trace)?;
        h5::ds_f64(f, "symmetric_population", &s.sym)?;
        Ok(())
    })
}

fn json_fields(run: &Evolved) -> Map<String, Value> {
    let (p, s) = (&run.p, &run.tr.series);
    let mut m = Map::new();
    report::permutational_fields(&mut m, p);
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
    m.insert("mean_spin".into(), json!(s.mean_spin));
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
        let m = s.mean_spin[k];
        println!(
            "  {:>12.6} {:>16.10e} {:>14.6e} {:>14.6e} {:>14.6e} {:>18.15} {:>12.8}",
            s.t[k], s.inv_xi2[k], m[0], m[1], m[2], s.trace[k], s.sym[k]
        );
    }
}
