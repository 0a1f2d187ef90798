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

use crate::iterative::{block_diagonal, finish, Deflated};
use crate::schur_weyl::SchurWeyl;
use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use faer::linalg::solvers::Solve;
use faer::Mat;
use rayon::prelude::*;
use sqz_krylov::{gmres, GmresParams, KrylovError, LinearOperator};
use sqz_model::Params;
use sqz_superop::parity::block_index;
use std::time::Instant;

/// The coarse correction `Q = Z E^{-1} Y^dag` with its factorised `E`.
pub struct Coarse {
    sw: SchurWeyl,
    lu: faer::linalg::solvers::PartialPivLu<C64>,
    /// seconds spent building `E` (applications of `A` and restrictions) and factorising it
    pub build_seconds: f64,
}

impl Coarse {
    /// Builds `E = Y^dag A Z` for the operator `a` (`C_N` applications, in parallel) and its LU.
    pub fn new(p: &Params, a: &Deflated<'_>) -> Result<Self, SteadyError> {
        let t0 = Instant::now();
        let sw = SchurWeyl::new(p)?;
        let cn = sw.dim();
        let bd = a.dim();
        let cols: Vec<Vec<C64>> = (0..cn)
            .into_par_iter()
            .map_init(
                || {
                    (
                        a.new_scratch(),
                        vec![C64::default(); bd],
                        vec![C64::default(); bd],
                        vec![C64::default(); cn],
                    )
                },
                |(s, x, y, c), j| {
                    c.iter_mut().for_each(|v| *v = C64::default());
                    c[j] = C64::new(1.0, 0.0);
                    sw.prolong(c, x);
                    a.apply_with(x, y, s);
                    let mut out = vec![C64::default(); cn];
                    sw.restrict(y, &mut out);
                    out
                },
            )
            .collect();
        let e = Mat::<C64>::from_fn(cn, cn, |i, j| cols[j][i]);
        let lu = e.partial_piv_lu();
        Ok(Self {
            sw,
            lu,
            build_seconds: t0.elapsed().as_secs_f64(),
        })
    }

    /// Dimension of the coarse space.
    pub fn dim(&self) -> usize {
        self.sw.dim()
    }

    /// `x = Q r`.
    pub fn apply(&self, r: &[C64], x: &mut [C64]) {
        let mut c = vec![C64::default(); self.sw.dim()];
        self.sw.restrict(r, &mut c);
        let mut cm = Mat::<C64>::from_fn(c.len(), 1, |i, _| c[i]);
        self.lu.solve_in_place(cm.as_mut());
        let c: Vec<C64> = (0..c.len()).map(|i| cm[(i, 0)]).collect();
        self.sw.prolong(&c, x);
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
    let coarse = Coarse::new(p, &def)?;
    let mut dg = block_diagonal(p);
    for &i in &def.diag {
        dg[i] -= C64::new(def.inv_d, 0.0);
    }
    let dinv: Vec<C64> = dg
        .iter()
        .map(|v| {
            if v.norm() > 1e-12 {
                1.0 / v
            } else {
                C64::new(1.0, 0.0)
            }
        })
        .collect();
    let pre = TwoLevel {
        a: &def,
        coarse: &coarse,
        dinv,
    };
    let bd = op.dim();
    let mut b = vec![C64::default(); bd];
    for &i in &def.diag {
        b[i] = C64::new(-def.inv_d, 0.0);
    }
    // start from the coarse solution
    let mut x = vec![C64::default(); bd];
    coarse.apply(&b, &mut x);
    let rel_tol = (sp.tol * 1e-3).max(1e-13);
    let gp = GmresParams {
        restart: 200,
        max_iters,
        rel_tol,
    };
    let info = match gmres(&def, Some(&pre), &b, &mut x, &gp) {
        Ok(i) => i,
        Err(KrylovError::NoConvergence {
            iterations,
            abs_residual,
            rel_residual,
        }) => {
            return Err(SteadyError::NoConvergence {
                method: Method::TwoLevel.name(),
                detail: format!(
                    "no convergence after {iterations} iterations (coarse dimension {}): relative residual {rel_residual:.2e} (absolute {abs_residual:.2e}), target {rel_tol:.0e}",
                    coarse.dim()
                ),
            })
        }
        Err(e) => {
            return Err(SteadyError::NoConvergence {
                method: Method::TwoLevel.name(),
                detail: e.to_string(),
            })
        }
    };
    let _ = block_index(n, 0, 0);
    let notes = vec![format!(
        "coarse space: ideal null space, dimension C_N = {} (built in {:.2} s); {} GMRES iterations",
        coarse.dim(),
        coarse.build_seconds,
        info.iterations
    )];
    finish(n, &op, x, Method::TwoLevel, info.iterations, notes, t0)
}
