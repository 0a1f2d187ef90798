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
//! The certificate ([`certify`]; docs/numerics.md, "Local rates: the certificate of the one-level
//! solve"): the gap by inverse iteration on `A` (`twolevel::INVERSE_STEPS` GMRES-Jacobi solves
//! to [`ONE_LEVEL_INVERSE_TOL`]), the error by the direct estimate `A e = r` solved to
//! `twolevel::ESTIMATE_REL_TOL`, the bound `max(|e~| + GAP_SAFETY eta |r| / g, 2 |r| / g)`
//! as on the two-level path. A slowest rate below [`DEGENERATE_RATE`] is a null space of
//! dimension > 1 seen by the solver: the state is refused as degenerate.

use crate::certificate::{ESTIMATE_REL_TOL, GAP_SAFETY, INVERSE_STEPS};
use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use sqz_krylov::{gmres_with, GmresParams, GmresWorkspace, KrylovError, LinOp};
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

    fn deflate(&self, x: &[C64], y: &mut [C64]) {
        let t: C64 = self.diag.iter().map(|&i| x[i]).sum();
        for &i in &self.diag {
            y[i] -= t * self.inv_d;
        }
    }
}

/// The scratch is the parity block's ([`sqz_superop::Scratch`]): concurrent applications hold
/// one each.
impl LinOp<C64> for Deflated<'_> {
    type Scratch = sqz_superop::Scratch;
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn new_scratch(&self) -> sqz_superop::Scratch {
        self.op.new_scratch()
    }
    fn scratch_bytes(&self) -> u64 {
        self.op.scratch_bytes()
    }
    fn apply(&self, x: &[C64], y: &mut [C64], s: &mut sqz_superop::Scratch) {
        self.op.apply(x, y, s);
        self.deflate(x, y);
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
    // the Jacobi preconditioner: the inverse diagonal as an operator
    let jac = sqz_krylov::Diagonal(def.inverse_diagonal(p));
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
        restart: gmres_jacobi_krylov(n, sp.budget()),
        max_iters,
        rel_tol,
    };
    // one workspace for the solve and the certificate's solves (a basis of up to half the budget)
    let mut ws = GmresWorkspace::<C64>::new(op.dim(), gp.restart);
    // the scratch lives for the solve only (the certificate makes its own)
    let info = match gmres_with(&def, &mut def.new_scratch(), &jac, &mut (), &b, &mut x, &gp, &mut ws) {
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
    let cert = if sp.estimate_gap {
        // the certificate's solves may take twice the main solve's iterations each, at least one
        // cycle: a solve that needs more sees a (nearly) singular A
        let cap = (2 * info.iterations).max(gp.restart);
        let tc = Instant::now();
        Some(certify(&def, &jac, &b, &x, cap, &mut ws).map(|c| (c, tc.elapsed().as_secs_f64())))
    } else {
        None
    };
    drop(ws);
    let mut rep = finish(
        n,
        &op,
        x,
        Method::GmresJacobi,
        info.iterations,
        Vec::new(),
        t0,
        sp.par,
    )?;
    match cert {
        None => rep
            .notes
            .push("gap not estimated (estimate_gap off): no error bound".to_string()),
        Some(Err(e)) => rep.notes.push(format!(
            "certificate of the one-level solve failed ({e}): no error bound"
        )),
        Some(Ok((c, cert_seconds))) => {
            if c.rate < DEGENERATE_RATE {
                return Err(SteadyError::Degenerate(format!(
                    "inverse iteration on the deflated Liouvillian finds a relaxation rate {:.1e} \
                     below {DEGENERATE_RATE:.0e}: a null space of dimension > 1 within double \
                     precision",
                    c.rate
                )));
            }
            rep.iterations += c.iterations;
            let bound = c.bound();
            rep.gap = Some(c.rate);
            rep.error_bound = Some(bound);
            rep.bound_met = bound <= sp.tol;
            rep.outcome = crate::Outcome::from_bound(Some(bound), sp.tol, String::new);
            rep.notes.push(format!(
                "error bound = max(|e~|_F + {GAP_SAFETY} eta |r|_F / gap, 2 |r|_F / gap) with e~ the \
                 correction A e = r solved to eta = {:.1e} (|e~|_F = {:.2e}, |r|_F = {:.2e}); gap \
                 {:.3e} from inverse iteration on A ({INVERSE_STEPS} GMRES-Jacobi solves to \
                 {ONE_LEVEL_INVERSE_TOL:.0e}); solve: {} GMRES iterations, certificate: {} iterations, \
                 {cert_seconds:.2} s",
                c.eta, c.error_fro, c.residual, c.rate, info.iterations, c.iterations
            ));
            if !rep.bound_met {
                rep.notes.push(format!(
                    "error bound {bound:.1e} above the target {:.0e}",
                    sp.tol
                ));
            }
            rep.seconds = t0.elapsed().as_secs_f64();
        }
    }
    Ok(rep)
}

