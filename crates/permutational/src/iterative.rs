//! Two-level GMRES for the steady state at larger N, where the sparse LU of the whole
//! Liouvillian fills in too much (the unknowns `(J, M, M')` form a 3-D grid: at N = 100 the LU
//! took 130 s and 9 GB).
//!
//! On the trace-deflated operator `A = L - e_0 t^T` (nonsingular when the steady state is unique;
//! `A x_ss = -e_0`):
//! * smoother `B`: block Jacobi over `J`, every diagonal block `A_JJ` (a 2-D problem in
//!   `(M, M')`: collective terms plus the local terms that stay in the block) factorised by a
//!   sparse LU;
//! * coarse space: the steady states `sigma_J` of Eq. 7 in every block (Eq. 8 for spin J,
//!   `sqz_model::analytic`; prolongation `Z`) and the
//!   block traces (restriction `Y`, `Y Z = I`). For small rates the slow modes of `L` are
//!   population transfers between the `sigma_J` at rates `~gamma` (see [`crate::limit`]): `Z`
//!   holds them. Coarse matrix `E = Y A Z` (one column per block), dense LU;
//! * right preconditioner (A-DEF1, Tang, Nabben, Vuik & Erlangga 2009, as in `sqz-steady`):
//!   `P r = B^{-1} (r - A Q r) + Q r`, `Q = Z E^{-1} Y`.
//!
//! GMRES on `A P y = -e_0` from `x_0 = Q(-e_0)` (the first-order answer). The gap estimate is the
//! same shift-invert Arnoldi as the direct method, with `A^{-1}` applied by the same GMRES to a
//! relative residual of 1e-9 (Arnoldi tolerance 1e-6).

use crate::basis::Basis;
use crate::liouvillian::Csr;
use crate::{PermError, C64};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::lu;
use faer::sparse::{SparseColMat, Triplet};
use faer::{Mat, Par};
use rayon::prelude::*;
use sqz_krylov::{gmres, gmres_with, GmresInfo, GmresParams, GmresWorkspace, LinOp};
use sqz_model::{analytic, Params};
use std::ops::Range;

/// `A = L - e_0 t^T`.
pub struct Deflated<'a> {
    /// the Liouvillian
    pub l: &'a Csr,
    /// positions of the diagonal elements (the trace functional `t`)
    pub diag: &'a [usize],
}

impl LinOp<C64> for Deflated<'_> {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.l.dim
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        self.l.apply(x, y, &mut ());
        let t: C64 = self.diag.iter().map(|&i| x[i]).sum();
        y[0] -= t;
    }
}

/// One factorised diagonal block (faer's low-level sparse LU, so that the solves run
/// sequentially inside the parallel loop over blocks, with caller-owned scratch,
/// [`BlockJacobi::new_scratch`]).
struct BlockLu {
    symbolic: lu::SymbolicLu<usize>,
    numeric: lu::NumericLu<usize, C64>,
}

/// Block Jacobi over `J` with sparse LUs of the diagonal blocks of `A`.
struct BlockJacobi {
    ranges: Vec<Range<usize>>,
    lus: Vec<BlockLu>,
}

