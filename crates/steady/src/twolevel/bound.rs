//! The error bound of the two-level solve (direct error estimate, docs/numerics.md) and the
//! independent check of the gap by shift-invert Arnoldi on `A`.

use super::*;

/// The error estimate of a two-level solution.
#[derive(Debug, Clone, Copy)]
pub(super) struct Estimate {
    /// `|e~|_F`, the Frobenius norm of the computed correction
    pub(super) error_fro: f64,
    /// relative residual reached by the correction solve
    pub(super) eta: f64,
    /// `|r|_F` of the residual of the solution
    pub(super) residual_fro: f64,
    /// `|r|` in the real form (GMRES's norm)
    pub(super) residual_real: f64,
}

impl Estimate {
    /// `|e|_F <= |e~|_F + |A^{-1}| |r - A e~|`, with `|A^{-1}| <= GAP_SAFETY / g` and
    /// `|r - A e~|_F <= eta |r|_F` up to the norm change (a factor `sqrt 2` between the real form
    /// and the Frobenius norm, included); never below `2 |r|_F / g`, the bound of the previous
    /// solver: when the residual is at the rounding level of its own computation, `e~` only
    /// estimates the error the rounding noise causes, and the residual over the gap is what
    /// double precision allows (the Galerkin gap underestimates the true one at small w, where
    /// that happens).
    pub(super) fn bound(&self, g: f64) -> f64 {
        let direct = self.error_fro
            + GAP_SAFETY * std::f64::consts::SQRT_2 * self.eta * self.residual_fro / g;
        direct.max(2.0 * self.residual_fro / g)
    }
}

/// Solves `A e = b - A x` to [`ESTIMATE_REL_TOL`] and measures the result; returns the estimate
/// and the GMRES iterations spent.
#[allow(clippy::too_many_arguments)]
pub(super) fn error_estimate(
    n: usize,
    a: &Deflated<'_>,
    sa: &mut HermScratch,
    pre: &TwoLevel<'_>,
    sm: &mut PrecScratch,
    b: &[f64],
    x: &[f64],
    base: &GmresDrParams,
    ws: &mut GmresDrWorkspace,
) -> (Estimate, usize) {
    let restart = ws.restart();
    let bd = b.len();
    let mut r = vec![0.0; bd];
    a.apply(x, &mut r, sa);
    r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
    let residual_real = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    let fro = |v: &[f64]| {
        let mut c = vec![C64::default(); bd];
        to_complex(n, v, &mut c);
        c.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
    };
    let residual_fro = fro(&r);
    let mut e = vec![0.0; bd];
    let gp = GmresDrParams {
        stall_cycles: 0,
        max_iters: 4 * restart,
        rel_tol: ESTIMATE_REL_TOL,
        ..*base
    };
    let (its, eta) = match gmres_recycled_with(a, sa, pre, sm, &r, &mut e, &gp, ws) {
        Ok(i) => (i.iterations, i.rel_residual),
        Err(KrylovError::NoConvergence {
            iterations,
            rel_residual,
            ..
        }) => (iterations, rel_residual),
        Err(_) => (0, 1.0),
    };
    (
        Estimate {
            error_fro: fro(&e),
            eta: eta.min(1.0),
            residual_fro,
            residual_real,
        },
        its,
    )
}

/// Normalises the (Hermitian) complex block solution and measures the residual `|L rho|_F` with
/// the operator's own scratch; the smallest eigenvalue for N <= 10.
pub(super) fn finish_real(
    n: usize,
    op: &HermParity,
    mut xb: Vec<C64>,
    iterations: usize,
    mut notes: Vec<String>,
    t0: Instant,
    par: faer::Par,
) -> Result<SteadyReport, SteadyError> {
    let tr: f64 = (0..1usize << n)
        .map(|a| xb[block_index(n, a, a).expect("diagonal")].re)
        .sum();
    xb.par_iter_mut().for_each(|v| *v /= tr);
    let mut y = vec![C64::default(); xb.len()];
    let mut ks = op.new_kernel_scratch();
    op.apply_complex(&xb, &mut y, &mut ks);
    drop(ks);
    let residual = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    drop(y);
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
        method: Method::TwoLevel,
        iterations,
        residual,
        gap: None,
        error_bound: None,
        bound_met: false,
        outcome: Outcome::NoGapEstimate {
            reason: notes
                .iter()
                .find(|n| n.contains("gap"))
                .cloned()
                .unwrap_or_else(|| "no gap estimate".into()),
        },
        null_dim: 1,
        min_eigenvalue: min_ev,
        seconds: t0.elapsed().as_secs_f64(),
        notes,
        details: (),
    })
}

