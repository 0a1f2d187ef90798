//! The propagation of `sqz evolve`: Eq. 7 in the Dicke basis or Eq. 3 in the parity block (or
//! the full space when the initial state couples both parity halves), with the observables at
//! the output times and Husimi frames at their own times, all from one Krylov run
//! ([`sqz_krylov::expv::expv_times`]).
//!
//! Observables per output time ([`sqz_model::Series`], its column `sym` left empty): `t`,
//! `inv_xi2`, `xi2`, `mean_spin`, `trace`. `xi2` is undefined where `|<S>|` vanishes
//! (`sqz_model::observables::SpinMoments::perpendicular_axes`): `None` there and `inv_xi2 = 0`.
//! Never a NaN.
//!
//! Full model: states whose density matrix lies in the weak-parity block (ground, Dicke states,
//! products with `THETA` in `{0, pi}`) are propagated in the block ([`sqz_superop::ParityBlock`],
//! half the memory and work); other product states couple the two parity halves and use the
//! full matrix-free operator ([`sqz_superop::MatFree`]).
//!
//! Husimi frames ([`Frame`]): `Q` seen along the mean spin `n` at that time
//! ([`sqz_model::observables::husimi_plane`]) on the grid [`husimi_axis`]; when the mean spin
//! vanishes the axes fall back to `n = z, n1 = x, n2 = y` (`axes_defined = false`). For the
//! full model Q is that of the state projected on the symmetric subspace (the coherent states
//! live there), so it integrates to `Tr(P_sym rho)`.

use crate::init::{pure_dicke, InitState};
use crate::{DickeLiouvillian, DynamicsError, Space};
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace};
use sqz_krylov::LinOp;
use sqz_model::observables::{self, SpinMoments};
use sqz_model::{ModelError, Params, Series, C64};
use sqz_superop::memory::{self, Operator, Requirement};
use sqz_superop::{basis, parity, MatFree, ParityBlock};
use std::ops::ControlFlow;
use std::str::FromStr;
use std::time::Instant;

/// `Orthogonalization::Auto` uses full Gram-Schmidt up to this many unknowns (vectors of
/// 256 KiB, cache-resident: the extra sweeps are cheap and save operator applications) and
/// incomplete orthogonalisation against the last [`AUTO_WINDOW`] vectors above.
pub const AUTO_FULL_MAX_DIM: usize = 1 << 14;
/// Window of `Orthogonalization::Auto` for large problems.
pub const AUTO_WINDOW: usize = 4;
/// A full-space initial state is put in the parity block when the norm of its elements outside
/// the block is below this fraction of its norm.
const PARITY_DROP: f64 = 1e-14;

/// Gram-Schmidt of the Krylov basis: `auto` (by dimension), `full` or `incomplete:Q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orthogonalization {
    /// full up to [`AUTO_FULL_MAX_DIM`] unknowns, incomplete against [`AUTO_WINDOW`] above
    Auto,
    /// as given
    Fixed(sqz_krylov::expv::Orthogonalization),
}

impl FromStr for Orthogonalization {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        use sqz_krylov::expv::Orthogonalization as O;
        let t = s.trim();
        match t {
            "auto" => return Ok(Self::Auto),
            "full" => return Ok(Self::Fixed(O::Full)),
            _ => {}
        }
        if let Some(q) = t.strip_prefix("incomplete:") {
            if let Ok(q) = q.trim().parse::<usize>() {
                if (1..=100).contains(&q) {
                    return Ok(Self::Fixed(O::Incomplete(q)));
                }
            }
        }
        Err(format!(
            "{s:?}: allowed `auto`, `full` or `incomplete:Q` (1 <= Q <= 100)"
        ))
    }
}

impl Orthogonalization {
    /// The choice for an operator of dimension `dim`.
    pub fn resolve(self, dim: usize) -> sqz_krylov::expv::Orthogonalization {
        use sqz_krylov::expv::Orthogonalization as O;
        match self {
            Self::Fixed(o) => o,
            Self::Auto if dim <= AUTO_FULL_MAX_DIM => O::Full,
            Self::Auto => O::Incomplete(AUTO_WINDOW),
        }
    }
}

/// The text form of a Gram-Schmidt choice (`full`, `incomplete:Q`).
pub fn ortho_name(o: sqz_krylov::expv::Orthogonalization) -> String {
    match o {
        sqz_krylov::expv::Orthogonalization::Full => "full".into(),
        sqz_krylov::expv::Orthogonalization::Incomplete(q) => format!("incomplete:{q}"),
    }
}