impl BlockJacobi {
    fn new(l: &Csr, basis: &Basis, diag: &[usize]) -> Result<Self, PermError> {
        let ranges: Vec<Range<usize>> = (0..basis.blocks()).map(|k| basis.block_range(k)).collect();
        let num_err = |k: usize, e: String| {
            PermError::Model(sqz_model::ModelError::Numerical(format!(
                "sparse LU of the diagonal block 2J = {}: {e}",
                basis.j2(k)
            )))
        };
        let lus = ranges
            .par_iter()
            .enumerate()
            .map(|(k, r)| {
                let dim = r.len();
                let mut trips = Vec::new();
                for i in r.clone() {
                    let (c, v) = l.row(i);
                    for (&c, &v) in c.iter().zip(v) {
                        let c = c as usize;
                        if r.contains(&c) {
                            trips.push(Triplet::new(i - r.start, c - r.start, v));
                        }
                    }
                }
                if k == 0 {
                    for &d in diag.iter().filter(|d| r.contains(d)) {
                        trips.push(Triplet::new(0, d - r.start, C64::new(-1.0, 0.0)));
                    }
                }
                let m = SparseColMat::<usize, C64>::try_new_from_triplets(dim, dim, &trips)
                    .map_err(|e| num_err(k, format!("assembly: {e:?}")))?;
                let symbolic = lu::factorize_symbolic_lu(m.symbolic(), Default::default())
                    .map_err(|e| num_err(k, format!("{e:?}")))?;
                let mut numeric = lu::NumericLu::new();
                let mut mem = MemBuffer::new(
                    symbolic.factorize_numeric_lu_scratch::<C64>(Par::Seq, Default::default()),
                );
                symbolic
                    .factorize_numeric_lu(
                        &mut numeric,
                        m.as_ref(),
                        Par::Seq,
                        MemStack::new(&mut mem),
                        Default::default(),
                    )
                    .map_err(|e| num_err(k, format!("{e:?}")))?;
                Ok(BlockLu { symbolic, numeric })
            })
            .collect::<Result<Vec<_>, PermError>>()?;
        Ok(Self { ranges, lus })
    }

    /// The scratch of one solve of each block (for [`BlockJacobi::solve`]).
    fn new_scratch(&self) -> Vec<MemBuffer> {
        self.lus
            .iter()
            .map(|b| MemBuffer::new(b.symbolic.solve_in_place_scratch::<C64>(1, Par::Seq)))
            .collect()
    }

    /// Bytes of [`BlockJacobi::new_scratch`].
    fn scratch_bytes(&self) -> u64 {
        self.lus
            .iter()
            .map(|b| {
                b.symbolic
                    .solve_in_place_scratch::<C64>(1, Par::Seq)
                    .size_bytes() as u64
            })
            .sum()
    }

    /// `y = B^{-1} r`, with the scratch `mem` of [`BlockJacobi::new_scratch`].
    fn solve(&self, r: &[C64], y: &mut [C64], mem: &mut [MemBuffer]) {
        let mut chunks: Vec<&mut [C64]> = Vec::with_capacity(self.ranges.len());
        let mut rest = y;
        for rg in &self.ranges {
            let (a, b) = rest.split_at_mut(rg.len());
            chunks.push(a);
            rest = b;
        }
        chunks
            .into_par_iter()
            .zip(self.ranges.par_iter())
            .zip(self.lus.par_iter())
            .zip(mem.par_iter_mut())
            .for_each(|(((out, rg), b), mem)| {
                out.copy_from_slice(&r[rg.clone()]);
                let len = out.len();
                let rhs = faer::MatMut::from_column_major_slice_mut(out, len, 1);
                lu::LuRef::new_unchecked(&b.symbolic, &b.numeric).solve_in_place_with_conj(
                    faer::Conj::No,
                    rhs,
                    Par::Seq,
                    MemStack::new(mem),
                );
            });
    }
}

/// The coarse space: `sigma_J` per block, block traces, `E = Y A Z` and its LU.
struct Coarse {
    ranges: Vec<Range<usize>>,
    /// `sigma_J` on its block range
    sigma: Vec<Vec<C64>>,
    /// diagonal positions of each block, relative to the block start
    diag_local: Vec<Vec<usize>>,
    lu: sqz_krylov::par_dense::Lu<C64>,
    /// `E` itself (for the Galerkin eigenvalues)
    e: Mat<C64>,
    /// faer's parallelism of the dense LU and eigenvalues of `E`
    par: Par,
}

