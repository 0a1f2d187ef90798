//! Second stage of argument handling: raw strings into validated model inputs.

use crate::cli::PositionArgs;
use anyhow::{bail, Context};
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
        let z = positions::parse_lengths(list).context("--positions")?;
        positions::check_positions(&z, n)?;
        return Ok((z, PositionSource::Explicit));
    }
    if let Some(w) = &a.w {
        let w = positions::parse_length(w).context("--w")?;
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

/// `ground` or `dicke:M` into a steady-state initial state (Dicke index `k = M + N/2`).
pub fn initial(n: usize, s: &str) -> anyhow::Result<sqz_steady::Initial> {
    let t = s.trim();
    if t == "ground" {
        return Ok(sqz_steady::Initial::Ground);
    }
    if let Some(m) = t.strip_prefix("dicke:") {
        let m: f64 = m
            .trim()
            .parse()
            .with_context(|| format!("--init {s}: M is not a number"))?;
        let k = m + n as f64 / 2.0;
        if k.fract() != 0.0 || k < 0.0 || k > n as f64 {
            bail!("invalid --init {s}: M must be one of -N/2, -N/2+1, ..., N/2 (N = {n})");
        }
        return Ok(sqz_steady::Initial::Dicke(k as usize));
    }
    bail!("invalid --init {s:?}: allowed `ground` or `dicke:M`")
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
