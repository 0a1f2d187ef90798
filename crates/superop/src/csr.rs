//! Eq. 3 assembled term by term as a sparse CSR matrix (`sprs::CsMat<Complex64>`, index `usize`).
//!
//! Every term of Eq. 3 is a product of one-site operators acting on the ket or the bra of
//! `rho`. With `vec(rho)[a + D b] = rho[a, b]` (column-major, `D = 2^N`) a row of the
//! Liouvillian is an output element `(a, b)`, and its entries come from
//!
//! * `-i H rho` and `-c B A rho` (the "left" parts): input `(a', b)`;
//! * `+i rho H` and `-c rho B A` (the "right" parts): input `(a, b')`;
//! * `2 c A rho B` (the sandwich of each `D(A, B)`): input `(a', b')`,
//!   `a' = A^dag a`, `b' = B b` (bit flips of TLS i and j),
//!
//! for the N^2 pairs `(i, j)` and the four dissipators with coefficients
//! `c = gamma-_ij Nsq / 2` for `D(s+_i, s-_j)`, `gamma-_ij (Nsq+1)/2` for `D(s-_i, s+_j)`,
//! `-gamma+_ij M/2` for `D(s+_i, s+_j)`, `-gamma+_ij M*/2` for `D(s-_i, s-_j)`
//! (couplings from [`sqz_model::couplings::Couplings`], Eqs. 5-6).
//! Local terms (beyond the paper, [`Params::with_local_rates`]; absent when both rates are 0):
//! `gamma_loss D[s-_i] rho + (gamma_deph/2) D[sigma^z_i] rho` for each TLS i. The loss jump
//! `gamma_loss s-_i rho s+_i` reads input `(a + 2^i, b + 2^i)` where bit i of `a` and `b` is 0,
//! the entry of the `i = j` sandwich of `D(s-_i, s+_j)`, so the row width does not grow; the rest
//! is diagonal: `-(gamma_loss/2) (n(a) + n(b)) - gamma_deph |a XOR b|` (`n` the excitation
//! number, `|a XOR b|` the TLS whose ket and bra differ). The loss jump flips the parity of both
//! `a` and `b`, so the weak parity (ket parity = bra parity) is kept.
//!
//! The left and right parts depend on `a` (resp. `b`) only and are tabulated once per basis state
//! (`2^N` rows of `1 + N(N-1)/2` entries); the sandwich parts are generated per row. Each row has
//! at most `2 N^2 - N + 1` entries ([`max_row_nnz`]); exact zeros are dropped.
//!
//! Assembly is parallel over rows (rayon) and allocates the final arrays once, after the memory
//! guard ([`crate::memory::check`]) agreed.

use crate::basis::{hilbert_dim, liouville_dim};
use crate::memory::{self, Operator, Requirement};
use crate::{SuperopError, C64};
use rayon::prelude::*;
use sprs::CsMat;
use sqz_krylov::LinOp;
use sqz_model::couplings::Couplings;
use sqz_model::Params;

/// Structural nonzeros per row of the Eq. 3 Liouvillian: `1 + N(N-1)` one-sided entries
/// (diagonal, pair partners on the ket and on the bra) plus `N^2` sandwich entries.
pub fn max_row_nnz(n: usize) -> usize {
    2 * n * n - n + 1
}

/// A one-site operator of Eq. 3.
#[derive(Debug, Clone, Copy)]
enum Site {
    /// `s+_i`
    Raise(usize),
    /// `s-_i`
    Lower(usize),
}

impl Site {
    /// `op |s>` (all matrix elements are 1): the new basis state, if not annihilated.
    #[inline(always)]
    fn ket(self, s: usize) -> Option<usize> {
        match self {
            Site::Raise(i) => (s >> i & 1 == 0).then_some(s | 1 << i),
            Site::Lower(i) => (s >> i & 1 == 1).then_some(s & !(1 << i)),
        }
    }
    /// `<s| op = <s'|`: the basis state `s'` with `op |s'> = |s>`.
    #[inline(always)]
    fn bra(self, s: usize) -> Option<usize> {
        match self {
            Site::Raise(i) => Site::Lower(i).ket(s),
            Site::Lower(i) => Site::Raise(i).ket(s),
        }
    }
}