/// What to compute along one propagation.
#[derive(Debug, Clone)]
pub struct Plan {
    /// output times of the observables (non-decreasing)
    pub times: Vec<f64>,
    /// times of the Husimi frames (non-decreasing)
    pub husimi_times: Vec<f64>,
    /// Husimi grid side K (K x K points)
    pub husimi_grid: usize,
    /// half-width of the Husimi grid in the `n_perp` plane
    pub husimi_extent: f64,
    /// tolerance and Krylov dimension of the propagator (its orthogonalisation is `ortho`)
    pub expv: ExpvParams,
    /// Gram-Schmidt of the Krylov basis
    pub ortho: Orthogonalization,
}

/// One Husimi frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// time
    pub t: f64,
    /// `n, n1, n2`
    pub axes: [[f64; 3]; 3],
    /// false when the mean spin vanishes (the axes are then z, x, y)
    pub axes_defined: bool,
    /// `q[i1 * K + i2]` at `(x1[i1], x2[i2])` of [`husimi_axis`]
    pub q: Vec<f64>,
}

/// A finished propagation.
#[derive(Debug, Clone)]
pub struct Evolution {
    /// what the user should know (e.g. a tolerance that was not met)
    pub notes: Vec<String>,
    /// where it ran
    pub space: Space,
    /// dimension of the operator
    pub dim: usize,
    /// Gram-Schmidt used
    pub ortho: sqz_krylov::expv::Orthogonalization,
    /// observables at [`Plan::times`]
    pub series: Series,
    /// Husimi frames at [`Plan::husimi_times`]
    pub frames: Vec<Frame>,
    /// the propagator's counters
    pub info: ExpvInfo,
    /// wall time of the propagation
    pub seconds: f64,
}

/// The `K` grid points `-E..E` of each Husimi axis.
pub fn husimi_axis(k: usize, extent: f64) -> Vec<f64> {
    (0..k)
        .map(|i| -extent + 2.0 * extent * i as f64 / (k - 1) as f64)
        .collect()
}

