//! Restarted GMRES with right preconditioning (Saad & Schultz 1986), for `A x = b`, over `f64`
//! or `C64`.
//!
//! The caller sees [`GmresParams`] (with `Default`), a [`GmresWorkspace`] that holds the Krylov
//! basis and can be reused across solves (its bytes are known in advance,
//! [`GmresWorkspace::bytes`]), gets a [`GmresInfo`] of what was done, and a
//! [`KrylovError::NoConvergence`] carrying the residual reached when the budget runs out.
//!
//! Orthogonalisation: classical Gram-Schmidt with the fused one-sweep kernels of [`crate::orth`]
//! and a second pass when the first removed most of the vector (the DGKS criterion
//! `|w_after| < DGKS_ETA |w_before|`). The new vector `A M v_k` is written straight into the slot
//! of `v_{k+1}`.

use crate::linop::{Identity, LinOp};
use crate::orth::{axpy, gs_dots, gs_update, norm2, scale_in_place, GS_TASKS};
use crate::scalar::Scalar;
use crate::{KrylovError, C64};

/// DGKS re-orthogonalisation threshold.
const DGKS_ETA: f64 = std::f64::consts::FRAC_1_SQRT_2;

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

/// `r = b - A x` at a restart, its norm recorded in `info`: `Ok(None)` when
/// `|r| <= rel_tol |b|` (`bnorm`), `Err(NoConvergence)` when `info.iterations >= max_iters`, else
/// `Ok(Some(|r|))`. Shared by the restarted solvers (GMRES, GMRES-DR, recycled GMRES-DR).
#[allow(clippy::too_many_arguments)]
pub(crate) fn restart_residual<T: Scalar, A: LinOp<T> + ?Sized>(
    a: &A,
    sa: &mut A::Scratch,
    b: &[T],
    x: &[T],
    r: &mut [T],
    bnorm: f64,
    rel_tol: f64,
    max_iters: usize,
    info: &mut GmresInfo,
) -> Result<Option<f64>, KrylovError> {
    a.apply(x, r, sa);
    r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = *bi - *ri);
    let beta = norm2(r);
    info.residual = beta;
    info.rel_residual = beta / bnorm;
    if info.rel_residual <= rel_tol {
        return Ok(None);
    }
    if info.iterations >= max_iters {
        return Err(KrylovError::NoConvergence {
            iterations: info.iterations,
            abs_residual: beta,
            rel_residual: beta / bnorm,
        });
    }
    Ok(Some(beta))
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

/// The memory of a GMRES(m) solve of dimension `n`: the basis (`m + 1` vectors, one block),
/// three work vectors and the small Hessenberg data. Reusable across solves of the same size.
#[derive(Debug, Clone)]
pub struct GmresWorkspace<T> {
    n: usize,
    m: usize,
    basis: Vec<T>,
    z: Vec<T>,
    r: Vec<T>,
    partial: Vec<T>,
    arch: pulp::Arch,
}

impl<T: Scalar> GmresWorkspace<T> {
    /// A workspace for dimension `n` and restart length `restart`.
    pub fn new(n: usize, restart: usize) -> Self {
        let m = restart.max(1).min(n.max(1));
        Self {
            n,
            m,
            basis: vec![T::default(); n * (m + 1)],
            z: vec![T::default(); n],
            r: vec![T::default(); n],
            partial: vec![T::default(); GS_TASKS * (m + 2)],
            arch: pulp::Arch::new(),
        }
    }