impl Coarse {
    fn new(p: &Params, basis: &Basis, a: &Deflated<'_>, par: Par) -> Result<Self, PermError> {
        let nb = basis.blocks();
        let ranges: Vec<Range<usize>> = (0..nb).map(|k| basis.block_range(k)).collect();
        let diag_local: Vec<Vec<usize>> = (0..nb)
            .map(|k| {
                (0..=basis.j2(k))
                    .map(|i| basis.index(k, i, i).unwrap() - ranges[k].start)
                    .collect()
            })
            .collect();
        let sigma = (0..nb)
            .into_par_iter()
            .map(|k| {
                let j2 = basis.j2(k);
                let mut v = vec![C64::new(0.0, 0.0); ranges[k].len()];
                if j2 == 0 {
                    v[0] = C64::new(1.0, 0.0);
                    return Ok(v);
                }
                let rho = analytic::steady_state(&p.with_n(j2)?)?.rho();
                for b in 0..=j2 {
                    for aa in 0..=j2 {
                        if let Some(i) = basis.index(k, aa, b) {
                            v[i - ranges[k].start] = rho[(aa, b)];
                        }
                    }
                }
                Ok(v)
            })
            .collect::<Result<Vec<_>, PermError>>()?;
        let n = a.dim();
        let mut e = Mat::<C64>::zeros(nb, nb);
        let mut z = vec![C64::new(0.0, 0.0); n];
        let mut y = vec![C64::new(0.0, 0.0); n];
        for k in 0..nb {
            z.iter_mut().for_each(|v| *v = C64::new(0.0, 0.0));
            z[ranges[k].clone()].copy_from_slice(&sigma[k]);
            a.apply(&z, &mut y, &mut ());
            for kk in 0..nb {
                e[(kk, k)] = diag_local[kk]
                    .iter()
                    .map(|&i| y[ranges[kk].start + i])
                    .sum();
            }
        }
        let lu = sqz_krylov::par_dense::Lu::new(e.as_ref(), par);
        Ok(Self {
            ranges,
            sigma,
            diag_local,
            lu,
            e,
            par,
        })
    }

    /// `x = Q r = Z E^{-1} Y r`.
    fn apply(&self, r: &[C64], x: &mut [C64]) {
        let nb = self.ranges.len();
        let mut c = Mat::<C64>::from_fn(nb, 1, |k, _| {
            self.diag_local[k]
                .iter()
                .map(|&i| r[self.ranges[k].start + i])
                .sum()
        });
        self.lu.solve_in_place(c.as_mut(), self.par);
        for k in 0..nb {
            let ck = c[(k, 0)];
            for (o, s) in x[self.ranges[k].clone()].iter_mut().zip(&self.sigma[k]) {
                *o = ck * s;
            }
        }
    }
}

/// The two-level right preconditioner `P r = B^{-1}(r - A Q r) + Q r`.
pub struct TwoLevel<'a> {
    a: &'a Deflated<'a>,
    smoother: BlockJacobi,
    coarse: Coarse,
}

impl<'a> TwoLevel<'a> {
    /// Builds the block LUs and the coarse space; the coarse matrix's dense LU and eigenvalues
    /// with faer's parallelism `par` (the block LUs are sequential).
    pub fn new(
        p: &Params,
        basis: &Basis,
        a: &'a Deflated<'a>,
        par: Par,
    ) -> Result<Self, PermError> {
        let smoother = BlockJacobi::new(a.l, basis, a.diag)?;
        let coarse = Coarse::new(p, basis, a, par)?;
        Ok(Self {
            a,
            smoother,
            coarse,
        })
    }

    /// `Q r`.
    pub fn coarse_solve(&self, r: &[C64], x: &mut [C64]) {
        self.coarse.apply(r, x)
    }

    /// Eigenvalues of the coarse matrix `E` (Galerkin approximations of the slow eigenvalues).
    pub fn coarse_eigenvalues(&self) -> Vec<C64> {
        sqz_krylov::par_dense::eigenvalues(self.coarse.e.as_ref(), self.coarse.par)
            .unwrap_or_default()
    }
}