/// Slowest relaxation rate (units of A) below which [`certify`] reports a null space of dimension
/// above 1: a rate this small gives `|A^{-1}| > 1e12`, where a double-precision solution has no
/// significant digit left in the direction of the slow mode.
pub const DEGENERATE_RATE: f64 = 1e-12;

/// Relative residual of each inverse-iteration solve of [`certify`] (the two-level path's
/// `INVERSE_TOL` is the same since its projected stop; 1e-4 before): at N = 7 (`w = 0` with `gamma_deph = 0.05`; `w = 0.3 pi`, seed 3, with
/// `gamma_loss = 0.1` and 1) 1e-2 gave the rate of 1e-4 to within 0.2 % (2.498e-2 against
/// 2.494e-2; 1.536e-1; 7.232e-1 against 7.239e-1) in 40-60 % of the iterations, and the bound
/// needs the gap to a factor well inside `GAP_SAFETY` only.
pub const ONE_LEVEL_INVERSE_TOL: f64 = 1e-2;

/// What [`certify`] measured.
#[derive(Debug, Clone, Copy)]
pub struct Certificate {
    /// slowest rate of `A` by inverse iteration (an estimate of `|lambda_min|` from above)
    pub rate: f64,
    /// `|e~|_F`, the computed correction
    pub error_fro: f64,
    /// relative residual the correction solve reached
    pub eta: f64,
    /// `|b - A x|` (the parity block's 2-norm is the Frobenius norm of the block)
    pub residual: f64,
    /// GMRES iterations of the certificate's solves
    pub iterations: usize,
}

impl Certificate {
    /// `|e|_F <= |e~|_F + |A^{-1}| eta |r|`, with `|A^{-1}| <= GAP_SAFETY / rate`; never below
    /// `2 |r| / rate` (the residual over the gap: what double precision allows).
    pub fn bound(&self) -> f64 {
        (self.error_fro + GAP_SAFETY * self.eta * self.residual / self.rate)
            .max(2.0 * self.residual / self.rate)
    }
}

/// The certificate of a one-level solution `x` of `A x = b` (module docs): the correction
/// `A e = b - A x` to `ESTIMATE_REL_TOL`, then `INVERSE_STEPS` inverse-iteration solves to
/// `INVERSE_TOL`; each solve is GMRES(`restart`) with the Jacobi preconditioner and at most
/// `cap` iterations. Err names the solve that failed; a step that fails with `|A^{-1} x|`
/// above `1 / DEGENERATE_RATE` returns that rate instead (a singular `A`).
pub fn certify<M: LinOp<C64>>(
    def: &Deflated<'_>,
    jac: &M,
    b: &[C64],
    x: &[C64],
    cap: usize,
    ws: &mut GmresWorkspace<C64>,
) -> Result<Certificate, String> {
    let (mut sa, mut sm) = (def.new_scratch(), jac.new_scratch());
    let dim = b.len();
    let norm = |v: &[C64]| v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    let mut r = vec![C64::default(); dim];
    def.apply(x, &mut r, &mut sa);
    r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
    let residual = norm(&r);
    let mut e = vec![C64::default(); dim];
    let gp = GmresParams {
        restart: ws.restart(),
        max_iters: cap,
        rel_tol: ESTIMATE_REL_TOL,
    };
    let (mut iterations, eta) = match gmres_with(def, &mut sa, jac, &mut sm, &r, &mut e, &gp, ws) {
        Ok(i) => (i.iterations, i.rel_residual),
        Err(KrylovError::NoConvergence {
            iterations,
            rel_residual,
            ..
        }) => (iterations, rel_residual.min(1.0)),
        Err(err) => return Err(format!("error estimate: {err}")),
    };
    let error_fro = norm(&e);
    drop(e);
    // inverse iteration from a generic start (the same as the two-level path's)
    let mut v: Vec<C64> = (0..dim)
        .map(|i| {
            C64::new(
                1.0 + ((i * 7) % 13) as f64 * 0.1 - ((i * 3) % 5) as f64 * 0.2,
                0.0,
            )
        })
        .collect();
    let nv = norm(&v);
    v.iter_mut().for_each(|z| *z /= nv);
    let mut y = vec![C64::default(); dim];
    let mut rate = f64::NAN;
    for step in 0..INVERSE_STEPS {
        let guess = if rate.is_finite() { 1.0 / rate } else { 0.0 };
        y.iter_mut().zip(&v).for_each(|(yi, vi)| *yi = vi * guess);
        let gp = GmresParams {
            rel_tol: ONE_LEVEL_INVERSE_TOL,
            ..gp
        };
        let failed = match gmres_with(def, &mut sa, jac, &mut sm, &v, &mut y, &gp, ws) {
            Ok(i) => {
                iterations += i.iterations;
                None
            }
            Err(KrylovError::NoConvergence { iterations: k, .. }) => {
                iterations += k;
                Some(format!(
                    "inverse iteration step {} did not converge",
                    step + 1
                ))
            }
            Err(err) => return Err(format!("inverse iteration step {}: {err}", step + 1)),
        };
        let ny = norm(&y);
        if !(ny.is_finite() && ny > 0.0) {
            return Err(format!(
                "inverse iteration step {}: |A^-1 x| = {ny}",
                step + 1
            ));
        }
        rate = 1.0 / ny;
        if let Some(f) = failed {
            if rate < DEGENERATE_RATE {
                break;
            }
            return Err(f);
        }
        v.iter_mut().zip(&y).for_each(|(vi, yi)| *vi = yi / ny);
    }
    Ok(Certificate {
        rate,
        error_fro,
        eta,
        residual,
        iterations,
    })
}

