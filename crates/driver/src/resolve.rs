//! Second layer of argument handling: typed arguments into validated model inputs (positions,
//! the steady state's initial state, the memory guard of the collective models).

use crate::cli::PositionArgs;
use anyhow::bail;
use serde_json::{json, Map, Value};
use sqz_dynamics::InitState;
use sqz_model::positions;

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
        let w = w.0;
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