/// The slowest relaxation rates of `A` itself, for checking the Galerkin gap estimate.
#[derive(Debug, Clone)]
pub struct GapCheck {
    /// `min |Re lambda|` over the eigenvalues of `A` nearest zero (the trace mode excluded)
    pub gap: f64,
    /// those eigenvalues
    pub eigenvalues: Vec<C64>,
    /// the Galerkin estimate the bound uses
    pub galerkin: Option<f64>,
    /// inner solves done (two per Arnoldi step: real and imaginary parts)
    pub solves: usize,
    /// GMRES iterations of all inner solves
    pub inner_iterations: usize,
    /// wall time in seconds
    pub seconds: f64,
}

/// GMRES iterations that all inner solves of one gap check ([`verify_gap`]) may spend together.
/// A check that converges takes 40-120 inner solves of a few hundred iterations (N = 7, 8:
/// docs/numerics.md); without a cap, a configuration whose Arnoldi iteration does not settle ran
/// its 15 restarts x 20 steps x 2 solves, hours at N = 8 (a study task held for more than an
/// hour, docs/reproduction.md). When the budget is spent the check fails: no checked gap, the
/// caller reports no bound. A count, not a time, so that the outcome does not depend on the
/// machine or its load (the same result on 1 rank or 64).
pub const GAP_CHECK_MAX_INNER_ITERATIONS: usize = 150_000;

/// The operator's own slowest rates by shift-invert Arnoldi on `A^{-1}` (at 0), every
/// application two preconditioned two-level GMRES solves to [`VERIFY_INNER_TOL`] (the real and
/// imaginary parts of the complexified real form). Costs a few dozen solves: a check, not part of
/// the default path (`sqz steady --verify-gap`). Fails (an error, no gap) when an inner solve
/// does not reach its tolerance (a shift-invert Arnoldi step on an inexact inverse would give
/// wrong eigenvalues) or when the inner solves together exceed
/// [`GAP_CHECK_MAX_INNER_ITERATIONS`].
pub fn verify_gap(
    setup: &Setup,
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
) -> Result<GapCheck, SteadyError> {
    verify_gap_capped(setup, p, z, sp, GAP_CHECK_MAX_INNER_ITERATIONS)
}

/// inner-solve state (the scratch of `Inner`): workspace, scratch, solves, iterations, and
/// why the check failed
struct InnerState {
    ws: GmresDrWorkspace,
    sa: HermScratch,
    sm: PrecScratch,
    solves: usize,
    iterations: usize,
    failure: Option<String>,
}
/// One application of the inverse of the deflated operator by two inexact GMRES-DR solves (real
/// and imaginary parts), for the shift-invert Arnoldi of [`verify_gap_capped`].
struct Inner<'a> {
    a: &'a Deflated<'a>,
    pre: &'a TwoLevel<'a>,
    /// dimension and restart of the inner GMRES-DR workspace
    dim: usize,
    restart: usize,
    tol: f64,
    budget: usize,
    deflate: usize,
}
impl LinOp<C64> for Inner<'_> {
    type Scratch = InnerState;
    fn dim(&self) -> usize {
        self.a.dim()
    }
    fn new_scratch(&self) -> InnerState {
        InnerState {
            ws: GmresDrWorkspace::new(self.dim, self.restart),
            sa: self.a.new_scratch(),
            sm: self.pre.new_scratch(),
            solves: 0,
            iterations: 0,
            failure: None,
        }
    }
    fn scratch_bytes(&self) -> u64 {
        GmresDrWorkspace::bytes(self.dim, self.restart)
            .saturating_add(self.a.scratch_bytes())
            .saturating_add(self.pre.scratch_bytes())
    }
    fn apply(&self, x: &[C64], y: &mut [C64], st: &mut InnerState) {
        // after a failure the Arnoldi iteration is only run out (its result is discarded)
        if st.failure.is_some() {
            y.iter_mut().for_each(|v| *v = C64::default());
            return;
        }
        let mut parts = [vec![0.0; x.len()], vec![0.0; x.len()]];
        for (k, part) in parts.iter_mut().enumerate() {
            let b: Vec<f64> = x.iter().map(|v| if k == 0 { v.re } else { v.im }).collect();
            if b.iter().all(|v| *v == 0.0) {
                continue;
            }
            let gp = GmresDrParams {
                stall_cycles: 0,
                projected_cycles: 0,
                deflate: self.deflate,
                max_iters: self.budget.saturating_sub(st.iterations).min(20_000),
                rel_tol: self.tol,
                progress: None,
            };
            st.solves += 1;
            let out = gmres_dr_with(
                self.a, &mut st.sa, self.pre, &mut st.sm, &b, part, &gp, &mut st.ws,
            );
            match out {
                Ok(i) => st.iterations += i.iterations,
                Err(e) => {
                    if let KrylovError::NoConvergence { iterations, .. } = e {
                        st.iterations += iterations;
                    }
                    st.failure = Some(if st.iterations >= self.budget {
                        format!(
                            "the inner solves spent their budget of {} GMRES iterations",
                            self.budget
                        )
                    } else {
                        format!(
                            "inner solve {} did not reach {:e}: {e}",
                            st.solves, self.tol
                        )
                    });
                    y.iter_mut().for_each(|v| *v = C64::default());
                    return;
                }
            }
        }
        for (i, v) in y.iter_mut().enumerate() {
            *v = C64::new(parts[0][i], parts[1][i]);
        }
    }
}

