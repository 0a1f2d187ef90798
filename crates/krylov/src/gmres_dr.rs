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
    /// stop early as well (with `stall_cycles > 0`), when the mean rate of the last
    /// `stall_cycles` cycles would need more than `projected_cycles` cycles in all to reach
    /// `rel_tol` (0: never): a slow but steady solve that a longer cycle would finish sooner
    pub projected_cycles: usize,
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
    let cols = harmonic_ritz_columns(lsq, k)?;
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
    Some(project(lsq, p, &s, kk))
}

/// The real basis (`m` rows per column) of the harmonic Ritz vectors of the cycle in `lsq` with
/// the `k` smallest `|theta|`: `(H + f h^T) g = theta g`, `H^T f = h` (`h` the last row of
/// `Hbar`); a complex pair enters once, as its real and imaginary parts. `None` when `H` is
/// singular or the eigenproblem fails.
fn harmonic_ritz_columns(lsq: &Lsq, k: usize) -> Option<Vec<Vec<f64>>> {
    let stride = lsq.m;
    let m = lsq.r.len();
    let h = |i: usize, j: usize| lsq.h[i * stride + j];
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
    Some(cols)
}

/// The deflation data from `P` (`kk + 1` orthonormal columns of `m + 1` rows, the last the
/// residual's coordinates `s`): the new `Hbar = P^T Hbar P_k` (`P_k` the first `kk` columns
/// without their last row), its image `Hbar P_k` and the new `c = P^T s`.
fn project(lsq: &Lsq, p: Vec<f64>, s: &[f64], kk: usize) -> Deflation {
    let stride = lsq.m;
    let m = lsq.r.len();
    let h = |i: usize, j: usize| lsq.h[i * stride + j];
    let rows = m + 1;
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
                .zip(s)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    Deflation {
        p,
        hbar,
        c: cnew,
        kk,
        image: hp,
    }
}

impl Deflation {
    /// The least-squares problem of the cycle that starts from this deflation (cycle length
    /// `m`), with its first `kk` columns pushed.
    fn start(&self, m: usize) -> Lsq {
        let kk = self.kk;
        let mut lsq = Lsq::new(m, &self.c);
        let mut col = vec![0.0; kk + 1];
        for j in 0..kk {
            col.copy_from_slice(&self.hbar[j * (kk + 1)..(j + 1) * (kk + 1)]);
            lsq.push(&col, kk);
        }
        lsq
    }
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

/// The preconditioned operator `A M` of a solve, with the scratch of both parts.
struct Preconditioned<'o, A: LinOp<f64> + ?Sized, M: LinOp<f64> + ?Sized> {
    a: &'o A,
    sa: &'o mut A::Scratch,
    pre: &'o M,
    sm: &'o mut M::Scratch,
}

impl<A: LinOp<f64> + ?Sized, M: LinOp<f64> + ?Sized> Preconditioned<'_, A, M> {
    /// `w = A M v`, with `z` as work.
    fn apply(&mut self, v: &[f64], z: &mut [f64], w: &mut [f64]) {
        self.pre.apply(v, z, self.sm);
        self.a.apply(z, w, self.sa);
    }

    /// `x += M y`, with `z` as work.
    fn update(&mut self, y: &[f64], z: &mut [f64], x: &mut [f64]) {
        self.pre.apply(y, z, self.sm);
        axpy(1.0, z, x);
    }

    /// [`gmres_dr_with`] on this operator.
    fn gmres_dr(
        &mut self,
        b: &[f64],
        x: &mut [f64],
        p: &GmresDrParams,
        ws: &mut GmresDrWorkspace,
    ) -> Result<GmresInfo, KrylovError> {
        gmres_dr_with(self.a, self.sa, self.pre, self.sm, b, x, p, ws)
    }

    /// The true residual `r = b - A x` (see [`restart_residual`]): `None` when it meets the
    /// tolerance, else its norm.
    #[allow(clippy::too_many_arguments)]
    fn residual(
        &mut self,
        b: &[f64],
        x: &[f64],
        r: &mut [f64],
        bnorm: f64,
        p: &GmresDrParams,
        max_iters: usize,
        info: &mut GmresInfo,
    ) -> Result<Option<f64>, KrylovError> {
        restart_residual(self.a, self.sa, b, x, r, bnorm, p.rel_tol, max_iters, info)
    }
}

