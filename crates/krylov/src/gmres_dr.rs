//! GMRES with deflated restarting, GMRES-DR(m, k) (R. B. Morgan, SIAM J. Sci. Comput. 24, 20
//! (2002)), with right preconditioning, for real `A x = b`.
//!
//! Restarted GMRES(m) forgets its Krylov space at every restart. When the preconditioned
//! operator `A M` has a few eigenvalues near zero that a cycle of `m` steps cannot resolve, every
//! cycle starts again from nothing and the residual stagnates (the failing configurations of the
//! two-level steady-state solver at strong disorder, docs/numerics.md). GMRES-DR keeps the `k`
//! harmonic Ritz vectors of smallest harmonic Ritz value across the restart: the next cycle starts
//! from an Arnoldi-like relation `A M V_k = V_{k+1} Hbar_k` on those vectors plus the residual,
//! so the slow modes are deflated as if the Krylov space had never been thrown away, at the
//! memory of GMRES(m).
//!
//! One cycle: (1) Arnoldi from column `j0` (0 in the first cycle, `k` after) to `m`, with the
//! same fused classical Gram-Schmidt and DGKS second pass as [`crate::gmres_with`]; the least
//! squares problem `min |c - Hbar d|` is kept in QR form by Givens rotations (the leading
//! `(k+1) x k` block after a deflated restart is full, so it gets a column of rotations each);
//! (2) `x += M V d`; (3) the harmonic Ritz pairs of `Hbar`: `(H + f h^T) g = theta g` with `H` the
//! square part, `h` the last row and `H^T f = h`; the `k` of smallest `|theta|` (a complex pair is
//! kept whole, as its real and imaginary parts); (4) `P = orth[g_1 .. g_k (padded with a zero), s]`
//! with `s = c - Hbar d` the residual's coordinates; the new basis is `V P`, the new `Hbar` is
//! `P^T Hbar P_k`, the new `c` is `P^T s`.
//!
//! The residual is tracked in the coefficients (no extra operator application per cycle); when
//! that estimate reaches the tolerance the true residual `b - A x` is computed, and if it misses
//! (drift of the recurrence) a plain cycle is started from it.
//!
//! Memory: the same as GMRES(m), `m + 1` basis vectors and three work vectors
//! ([`GmresDrWorkspace::bytes`]), plus `(k + 1)` vectors of `GS_BLOCK` rows while the basis is
//! rotated.

use crate::gmres::{restart_residual, GmresInfo};
use crate::linop::LinOp;
use crate::orth::{axpy, gs_dots, gs_update, norm2, scale_in_place, GS_TASKS};
use crate::KrylovError;
use faer::Mat;
use rayon::prelude::*;

/// DGKS re-orthogonalisation threshold (as in [`crate::gmres_with`]).
const DGKS_ETA: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// Rows per task when the basis is rotated onto the harmonic Ritz vectors.
const ROTATE_ROWS: usize = 4096;
/// A harmonic Ritz vector whose component orthogonal to the ones already kept is below this
/// fraction of its norm is dropped (the deflation space would be numerically dependent).
const DEPENDENT_TOL: f64 = 1e-10;

/// Parameters of [`gmres_dr_with`].
#[derive(Debug, Clone, Copy)]
pub struct GmresDrParams {
    /// harmonic Ritz vectors kept across a restart (`k`; 0 gives plain GMRES(m))
    pub deflate: usize,
    /// total iteration (operator application) budget
    pub max_iters: usize,
    /// stop when `|b - A x| <= rel_tol |b|`
    pub rel_tol: f64,
    /// stop early, with [`KrylovError::NoConvergence`] before the budget is spent, when the
    /// residual fell by less than [`STALL_FACTOR`] over the last `stall_cycles` cycles (0: never)
    pub stall_cycles: usize,
    /// counters to record every Krylov step in, for a console that reports the progress of a
    /// long solve (`None`: none); the solve does not depend on it
    pub progress: Option<&'static crate::Progress>,
}

