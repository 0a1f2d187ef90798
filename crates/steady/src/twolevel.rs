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

use crate::iterative::{finish, Deflated};
use crate::schur_weyl::SchurWeyl;
use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use faer::linalg::solvers::Solve;
use faer::{Mat, Par};
use rayon::prelude::*;
use sqz_krylov::{eigs_largest, gmres, EigParams, GmresParams, KrylovError, LinearOperator};
use sqz_model::Params;
use std::time::Instant;

/// Peak bytes of [`solve_two_level`] at N: the real coarse matrix `E` while its columns are
/// gathered and then with its LU (`3 C_N^2` doubles), the GMRES basis (201 block vectors) and a
/// few work vectors.
pub fn bytes(n: usize) -> u64 {
    let c = crate::ideal::catalan(n);
    let bd = sqz_superop::parity::block_dim(n) as u64;
    c.saturating_mul(c)
        .saturating_mul(24)
        .saturating_add(210 * bd * 16)
}

/// The coarse correction `Q = Z E^{-1} Y^dag` with its factorised `E`, held as the real matrix
/// of the Hermitian coordinates ([`SchurWeyl::to_herm`]): `Z`, `A` and `Y^dag` preserve
/// Hermiticity, so one complex application of `A` to `Z (H_k + i H_l)` gives two real columns
/// (`C_N / 2` applications in all) and the LU is real (a quarter of the complex flops).
pub struct Coarse {
    sw: SchurWeyl,
    lu: faer::linalg::solvers::PartialPivLu<f64>,
    /// `E` itself where it is small enough to keep (`C_N <= 2000`)
    e: Option<Mat<f64>>,
    /// seconds spent building `E` (applications of `A` and restrictions) and factorising it
    pub build_seconds: f64,
}

impl Coarse {
    /// Builds `E = Y^dag A Z` for the operator `a` (`C_N / 2` applications, in parallel) and its
    /// LU.
    pub fn new(p: &Params, a: &Deflated<'_>) -> Result<Self, SteadyError> {
        let t0 = Instant::now();
        let sw = SchurWeyl::new(p)?;
        let cn = sw.dim();
        let bd = a.dim();
        let i = C64::new(0.0, 1.0);
        let cols: Vec<(Vec<f64>, Vec<f64>)> = (0..cn.div_ceil(2))
            .into_par_iter()
            .map_init(
                || {
                    (
                        a.new_scratch(),
                        vec![C64::default(); bd],
                        vec![C64::default(); bd],
                    )
                },
                |(s, x, y), pair| {
                    let (k, l) = (2 * pair, 2 * pair + 1);
                    let mut terms = sw.herm_terms(k);
                    if l < cn {
                        terms.extend(sw.herm_terms(l).into_iter().map(|(j, v)| (j, v * i)));
                    }
                    sw.prolong_sparse(&terms, x);
                    a.apply_with(x, y, s);
                    let mut c = vec![C64::default(); cn];
                    sw.restrict(y, &mut c, Par::Seq);
                    let g = sw.to_herm(&c);
                    (
                        g.iter().map(|v| v.re).collect(),
                        g.iter().map(|v| v.im).collect(),
                    )
                },
            )
            .collect();
        let t_cols = t0.elapsed().as_secs_f64();
        let e = Mat::<f64>::from_fn(cn, cn, |r, c| {
            let (re, im) = &cols[c / 2];
            if c % 2 == 0 {
                re[r]
            } else {
                im[r]
            }
        });
        drop(cols);
        let lu = e.partial_piv_lu();
        if std::env::var("SQZ_TRACE").is_ok() {
            eprintln!(
                "coarse: columns {t_cols:.2} s, LU {:.2} s",
                t0.elapsed().as_secs_f64() - t_cols
            );
        }
        let e = (cn <= 2000).then_some(e);
        Ok(Self {
            sw,
            lu,
            e,
            build_seconds: t0.elapsed().as_secs_f64(),
        })
    }

    /// `g <- E^{-1} g` for complex Hermitian coordinates (the real LU on both parts).
    fn solve_herm(&self, g: &mut [C64]) {
        let mut m = Mat::<f64>::from_fn(g.len(), 2, |r, c| if c == 0 { g[r].re } else { g[r].im });
        self.lu.solve_in_place(m.as_mut());
        g.iter_mut()
            .enumerate()
            .for_each(|(r, v)| *v = C64::new(m[(r, 0)], m[(r, 1)]));
    }

    /// Eigenvalues of `E` (Petrov-Galerkin approximations of the slow eigenvalues of `A`), if `E`
    /// was kept.
    pub fn eigenvalues(&self) -> Option<Vec<C64>> {
        self.e.as_ref()?.eigenvalues().ok()
    }

    /// Estimate of the gap, the slowest nonzero relaxation rate `min |Re lambda|`: the Ritz values
    /// of `A` on the coarse space (eigenvalues of `E` nearest zero, by shift-invert Arnoldi with
    /// the LU), the deflated eigenvalue `-1` (whose eigenvector carries the trace) excluded.
    /// Galerkin values miss the second-order term of the slow rates: against the dense spectrum
    /// they are within a factor 2 either way (observed 0.6 .. 1.35 for N = 4..6, w = 0.001..0.5 pi; see the tests), hence the factor 2 in the error bound.
    pub fn gap_estimate(&self) -> Result<(f64, usize), String> {
        struct Inv<'a>(&'a Coarse);
        impl LinearOperator for Inv<'_> {
            fn dim(&self) -> usize {
                self.0.dim()
            }
            fn apply(&self, x: &[C64], y: &mut [C64]) {
                y.copy_from_slice(x);
                self.0.solve_herm(y);
            }
        }
        let m = self.dim();
        if m < 3 {
            return Err("coarse space too small for a gap estimate".into());
        }
        let tr = self.sw.trace_indices();
        let start: Vec<C64> = (0..m)
            .map(|i| C64::new(1.0 + (i % 7) as f64 * 0.1, 0.05 * (i % 3) as f64))
            .collect();
        let res = eigs_largest(
            &Inv(self),
            &start,
            &EigParams {
                nev: 8.min(m - 1),
                krylov_dim: 40.min(m),
                tol: 1e-8,
                max_restarts: 40,
            },
        )
        .map_err(|e| format!("gap estimate failed: {e}"))?;
        let mut g = f64::INFINITY;
        for (mu, v) in res.values.iter().zip(&res.vectors) {
            let tv: C64 = tr.iter().map(|&i| v[i]).sum();
            let vn = v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
            if tv.norm() > 1e-6 * vn * (tr.len() as f64).sqrt() {
                continue;
            }
            g = g.min((1.0 / mu).re.abs());
        }
        if g.is_finite() {
            Ok((g, res.matvecs))
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
        let mut g = self.sw.to_herm(&c);
        self.solve_herm(&mut g);
        self.sw.prolong(&self.sw.from_herm(&g), x);
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
    let gap = if sp.estimate_gap {
        match coarse.gap_estimate() {
            Ok((g, _)) => Some(g),
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