/// The four dissipators `c D(A_i, B_j)` of the pair `(i, j)`.
fn dissipators(p: &Params, cp: &Couplings, i: usize, j: usize) -> [(Site, Site, C64); 4] {
    let (nsq, m) = (p.nsq(), p.m());
    let (gm, gp) = (cp.gamma_minus(i, j), cp.gamma_plus(i, j));
    [
        (
            Site::Raise(i),
            Site::Lower(j),
            C64::new(0.5 * gm * nsq, 0.0),
        ),
        (
            Site::Lower(i),
            Site::Raise(j),
            C64::new(0.5 * gm * (nsq + 1.0), 0.0),
        ),
        (Site::Raise(i), Site::Raise(j), -0.5 * gp * m),
        (Site::Lower(i), Site::Lower(j), -0.5 * gp * m.conj()),
    ]
}

/// Terms `h * X` of `H = Delta_N sum_i s+_i s-_i + H_DD` as (first factor, second factor, h),
/// `X = first * second`.
fn hamiltonian_terms(p: &Params, cp: &Couplings) -> Vec<(Site, Site, f64)> {
    let n = p.n();
    let mut t = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        t.push((Site::Raise(i), Site::Lower(i), p.delta_n()));
    }
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let h = -0.5 * cp.delta(i, j);
                t.push((Site::Raise(i), Site::Lower(j), h));
                t.push((Site::Lower(i), Site::Raise(j), h));
            }
        }
    }
    t
}

/// The entries of row `(a, b)` from the local terms (module docs): the loss jumps from
/// `(a + 2^i, b + 2^i)` and the diagonal.
fn local_terms(p: &Params, d: usize, a: usize, b: usize, row: &mut Vec<(usize, C64)>) {
    let (gl, gd) = (p.gamma_loss(), p.gamma_deph());
    let excited = f64::from(a.count_ones() + b.count_ones());
    let differ = f64::from((a ^ b).count_ones());
    row.push((a + d * b, C64::new(-0.5 * gl * excited - gd * differ, 0.0)));
    if gl != 0.0 {
        let free = !(a | b) & (d - 1);
        for i in (0..p.n()).filter(|i| free >> i & 1 == 1) {
            row.push(((a | 1 << i) + d * (b | 1 << i), C64::new(gl, 0.0)));
        }
    }
}

/// Sorts `(index, value)` by index and sums duplicates.
fn merge(entries: &mut Vec<(usize, C64)>) {
    entries.sort_unstable_by_key(|e| e.0);
    let mut w = 0;
    for r in 0..entries.len() {
        if w > 0 && entries[w - 1].0 == entries[r].0 {
            let v = entries[r].1;
            entries[w - 1].1 += v;
        } else {
            entries[w] = entries[r];
            w += 1;
        }
    }
    entries.truncate(w);
}

