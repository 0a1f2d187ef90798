//! Second layer of argument handling: typed arguments into validated model inputs (`Params` with
//! the local rates, what each model accepts, positions, the steady state's initial state, the
//! output times and Krylov settings of `sqz evolve`, the memory guard of the collective models).
//!
//! Shared by the command modules (`cmd_*`), and imports none of them: a command dispatches on
//! `--model` once and every model's branch takes its checks from here.

use crate::cli::{value::Chi, EvolveArgs, LocalRateArgs, Model, PhysArgs, PositionArgs};
use anyhow::bail;
use serde_json::{json, Map, Value};
use sqz_dynamics::times::linspace;
use sqz_dynamics::{InitState, MAX_TOL, MIN_TOL};
use sqz_model::positions::{self, Disorder};
use sqz_model::Params;

/// Validated parameters with the local rates (validated by clap already).
pub fn params(phys: &PhysArgs, rates: &LocalRateArgs) -> anyhow::Result<Params> {
    Ok(Params::new(phys.n, phys.r, phys.alpha, phys.delta)?
        .with_local_rates(rates.gamma_loss, rates.gamma_deph)?)
}

/// For `--model collective`: refuses nonzero local rates (their ranges are clap's); Eq. 7 has
/// none.
pub fn reject_local_rates(rates: &LocalRateArgs) -> anyhow::Result<()> {
    if rates.gamma_loss != 0.0 || rates.gamma_deph != 0.0 {
        bail!(
            "--model {} with --gamma-loss {} --gamma-deph {}: the collective model (Eq. 7) has no \
             local rates (allowed: 0); use --model permutational (ideal positions) or --model full",
            Model::Collective.name(),
            rates.gamma_loss,
            rates.gamma_deph
        );
    }
    Ok(())
}

/// `--model permutational`: [`params`], then N within `sqz_permutational::N_MAX_PERM` and ideal
/// positions (no `--w`, no `--positions`).
pub fn permutational_params(
    phys: &PhysArgs,
    rates: &LocalRateArgs,
    pos: &PositionArgs,
) -> anyhow::Result<Params> {
    let p = params(phys, rates)?;
    if p.n() > sqz_permutational::N_MAX_PERM {
        bail!(
            "invalid --n {} for --model permutational: at most {} TLS (O(N^3) unknowns)",
            p.n(),
            sqz_permutational::N_MAX_PERM
        );
    }
    if pos.w.is_some() || pos.positions.is_some() {
        bail!(
            "--model permutational assumes ideal positions (Eq. 7 plus local terms); --w and \
             --positions need --model full"
        );
    }
    Ok(p)
}

/// `--t-max T --steps K` as `(T, K)`, if given.
pub type Grid = Option<(f64, usize)>;

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

/// The output times of `sqz evolve` (`--times`, or `--t-max T --steps K`, then also the grid).
pub fn output_times(a: &EvolveArgs) -> anyhow::Result<(Vec<f64>, Grid)> {
    Ok(match (&a.times, a.t_max) {
        (Some(list), None) => (list.0.clone(), None),
        (None, Some(t)) => (uniform_grid(t, a.steps)?, Some((t, a.steps))),
        (Some(_), Some(_)) => bail!("give either --t-max T [--steps K] or --times, not both"),
        (None, None) => bail!("give the output times: --t-max T [--steps K] or --times t1,t2,..."),
    })
}

/// `sqz evolve`'s `--tol` and `--krylov-dim` in range.
pub fn check_krylov(a: &EvolveArgs) -> anyhow::Result<()> {
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

/// How the positions were chosen, for reports and result files.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionSource {
    /// `z_i = 2 pi i`
    Ideal,
    /// disorder `w` (units of zeta) from `(seed, config)`
    Disorder {
        /// disorder strength
        w: f64,
        /// seed
        seed: u64,
        /// configuration (stream)
        config: u64,
    },
    /// disorder `w` along the direction `chi` given on the command line (`--chi`)
    Direction {
        /// disorder strength
        w: f64,
        /// the offsets `c_i` (`z_i = 2 pi i + w c_i`)
        chi: Vec<f64>,
    },
    /// given on the command line
    Explicit,
}