    /// Bytes of [`GmresWorkspace::new`]`(n, restart)`.
    pub fn bytes(n: usize, restart: usize) -> u64 {
        let m = restart.max(1).min(n.max(1)) as u64;
        (std::mem::size_of::<T>() as u64) * ((n as u64) * (m + 3) + GS_TASKS as u64 * (m + 2))
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Restart length.
    pub fn restart(&self) -> usize {
        self.m
    }
}

/// Solves `A x = b` by GMRES(`restart`) with the right preconditioner `M` (`A M y = b`,
/// `x = M y`); `x` holds the initial guess on entry. `ws` must have the operator's dimension; its
/// restart length is used (`p.restart` is ignored).
///
/// # Panics
/// If the lengths of `b`, `x`, the operators and the workspace differ.
#[allow(clippy::too_many_arguments)]
pub fn gmres_with<T, A, M>(
    a: &A,
    sa: &mut A::Scratch,
    m: &M,
    sm: &mut M::Scratch,
    b: &[T],
    x: &mut [T],
    p: &GmresParams,
    ws: &mut GmresWorkspace<T>,
) -> Result<GmresInfo, KrylovError>
where
    T: Scalar,
    A: LinOp<T> + ?Sized,
    M: LinOp<T> + ?Sized,
{
    let n = a.dim();
    assert!(
        b.len() == n && x.len() == n && m.dim() == n && ws.n == n,
        "gmres: length mismatch"
    );
    let mr = ws.m;
    let bnorm = norm2(b).max(f64::MIN_POSITIVE);
    let mut hcol = vec![T::default(); mr + 2];
    let mut h = vec![vec![T::default(); mr]; mr + 1]; // h[i][j]
    let (mut cs, mut sn) = (vec![T::default(); mr], vec![T::default(); mr]);
    let mut g = vec![T::default(); mr + 1];
    let mut info = GmresInfo::default();
    let arch = ws.arch;
    loop {
        // r = b - A x
        let Some(beta) = restart_residual(
            a,
            sa,
            b,
            x,
            &mut ws.r,
            bnorm,
            p.rel_tol,
            p.max_iters,
            &mut info,
        )?
        else {
            return Ok(info);
        };
        ws.basis[..n].copy_from_slice(&ws.r);
        scale_in_place(&mut ws.basis[..n], 1.0 / beta);
        g.iter_mut().for_each(|v| *v = T::default());
        g[0] = T::from_re(beta);
        let mut k_used = 0;
        for k in 0..mr {
            // v_{k+1} slot <- A M v_k
            {
                let (done, rest) = ws.basis.split_at_mut((k + 1) * n);
                let vk = &done[k * n..];
                let w = &mut rest[..n];
                m.apply(vk, &mut ws.z, sm);
                a.apply(&ws.z, w, sa);
            }
            info.iterations += 1;
            let hn = {
                let (done, rest) = ws.basis.split_at_mut((k + 1) * n);
                let w = &mut rest[..n];
                let c = &mut hcol[..k + 1];
                let before = gs_dots(arch, done, n, k + 1, w, c, &mut ws.partial).sqrt();
                let mut s = gs_update(arch, done, n, k + 1, c, w).sqrt();
                if s < DGKS_ETA * before {
                    let mut c2 = vec![T::default(); k + 1];
                    gs_dots(arch, done, n, k + 1, w, &mut c2, &mut ws.partial);
                    s = gs_update(arch, done, n, k + 1, &c2, w).sqrt();
                    c.iter_mut().zip(&c2).for_each(|(a, b)| *a += *b);
                }
                s
            };
            hcol[k + 1] = T::from_re(hn);
            rotate_column(&mut hcol, &mut cs, &mut sn, &mut g, k);
            for i in 0..=k {
                h[i][k] = hcol[i];
            }
            k_used = k + 1;
            if hn > 0.0 {
                scale_in_place(&mut ws.basis[(k + 1) * n..(k + 2) * n], 1.0 / hn);
            }
            if g[k + 1].abs() <= p.rel_tol * bnorm * 0.5
                || hn == 0.0
                || info.iterations >= p.max_iters
            {
                break;
            }
        }
        let y = back_substitute(&h, &g, k_used);
        // x += M (V y)
        ws.r.iter_mut().for_each(|v| *v = T::default());
        for (j, yj) in y.iter().enumerate() {
            axpy(*yj, &ws.basis[j * n..(j + 1) * n], &mut ws.r);
        }
        m.apply(&ws.r, &mut ws.z, sm);
        axpy(T::from_re(1.0), &ws.z, x);
        info.restarts += 1;
    }
}

/// Applies the previous Givens rotations `(cs, sn)[..k]` to the new Hessenberg column `hcol`
/// (`hcol[..=k+1]`), then a new one, stored at `k`, that zeroes `hcol[k+1]`; rotates `g` with it.
fn rotate_column<T: Scalar>(hcol: &mut [T], cs: &mut [T], sn: &mut [T], g: &mut [T], k: usize) {
    // apply previous rotations
    for i in 0..k {
        let t = cs[i].conj() * hcol[i] + sn[i].conj() * hcol[i + 1];
        hcol[i + 1] = -sn[i] * hcol[i] + cs[i] * hcol[i + 1];
        hcol[i] = t;
    }
    // new rotation zeroing hcol[k+1]
    let (a0, b0) = (hcol[k], hcol[k + 1]);
    let den = (a0.abs2() + b0.abs2()).sqrt();
    let (c, s) = if den == 0.0 {
        (T::from_re(1.0), T::default())
    } else {
        (a0 * T::from_re(1.0 / den), b0 * T::from_re(1.0 / den))
    };
    cs[k] = c;
    sn[k] = s;
    hcol[k] = c.conj() * a0 + s.conj() * b0;
    hcol[k + 1] = T::default();
    g[k + 1] = -s * g[k];
    g[k] = c.conj() * g[k];
}

/// The solution `y` of the triangular system `h[..k][..k] y = g[..k]` (a zero pivot gives 0).
fn back_substitute<T: Scalar>(h: &[Vec<T>], g: &[T], k: usize) -> Vec<T> {
    let mut y = vec![T::default(); k];
    for i in (0..k).rev() {
        let mut s = g[i];
        for j in i + 1..k {
            s -= h[i][j] * y[j];
        }
        y[i] = if h[i][i] == T::default() {
            T::default()
        } else {
            s / h[i][i]
        };
    }
    y
}

/// [`gmres_with`] with fresh scratch for `a` and `m` (from [`LinOp::new_scratch`]) and a fresh
/// workspace of `p.restart` vectors; `m = None` is no preconditioner.
///
/// # Panics
/// If the lengths of `b`, `x` and the operator dimensions differ.
pub fn gmres<A, M>(
    a: &A,
    m: Option<&M>,
    b: &[C64],
    x: &mut [C64],
    p: &GmresParams,
) -> Result<GmresInfo, KrylovError>
where
    A: LinOp<C64> + ?Sized,
    M: LinOp<C64> + ?Sized,
{
    let n = a.dim();
    let mut ws = GmresWorkspace::<C64>::new(n, p.restart);
    let mut sa = a.new_scratch();
    match m {
        Some(m) => gmres_with(a, &mut sa, m, &mut m.new_scratch(), b, x, p, &mut ws),
        None => gmres_with(a, &mut sa, &Identity(n), &mut (), b, x, p, &mut ws),
    }
}
