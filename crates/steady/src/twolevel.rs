//! Two-level GMRES for the steady state of Eq. 3 at small and moderate disorder: the coarse space
//! is the null space of the ideal Liouvillian `L0` ([`crate::schur_weyl`], dimension `C_N`), which
//! is where the slow modes of `L = L0 + V` live when w is small (they split off zero like `w^2`).
//!
//! On the trace-deflated block operator `A = L - u t^T` ([`crate::iterative`]) with `Z`, `Y` the
//! prolongation and restriction (`Y^dag Z = I`), the coarse matrix `E = Y^dag A Z` (`C_N` square,
//! built column by column from `C_N` applications of `A`, then LU-factorised) gives the
//! coarse correction `Q = Z E^{-1} Y^dag`; the right preconditioner is the "A-DEF1" deflation
//! preconditioner (Tang, Nabben, Vuik, Erlangga 2009)
//!
//! ```text
//! P r = D^{-1} (r - A Q r) + Q r          (D: the closed-form diagonal of A)
//! ```
//!
//! so that `A P` maps the coarse space near the identity and leaves Jacobi to the fast modes. The
//! slow rates, `~1e-5` against fast ones `~30`, no longer set the iteration count: what remains
//! is the mismatch between `E` and the exact Schur complement on the slow space (the second-order
//! term `Y^dag V S V Z` that the Galerkin product misses), a factor of order one.

use crate::coarse::{KronCoarse, Reduced};
use crate::iterative::{finish, Deflated};
use crate::schur_weyl::SchurWeyl;
use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use rayon::prelude::*;
use sqz_krylov::{gmres, GmresParams, KrylovError, LinearOperator};
use sqz_model::Params;
use sqz_superop::lindblad::TwoJump;
use std::time::Instant;

/// Peak bytes of [`solve_two_level`] at N: the GMRES basis (201 block vectors), a few work
/// vectors, the Schur–Weyl basis and the Kronecker data of the coarse operator.
pub fn bytes(n: usize) -> u64 {
    let bd = sqz_superop::parity::block_dim(n) as u64;
    let c = crate::ideal::catalan(n);
    // basis B_n: sum binom(N, n)^2 = binom(2N, N) doubles (twice: real and complex copies)
    let basis = binom(2 * n as u64, n as u64) * 24;
    c.saturating_mul(16 * 40)
        .saturating_add(basis)
        .saturating_add(210 * bd * 16)
}

fn binom(n: u64, k: u64) -> u64 {
    (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// The coarse correction `Q r = Z M2 Y^dag r`: restriction to the ideal null space, the level-2
/// preconditioner of the Kronecker-form coarse operator ([`crate::coarse`]) as an approximate
/// `E^{-1}`, prolongation.
pub struct Coarse {
    sw: SchurWeyl,
    kc: KronCoarse,
    /// seconds spent building the basis and the coarse operator
    pub build_seconds: f64,
}

impl Coarse {
    /// Builds the Schur–Weyl basis, the reduced matrices and the coarse operator of the
    /// configuration `z`.
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SteadyError> {
        let t0 = Instant::now();
        let sw = SchurWeyl::new(p)?;
        let red = Reduced::new(&sw);
        let kc = KronCoarse::new(&sw, &red, &TwoJump::new(p, z))?;
        if std::env::var("SQZ_TRACE").is_ok() {
            eprintln!(
                "coarse: C_N = {}, populations {}, built in {:.2} s (Schur defect {:.1e})",
                sw.dim(),
                kc.populations_dim(),
                t0.elapsed().as_secs_f64(),
                kc.schur_defect
            );
        }
        Ok(Self {
            sw,
            kc,
            build_seconds: t0.elapsed().as_secs_f64(),
        })
    }

    /// Estimate of the gap, the slowest nonzero relaxation rate `min |Re lambda|`: the
    /// eigenvalues of the Galerkin operator `E` nearest zero ([`KronCoarse::slow_eigenvalues`]),
    /// the deflated eigenvalue `-1` (whose eigenvector carries the trace) excluded. Galerkin
    /// values miss the second-order term of the slow rates; docs/numerics.md gives the measured
    /// ratio to the true gap, which sets the factor in the error bound.
    pub fn gap_estimate(&self) -> Result<(f64, usize), String> {
        let (vals, applications) = self.kc.slow_eigenvalues(6)?;
        let g = vals
            .iter()
            .map(|v| v.re.abs())
            .fold(f64::INFINITY, f64::min);
        if g.is_finite() {
            Ok((g, applications))
        } else {
            Err("gap estimate: no relaxation eigenvalue found near 0".into())
        }
    }

    /// Dimension of the coarse space.
    pub fn dim(&self) -> usize {
        self.sw.dim()
    }

    /// `x = Q r`.
    pub fn apply(&self, r: &[C64], x: &mut [C64]) {
        let mut c = vec![C64::default(); self.sw.dim()];
        self.sw.restrict(r, &mut c, faer::get_global_parallelism());
        let mut g = vec![C64::default(); c.len()];
        self.kc.precondition(&c, &mut g);
        self.sw.prolong(&g, x);
    }
}

/// The A-DEF1 right preconditioner of the module docs.
struct TwoLevel<'a> {
    a: &'a Deflated<'a>,
    coarse: &'a Coarse,
    dinv: Vec<C64>,
}

impl LinearOperator for TwoLevel<'_> {
    fn dim(&self) -> usize {
        self.dinv.len()
    }
    fn apply(&self, r: &[C64], y: &mut [C64]) {
        let n = r.len();
        let mut q = vec![C64::default(); n];
        self.coarse.apply(r, &mut q);
        let mut aq = vec![C64::default(); n];
        self.a.apply(&q, &mut aq);
        y.par_iter_mut()
            .zip(r.par_iter())
            .zip(aq.par_iter())
            .zip(q.par_iter())
            .zip(self.dinv.par_iter())
            .for_each(|((((y, r), aq), q), d)| *y = d * (r - aq) + q);
    }
}