/// Positions for N TLS from the command line.
pub fn positions(n: usize, a: &PositionArgs) -> anyhow::Result<(Vec<f64>, PositionSource)> {
    if let Some(list) = &a.positions {
        let z = list.0.clone();
        positions::check_positions(&z, n)?;
        return Ok((z, PositionSource::Explicit));
    }
    if let Some(w) = a.w {
        let w = match w {
            Disorder::Value(w) => w,
            Disorder::ZeroPlus => bail!(
                "--w 0+ is the limit w -> 0+ of the steady state, which only `sqz steady --model \
                 full` computes; give this command a number (e.g. --w 1e-4pi)"
            ),
        };
        if let Some(c) = &a.chi {
            positions::check_w(w)?;
            let chi = chi(n, c)?;
            let z = sqz_steady::limit::positions(&chi, w);
            return Ok((z, PositionSource::Direction { w, chi }));
        }
        let z = positions::disordered(n, w, a.seed, a.config)?;
        return Ok((
            z,
            PositionSource::Disorder {
                w,
                seed: a.seed,
                config: a.config,
            },
        ));
    }
    Ok((positions::ideal(n), PositionSource::Ideal))
}

/// `--chi` checked against N: exactly N offsets (each in [-1, 1], checked by the parser).
pub fn chi(n: usize, c: &Chi) -> anyhow::Result<Vec<f64>> {
    if c.0.len() != n {
        bail!(
            "invalid --chi: {} values given: allowed exactly N = {n} offsets c_i (one per TLS, \
             each -1 <= c_i <= 1)",
            c.0.len()
        );
    }
    Ok(c.0.clone())
}

impl PositionSource {
    /// The JSON fields that say where the positions came from (`position_source`, and `w`,
    /// `w_over_pi`, `seed`, `config` of a disorder).
    pub fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let name = match self {
            PositionSource::Ideal => "ideal",
            PositionSource::Explicit => "explicit",
            PositionSource::Disorder { w, seed, config } => {
                m.insert("w".into(), json!(w));
                m.insert("w_over_pi".into(), json!(w / std::f64::consts::PI));
                m.insert("seed".into(), json!(seed));
                m.insert("config".into(), json!(config));
                "disorder"
            }
            PositionSource::Direction { w, chi } => {
                m.insert("w".into(), json!(w));
                m.insert("w_over_pi".into(), json!(w / std::f64::consts::PI));
                m.insert("chi".into(), json!(chi));
                "direction"
            }
        };
        m.insert("position_source".into(), json!(name));
        m
    }
}

/// The steady state's initial state (which selects it when the null space is degenerate, at
/// ideal positions): `ground` and `dicke:M` (checked against N), and the product states that are
/// Dicke states (`THETA` = pi: ground, 0: all excited). Other product states are superpositions
/// of Dicke states, which the solver does not take: refused at ideal positions, irrelevant (a
/// unique steady state) elsewhere.
pub fn steady_initial(
    n: usize,
    init: &InitState,
    ideal: bool,
) -> anyhow::Result<sqz_steady::Initial> {
    Ok(match *init {
        InitState::Ground => sqz_steady::Initial::Ground,
        InitState::Dicke { .. } => sqz_steady::Initial::Dicke(
            init.dicke_index(n)
                .map_err(|e| anyhow::anyhow!("--init: {e}"))?
                .expect("a Dicke state"),
        ),
        InitState::Product { theta, .. } if theta == std::f64::consts::PI => {
            sqz_steady::Initial::Ground
        }
        InitState::Product { theta: 0.0, .. } => sqz_steady::Initial::Dicke(n),
        InitState::Product { .. } if ideal => bail!(
            "--init {}: at ideal positions the steady state depends on the initial state, and \
             the solver takes `ground`, `dicke:M` or a product state with THETA = 0 or pi (a \
             Dicke state); other product states are superpositions of Dicke states",
            init.describe()
        ),
        InitState::Product { .. } => sqz_steady::Initial::Ground,
    })
}

/// The memory guard of the models that do not go through `sqz_superop` (Eq. 7's sparse LU,
/// Eq. 8): refuses before allocating when `bytes(n)` exceeds the memory available
/// (`sqz_superop::memory::available_bytes`), naming the estimate, the bytes available and the
/// largest N that fits.
pub fn memory_guard(what: &str, n: usize, bytes: fn(usize) -> u64) -> anyhow::Result<()> {
    let avail = sqz_superop::memory::available_bytes();
    let need = bytes(n);
    if need <= avail {
        return Ok(());
    }
    // bytes() grows with N: bisect for the largest N that fits
    let (mut lo, mut hi) = (0usize, n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if bytes(mid) <= avail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Err(sqz_superop::SuperopError::TooLarge {
        what: format!("{what} at N = {n}"),
        needed_bytes: need,
        available_bytes: avail,
        largest_n: (lo >= 1).then_some(lo),
    }
    .into())
}