/// [`verify_gap`] with the inner-iteration budget `max_inner_iterations` (tests use a small one).
pub fn verify_gap_capped(
    setup: &Setup,
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    max_inner_iterations: usize,
) -> Result<GapCheck, SteadyError> {
    /// relative residual of each inner solve
    const VERIFY_INNER_TOL: f64 = 1e-9;
    assert!(
        setup.matches(p, sp.par),
        "two-level set-up built for other parameters or another parallelism"
    );
    let t0 = Instant::now();
    let n = p.n();
    let budget = sp.budget();
    let restart = restart_for_capped(n, budget, sp.max_restart).ok_or_else(|| {
        SteadyError::Unsupported(format!("gap check at N = {n}: not enough memory"))
    })?;
    let op = HermParity::new(p, z)?;
    let bd = op.dim();
    let (diag, inv_d) = trace_data(n);
    let a = Deflated {
        op: &op,
        diag: diag.clone(),
        inv_d,
    };
    let kc = KronCoarse::new(&setup.sw, &setup.red, &TwoJump::new(p, z), sp.par)?;
    let slow = kc.slow_eigenpairs(6).ok();
    let galerkin = slow
        .as_ref()
        .map(|(v, _, _)| v.iter().map(|v| v.re.abs()).fold(f64::INFINITY, f64::min));
    let dinv = jacobi_inverse(p, &diag, inv_d);
    let pre = TwoLevel {
        n,
        op: &op,
        setup,
        kc: &kc,
        diag: &diag,
        inv_d,
        dinv,
        par: sp.par,
    };
    let inner = Inner {
        a: &a,
        pre: &pre,
        dim: bd,
        restart,
        tol: VERIFY_INNER_TOL,
        budget: max_inner_iterations,
        deflate: sp.deflate,
    };
    // start from the prolonged slow Galerkin eigenvectors (plus a little of everything)
    let mut start: Vec<C64> = (0..bd)
        .map(|i| C64::new(((i * 7) % 13) as f64 * 1e-3, ((i * 3) % 5) as f64 * 1e-3))
        .collect();
    if let Some((_, vecs, _)) = &slow {
        let mut q = vec![C64::default(); bd];
        for v in vecs {
            setup.sw.prolong(v, &mut q, sp.par);
            let nq = q
                .iter()
                .map(|c| c.norm_sqr())
                .sum::<f64>()
                .sqrt()
                .max(1e-300);
            start.iter_mut().zip(&q).for_each(|(s, x)| *s += x / nq);
        }
    }
    let mut st = inner.new_scratch();
    let res = sqz_krylov::eigs_largest(
        &inner,
        &mut st,
        &start,
        &sqz_krylov::EigParams {
            nev: 4,
            krylov_dim: 20,
            tol: 1e-5,
            max_restarts: 15,
        },
    );
    if let Some(why) = &st.failure {
        return Err(SteadyError::NoConvergence {
            method: "gap check (shift-invert Arnoldi)",
            detail: format!(
                "{why} ({} inner solves, {} GMRES iterations, {:.1} s)",
                st.solves,
                st.iterations,
                t0.elapsed().as_secs_f64()
            ),
        });
    }
    let res = res.map_err(|e| SteadyError::NoConvergence {
        method: "gap check (shift-invert Arnoldi)",
        detail: e.to_string(),
    })?;
    let mut eigenvalues = Vec::new();
    let mut gap = f64::INFINITY;
    for (mu, v) in res.values.iter().zip(&res.vectors) {
        let lam = 1.0 / mu;
        // the deflated trace mode (-1) carries the trace
        let tr: C64 = diag.iter().map(|&i| v[i]).sum();
        let vn = v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
        if tr.norm() > 1e-6 * vn * (diag.len() as f64).sqrt() && (lam + 1.0).norm() < 1e-3 {
            continue;
        }
        gap = gap.min(lam.re.abs());
        eigenvalues.push(lam);
    }
    Ok(GapCheck {
        gap,
        eigenvalues,
        galerkin,
        solves: st.solves,
        inner_iterations: st.iterations,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