/// `1/xi^2`, or `None` where the mean spin vanishes (xi^2 undefined).
pub fn inv_xi2(m: &SpinMoments) -> Result<Option<f64>, ModelError> {
    match m.squeezing() {
        Ok(s) => Ok(Some(s.inv_xi2)),
        Err(ModelError::ZeroMeanSpin(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn husimi_frame(space: Space, w: &[C64], t: f64, k: usize, extent: f64) -> Frame {
    let mom = space.moments(w);
    let (axes, defined) = match mom.perpendicular_axes() {
        Ok(a) => (a, true),
        Err(_) => (([0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), false),
    };
    let q = observables::husimi_plane(&space.dicke_rho(w), axes, &husimi_axis(k, extent));
    Frame {
        t,
        axes: [axes.0, axes.1, axes.2],
        axes_defined: defined,
        q,
    }
}

/// Propagates `v` in `space` by `op`, measuring as `plan` asks; `on_step(t, info)` after every
/// accepted step (progress).
pub fn propagate<A: LinOp<C64>>(
    op: &A,
    space: Space,
    mut v: Vec<C64>,
    plan: &Plan,
    mut on_step: impl FnMut(f64, &ExpvInfo),
) -> Result<Evolution, DynamicsError> {
    // what a merged time stands for: an output (false) or a Husimi frame (true)
    let dim = op.dim();
    let mut sched: Vec<(f64, bool)> = plan
        .times
        .iter()
        .map(|&t| (t, false))
        .chain(plan.husimi_times.iter().map(|&t| (t, true)))
        .collect();
    sched.sort_by(|a, b| a.0.total_cmp(&b.0));
    let times: Vec<f64> = sched.iter().map(|s| s.0).collect();
    let t_end = times.last().copied().unwrap_or(0.0);
    let mut series = Series::default();
    let mut frames = Vec::new();
    let mut failure: Option<DynamicsError> = None;
    let norm0 = v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
    let mut ws = ExpvWorkspace::new(dim, plan.expv.krylov_dim);
    let mut sa = op.new_scratch();
    let params = ExpvParams {
        orthogonalization: plan.ortho.resolve(dim),
        ..plan.expv
    };
    let start = Instant::now();
    let info = expv_times(
        op,
        &mut sa,
        &times,
        &mut v,
        &params,
        &mut ws,
        |ev| match ev {
            Event::Step { t, info } => {
                on_step(t, info);
                ControlFlow::Continue(())
            }
            Event::Output { index, t, w } if sched[index].1 => {
                frames.push(husimi_frame(
                    space,
                    w,
                    t,
                    plan.husimi_grid,
                    plan.husimi_extent,
                ));
                ControlFlow::Continue(())
            }
            Event::Output { t, w, .. } => {
                let mom = space.moments(w);
                if let Err(err) = series.push(t, &mom, space.trace(w)) {
                    failure = Some(DynamicsError::Observables { t, err });
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
        },
    )
    .map_err(|err| DynamicsError::Propagation {
        what: "Krylov propagation".into(),
        err,
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut notes = Vec::new();
    // the step control keeps each step's estimate below 1.2 tau tol |v|: over [0, t_end] the sum
    // stays below 1.2 tol t_end |v| unless rounding (counted in the estimate) exceeds it
    let allowed = 1.2 * plan.expv.tol * t_end * norm0;
    if info.error_estimate > allowed {
        notes.push(format!(
            "the tolerance was not met: the summed local error estimate {:.2e} exceeds \
             1.2 x tol x t_end x |rho(0)| = {:.2e} (the estimate includes the rounding of each of \
             the {} steps); use a larger --tol",
            info.error_estimate, allowed, info.steps
        ));
    }
    Ok(Evolution {
        notes,
        space,
        dim,
        ortho: params.orthogonalization,
        series,
        frames,
        info,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Eq. 7 in the Dicke basis from `init` (memory checked first). Eq. 7 has no local rates:
/// parameters with any are refused (use the permutational model or [`evolve_full`]).
pub fn evolve_collective(
    p: &Params,
    init: &InitState,
    plan: &Plan,
    on_step: impl FnMut(f64, &ExpvInfo),
) -> Result<Evolution, DynamicsError> {
    sqz_model::collective::refuse_local_rates(p)?;
    let n = p.n();
    let d = n + 1;
    let dim = d * d;
    let need = DickeLiouvillian::bytes_estimate(n)
        + ExpvWorkspace::bytes(dim, plan.expv.krylov_dim)
        + 16 * dim as u64;
    let avail = memory::available_bytes();
    if need > avail {
        return Err(DynamicsError::Memory(format!(
            "the collective propagation at N = {n} needs about {} (Eq. 7 CSR and {} Krylov \
             vectors of (N+1)^2 = {dim} numbers), {} available",
            memory::human_bytes(need),
            plan.expv.krylov_dim + 2,
            memory::human_bytes(avail)
        )));
    }
    let psi = init.collective_vector(n)?;
    let op = DickeLiouvillian::new(p);
    propagate(&op, Space::Dicke(n), pure_dicke(&psi), plan, on_step)
}

/// Eq. 3 at positions `z` from `init`: in the parity block when the state lies there, else in
/// the full space (memory checked first). Local rates of `p` are included (the matrix-free
/// operators' local pass, `sqz_superop::local`).
pub fn evolve_full(
    p: &Params,
    z: &[f64],
    init: &InitState,
    plan: &Plan,
    on_step: impl FnMut(f64, &ExpvInfo),
) -> Result<Evolution, DynamicsError> {
    let n = p.n();
    let psi = init.full_vector(n)?;
    // rho = |psi><psi| lies in the equal-parity block iff psi has one excitation parity
    let (even, odd) = psi.iter().enumerate().fold((0.0, 0.0), |(e, o), (b, x)| {
        if basis::parity(b) == 0 {
            (e + x.norm_sqr(), o)
        } else {
            (e, o + x.norm_sqr())
        }
    });
    let in_block = (even * odd).sqrt() <= PARITY_DROP * (even + odd);
    let k = plan.expv.krylov_dim + 3;
    let opk = if in_block {
        Operator::ParityBlock
    } else {
        Operator::MatrixFree
    };
    let req = Requirement::solve(opk, k);
    memory::check(&req, req.bytes(n))?;
    let full = basis::pure_state(&psi);
    if in_block {
        let v = parity::restrict(n, &full);
        drop(full);
        let op = ParityBlock::new(p, z)?;
        propagate(&op, Space::Parity(n), v, plan, on_step)
    } else {
        let op = MatFree::new(p, z)?;
        propagate(&op, Space::Full(n), full, plan, on_step)
    }
}
