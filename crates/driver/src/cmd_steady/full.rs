//! `sqz steady --model full`: the steady state of Eq. 3 in the 4^N Liouville space, with the
//! local rates (`sqz_steady::solve`), or its limit `w -> 0+` (`--w 0+`, `sqz_steady::limit`).

use crate::cli::{Global, SteadyArgs};
use crate::{report, resolve};
use anyhow::bail;
use serde_json::json;
use sqz_model::Params;

pub fn run(a: &SteadyArgs, g: Global) -> anyhow::Result<()> {
    let p = &resolve::params(&a.phys, &a.rates)?;
    if sqz_steady::checks::check_tol(a.tol).is_err() {
        bail!(
            "invalid --tol {:e}: allowed {:e} <= tol < 1 (the error bound |rho - rho_exact| \
             cannot be met below that in double precision)",
            a.tol,
            sqz_steady::checks::MIN_TOL
        );
    }
    if a.pos.w.is_some_and(|w| w.is_limit()) {
        if p.has_local_rates() {
            bail!(
                "--w 0+ with --gamma-loss {} --gamma-deph {}: the limit w -> 0+ is that of the \
                 paper's model (allowed: rates 0); give a finite --w",
                p.gamma_loss(),
                p.gamma_deph()
            );
        }
        return limit(a, g, p);
    }
    if !(a.progress_every.is_finite() && a.progress_every > 0.0) {
        bail!(
            "invalid --progress-every {}: allowed a number of seconds > 0",
            a.progress_every
        );
    }
    let (z, src) = resolve::positions(p.n(), &a.pos)?;
    let initial = resolve::steady_initial(p.n(), &a.init, sqz_steady::ideal::is_ideal(&z))?;
    // the solver's step counters, read by the console thread; one small leak per process
    let progress: Option<&'static sqz_krylov::Progress> =
        (!g.quiet).then(|| &*Box::leak(Box::new(sqz_krylov::Progress::new())));
    let sp = sqz_steady::SteadyParams {
        tol: a.tol,
        initial,
        estimate_gap: !a.no_gap,
        verify_gap: a.verify_gap,
        progress,
        // N <= 5: a 512 x 512 LU is faster on one thread than with rayon's wake-ups
        par: if p.n() <= 5 {
            faer::Par::Seq
        } else {
            faer::Par::rayon(0)
        },
        ..Default::default()
    };
    let watch = progress.map(|pg| {
        sqz_study::progress::SolveWatch::start(
            format!("sqz steady (N = {})", p.n()),
            pg,
            a.progress_every,
        )
    });
    let rep = sqz_steady::solve(p, &z, &sp);
    drop(watch);
    let rep = rep?;
    let sq = sqz_superop::observables::moments_parity(&rep.rho_block).squeezing()?;
    let mut f = report::point_json(p, &sq);
    f.insert("model".into(), json!("full"));
    f.insert("gamma_loss".into(), json!(p.gamma_loss()));
    f.insert("gamma_deph".into(), json!(p.gamma_deph()));
    f.insert("positions".into(), json!(z));
    f.extend(src.json());
    f.insert("method".into(), json!(rep.method.name()));
    f.insert("iterations".into(), json!(rep.iterations));
    f.insert("residual".into(), json!(rep.residual));
    f.insert("gap".into(), json!(rep.gap));
    f.insert("error_bound".into(), json!(rep.error_bound));
    f.insert("bound_met".into(), json!(rep.bound_met));
    f.insert("outcome".into(), json!(rep.outcome.name()));
    f.insert("null_dim".into(), json!(rep.null_dim));
    f.insert("min_eigenvalue".into(), json!(rep.min_eigenvalue));
    f.insert("time_s".into(), json!(rep.seconds));
    f.insert("notes".into(), json!(rep.notes));
    for note in &rep.notes {
        eprintln!("sqz: note: {note}");
    }
    report::emit(f, g.json);
    Ok(())
}

/// `--w 0+`: the limit `w -> 0+` of the steady state (`sqz_steady::limit`) along the direction
/// of `--seed/--config` or `--chi`, with its rate coefficients (slowest rates over `w^2`).
fn limit(a: &SteadyArgs, g: Global, p: &Params) -> anyhow::Result<()> {
    let n = p.n();
    let (chi, source) = match &a.pos.chi {
        Some(c) => (resolve::chi(n, c)?, json!({"position_source": "direction"})),
        None => (
            sqz_model::positions::chi(n, a.pos.seed, a.pos.config),
            json!({"position_source": "disorder", "seed": a.pos.seed, "config": a.pos.config}),
        ),
    };
    // faer's parallelism: rayon, what the command used when the limit read faer's global setting
    let lp = sqz_steady::limit::LimitParams {
        par: faer::Par::rayon(0),
        ..Default::default()
    };
    let rep = sqz_steady::limit::limit_state(p, &chi, &lp)?;
    let sq = rep.squeezing()?;
    let mut f = report::point_json(p, &sq);
    f.insert("model".into(), json!("full"));
    f.insert("w".into(), json!("0+"));
    f.insert("w_limit".into(), json!(true));
    if let serde_json::Value::Object(m) = source {
        f.extend(m);
    }
    f.insert("chi".into(), json!(chi));
    f.insert("positions".into(), json!(sqz_model::positions::ideal(n)));
    f.insert("method".into(), json!(rep.method.name()));
    f.insert("rate_coefficients".into(), json!(rep.rate_coefficients));
    let kinds: Vec<&str> = rep
        .rate_kinds
        .iter()
        .map(|k| match k {
            sqz_steady::limit::ModeKind::Population => "population",
            sqz_steady::limit::ModeKind::Coherence => "coherence",
        })
        .collect();
    f.insert("rate_kinds".into(), json!(kinds));
    f.insert("gap_coefficient".into(), json!(rep.gap_coefficient()));
    f.insert("uniqueness_gap".into(), json!(rep.uniqueness_gap));
    f.insert("min_frequency".into(), json!(rep.min_frequency));
    f.insert("sector_weights".into(), json!(rep.sector_weights));
    f.insert("min_eigenvalue".into(), json!(rep.min_eigenvalue));
    f.insert("time_s".into(), json!(rep.seconds));
    f.insert("notes".into(), json!(rep.notes));
    for note in &rep.notes {
        eprintln!("sqz: note: {note}");
    }
    report::emit(f, g.json);
    Ok(())
}