/// Hermitises and normalises a parity-block solution and measures what a report needs: the
/// residual `|L rho|_F`, the smallest eigenvalue (N <= 10). No gap: `error_bound` is `None`.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    n: usize,
    op: &sqz_superop::ParityBlock,
    x: Vec<C64>,
    method: Method,
    iterations: usize,
    mut notes: Vec<String>,
    t0: Instant,
    par: faer::Par,
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
    op.apply(&xb, &mut y, &mut op.new_scratch());
    let residual = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    let min_ev = if n <= 10 {
        crate::min_eigenvalue(n, &xb, par)
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
        details: (),
    })
}

/// Smallest Krylov basis of the GMRES-Jacobi method ([`gmres_jacobi_krylov`] clamps its Krylov
/// dimension to `30..=4000`).
pub const GMRES_JACOBI_MIN_KRYLOV: usize = 30;
/// Largest Krylov basis of the GMRES-Jacobi method.
pub const GMRES_JACOBI_MAX_KRYLOV: usize = 4000;

fn block_vector_bytes(n: usize) -> u64 {
    sqz_superop::memory::estimate_with(n, 0).parity_vector_bytes
}

/// Bytes of the GMRES-Jacobi method with a Krylov basis of `krylov` vectors: the parity-block
/// operator, `krylov + 1` basis vectors and GMRES's three work vectors, the right-hand side,
/// the iterate, the Jacobi diagonal and one transient vector, the Hessenberg matrix, and the
/// eigenproblem of the final check.
pub fn gmres_jacobi_bytes(n: usize, krylov: usize) -> u64 {
    let v = block_vector_bytes(n);
    let k = krylov as u64;
    sqz_superop::memory::Operator::ParityBlock
        .bytes(n)
        .saturating_add(v.saturating_mul(k + 1 + 3 + 4))
        .saturating_add((k + 1) * k * 16)
        .saturating_add(crate::checks::eigen_bytes(n))
}

/// The smallest footprint of the GMRES-Jacobi method (the basis of [`GMRES_JACOBI_MIN_KRYLOV`]
/// vectors): what the memory guard checks.
pub fn gmres_jacobi_min_bytes(n: usize) -> u64 {
    gmres_jacobi_bytes(n, GMRES_JACOBI_MIN_KRYLOV)
}

/// The Krylov dimension [`solve_iterative`] picks with `available` bytes (half of them for the
/// basis, clamped to `30..=4000`).
pub fn gmres_jacobi_krylov(n: usize, available: u64) -> usize {
    let per = block_vector_bytes(n).max(1);
    ((available / 2 / per) as usize).clamp(GMRES_JACOBI_MIN_KRYLOV, GMRES_JACOBI_MAX_KRYLOV)
}
