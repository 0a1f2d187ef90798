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
//! Modules: this one turns the arguments into a `sqz_dynamics::Plan` and runs it; [`output`]
//! prints JSON or text; [`h5`] writes the HDF5 file; `sqz_study::progress` draws the progress.

mod h5;
mod output;

pub(crate) use h5::XI2_FILL;

use crate::cli::{EvolveArgs, Global, Model};
use crate::resolve::{self, PositionSource};
use anyhow::{bail, Context};
use sqz_dynamics::times::linspace;
use sqz_dynamics::{Evolution, InitState, Plan, HUSIMI_GRID_MAX, MAX_TOL, MIN_TOL};
use sqz_krylov::expv::ExpvParams;
use sqz_model::Params;
use std::path::PathBuf;

/// `--t-max T --steps K` as `(T, K)`, if given.
type Grid = Option<(f64, usize)>;

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

/// The uniform grid `t_k = T k / K`, k = 0..K, of `--t-max T --steps K`.
fn uniform_grid(t_max: f64, steps: usize) -> anyhow::Result<Vec<f64>> {
    if !(t_max.is_finite() && t_max > 0.0 && t_max <= 1e12) {
        bail!("invalid --t-max {t_max}: expected a finite time 0 < T <= 1e12 (units of 1/A)");
    }
    if steps == 0 || steps > 10_000_000 {
        bail!("invalid --steps {steps}: expected 1 <= K <= 10^7 intervals");
    }
    Ok(linspace(0.0, t_max, steps))
}

/// The output times (`--times`, or `--t-max T --steps K`, then also the grid).
pub(crate) fn output_times(a: &EvolveArgs) -> anyhow::Result<(Vec<f64>, Grid)> {
    Ok(match (&a.times, a.t_max) {
        (Some(list), None) => (list.0.clone(), None),
        (None, Some(t)) => (uniform_grid(t, a.steps)?, Some((t, a.steps))),
        (Some(_), Some(_)) => bail!("give either --t-max T [--steps K] or --times, not both"),
        (None, None) => bail!("give the output times: --t-max T [--steps K] or --times t1,t2,..."),
    })
}

/// `--tol` and `--krylov-dim` in range.
pub(crate) fn check_krylov(a: &EvolveArgs) -> anyhow::Result<()> {
    if !(a.tol.is_finite() && (MIN_TOL..MAX_TOL).contains(&a.tol)) {
        bail!(
            "invalid --tol {:e}: expected {MIN_TOL:e} <= tol < {MAX_TOL:e} (below {MIN_TOL:e} \
         the local error cannot be met in double precision: rounding alone is ~|L| 2.2e-16 \
         per step)",
            a.tol
        );
    }
    if !(2..=200).contains(&a.krylov_dim) {
        bail!(
            "invalid --krylov-dim {}: expected 2 <= m <= 200",
            a.krylov_dim
        );
    }
    Ok(())
}

impl Run {
    fn from_args(a: &EvolveArgs) -> anyhow::Result<Self> {
        let p = crate::cmd_permutational::params(&a.phys, &a.rates)?;
        let z = match a.model {
            Model::Collective => {
                if a.pos.w.is_some() || a.pos.positions.is_some() {
                    bail!(
                        "--model collective is Eq. 7 at ideal positions; --w and --positions need \
                         --model full"
                    );
                }
                None
            }
            Model::Permutational => unreachable!("dispatched in run"),
            Model::Full => {
                if p.n() > sqz_superop::N_MAX_FULL {
                    bail!(
                        "invalid --n {} for --model full: at most {} TLS (the 4^N Liouville space)",
                        p.n(),
                        sqz_superop::N_MAX_FULL
                    );
                }
                Some(resolve::positions(p.n(), &a.pos)?)
            }
        };
        a.init
            .dicke_index(p.n())
            .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
        let (times, grid) = output_times(a)?;
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
        check_krylov(a)?;
        Ok(Self {
            model: a.model,
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
}

pub fn run(a: &EvolveArgs, g: Global) -> anyhow::Result<()> {
    if a.model == Model::Permutational {
        return crate::cmd_permutational::evolve(a, g);
    }
    crate::cmd_permutational::reject_local_rates(&a.rates, a.model)?;
    let run = Run::from_args(a)?;
    let out = run.evolve(g.quiet)?;
    if let Some(path) = &run.out {
        h5::write(path, &run, &out).with_context(|| format!("writing {}", path.display()))?;
    }
    for note in &out.notes {
        eprintln!("sqz: note: {note}");
    }
    if g.json {
        crate::report::emit(output::json_fields(&run, &out), true);
    } else {
        output::print_text(&run, &out);
    }
    Ok(())
}