/// The memory one Arnoldi cycle works in: its basis (column-major, `n` rows), the
/// preconditioned vector and the Gram-Schmidt partial sums.
struct CycleMem<'w> {
    basis: &'w mut [f64],
    z: &'w mut [f64],
    partial: &'w mut [f64],
    arch: pulp::Arch,
    n: usize,
}

/// Arnoldi steps `j0..m` of one cycle (columns `0..=j0` of `mem.basis` orthonormal on entry),
/// each column pushed into `lsq`; stops early at the tolerance, a breakdown or the iteration
/// budget. Returns the columns the cycle has (`j0` when no step ran) and the last residual
/// estimate (`None` when no step ran).
#[allow(clippy::too_many_arguments)]
fn arnoldi_steps<A, M>(
    op: &mut Preconditioned<'_, A, M>,
    mem: &mut CycleMem<'_>,
    j0: usize,
    m: usize,
    lsq: &mut Lsq,
    p: &GmresDrParams,
    bnorm: f64,
    info: &mut GmresInfo,
) -> (usize, Option<f64>)
where
    A: LinOp<f64> + ?Sized,
    M: LinOp<f64> + ?Sized,
{
    let n = mem.n;
    let mut used = j0;
    let mut est = None;
    let mut hcol = vec![0.0; m + 2];
    for j in j0..m {
        let (done, rest) = mem.basis.split_at_mut((j + 1) * n);
        op.apply(&done[j * n..], mem.z, &mut rest[..n]);
        info.iterations += 1;
        let hn = orthogonalize(
            mem.arch,
            done,
            n,
            j + 1,
            &mut rest[..n],
            &mut hcol,
            mem.partial,
        )
        .1;
        hcol[j + 1] = hn;
        let e = lsq.push(&hcol[..j + 2], j + 1);
        est = Some(e);
        if let Some(pg) = p.progress {
            pg.step(e / bnorm, p.rel_tol);
        }
        used = j + 1;
        if hn > 0.0 {
            scale_in_place(&mut rest[..n], 1.0 / hn);
        }
        if e <= p.rel_tol * bnorm * 0.5 || hn == 0.0 || info.iterations >= p.max_iters {
            break;
        }
    }
    (used, est)
}

impl GmresDrWorkspace {
    /// Rotates the first `cols + 1` basis vectors onto the deflation's `P` and keeps its vectors
    /// and their image (for the next cycle, or for the caller).
    fn adopt(&mut self, dfl: &Deflation, cols: usize) {
        rotate_basis(&mut self.basis, self.n, cols, &dfl.p, dfl.kk);
        self.kept = dfl.kk;
        self.image = dfl.image.clone();
    }

    /// The memory of an Arnoldi cycle whose basis starts at vector `from`.
    fn cycle_mem(&mut self, from: usize) -> CycleMem<'_> {
        CycleMem {
            basis: &mut self.basis[from * self.n..],
            z: &mut self.z,
            partial: &mut self.partial,
            arch: self.arch,
            n: self.n,
        }
    }
}

/// Whether the residual estimates `history` (one per cycle) fell by less than [`STALL_FACTOR`]
/// over the last `cycles` cycles (`cycles = 0`: never).
fn stalled(history: &[f64], cycles: usize) -> bool {
    let est = history[history.len() - 1];
    cycles > 0 && history.len() > cycles && history[history.len() - 1 - cycles] < STALL_FACTOR * est
}