/// The scratch of [`TwoLevel`]: one sparse-LU solve scratch per diagonal block.
impl LinOp<C64> for TwoLevel<'_> {
    type Scratch = Vec<MemBuffer>;
    fn dim(&self) -> usize {
        self.a.dim()
    }
    fn new_scratch(&self) -> Vec<MemBuffer> {
        self.smoother.new_scratch()
    }
    fn scratch_bytes(&self) -> u64 {
        self.smoother.scratch_bytes()
    }
    fn apply(&self, r: &[C64], y: &mut [C64], mem: &mut Vec<MemBuffer>) {
        let n = r.len();
        let mut q = vec![C64::new(0.0, 0.0); n];
        self.coarse.apply(r, &mut q);
        let mut aq = vec![C64::new(0.0, 0.0); n];
        self.a.apply(&q, &mut aq, &mut ());
        aq.par_iter_mut()
            .zip(r.par_iter())
            .for_each(|(v, r)| *v = r - *v);
        self.smoother.solve(&aq, y, mem);
        y.par_iter_mut()
            .zip(q.par_iter())
            .for_each(|(y, q)| *y += q);
    }
}

/// `A x = b` by right-preconditioned GMRES from `x` (module docs).
pub fn solve(
    a: &Deflated<'_>,
    pre: &TwoLevel<'_>,
    b: &[C64],
    x: &mut [C64],
    rel_tol: f64,
    max_iters: usize,
) -> Result<GmresInfo, PermError> {
    Ok(gmres(
        a,
        Some(pre),
        b,
        x,
        &GmresParams {
            restart: 30,
            max_iters,
            rel_tol,
        },
    )?)
}

/// `A^{-1}` applied by GMRES (for the shift-invert gap estimate). Its scratch
/// ([`InexactScratch`]) counts the GMRES iterations and the worst relative residual reached.
pub struct InexactInverse<'a> {
    /// `A`
    pub a: &'a Deflated<'a>,
    /// its preconditioner
    pub pre: &'a TwoLevel<'a>,
    /// relative residual of each solve
    pub rel_tol: f64,
}

/// The scratch of [`InexactInverse`]: the preconditioner's scratch and what the solves did.
pub struct InexactScratch {
    pre: Vec<MemBuffer>,
    /// GMRES iterations so far
    pub iterations: usize,
    /// largest relative residual reached by a solve
    pub worst: f64,
}

/// Krylov dimension between restarts of the inner solves of [`InexactInverse`].
const INEXACT_RESTART: usize = 20;
/// Iteration budget of one inner solve of [`InexactInverse`].
const INEXACT_MAX_ITERS: usize = 300;

impl LinOp<C64> for InexactInverse<'_> {
    type Scratch = InexactScratch;
    fn dim(&self) -> usize {
        self.a.dim()
    }
    fn new_scratch(&self) -> InexactScratch {
        InexactScratch {
            pre: self.pre.new_scratch(),
            iterations: 0,
            worst: 0.0,
        }
    }
    fn scratch_bytes(&self) -> u64 {
        self.pre.scratch_bytes()
    }
    fn apply(&self, y: &[C64], out: &mut [C64], s: &mut InexactScratch) {
        out.iter_mut().for_each(|v| *v = C64::new(0.0, 0.0));
        let p = GmresParams {
            restart: INEXACT_RESTART,
            max_iters: INEXACT_MAX_ITERS,
            rel_tol: self.rel_tol,
        };
        let mut ws = GmresWorkspace::<C64>::new(self.a.dim(), p.restart);
        let info = gmres_with(self.a, &mut (), self.pre, &mut s.pre, y, out, &p, &mut ws);
        let (it, rel) = match info {
            Ok(i) => (i.iterations, i.rel_residual),
            Err(sqz_krylov::KrylovError::NoConvergence {
                iterations,
                rel_residual,
                ..
            }) => (iterations, rel_residual),
            Err(_) => (0, f64::INFINITY),
        };
        s.iterations += it;
        s.worst = s.worst.max(rel);
    }
}