/// Two-level GMRES steady state (module docs).
pub fn solve_two_level(
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    max_iters: usize,
) -> Result<SteadyReport, SteadyError> {
    let t0 = Instant::now();
    let n = p.n();
    let op = sqz_superop::ParityBlock::new(p, z)?;
    let def = Deflated::new(&op);
    let coarse = Coarse::new(p, z)?;
    let pre = TwoLevel {
        a: &def,
        coarse: &coarse,
        dinv: def.inverse_diagonal(p),
    };
    let bd = op.dim();
    let mut b = vec![C64::default(); bd];
    for &i in &def.diag {
        b[i] = C64::new(-def.inv_d, 0.0);
    }
    // start from the coarse solution
    let mut x = vec![C64::default(); bd];
    coarse.apply(&b, &mut x);
    let mut notes = Vec::new();
    let tg = Instant::now();
    let gap = if sp.estimate_gap {
        match coarse.gap_estimate() {
            Ok((g, apps)) => {
                if std::env::var("SQZ_TRACE").is_ok() {
                    eprintln!(
                        "gap estimate {g:.3e}: {apps} coarse applications, {:.2} s",
                        tg.elapsed().as_secs_f64()
                    );
                }
                Some(g)
            }
            Err(e) => {
                notes.push(e);
                None
            }
        }
    } else {
        notes.push("gap not estimated (--no-gap): no error bound".into());
        None
    };
    // residual target: 2 |r| / gap <= tol / 2 where the gap is known, else tol * 1e-3 |b|
    let bnorm = (def.diag.len() as f64).sqrt() * def.inv_d;
    let target = gap.map_or(sp.tol * 1e-3 * bnorm, |g| 0.25 * sp.tol * g);
    let rel_target = target / bnorm;
    let gp = GmresParams {
        restart: 200,
        max_iters,
        rel_tol: rel_target.max(1e-13),
    };
    let no_conv = |iterations: usize, abs_residual: f64, rel_residual: f64, rel_tol: f64| {
        SteadyError::NoConvergence {
            method: Method::TwoLevel.name(),
            detail: format!(
                "no convergence after {iterations} iterations (coarse dimension {}): relative residual {rel_residual:.2e} (absolute {abs_residual:.2e}), target {rel_tol:.0e}",
                coarse.dim()
            ),
        }
    };
    let mut info = match gmres(&def, Some(&pre), &b, &mut x, &gp) {
        Ok(i) => i,
        Err(KrylovError::NoConvergence {
            iterations,
            abs_residual,
            rel_residual,
        }) => return Err(no_conv(iterations, abs_residual, rel_residual, gp.rel_tol)),
        Err(e) => {
            return Err(SteadyError::NoConvergence {
                method: Method::TwoLevel.name(),
                detail: e.to_string(),
            })
        }
    };
    if rel_target < gp.rel_tol {
        // below 1e-13 the floor of double precision is near: two more cycles at most, and the
        // state reached is kept (its bound is reported)
        let gp2 = GmresParams {
            rel_tol: rel_target,
            max_iters: (2 * gp.restart).min(max_iters.saturating_sub(info.iterations)),
            ..gp
        };
        match gmres(&def, Some(&pre), &b, &mut x, &gp2) {
            Ok(i) => info.iterations += i.iterations,
            Err(KrylovError::NoConvergence { iterations, .. }) => info.iterations += iterations,
            Err(e) => {
                return Err(SteadyError::NoConvergence {
                    method: Method::TwoLevel.name(),
                    detail: e.to_string(),
                })
            }
        }
    }
    notes.insert(
        0,
        format!(
            "coarse space: ideal null space, dimension C_N = {} (built in {:.2} s); {} GMRES iterations",
            coarse.dim(),
            coarse.build_seconds,
            info.iterations
        ),
    );
    let mut rep = finish(n, &op, x, Method::TwoLevel, info.iterations, notes, t0)?;
    if let Some(g) = gap {
        // factor 2: the Galerkin gap is within a factor 2 of the true one (module docs)
        let bound = 2.0 * rep.residual / g;
        rep.gap = Some(g);
        rep.error_bound = Some(bound);
        rep.bound_met = bound <= sp.tol;
        rep.notes.push(
            "gap: Galerkin estimate on the coarse space; error bound = 2 residual / gap".into(),
        );
        if !rep.bound_met {
            rep.notes.push(format!(
                "error bound {bound:.1e} above the target {:.0e}: the residual {:.1e} is at the double-precision floor for this gap",
                sp.tol, rep.residual
            ));
        }
    }
    rep.seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}
