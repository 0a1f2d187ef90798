//! Iterative steady state for N beyond the dense method: GMRES on the trace-deflated parity
//! block, `L~ = L - u t^T` (the same deflation as [`crate::dense`]), matrix-free, with a Jacobi
//! (diagonal) right preconditioner whose entries are known in closed form from the two-jump form:
//!
//! ```text
//! L[(ab),(ab)] = -i Delta_N (n_a - n_b)
//!                - (1/2) [ cosh^2 r (n_a + n_b) + sinh^2 r (2N - n_a - n_b) ]
//! ```
//!
//! (`H_DD` and the jumps have no diagonal; `sum_c <a|J_c^dag J_c|a> = cosh^2 r n_a + sinh^2 r (N - n_a)`),
//! plus, with local rates, `-(gamma_loss/2)(n_a + n_b) - gamma_deph |a XOR b|`
//! ([`local_diagonal`]).
//! The Krylov dimension is as large as memory allows (a full GMRES cycle resolves the slow
//! cluster of about `C_N` modes at small w), then it restarts.
//!
//! The gap is not estimated on this path (a shift-invert estimate would need an inner solve per
//! Arnoldi step); the report says so, and the error bound is not available.

use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use sqz_krylov::{gmres, GmresParams, KrylovError, LinearOperator};
use sqz_model::Params;
use sqz_superop::parity::block_index;
use std::time::Instant;

/// `L - u t^T` on the parity block (`u = I / 2^N`, `t` the trace functional).
pub struct Deflated<'a> {
    op: &'a sqz_superop::ParityBlock,
    /// block indices of the diagonal elements `rho[a, a]`
    pub diag: Vec<usize>,
    /// `1 / 2^N`
    pub inv_d: f64,
}

impl<'a> Deflated<'a> {
    /// The deflated operator of `op`.
    pub fn new(op: &'a sqz_superop::ParityBlock) -> Self {
        let n = op.n();
        let diag = (0..1usize << n)
            .map(|a| block_index(n, a, a).expect("diagonal in block"))
            .collect();
        Self {
            op,
            diag,
            inv_d: 1.0 / (1usize << n) as f64,
        }
    }

    /// `1 / diag(A)` in closed form ([`block_diagonal`] minus the deflation's `u t^T` diagonal;
    /// 1 where the diagonal vanishes): the Jacobi preconditioner of both iterative methods.
    pub fn inverse_diagonal(&self, p: &Params) -> Vec<C64> {
        let mut dg = block_diagonal(p);
        for &i in &self.diag {
            dg[i] -= C64::new(self.inv_d, 0.0);
        }
        dg.iter()
            .map(|v| {
                if v.norm() > 1e-12 {
                    1.0 / v
                } else {
                    C64::new(1.0, 0.0)
                }
            })
            .collect()
    }

    /// A scratch for [`Deflated::apply_with`].
    pub fn new_scratch(&self) -> sqz_superop::Scratch {
        self.op.new_scratch()
    }

    /// `y = A x` with a caller-provided scratch (for concurrent applications).
    pub fn apply_with(&self, x: &[C64], y: &mut [C64], s: &mut sqz_superop::Scratch) {
        self.op.apply_with(x, y, s);
        self.deflate(x, y);
    }

    fn deflate(&self, x: &[C64], y: &mut [C64]) {
        let t: C64 = self.diag.iter().map(|&i| x[i]).sum();
        for &i in &self.diag {
            y[i] -= t * self.inv_d;
        }
    }
}

impl LinearOperator for Deflated<'_> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        self.op.apply(x, y);
        self.deflate(x, y);
    }
}

/// Diagonal scaling.
struct Jacobi(Vec<C64>);

impl LinearOperator for Jacobi {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        y.iter_mut()
            .zip(x)
            .zip(&self.0)
            .for_each(|((y, x), s)| *y = x * s);
    }
}

/// The diagonal of the parity-block Liouvillian (formula in the module docs), block order.
pub fn block_diagonal(p: &Params) -> Vec<C64> {
    let n = p.n();
    let (c2, s2) = (p.r().cosh().powi(2), p.r().sinh().powi(2));
    let bd = sqz_superop::parity::block_dim(n);
    let local = p.has_local_rates();
    (0..bd)
        .map(|k| {
            let (a, b) = sqz_superop::parity::full_index(n, k);
            let (na, nb) = (a.count_ones() as f64, b.count_ones() as f64);
            let mut re = -0.5 * (c2 * (na + nb) + s2 * (2.0 * n as f64 - na - nb));
            if local {
                re += local_diagonal(p, a, b);
            }
            C64::new(re, -p.delta_n() * (na - nb))
        })
        .collect()
}