/// One-sided tables: `left[a]` lists `(a', value)` with `(L rho)[a, b] += value rho[a', b]`;
/// `right[b]` lists `(b', value)` with `(L rho)[a, b] += value rho[a, b']`.
#[allow(clippy::type_complexity)]
fn one_sided(p: &Params, cp: &Couplings) -> (Vec<Vec<(usize, C64)>>, Vec<Vec<(usize, C64)>>) {
    let n = p.n();
    let d = hilbert_dim(n);
    let mut left: Vec<Vec<(usize, C64)>> = vec![Vec::new(); d];
    let mut right: Vec<Vec<(usize, C64)>> = vec![Vec::new(); d];
    // -i [H, rho]: left -i H[a'', a'], right +i H[b', b] (H real symmetric here)
    for (x1, x2, h) in hamiltonian_terms(p, cp) {
        for s in 0..d {
            if let Some(t) = x2.ket(s).and_then(|s2| x1.ket(s2)) {
                // H[t, s] += h
                left[t].push((s, C64::new(0.0, -h)));
                right[s].push((t, C64::new(0.0, h)));
            }
        }
    }
    // c D(A, B): -c (B A) rho and -c rho (B A)
    for i in 0..n {
        for j in 0..n {
            for (a_op, b_op, c) in dissipators(p, cp, i, j) {
                for s in 0..d {
                    if let Some(t) = a_op.ket(s).and_then(|s2| b_op.ket(s2)) {
                        // (B A)[t, s] = 1
                        left[t].push((s, -c));
                        right[s].push((t, -c));
                    }
                }
            }
        }
    }
    left.par_iter_mut()
        .chain(right.par_iter_mut())
        .for_each(merge);
    (left, right)
}

/// Assembles the Eq. 3 Liouvillian for parameters `p` and positions `z` (units of zeta) as a CSR
/// matrix of dimension `4^N` in the column-major `vec` convention, with the local loss and
/// dephasing of `p` (module docs) when it has any.
///
/// Calls the memory guard first: an error if the matrix would not fit.
pub fn assemble(p: &Params, z: &[f64]) -> Result<CsMat<C64>, SuperopError> {
    crate::validate(p, z)?;
    let n = p.n();
    memory::guard(Requirement::operator(Operator::Csr), n)?;
    Ok(assemble_unchecked(p, z))
}

fn assemble_unchecked(p: &Params, z: &[f64]) -> CsMat<C64> {
    let n = p.n();
    let d = hilbert_dim(n);
    let dim = liouville_dim(n);
    let width = max_row_nnz(n);
    let cp = Couplings::new(z);
    let (left, right) = one_sided(p, &cp);
    let pairs: Vec<[(Site, Site, C64); 4]> = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| dissipators(p, &cp, i, j))
        .collect();

    // fixed-width row slots, filled in parallel, compacted afterwards
    let mut indices = vec![0usize; dim * width];
    let mut data = vec![C64::new(0.0, 0.0); dim * width];
    let mut counts = vec![0usize; dim];
    let local = p.has_local_rates();
    let rows_per_chunk = d.max(1); // one column block of rows (fixed b) per chunk
    indices
        .par_chunks_mut(rows_per_chunk * width)
        .zip(data.par_chunks_mut(rows_per_chunk * width))
        .zip(counts.par_chunks_mut(rows_per_chunk))
        .enumerate()
        .for_each(|(chunk, ((idx, val), cnt))| {
            let mut row: Vec<(usize, C64)> = Vec::with_capacity(width + 8);
            for (k, c) in cnt.iter_mut().enumerate() {
                let r = chunk * rows_per_chunk + k;
                let (a, b) = (r % d, r / d);
                row.clear();
                row.extend(left[a].iter().map(|&(a2, v)| (a2 + d * b, v)));
                row.extend(right[b].iter().map(|&(b2, v)| (a + d * b2, v)));
                // sandwich 2 c A rho B, term by term over the N^2 pairs
                for terms in &pairs {
                    for &(a_op, b_op, coef) in terms {
                        if let (Some(a2), Some(b2)) = (a_op.bra(a), b_op.ket(b)) {
                            row.push((a2 + d * b2, 2.0 * coef));
                        }
                    }
                }
                if local {
                    local_terms(p, d, a, b, &mut row);
                }
                merge(&mut row);
                row.retain(|e| e.1 != C64::new(0.0, 0.0));
                assert!(
                    row.len() <= width,
                    "row {r} has {} > {width} entries",
                    row.len()
                );
                let off = k * width;
                for (t, &(col, v)) in row.iter().enumerate() {
                    idx[off + t] = col;
                    val[off + t] = v;
                }
                *c = row.len();
            }
        });
    // compact in place (entries only move towards the front)
    let mut indptr = Vec::with_capacity(dim + 1);
    indptr.push(0usize);
    let mut w = 0usize;
    for r in 0..dim {
        let (src, cnt) = (r * width, counts[r]);
        if src != w {
            indices.copy_within(src..src + cnt, w);
            data.copy_within(src..src + cnt, w);
        }
        w += cnt;
        indptr.push(w);
    }
    indices.truncate(w);
    data.truncate(w);
    if w < dim * width / 2 {
        indices.shrink_to_fit();
        data.shrink_to_fit();
    }
    drop(counts);
    CsMat::new((dim, dim), indptr, indices, data)
}