/// Whether, at the mean rate of the last `cycles` cycles of `history`, reaching the residual
/// `target` would take more than `projected` cycles in all (`cycles` or `projected` 0: never).
/// A count of cycles, not a time: the same decision on every machine.
fn projected_too_long(history: &[f64], cycles: usize, projected: usize, target: f64) -> bool {
    if cycles == 0 || projected == 0 || history.len() <= cycles {
        return false;
    }
    let est = history[history.len() - 1];
    let rate = (est / history[history.len() - 1 - cycles]).powf(1.0 / cycles as f64);
    if rate.is_nan() || rate >= 1.0 {
        return true;
    }
    let more = ((target / est).ln() / rate.ln()).max(0.0);
    history.len() as f64 + more > projected as f64
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
    let mut op = Preconditioned { a, sa, pre, sm };
    let mr = ws.m;
    let k = p.deflate.min(mr.saturating_sub(1));
    let bnorm = norm2(b).max(f64::MIN_POSITIVE);
    let mut info = GmresInfo::default();
    // residual estimates at the end of each cycle, for the stagnation test
    let mut history: Vec<f64> = Vec::new();
    ws.kept = 0;
    // None: start a plain cycle from the true residual
    let mut carried: Option<Deflation> = None;
    loop {
        let (mut lsq, j0, c0) = match carried.take() {
            None => {
                let res = op.residual(b, x, &mut ws.r, bnorm, p, p.max_iters, &mut info)?;
                let Some(beta) = res else {
                    return Ok(info);
                };
                ws.basis[..n].copy_from_slice(&ws.r);
                ws.kept = 0;
                scale_in_place(&mut ws.basis[..n], 1.0 / beta);
                (Lsq::new(mr, &[beta]), 0, vec![beta])
            }
            Some(dfl) => (dfl.start(mr), dfl.kk, dfl.c),
        };
        let (used, est) = arnoldi_steps(
            &mut op,
            &mut ws.cycle_mem(0),
            j0,
            mr,
            &mut lsq,
            p,
            bnorm,
            &mut info,
        );
        let est = est.unwrap_or(f64::INFINITY);
        let d = lsq.solve();
        // x += M (V d)
        ws.r.iter_mut().for_each(|v| *v = 0.0);
        for (j, dj) in d.iter().enumerate() {
            axpy(*dj, &ws.basis[j * n..(j + 1) * n], &mut ws.r);
        }
        op.update(&ws.r, &mut ws.z, x);
        info.restarts += 1;
        info.residual = est;
        info.rel_residual = est / bnorm;
        let converged = est <= p.rel_tol * bnorm * 0.5;
        history.push(est);
        if !converged
            && (stalled(&history, p.stall_cycles)
                || projected_too_long(
                    &history,
                    p.stall_cycles,
                    p.projected_cycles,
                    p.rel_tol * bnorm * 0.5,
                ))
        {
            // the true residual of the point reached, then stop (a zero budget: NoConvergence
            // unless the point happens to meet the tolerance)
            return op
                .residual(b, x, &mut ws.r, bnorm, p, 0, &mut info)
                .map(|_| info);
        }
        if converged && k > 0 && used > k {
            // keep the slow harmonic Ritz vectors of the last cycle for the caller
            // ([`GmresDrWorkspace::ritz_basis`]); the true residual is checked next
            if let Some(dfl) = deflation(&lsq, &d, &c0, k, false) {
                ws.adopt(&dfl, used);
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
            ws.adopt(dfl, mr);
        }
    }
}

/// `C = A M W` for the `kk` kept vectors `W` (the first `kk` basis vectors), orthonormalised
/// column by column into basis slots `kk..2 kk`: `A M W = C R`; returns `R` (column-major,
/// `kk x kk`), or `None` when `A M W` is numerically dependent.
fn recycle_space<A, M>(
    op: &mut Preconditioned<'_, A, M>,
    ws: &mut GmresDrWorkspace,
    kk: usize,
    info: &mut GmresInfo,
) -> Option<Vec<f64>>
where
    A: LinOp<f64> + ?Sized,
    M: LinOp<f64> + ?Sized,
{
    let n = ws.n;
    let mut rmat = vec![0.0; kk * kk];
    let mut coef = vec![0.0; kk];
    for j in 0..kk {
        let (wpart, cv) = ws.basis.split_at_mut(kk * n);
        let (cdone, crest) = cv.split_at_mut(j * n);
        let cj = &mut crest[..n];
        op.apply(&wpart[j * n..(j + 1) * n], &mut ws.z, cj);
        info.iterations += 1;
        let (before, after) = orthogonalize(ws.arch, cdone, n, j, cj, &mut coef, &mut ws.partial);
        if after.is_nan() || after <= DEPENDENT_TOL * before.max(f64::MIN_POSITIVE) {
            return None;
        }
        scale_in_place(cj, 1.0 / after);
        rmat[j * kk..j * kk + j].copy_from_slice(&coef[..j]);
        rmat[j * kk + j] = after;
    }
    Some(rmat)
}

/// One cycle's start in [`gmres_recycled_with`]: the residual in `ws.r` written as
/// `C C^T r + beta v_1` (`v_1` into slot `2 kk`); the least-squares problem over `[C, V]` with its
/// `kk` identity columns pushed, and `beta`.
fn recycled_start(ws: &mut GmresDrWorkspace, kk: usize, mlsq: usize) -> (Lsq, f64) {
    let n = ws.n;
    let mut c0 = vec![0.0; kk + 1];
    let (cpart, vpart) = ws.basis[kk * n..].split_at_mut(kk * n);
    let v0 = &mut vpart[..n];
    v0.copy_from_slice(&ws.r);
    let (_, left) = orthogonalize(ws.arch, cpart, n, kk, v0, &mut c0, &mut ws.partial);
    if left > 0.0 {
        scale_in_place(v0, 1.0 / left);
    }
    c0[kk] = left;
    let mut lsq = Lsq::new(mlsq, &c0);
    for i in 0..kk {
        let mut col = vec![0.0; i + 1];
        col[i] = 1.0;
        lsq.push(&col, i);
    }
    (lsq, left)
}

/// `ws.r = W R^{-1} d[..kk] + V d[kk..]` (back substitution for `y_C = R^{-1} d[..kk]`): the
/// correction before the preconditioner in [`gmres_recycled_with`].
fn recycled_correction(ws: &mut GmresDrWorkspace, kk: usize, rmat: &[f64], d: &[f64]) {
    let n = ws.n;
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
    let mut op = Preconditioned { a, sa, pre, sm };
    let (kk, mr) = (ws.kept, ws.m);
    if kk == 0 || mr < 2 * kk + 2 {
        return op.gmres_dr(b, x, p, ws);
    }
    let bnorm = norm2(b).max(f64::MIN_POSITIVE);
    let mut info = GmresInfo::default();
    let Some(rmat) = recycle_space(&mut op, ws, kk, &mut info) else {
        ws.kept = 0;
        let mut i2 = op.gmres_dr(b, x, p, ws)?;
        i2.iterations += info.iterations;
        return Ok(i2);
    };
    // [C, V] from slot kk of the basis on: C its columns 0..kk, V from column kk
    let mlsq = mr - kk;
    let mut history: Vec<f64> = Vec::new();
    loop {
        let res = op.residual(b, x, &mut ws.r, bnorm, p, p.max_iters, &mut info)?;
        if res.is_none() {
            return Ok(info);
        }
        let (mut lsq, beta) = recycled_start(ws, kk, mlsq);
        let mut est = beta;
        if beta > 0.0 {
            let mut mem = ws.cycle_mem(kk);
            let (_, e) = arnoldi_steps(&mut op, &mut mem, kk, mlsq, &mut lsq, p, bnorm, &mut info);
            est = e.unwrap_or(est);
        }
        let d = lsq.solve();
        // x += M (W y_C + V d[kk..])
        recycled_correction(ws, kk, &rmat, &d);
        op.update(&ws.r, &mut ws.z, x);
        info.restarts += 1;
        history.push(est);
        if stalled(&history, RECYCLE_STALL_CYCLES) {
            // the fixed space does not hold what this right-hand side needs: GMRES-DR from the
            // point reached, with its own deflation, for the rest of the budget
            let rest = GmresDrParams {
                max_iters: p.max_iters.saturating_sub(info.iterations).max(1),
                ..*p
            };
            ws.kept = 0;
            let mut more = op.gmres_dr(b, x, &rest, ws);
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
