//! `sqz evolve`: time evolution of Eq. 7 (collective, Dicke basis) or Eq. 3 (full space) from a
//! chosen initial state, by Krylov exponential propagation (`sqz_dynamics::propagate`).
//!
//! Output per requested time: `t`, `inv_xi2`, `xi2`, `mean_spin`, `trace`. `xi2` is undefined
//! where `|<S>|` vanishes (`sqz_model::observables::SpinMoments::perpendicular_axes`): JSON gives
//! `null` there and `inv_xi2 = 0`; HDF5 stores `xi2 = 0` with `xi2_defined = 0`. Never a NaN.
//!
//! Initial states (`--init`, `sqz_dynamics::InitState`): `ground`, `dicke:M`,
//! `product:THETA,PHI`. Husimi Q (`--husimi-times`, `--husimi-grid K`, `--husimi-extent E`, HDF5
//! only): the paper's `Q(th, ph) = (2j+1)/(4 pi) <th,ph| rho |th,ph>` seen along the mean spin
//! `n` (Fig. 2), in the orthographic projection of the hemisphere around `n` onto the `n_perp`
//! plane (`sqz_model::observables::husimi_plane`).
//!
//! `--model permutational` (Eq. 7 plus local loss and dephasing) is [`permutational`].
//!
//! Modules: [`run`] dispatches on the model once; this one turns the arguments of the collective
//! and full models into a `sqz_dynamics::Plan` and runs it; [`output`] prints JSON or text; [`h5`]
//! writes the HDF5 file; [`permutational`] the permutational model (its propagation, output and
//! file); `sqz_study::progress` draws the progress.

mod h5;
mod output;
mod permutational;

use crate::cli::{EvolveArgs, Global, Model};
use crate::resolve::{self, Grid, PositionSource};
use anyhow::{bail, Context};
use sqz_dynamics::{Evolution, InitState, Plan, HUSIMI_GRID_MAX};
use sqz_krylov::expv::ExpvParams;
use sqz_model::Params;
use std::path::PathBuf;

/// Everything `sqz evolve` needs, validated.
struct Run {
    model: Model,
    p: Params,
    z: Option<(Vec<f64>, PositionSource)>,
    init: InitState,
    grid: Grid,
    plan: Plan,
    out: Option<PathBuf>,
}

impl Run {
    /// `--model collective`: Eq. 7 at ideal positions, without local rates.
    fn collective(a: &EvolveArgs) -> anyhow::Result<Self> {
        resolve::reject_local_rates(&a.rates)?;
        let p = resolve::params(&a.phys, &a.rates)?;
        if a.pos.w.is_some() || a.pos.positions.is_some() {
            bail!(
                "--model collective is Eq. 7 at ideal positions; --w and --positions need \
                 --model full"
            );
        }
        Self::new(a, Model::Collective, p, None)
    }

    /// `--model full`: Eq. 3 at the positions of the command line, with the local rates.
    fn full(a: &EvolveArgs) -> anyhow::Result<Self> {
        let p = resolve::params(&a.phys, &a.rates)?;
        if p.n() > sqz_superop::N_MAX_FULL {
            bail!(
                "invalid --n {} for --model full: at most {} TLS (the 4^N Liouville space)",
                p.n(),
                sqz_superop::N_MAX_FULL
            );
        }
        let z = resolve::positions(p.n(), &a.pos)?;
        Self::new(a, Model::Full, p, Some(z))
    }

    /// The checks and the plan common to both models.
    fn new(
        a: &EvolveArgs,
        model: Model,
        p: Params,
        z: Option<(Vec<f64>, PositionSource)>,
    ) -> anyhow::Result<Self> {
        a.init
            .dicke_index(p.n())
            .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
        let (times, grid) = resolve::output_times(a)?;
        let husimi_times = a.husimi_times.clone().map(|t| t.0).unwrap_or_default();
        if !husimi_times.is_empty() {
            if a.out.is_none() {
                bail!("--husimi-times writes to HDF5: give --out FILE.h5");
            }
            if !(2..=HUSIMI_GRID_MAX).contains(&a.husimi_grid) {
                bail!(
                    "invalid --husimi-grid {}: expected 2 <= K <= {HUSIMI_GRID_MAX}",
                    a.husimi_grid
                );
            }
            if !(a.husimi_extent > 0.0 && a.husimi_extent <= 1.0) {
                bail!(
                    "invalid --husimi-extent {}: expected 0 < E <= 1 (the unit disk of the \
                     projected hemisphere)",
                    a.husimi_extent
                );
            }
        }
        resolve::check_krylov(a)?;
        Ok(Self {
            model,
            p,
            z,
            init: a.init,
            grid,
            plan: Plan {
                times,
                husimi_times,
                husimi_grid: a.husimi_grid,
                husimi_extent: a.husimi_extent,
                expv: ExpvParams {
                    krylov_dim: a.krylov_dim,
                    tol: a.tol,
                    ..ExpvParams::default()
                },
                ortho: a.orthogonalization,
            },
            out: a.out.clone(),
        })
    }

    /// The propagation, with its progress on stderr.
    fn evolve(&self, quiet: bool) -> anyhow::Result<Evolution> {
        let plan = &self.plan;
        let t_end = plan
            .times
            .iter()
            .chain(&plan.husimi_times)
            .copied()
            .fold(0.0, f64::max);
        let mut progress = sqz_study::progress::Propagation::new(t_end, quiet);
        let step = |t: f64, i: &sqz_krylov::expv::ExpvInfo| progress.update(t, i);
        let r = match &self.z {
            Some((z, _)) => sqz_dynamics::evolve_full(&self.p, z, &self.init, plan, step),
            None => sqz_dynamics::evolve_collective(&self.p, &self.init, plan, step),
        };
        progress.finish();
        Ok(r?)
    }

    /// Propagates, writes the file, prints the notes and the result.
    fn run(self, g: Global) -> anyhow::Result<()> {
        let out = self.evolve(g.quiet)?;
        if let Some(path) = &self.out {
            h5::write(path, &self, &out).with_context(|| format!("writing {}", path.display()))?;
        }
        for note in &out.notes {
            eprintln!("sqz: note: {note}");
        }
        if g.json {
            crate::report::emit(output::json_fields(&self, &out), true);
        } else {
            output::print_text(&self, &out);
        }
        Ok(())
    }
}

pub fn run(a: &EvolveArgs, g: Global) -> anyhow::Result<()> {
    match a.model {
        Model::Collective => Run::collective(a)?.run(g),
        Model::Full => Run::full(a)?.run(g),
        Model::Permutational => permutational::run(a, g),
    }
}