/// The diagonal of the local terms ([`sqz_superop::local`]) at `rho[a, b]`:
/// `-(gamma_loss/2) (n_a + n_b) - gamma_deph |a XOR b|` (real).
pub fn local_diagonal(p: &Params, a: usize, b: usize) -> f64 {
    -0.5 * p.gamma_loss() * f64::from(a.count_ones() + b.count_ones())
        - p.gamma_deph() * f64::from((a ^ b).count_ones())
}

/// GMRES steady state (see the module docs).
pub fn solve_iterative(
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    max_iters: usize,
) -> Result<SteadyReport, SteadyError> {
    let t0 = Instant::now();
    let n = p.n();
    let op = sqz_superop::ParityBlock::new(p, z)?;
    let def = Deflated::new(&op);
    let (diag, inv_d) = (def.diag.clone(), def.inv_d);
    let jac = Jacobi(def.inverse_diagonal(p));
    let mut b = vec![C64::new(0.0, 0.0); op.dim()];
    let mut x = vec![C64::new(0.0, 0.0); op.dim()];
    for &i in &diag {
        b[i] = C64::new(-inv_d, 0.0);
        x[i] = C64::new(inv_d, 0.0);
    }
    // |b| = D^{-1/2}; a residual of tol * 1e-3 keeps the error small where the gap is ~1e-3 or more
    let rel_tol = (sp.tol * 1e-3).max(1e-13);
    let gp = GmresParams {
        // half of the solve's memory budget for the basis (the memory available now unless
        // `sp.memory_budget` says otherwise, e.g. a study's share per concurrent solve)
        restart: crate::memory::gmres_jacobi_krylov(n, sp.budget()),
        max_iters,
        rel_tol,
    };
    let info = match gmres(&def, Some(&jac), &b, &mut x, &gp) {
        Ok(i) => i,
        Err(KrylovError::NoConvergence { iterations, abs_residual, rel_residual }) => {
            return Err(SteadyError::NoConvergence {
                method: "gmres-jacobi",
                detail: format!(
                    "no convergence after {iterations} iterations (Krylov dimension {}): relative residual {rel_residual:.2e} (absolute {abs_residual:.2e}), target {rel_tol:.0e}",
                    gp.restart
                ),
            })
        }
        Err(e) => return Err(SteadyError::NoConvergence { method: "gmres-jacobi", detail: e.to_string() }),
    };
    let mut rep = finish(
        n,
        &op,
        x,
        Method::GmresJacobi,
        info.iterations,
        Vec::new(),
        t0,
    )?;
    rep.notes.insert(
        0,
        "gap not estimated on the iterative path: no error bound".to_string(),
    );
    Ok(rep)
}

/// Hermitises and normalises a parity-block solution and measures what a report needs: the
/// residual `|L rho|_F`, the smallest eigenvalue (N <= 10). No gap: `error_bound` is `None`.
pub fn finish(
    n: usize,
    op: &sqz_superop::ParityBlock,
    x: Vec<C64>,
    method: Method,
    iterations: usize,
    mut notes: Vec<String>,
    t0: Instant,
) -> Result<SteadyReport, SteadyError> {
    let diag: Vec<usize> = (0..1usize << n)
        .map(|a| block_index(n, a, a).expect("diagonal in block"))
        .collect();
    // Hermitise and normalise
    let mut xb = x;
    for k in 0..xb.len() {
        let (a, c) = sqz_superop::parity::full_index(n, k);
        if a < c {
            let k2 = block_index(n, c, a).expect("in block");
            let v = 0.5 * (xb[k] + xb[k2].conj());
            xb[k] = v;
            xb[k2] = v.conj();
        }
    }
    let tr: f64 = diag.iter().map(|&i| xb[i].re).sum();
    for &i in &diag {
        xb[i].im = 0.0;
    }
    xb.iter_mut().for_each(|v| *v /= tr);
    let mut y = vec![C64::new(0.0, 0.0); xb.len()];
    op.apply(&xb, &mut y);
    let residual = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    let min_ev = if n <= 10 {
        crate::min_eigenvalue(n, &xb)
    } else {
        f64::NAN
    };
    if min_ev < -1e-9 {
        notes.push(format!("rho has a negative eigenvalue {min_ev:e}"));
    }
    Ok(SteadyReport {
        rho_block: xb,
        method,
        iterations,
        residual,
        gap: None,
        error_bound: None,
        bound_met: false,
        outcome: crate::Outcome::NoGapEstimate {
            reason: "the GMRES-Jacobi method has no gap estimate".into(),
        },
        null_dim: 1,
        min_eigenvalue: min_ev,
        seconds: t0.elapsed().as_secs_f64(),
        notes,
    })
}
