//! The certificate of a null vector: what a steady-state solver says about the quality of the
//! state it returns, the same for every model (the full master equation, Eq. 3, and the
//! permutational model).
//!
//! A null vector `x` of a singular operator `L` with one normalisation row (the trace) is
//! certified by its residual `||L x||` and the slowest nonzero relaxation rate, the gap
//! `g = min |Re lambda|` over the eigenvalues of `L` other than 0: the error is about
//! `||L x|| / g` (exact for normal `L`; an estimate otherwise, see docs/numerics.md). This module
//! holds the parts that do not depend on the model:
//!
//! - [`shift_invert_gap`]: the gap from an application of the inverse of the *deflated* operator
//!   (`L` with its eigenvalue 0 moved to -1 by a rank-one update along the trace row), by
//!   Arnoldi on that inverse ([`crate::eigs_largest`]); the deflated eigenvalue is recognised by
//!   its eigenvector's nonzero trace and dropped;
//! - [`Outcome`]: the typed verdict, from a bound and the tolerance ([`Outcome::from_bound`]);
//! - [`Representation`]: what a steady-state solver needs to know of the space it works in (the
//!   weak-parity block of Eq. 3, `sqz_superop::ParityBlock`, and the blocks of total spin `J` of
//!   the permutational model, `sqz_permutational::PermLiouvillian`, implement it).

use crate::{eigs_largest, EigParams, KrylovError, LinOp, C64};

/// A representation of density matrices in which a steady state `L x = 0`, `Tr rho = 1` is
/// sought: the coordinates of `x` (complex, `dim` of them), the operator `L`, the trace
/// functional, the Hermitian real form and the moments from which the squeezing follows. The
/// certificate of a null vector ([`shift_invert_gap`], the residual, [`Outcome`]) needs only
/// this; the model behind it (Eq. 3 in its weak-parity block, or the permutational blocks of
/// total spin) stays in the crate that implements it.
pub trait Representation {
    /// The moments of a state (the model's collective-spin moments, from which `xi_R^2` follows).
    type Moments;
    /// Number of complex coordinates of a state.
    fn dim(&self) -> usize;
    /// `y = L x`.
    fn apply_operator(&self, x: &[C64], y: &mut [C64]);
    /// The coordinates whose sum is `Tr rho` (the trace functional `t`: the diagonal of rho).
    fn trace_entries(&self) -> Vec<usize>;
    /// The Hermitian real form: `L` maps Hermitian matrices to Hermitian ones, so the physical
    /// states are a real subspace; this projects `x` onto it (`(rho + rho^dag) / 2`) and
    /// normalises the trace to 1. An error (a message) when the trace is not positive.
    fn hermitian_normalized(&self, x: &mut [C64]) -> Result<(), String>;
    /// The moments of the state `x`.
    fn moments(&self, x: &[C64]) -> Self::Moments;
    /// The residual `||L x||_2`, the 2-norm of the coordinate vector of `L x` (for the weak-parity
    /// block the Frobenius norm of the matrix `L(rho)`; for the `J` blocks that of the blocks
    /// `(L rho)_J`, each counted once).
    fn residual(&self, x: &[C64]) -> f64 {
        let mut y = vec![C64::new(0.0, 0.0); x.len()];
        self.apply_operator(x, &mut y);
        y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt()
    }
}

/// What a steady-state solve achieved.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// the error bound is at most the tolerance
    Converged,
    /// the error bound is above the tolerance: the residual reached is at the double-precision
    /// floor for this gap (the state is still the best one available; the bound says how good)
    BoundMissed {
        /// the bound reached
        bound: f64,
        /// the tolerance asked for
        tol: f64,
    },
    /// no gap estimate, hence no error bound
    NoGapEstimate {
        /// why (not asked for, or the estimate failed and how)
        reason: String,
    },
    /// the null space is degenerate; the state is the one reached from a given initial state
    /// (the residual, not a bound, measures it)
    Degenerate {
        /// dimension of the null space
        null_dim: u64,
    },
}

impl Outcome {
    /// The outcome of a bound `bound` (if any) against `tol`; `reason` explains a missing bound.
    pub fn from_bound(bound: Option<f64>, tol: f64, reason: impl FnOnce() -> String) -> Self {
        match bound {
            Some(b) if b <= tol => Outcome::Converged,
            Some(b) => Outcome::BoundMissed { bound: b, tol },
            None => Outcome::NoGapEstimate { reason: reason() },
        }
    }