/// The weak-parity block of a full-space CSR Liouvillian (rows and columns with equal ket and
/// bra parity), in the index order of [`crate::parity`]. Meant for tests and small N.
pub fn restrict_parity(m: &CsMat<C64>, n: usize) -> CsMat<C64> {
    use crate::parity::{block_dim, block_index};
    let d = hilbert_dim(n);
    assert_eq!(m.rows(), d * d, "matrix is not 4^N for N = {n}");
    let bd = block_dim(n);
    let mut tri = sprs::TriMat::new((bd, bd));
    for (v, (r, c)) in m.iter() {
        if let (Some(br), Some(bc)) = (block_index(n, r % d, r / d), block_index(n, c % d, c / d)) {
            tri.add_triplet(br, bc, *v);
        }
    }
    tri.to_csr()
}

/// The Eq. 3 Liouvillian as an assembled CSR matrix, applied in parallel over rows.
#[derive(Debug, Clone)]
pub struct CsrLiouvillian {
    mat: CsMat<C64>,
}

impl CsrLiouvillian {
    /// Assembles Eq. 3 ([`assemble`]); memory-guarded.
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SuperopError> {
        Ok(Self {
            mat: assemble(p, z)?,
        })
    }

    /// Wraps any square CSR matrix (e.g. [`restrict_parity`] of an assembled one).
    ///
    /// # Panics
    /// If `mat` is not square or not in CSR storage.
    pub fn from_matrix(mat: CsMat<C64>) -> Self {
        assert_eq!(mat.rows(), mat.cols(), "matrix is not square");
        assert!(mat.is_csr(), "matrix is not CSR");
        Self { mat }
    }

    /// The matrix.
    pub fn matrix(&self) -> &CsMat<C64> {
        &self.mat
    }

    /// Stored nonzeros.
    pub fn nnz(&self) -> usize {
        self.mat.nnz()
    }

    /// Bytes held by the matrix (values, column indices, row pointers).
    pub fn bytes(&self) -> u64 {
        (self.mat.nnz() * (16 + 8) + (self.mat.rows() + 1) * 8) as u64
    }

    /// Unwraps the matrix.
    pub fn into_matrix(self) -> CsMat<C64> {
        self.mat
    }
}

impl LinOp<C64> for CsrLiouvillian {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.mat.rows()
    }

    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        let dim = self.dim();
        assert_eq!(x.len(), dim, "input length {} != dimension {dim}", x.len());
        assert_eq!(y.len(), dim, "output length {} != dimension {dim}", y.len());
        let ip = self.mat.indptr();
        let ip = ip.to_proper();
        let indptr: &[usize] = &ip;
        let (idx, val) = (self.mat.indices(), self.mat.data());
        let chunk = 4096.max(dim / (8 * rayon::current_num_threads()).max(1));
        y.par_chunks_mut(chunk).enumerate().for_each(|(k, ys)| {
            for (t, out) in ys.iter_mut().enumerate() {
                let r = k * chunk + t;
                let mut acc = C64::new(0.0, 0.0);
                for e in indptr[r]..indptr[r + 1] {
                    acc += val[e] * x[idx[e]];
                }
                *out = acc;
            }
        });
    }
}