/// The reduction of the residual over [`GmresDrParams::stall_cycles`] cycles below which the
/// iteration counts as stagnating.
pub const STALL_FACTOR: f64 = 2.0;

/// The memory of a GMRES-DR(m, k) solve of dimension `n` (the basis, `m + 1` vectors, and three
/// work vectors). Reusable across solves of the same size.
#[derive(Debug, Clone)]
pub struct GmresDrWorkspace {
    n: usize,
    m: usize,
    basis: Vec<f64>,
    z: Vec<f64>,
    r: Vec<f64>,
    partial: Vec<f64>,
    arch: pulp::Arch,
    kept: usize,
    /// `B` with `|A M W c| = |B c|` for the kept vectors `W` (column-major, `kept` columns)
    image: Vec<f64>,
}

impl GmresDrWorkspace {
    /// A workspace for dimension `n` and cycle length `restart` (`m`).
    pub fn new(n: usize, restart: usize) -> Self {
        let m = restart.max(1).min(n.max(1));
        Self {
            n,
            m,
            basis: vec![0.0; n * (m + 1)],
            z: vec![0.0; n],
            r: vec![0.0; n],
            partial: vec![0.0; GS_TASKS * (m + 2)],
            arch: pulp::Arch::new(),
            kept: 0,
            image: Vec::new(),
        }
    }

    /// After a converged [`gmres_dr_with`]: an orthonormal basis of the harmonic Ritz vectors of
    /// `A M` with the smallest harmonic Ritz values (the slow modes of the preconditioned
    /// operator that the last cycle saw), as `count` column-major vectors of the dimension, and
    /// `count`. Empty when the solve kept none (`deflate = 0`, or its last cycle was too short).
    pub fn ritz_basis(&self) -> (&[f64], usize) {
        (&self.basis[..self.kept * self.n], self.kept)
    }

    /// The image of the kept vectors `W` under the preconditioned operator in coordinates: a
    /// column-major matrix `B` with `count` columns (its row count is `len / count`) such that
    /// `|A M W c| = |B c|` for every `c` (from the Arnoldi relation of the cycle they came from,
    /// so no application of `A` is needed).
    pub fn ritz_image(&self) -> &[f64] {
        &self.image
    }

    /// [`GmresDrWorkspace::ritz_basis`] and the rest of the basis memory (`m + 1 - count`
    /// vectors), free for the caller's use until the next solve.
    pub fn ritz_basis_and_free(&mut self) -> (&[f64], &mut [f64], usize) {
        let (r, f) = self.basis.split_at_mut(self.kept * self.n);
        (r, f, self.kept)
    }

    /// Bytes of [`GmresDrWorkspace::new`]`(n, restart)`.
    pub fn bytes(n: usize, restart: usize) -> u64 {
        let m = restart.max(1).min(n.max(1)) as u64;
        8 * ((n as u64) * (m + 3) + GS_TASKS as u64 * (m + 2))
    }

    /// Cycle length `m`.
    pub fn restart(&self) -> usize {
        self.m
    }
}

/// The least-squares problem of one cycle, `min |c - Hbar d|`, in QR form by Givens rotations.
struct Lsq {
    /// `Hbar` as built (row-major `(m+1) x m`), kept for the harmonic Ritz step
    h: Vec<f64>,
    /// the triangular factor, column by column (`r[j][0..=j]`)
    r: Vec<Vec<f64>>,
    /// rotations `(row i, c, s)` acting on rows `i, i+1`, in order
    rot: Vec<(usize, f64, f64)>,
    /// rotated right-hand side
    g: Vec<f64>,
    m: usize,
}

impl Lsq {
    fn new(m: usize, c: &[f64]) -> Self {
        let mut g = vec![0.0; m + 1];
        g[..c.len()].copy_from_slice(c);
        Self {
            h: vec![0.0; (m + 1) * m],
            r: Vec::with_capacity(m),
            rot: Vec::new(),
            g,
            m,
        }
    }