    /// Short name for reports and result files.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Converged => "converged",
            Outcome::BoundMissed { .. } => "bound-missed-at-precision-floor",
            Outcome::NoGapEstimate { .. } => "no-gap-estimate",
            Outcome::Degenerate { .. } => "degenerate",
        }
    }
}

/// Parameters of [`shift_invert_gap`].
#[derive(Debug, Clone, Copy)]
pub struct GapParams {
    /// eigenvalues sought nearest 0 (at most `dim - 1` are sought)
    pub nev: usize,
    /// Krylov dimension of the first try; try `k` uses `2^k` times it (clamped to the dimension)
    pub krylov_dim: usize,
    /// tries: a further try, with a doubled Krylov space, follows a try whose Arnoldi did not
    /// converge (clustered eigenvalues)
    pub tries: usize,
    /// restart budget of each try
    pub max_restarts: usize,
    /// Ritz-residual tolerance of the Arnoldi (relative)
    pub tol: f64,
}

/// What [`shift_invert_gap`] found.
#[derive(Debug, Clone, Default)]
pub struct GapEstimate {
    /// `min |Re lambda|` over the eigenvalues found, the deflated one dropped
    pub gap: Option<f64>,
    /// the eigenvalues of `L` found nearest 0 (the deflated one dropped)
    pub eigenvalues: Vec<C64>,
    /// applications of the inverse (all tries; 0 when the estimate failed)
    pub matvecs: usize,
    /// why there is no gap, when there is none
    pub note: Option<String>,
}

/// Relative size of the trace of an eigenvector, `|t v| / (||v|| sqrt(#trace entries))`, above
/// which it is the deflated eigenvector (the only one with a nonzero trace) and is dropped.
pub const TRACE_FILTER: f64 = 1e-6;

/// The gap of `L` from `inv`, an application of the inverse of the deflated operator
/// (`L - u t^T` with `t u = 1`, whose spectrum is that of `L` with 0 replaced by -1).
/// `trace` lists the vector entries whose sum is the trace functional `t` (the diagonal of rho).
/// `sa` is the scratch of `inv` ([`LinOp::new_scratch`]). The start vector is fixed, so the
/// estimate is deterministic.
pub fn shift_invert_gap<A: LinOp<C64> + ?Sized>(
    inv: &A,
    sa: &mut A::Scratch,
    trace: &[usize],
    p: &GapParams,
) -> GapEstimate {
    let dim = inv.dim();
    let start: Vec<C64> = (0..dim)
        .map(|i| C64::new(1.0 + (i % 7) as f64 * 0.1, 0.05 * (i % 3) as f64))
        .collect();
    let nev = p.nev.min(dim - 1).max(1);
    let mut result = Err(KrylovError::Breakdown("not run".into()));
    let mut used = 0;
    for k in 0..p.tries {
        result = eigs_largest(
            inv,
            sa,
            &start,
            &EigParams {
                nev,
                krylov_dim: (p.krylov_dim << k).min(dim).max(nev + 2),
                tol: p.tol,
                max_restarts: p.max_restarts,
            },
        );
        match &result {
            Ok(r) => {
                used += r.matvecs;
                break;
            }
            Err(KrylovError::NoConvergence { iterations, .. }) => used += iterations,
            Err(_) => break,
        }
    }
    match result {
        Ok(res) => {
            let mut g = f64::INFINITY;
            let mut eigenvalues = Vec::new();
            for (mu, v) in res.values.iter().zip(&res.vectors) {
                let lam = 1.0 / mu;
                let tv: C64 = trace.iter().map(|&i| v[i]).sum();
                let vn = v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
                if tv.norm() > TRACE_FILTER * vn * (trace.len() as f64).sqrt() {
                    continue; // the deflated eigenvalue -1
                }
                eigenvalues.push(lam);
                g = g.min(lam.re.abs());
            }
            GapEstimate {
                gap: g.is_finite().then_some(g),
                eigenvalues,
                matvecs: used,
                note: (!g.is_finite())
                    .then(|| "gap estimate: no relaxation eigenvalue found near 0".to_string()),
            }
        }
        Err(e) => GapEstimate {
            note: Some(format!("gap estimate failed: {e}")),
            ..GapEstimate::default()
        },
    }
}
