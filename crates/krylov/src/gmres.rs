//! Restarted GMRES with right preconditioning (Saad & Schultz 1986), for `A x = b`.
//!
//! The caller sees [`GmresParams`] (with `Default`), gets a [`GmresInfo`] of what was done, and a
//! [`KrylovError::NoConvergence`] carrying the residual reached when the budget runs out.

use crate::dense::{axpy, norm, orthogonalize, scale};
use crate::{KrylovError, LinearOperator, C64};

/// Parameters of [`gmres`].
#[derive(Debug, Clone, Copy)]
pub struct GmresParams {
    /// Krylov dimension between restarts
    pub restart: usize,
    /// total iteration (operator application) budget
    pub max_iters: usize,
    /// stop when `|b - A x| <= rel_tol |b|`
    pub rel_tol: f64,
}

impl Default for GmresParams {
    fn default() -> Self {
        Self {
            restart: 60,
            max_iters: 3000,
            rel_tol: 1e-12,
        }
    }
}

/// What [`gmres`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GmresInfo {
    /// operator applications
    pub iterations: usize,
    /// restarts
    pub restarts: usize,
    /// `|b - A x|` at the end (recomputed, not the recurrence estimate)
    pub residual: f64,
    /// `residual / |b|`
    pub rel_residual: f64,
}

/// Solves `A x = b` by GMRES(`restart`) with an optional right preconditioner `M` (`A M y = b`,
/// `x = M y`); `x` holds the initial guess on entry.
///
/// # Panics
/// If the lengths of `b`, `x` and the operator dimensions differ.
pub fn gmres(
    a: &dyn LinearOperator,
    m: Option<&dyn LinearOperator>,
    b: &[C64],
    x: &mut [C64],
    p: &GmresParams,
) -> Result<GmresInfo, KrylovError> {
    let n = a.dim();
    assert!(b.len() == n && x.len() == n, "gmres: length mismatch");
    let mr = p.restart.max(1).min(n.max(1));
    let bnorm = norm(b).max(f64::MIN_POSITIVE);
    let mut basis: Vec<Vec<C64>> = (0..=mr).map(|_| vec![C64::default(); n]).collect();
    let mut w = vec![C64::default(); n];
    let mut z = vec![C64::default(); n];
    let mut r = vec![C64::default(); n];
    let mut hcol = vec![C64::default(); mr + 1];
    let mut h = vec![vec![C64::default(); mr]; mr + 1]; // h[i][j]
    let (mut cs, mut sn) = (vec![C64::default(); mr], vec![C64::default(); mr]);
    let mut g = vec![C64::default(); mr + 1];
    let mut info = GmresInfo::default();
    loop {
        // r = b - A x
        a.apply(x, &mut r);
        r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
        let beta = norm(&r);
        info.residual = beta;
        info.rel_residual = beta / bnorm;
        if info.rel_residual <= p.rel_tol {
            return Ok(info);
        }
        if info.iterations >= p.max_iters {
            return Err(KrylovError::NoConvergence {
                iterations: info.iterations,
                abs_residual: beta,
                rel_residual: beta / bnorm,
            });
        }
        basis[0].copy_from_slice(&r);
        scale(C64::new(1.0 / beta, 0.0), &mut basis[0]);
        g.iter_mut().for_each(|v| *v = C64::default());
        g[0] = C64::new(beta, 0.0);
        let mut k_used = 0;
        for k in 0..mr {
            // w = A M v_k
            match m {
                Some(m) => {
                    m.apply(&basis[k], &mut z);
                    a.apply(&z, &mut w);
                }
                None => a.apply(&basis[k], &mut w),
            }
            info.iterations += 1;
            let hn = orthogonalize(&basis, k + 1, &mut w, &mut hcol);
            hcol[k + 1] = C64::new(hn, 0.0);
            // apply previous rotations
            for i in 0..k {
                let t = cs[i].conj() * hcol[i] + sn[i].conj() * hcol[i + 1];
                hcol[i + 1] = -sn[i] * hcol[i] + cs[i] * hcol[i + 1];
                hcol[i] = t;
            }
            // new rotation zeroing hcol[k+1]
            let (a0, b0) = (hcol[k], hcol[k + 1]);
            let den = (a0.norm_sqr() + b0.norm_sqr()).sqrt();
            let (c, s) = if den == 0.0 {
                (C64::new(1.0, 0.0), C64::default())
            } else {
                (a0 / den, b0 / den)
            };
            cs[k] = c;
            sn[k] = s;
            hcol[k] = c.conj() * a0 + s.conj() * b0;
            hcol[k + 1] = C64::default();
            g[k + 1] = -s * g[k];
            g[k] = c.conj() * g[k];
            for i in 0..=k {
                h[i][k] = hcol[i];
            }
            k_used = k + 1;
            if hn > 0.0 {
                basis[k + 1].copy_from_slice(&w);
                scale(C64::new(1.0 / hn, 0.0), &mut basis[k + 1]);
            }
            if g[k + 1].norm() <= p.rel_tol * bnorm * 0.5
                || hn == 0.0
                || info.iterations >= p.max_iters
            {
                break;
            }
        }
        // solve the triangular system h y = g
        let mut y = vec![C64::default(); k_used];
        for i in (0..k_used).rev() {
            let mut s = g[i];
            for j in i + 1..k_used {
                s -= h[i][j] * y[j];
            }
            y[i] = if h[i][i] == C64::default() {
                C64::default()
            } else {
                s / h[i][i]
            };
        }
        // x += M (V y)
        w.iter_mut().for_each(|v| *v = C64::default());
        for (j, yj) in y.iter().enumerate() {
            axpy(*yj, &basis[j], &mut w);
        }
        match m {
            Some(m) => {
                m.apply(&w, &mut z);
                axpy(C64::new(1.0, 0.0), &z, x);
            }
            None => axpy(C64::new(1.0, 0.0), &w, x),
        }
        info.restarts += 1;
    }
}