    /// Adds column `j` (`col[0..=last]`, zero below), returns the residual norm estimate.
    fn push(&mut self, col: &[f64], last: usize) -> f64 {
        let j = self.r.len();
        let m = self.m;
        for (i, v) in col.iter().enumerate().take(last + 1) {
            self.h[i * m + j] = *v;
        }
        let mut hc = vec![0.0; m + 1];
        hc[..=last].copy_from_slice(&col[..=last]);
        for &(i, c, s) in &self.rot {
            let (a, b) = (hc[i], hc[i + 1]);
            hc[i] = c * a + s * b;
            hc[i + 1] = -s * a + c * b;
        }
        for i in (j + 1..=last).rev() {
            let (a, b) = (hc[i - 1], hc[i]);
            let den = a.hypot(b);
            let (c, s) = if den == 0.0 {
                (1.0, 0.0)
            } else {
                (a / den, b / den)
            };
            hc[i - 1] = den;
            hc[i] = 0.0;
            let (ga, gb) = (self.g[i - 1], self.g[i]);
            self.g[i - 1] = c * ga + s * gb;
            self.g[i] = -s * ga + c * gb;
            self.rot.push((i - 1, c, s));
        }
        self.r.push(hc[..=j].to_vec());
        self.g[j + 1..].iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// The least-squares solution `d` for the columns pushed so far.
    fn solve(&self) -> Vec<f64> {
        let k = self.r.len();
        let mut y = vec![0.0; k];
        for i in (0..k).rev() {
            let mut s = self.g[i];
            for j in i + 1..k {
                s -= self.r[j][i] * y[j];
            }
            y[i] = if self.r[i][i] == 0.0 {
                0.0
            } else {
                s / self.r[i][i]
            };
        }
        y
    }
}

/// The deflation data for the next cycle: `P` (`(m+1) x (kk+1)`, column-major), the new `Hbar`
/// (`(kk+1) x kk`, column-major) and the new `c` (`kk + 1`). `None` when no harmonic Ritz vector
/// can be kept (the next cycle is then a plain one).
struct Deflation {
    p: Vec<f64>,
    hbar: Vec<f64>,
    c: Vec<f64>,
    kk: usize,
    /// `Hbar P_k` (`(m+1) x kk`, column-major): `A M V P_k = V_{m+1} Hbar P_k`, so its columns
    /// give `|A M w|` for the new vectors `w` without applying `A`
    image: Vec<f64>,
}

/// Orthonormalises `v` against the first `cols` columns of `q` (column-major, `rows` rows), twice;
/// returns the norm left before normalising.
fn orth_against(q: &[f64], rows: usize, cols: usize, v: &mut [f64]) -> f64 {
    let before = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _ in 0..2 {
        for j in 0..cols {
            let qj = &q[j * rows..(j + 1) * rows];
            let d: f64 = qj.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(qj).for_each(|(x, q)| *x -= d * q);
        }
    }
    let after = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if after > DEPENDENT_TOL * before.max(f64::MIN_POSITIVE) {
        v.iter_mut().for_each(|x| *x /= after);
    }
    after / before.max(f64::MIN_POSITIVE)
}

/// Classical Gram-Schmidt of `w` against the first `cnt` vectors of `done` (fused, as in
/// [`crate::gmres_with`]) with a DGKS second pass; the coefficients go to `c[..cnt]`. Returns the
/// norms of `w` before and after.
fn orthogonalize(
    arch: pulp::Arch,
    done: &[f64],
    n: usize,
    cnt: usize,
    w: &mut [f64],
    c: &mut [f64],
    partial: &mut [f64],
) -> (f64, f64) {
    let c = &mut c[..cnt];
    let before = gs_dots(arch, done, n, cnt, w, c, partial).sqrt();
    let mut s = gs_update(arch, done, n, cnt, c, w).sqrt();
    if s < DGKS_ETA * before {
        let mut c2 = vec![0.0; cnt];
        gs_dots(arch, done, n, cnt, w, &mut c2, partial);
        s = gs_update(arch, done, n, cnt, &c2, w).sqrt();
        c.iter_mut().zip(&c2).for_each(|(a, b)| *a += *b);
    }
    (before, s)
}

/// Step (3)-(4) of the module docs for the columns of the cycle in `lsq`.
fn deflation(lsq: &Lsq, d: &[f64], c: &[f64], k: usize, residual: bool) -> Option<Deflation> {
    let stride = lsq.m;
    // the columns of this cycle (fewer than the cycle length when it stopped early)
    let m = lsq.r.len();
    let h = |i: usize, j: usize| lsq.h[i * stride + j];
    // s = c - Hbar d
    let mut s = vec![0.0; m + 1];
    s[..c.len()].copy_from_slice(c);
    for i in 0..=m {
        s[i] -= (0..m).map(|j| h(i, j) * d[j]).sum::<f64>();
    }
    // harmonic Ritz: (H + f h^T) g = theta g, H^T f = h (h the last row)
    let hm = Mat::<f64>::from_fn(m, m, &h);
    let hrow: Vec<f64> = (0..m).map(|j| h(m, j)).collect();
    let ht = hm.transpose().to_owned();
    // the projected matrices are small: sequential, whatever the process-global setting
    let seq = faer::Par::Seq;
    let lu = crate::par_dense::Lu::new(ht.as_ref(), seq);
    let rhs = Mat::<f64>::from_fn(m, 1, |i, _| hrow[i]);
    let f = lu.solve(rhs.as_ref(), seq);
    if (0..m).any(|i| !f[(i, 0)].is_finite()) {
        return None;
    }
    let gm = Mat::<f64>::from_fn(m, m, |i, j| hm[(i, j)] + f[(i, 0)] * hrow[j]);
    let eig = crate::par_dense::eigen_real(gm.as_ref(), seq).ok()?;
    let vals = &eig.s;
    let vecs = eig.u.as_ref();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| {
        let (va, vb) = (vals[a], vals[b]);
        (va.re.hypot(va.im)).total_cmp(&vb.re.hypot(vb.im))
    });
    // real basis of the k smallest: a complex pair enters once, as Re and Im
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut used_pair = vec![false; m];
    for &i in &order {
        if cols.len() >= k {
            break;
        }
        let v = vals[i];
        if !(v.re.is_finite() && v.im.is_finite()) {
            continue;
        }
        if v.im.abs() > 1e-12 * v.re.hypot(v.im) {
            if used_pair[i] {
                continue;
            }
            // mark the conjugate partner
            if let Some(jp) = (0..m).find(|&j| {
                j != i
                    && !used_pair[j]
                    && (vals[j].re - v.re).abs() <= 1e-10 * v.re.hypot(v.im)
                    && (vals[j].im + v.im).abs() <= 1e-10 * v.re.hypot(v.im)
            }) {
                used_pair[jp] = true;
            }
            used_pair[i] = true;
            cols.push((0..m).map(|r| vecs[(r, i)].re).collect());
            cols.push((0..m).map(|r| vecs[(r, i)].im).collect());
        } else {
            used_pair[i] = true;
            cols.push((0..m).map(|r| vecs[(r, i)].re).collect());
        }
    }
    // P: orthonormal columns [g_1 .. g_kk | s], rows m+1
    let rows = m + 1;
    let mut p: Vec<f64> = Vec::with_capacity(rows * (cols.len() + 1));
    let mut kk = 0;
    for g in cols {
        let mut v = g;
        v.push(0.0);
        if orth_against(&p, rows, kk, &mut v) > DEPENDENT_TOL {
            p.extend_from_slice(&v);
            kk += 1;
        }
    }
    if kk == 0 {
        return None;
    }
    let mut sv = s.clone();
    if orth_against(&p, rows, kk, &mut sv) <= DEPENDENT_TOL {
        if residual {
            return None;
        }
        // only the Ritz vectors are wanted: any unit vector orthogonal to them will do
        sv = vec![0.0; rows];
        sv[m] = 1.0;
    }
    p.extend_from_slice(&sv);
    // new Hbar = P^T Hbar P_k  ((kk+1) x kk), P_k: the first kk columns without the last row
    let mut hp = vec![0.0; rows * kk]; // Hbar P_k, column-major (m+1) x kk
    for j in 0..kk {
        let pj = &p[j * rows..j * rows + m];
        for i in 0..rows {
            hp[j * rows + i] = (0..m).map(|l| h(i, l) * pj[l]).sum();
        }
    }
    let mut hbar = vec![0.0; (kk + 1) * kk];
    for j in 0..kk {
        for i in 0..=kk {
            let pi = &p[i * rows..(i + 1) * rows];
            hbar[j * (kk + 1) + i] = pi
                .iter()
                .zip(&hp[j * rows..(j + 1) * rows])
                .map(|(a, b)| a * b)
                .sum();
        }
    }
    let cnew: Vec<f64> = (0..=kk)
        .map(|i| {
            p[i * rows..(i + 1) * rows]
                .iter()
                .zip(&s)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    Some(Deflation {
        p,
        hbar,
        c: cnew,
        kk,
        image: hp,
    })
}

/// `V[:, 0..=kk] <- V[:, 0..=m] P` in place, block of rows by block of rows.
fn rotate_basis(basis: &mut [f64], n: usize, m: usize, p: &[f64], kk: usize) {
    let rows = m + 1;
    // the basis is column-major (vector j at j*n..): split the rows into chunks, each task reads
    // its rows of every old vector and writes its rows of the new ones
    let nchunks = n.div_ceil(ROTATE_ROWS);
    let new_rows: Vec<(usize, Vec<f64>)> = (0..nchunks)
        .into_par_iter()
        .map(|ch| {
            let lo = ch * ROTATE_ROWS;
            let hi = (lo + ROTATE_ROWS).min(n);
            let len = hi - lo;
            let mut out = vec![0.0; len * (kk + 1)];
            for i in 0..=kk {
                let o = &mut out[i * len..(i + 1) * len];
                for j in 0..rows {
                    let c = p[i * rows + j];
                    if c != 0.0 {
                        let v = &basis[j * n + lo..j * n + hi];
                        o.iter_mut().zip(v).for_each(|(a, b)| *a += c * b);
                    }
                }
            }
            (lo, out)
        })
        .collect();
    for (lo, out) in new_rows {
        let len = out.len() / (kk + 1);
        for i in 0..=kk {
            basis[i * n + lo..i * n + lo + len].copy_from_slice(&out[i * len..(i + 1) * len]);
        }
    }
}

/// Solves `A x = b` by GMRES-DR(m, k) with the right preconditioner `M` (`A M y = b`, `x = M y`);
/// `x` holds the initial guess on entry. `m` is the workspace's cycle length, `k = p.deflate`
/// (clamped to `m - 1`).
///
/// # Panics
/// If the lengths of `b`, `x`, the operators and the workspace differ.
#[allow(clippy::too_many_arguments)]
pub fn gmres_dr_with<A, M>(
    a: &A,
    sa: &mut A::Scratch,
    pre: &M,
    sm: &mut M::Scratch,
    b: &[f64],
    x: &mut [f64],
    p: &GmresDrParams,
    ws: &mut GmresDrWorkspace,
) -> Result<GmresInfo, KrylovError>
where
    A: LinOp<f64> + ?Sized,
    M: LinOp<f64> + ?Sized,
{
    let n = a.dim();
    assert!(
        b.len() == n && x.len() == n && pre.dim() == n && ws.n == n,
        "gmres_dr: length mismatch"
    );
    let mr = ws.m;
    let k = p.deflate.min(mr.saturating_sub(1));
    let bnorm = norm2(b).max(f64::MIN_POSITIVE);
    let arch = ws.arch;
    let mut info = GmresInfo::default();
    // residual estimates at the end of each cycle, for the stagnation test
    let mut history: Vec<f64> = Vec::new();
    ws.kept = 0;
    // None: start a plain cycle from the true residual
    let mut carried: Option<Deflation> = None;
    loop {
        let (mut lsq, j0, c0) = match carried.take() {
            None => {
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
                ws.kept = 0;
                scale_in_place(&mut ws.basis[..n], 1.0 / beta);
                (Lsq::new(mr, &[beta]), 0, vec![beta])
            }
            Some(dfl) => {
                let kk = dfl.kk;
                let mut lsq = Lsq::new(mr, &dfl.c);
                let mut col = vec![0.0; kk + 1];
                for j in 0..kk {
                    col.copy_from_slice(&dfl.hbar[j * (kk + 1)..(j + 1) * (kk + 1)]);
                    lsq.push(&col, kk);
                }
                (lsq, kk, dfl.c)
            }
        };
        let mut used = j0;
        let mut est = f64::INFINITY;
        let mut hcol = vec![0.0; mr + 2];
        for j in j0..mr {
            {
                let (done, rest) = ws.basis.split_at_mut((j + 1) * n);
                let vj = &done[j * n..];
                let w = &mut rest[..n];
                pre.apply(vj, &mut ws.z, sm);
                a.apply(&ws.z, w, sa);
            }
            info.iterations += 1;
            let hn = {
                let (done, rest) = ws.basis.split_at_mut((j + 1) * n);
                orthogonalize(
                    arch,
                    done,
                    n,
                    j + 1,
                    &mut rest[..n],
                    &mut hcol,
                    &mut ws.partial,
                )
                .1
            };
            hcol[j + 1] = hn;
            est = lsq.push(&hcol[..j + 2], j + 1);
            if let Some(pg) = p.progress {
                pg.step(est / bnorm, p.rel_tol);
            }
            used = j + 1;
            if hn > 0.0 {
                scale_in_place(&mut ws.basis[(j + 1) * n..(j + 2) * n], 1.0 / hn);
            }
            if est <= p.rel_tol * bnorm * 0.5 || hn == 0.0 || info.iterations >= p.max_iters {
                break;
            }
        }
        let d = lsq.solve();
        // x += M (V d)
        ws.r.iter_mut().for_each(|v| *v = 0.0);
        for (j, dj) in d.iter().enumerate() {
            axpy(*dj, &ws.basis[j * n..(j + 1) * n], &mut ws.r);
        }
        pre.apply(&ws.r, &mut ws.z, sm);
        axpy(1.0, &ws.z, x);
        info.restarts += 1;
        info.residual = est;
        info.rel_residual = est / bnorm;
        let converged = est <= p.rel_tol * bnorm * 0.5;
        history.push(est);
        let c = p.stall_cycles;
        if !converged
            && c > 0
            && history.len() > c
            && history[history.len() - 1 - c] < STALL_FACTOR * est
        {
            // the true residual of the point reached, then stop (a zero budget: NoConvergence
            // unless the point happens to meet the tolerance)
            return restart_residual(a, sa, b, x, &mut ws.r, bnorm, p.rel_tol, 0, &mut info)
                .map(|_| info);
        }
        if converged && k > 0 && used > k {
            // keep the slow harmonic Ritz vectors of the last cycle for the caller
            // ([`GmresDrWorkspace::ritz_basis`]); the true residual is checked next
            if let Some(dfl) = deflation(&lsq, &d, &c0, k, false) {
                rotate_basis(&mut ws.basis, n, used, &dfl.p, dfl.kk);
                ws.kept = dfl.kk;
                ws.image = dfl.image;
            }
            continue;
        }
        if converged || info.iterations >= p.max_iters || used < mr || k == 0 {
            // the next pass computes the true residual (and returns if it is met or the budget
            // is spent)
            continue;
        }
        carried = deflation(&lsq, &d, &c0, k, true);
        if let Some(dfl) = &carried {
            rotate_basis(&mut ws.basis, n, mr, &dfl.p, dfl.kk);
            ws.kept = dfl.kk;
            ws.image = dfl.image.clone();
        }
    }
}

/// Solves `A x = b` like [`gmres_dr_with`], recycling the harmonic Ritz vectors `W` that the
/// previous solve in `ws` kept ([`GmresDrWorkspace::ritz_basis`]; same `A` and `M`, another
/// right-hand side or starting point): a fixed deflation space for every cycle (GCRO-DR with
/// the recycled space held fixed, Parks et al. 2006). `A M W = C R` with `C` orthonormal is
/// formed once (`kept` applications of `A M`); each cycle takes the true residual `r`, writes it
/// as `C C^T r + beta v_1`, runs Arnoldi on `(I - C C^T) A M` from `v_1` (Gram-Schmidt against
/// `C` and the Krylov vectors together) and solves the least-squares problem over
/// `[C, V]` with `Hbar = [[I, B], [0, H]]`; `x += M (W R^{-1} y_C + V y_V)`. The slow modes of the
/// previous solve are thereby deflated from the first iteration on, where a fresh GMRES-DR would
/// find them again. `W` and [`GmresDrWorkspace::ritz_image`] stay as they were unless the solve
/// hands over to GMRES-DR. Memory: the workspace's; the cycle has `m - 2 kept` Krylov steps.
/// Falls back to [`gmres_dr_with`] when nothing was kept, the cycle would be shorter than 2
/// steps, or `A M W` is numerically dependent, and continues with it from the point reached when
/// the residual falls by less than [`STALL_FACTOR`] over [`RECYCLE_STALL_CYCLES`] cycles (a
/// fixed space does not adapt; `p.stall_cycles` then applies to the GMRES-DR part).
///
/// # Panics
/// If the lengths of `b`, `x`, the operators and the workspace differ.
#[allow(clippy::too_many_arguments)]
pub fn gmres_recycled_with<A, M>(
    a: &A,
    sa: &mut A::Scratch,
    pre: &M,
    sm: &mut M::Scratch,
    b: &[f64],
    x: &mut [f64],
    p: &GmresDrParams,
    ws: &mut GmresDrWorkspace,
) -> Result<GmresInfo, KrylovError>
where
    A: LinOp<f64> + ?Sized,
    M: LinOp<f64> + ?Sized,
{
    let n = a.dim();
    assert!(
        b.len() == n && x.len() == n && pre.dim() == n && ws.n == n,
        "gmres_recycled: length mismatch"
    );
    let (kk, mr) = (ws.kept, ws.m);
    if kk == 0 || mr < 2 * kk + 2 {
        return gmres_dr_with(a, sa, pre, sm, b, x, p, ws);
    }
    let arch = ws.arch;
    let bnorm = norm2(b).max(f64::MIN_POSITIVE);
    let mut info = GmresInfo::default();
    // C = A M W, orthonormalised column by column: A M W = C R (R column-major, kk x kk)
    let mut rmat = vec![0.0; kk * kk];
    let mut coef = vec![0.0; kk];
    for j in 0..kk {
        let (wpart, cv) = ws.basis.split_at_mut(kk * n);
        pre.apply(&wpart[j * n..(j + 1) * n], &mut ws.z, sm);
        let (cdone, crest) = cv.split_at_mut(j * n);
        let cj = &mut crest[..n];
        a.apply(&ws.z, cj, sa);
        info.iterations += 1;
        let (before, after) = orthogonalize(arch, cdone, n, j, cj, &mut coef, &mut ws.partial);
        if after.is_nan() || after <= DEPENDENT_TOL * before.max(f64::MIN_POSITIVE) {
            ws.kept = 0;
            let mut i2 = gmres_dr_with(a, sa, pre, sm, b, x, p, ws)?;
            i2.iterations += info.iterations;
            return Ok(i2);
        }
        scale_in_place(cj, 1.0 / after);
        rmat[j * kk..j * kk + j].copy_from_slice(&coef[..j]);
        rmat[j * kk + j] = after;
    }
    // [C, V] from slot kk of the basis on: C its columns 0..kk, V from column kk
    let mlsq = mr - kk;
    let mut history: Vec<f64> = Vec::new();
    let mut hcol = vec![0.0; mlsq + 2];
    loop {
        if restart_residual(
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
        .is_none()
        {
            return Ok(info);
        }
        let cv = &mut ws.basis[kk * n..];
        let mut c0 = vec![0.0; kk + 1];
        {
            let (cpart, vpart) = cv.split_at_mut(kk * n);
            let v0 = &mut vpart[..n];
            v0.copy_from_slice(&ws.r);
            let (_, left) = orthogonalize(arch, cpart, n, kk, v0, &mut c0, &mut ws.partial);
            if left > 0.0 {
                scale_in_place(v0, 1.0 / left);
            }
            c0[kk] = left;
        }
        let mut lsq = Lsq::new(mlsq, &c0);
        for i in 0..kk {
            let mut col = vec![0.0; i + 1];
            col[i] = 1.0;
            lsq.push(&col, i);
        }
        let mut est = c0[kk];
        if c0[kk] > 0.0 {
            for j in kk..mlsq {
                {
                    let (done, rest) = cv.split_at_mut((j + 1) * n);
                    pre.apply(&done[j * n..], &mut ws.z, sm);
                    a.apply(&ws.z, &mut rest[..n], sa);
                }
                info.iterations += 1;
                let hn = {
                    let (done, rest) = cv.split_at_mut((j + 1) * n);
                    orthogonalize(
                        arch,
                        done,
                        n,
                        j + 1,
                        &mut rest[..n],
                        &mut hcol,
                        &mut ws.partial,
                    )
                    .1
                };
                hcol[j + 1] = hn;
                est = lsq.push(&hcol[..j + 2], j + 1);
                if let Some(pg) = p.progress {
                    pg.step(est / bnorm, p.rel_tol);
                }
                if hn > 0.0 {
                    scale_in_place(&mut cv[(j + 1) * n..(j + 2) * n], 1.0 / hn);
                }
                if est <= p.rel_tol * bnorm * 0.5 || hn == 0.0 || info.iterations >= p.max_iters {
                    break;
                }
            }
        }
        let d = lsq.solve();
        // y_C = R^{-1} d[..kk] (back substitution), then x += M (W y_C + V d[kk..])
        let mut yc = d[..kk].to_vec();
        for i in (0..kk).rev() {
            let s: f64 = (i + 1..kk).map(|j| rmat[j * kk + i] * yc[j]).sum();
            yc[i] = (yc[i] - s) / rmat[i * kk + i];
        }
        ws.r.iter_mut().for_each(|v| *v = 0.0);
        for (i, yi) in yc.iter().enumerate() {
            axpy(*yi, &ws.basis[i * n..(i + 1) * n], &mut ws.r);
        }
        for (j, dj) in d.iter().enumerate().skip(kk) {
            axpy(*dj, &ws.basis[(kk + j) * n..(kk + j + 1) * n], &mut ws.r);
        }
        pre.apply(&ws.r, &mut ws.z, sm);
        axpy(1.0, &ws.z, x);
        info.restarts += 1;
        history.push(est);
        let c = RECYCLE_STALL_CYCLES;
        if history.len() > c && history[history.len() - 1 - c] < STALL_FACTOR * est {
            // the fixed space does not hold what this right-hand side needs: GMRES-DR from the
            // point reached, with its own deflation, for the rest of the budget
            let rest = GmresDrParams {
                max_iters: p.max_iters.saturating_sub(info.iterations).max(1),
                ..*p
            };
            ws.kept = 0;
            let mut more = gmres_dr_with(a, sa, pre, sm, b, x, &rest, ws);
            match &mut more {
                Ok(i) => i.iterations += info.iterations,
                Err(KrylovError::NoConvergence { iterations, .. }) => {
                    *iterations += info.iterations
                }
                Err(_) => {}
            }
            return more;
        }
    }
}

/// Cycles of [`gmres_recycled_with`] over which a residual reduction below [`STALL_FACTOR`]
/// hands the solve to [`gmres_dr_with`] (N = 8, w = 0.5 pi, configuration 77 of
/// `jobs/n8-multinode.toml`: an inverse-iteration solve with the main solve's fixed space ran
/// 20 000 iterations without converging, 745 s, where GMRES-DR converges).
pub const RECYCLE_STALL_CYCLES: usize = 3;
