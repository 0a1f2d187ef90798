//! The Liouvillian on permutation-invariant states, as a CSR matrix.
//!
//! Model (units of A):
//!
//! ```text
//! d rho/dt = -i Delta_N [S^z, rho]
//!          + (A/2) [ Nsq D(S+,S-) + (Nsq+1) D(S-,S+) - M D(S+,S+) - M* D(S-,S-) ] rho   (Eq. 7)
//!          + sum_i ( gamma_loss D[sigma_i] rho + (gamma_deph/2) D[sigma^z_i] rho )
//! ```
//!
//! with `D(A,B) rho = 2 A rho B - rho B A - B A rho` and `D[c] rho = c rho c^dag - {c^dag c, rho}/2`.
//!
//! * Collective part: every collective operator is `sum_J O_J (x) I_{d_J}`, so Eq. 7 acts on each
//!   block `rho_J` as Eq. 7 for one spin `J` ([`sqz_model::collective::liouvillian_triplets`] with
//!   `2J` in place of N: `Delta_N` does not depend on N).
//! * Local part: `sum_i D[sigma_i]` and `sum_i D[sigma^z_i]` commute with permutations; on the
//!   block representation they couple `(J, M, M')` to `(J, M+1, M'+1)`, `(J +- 1, M+1, M'+1)` and
//!   `(J +- 1, M, M')`. The coefficients are those of Shammah et al., PRA 98, 063815 (2018) (PIQS;
//!   QuTiP's `qutip.piqs`, `Dicke.gamma1..gamma6`), with PIQS's `emission = gamma_loss` and
//!   `dephasing = 2 gamma_deph` (PIQS writes `(gamma_D/2) L[sigma^z_i/2]`). They follow from the
//!   Wigner–Eckart theorem for the rank-1 tensors `sigma^-_i`, `sigma^z_i` summed over the TLS
//!   (Chase & Geremia, PRA 78, 052101 (2008); Baragiola et al., PRA 81, 032104 (2010)). Here
//!   they are checked against an independent dense 4^N construction for N = 2..5
//!   (`sqz-steady`: `tests/permutational_full_space.rs`) and against PIQS itself (`tests/permutational_piqs.rs`).
//!
//! With `y_E = gamma_loss`, `y_D = 2 gamma_deph`, written at the destination `(j, m, m')`:
//!
//! ```text
//! d rho_j[m,m']/dt |local =
//!   - [ (y_E/2)(N + m + m') + (y_D/2)(N/2 - m m' (N/2+1)/(j(j+1))) ] rho_j[m,m']     (j = 0: y_D N/4)
//!   + (y_E/2) sqrt((j+m+1)(j-m)(j+m'+1)(j-m')) (N/2+1)/(j(j+1))          rho_j[m+1,m'+1]
//!   + (y_E/2) sqrt((J+m+1)(J+m)(J+m'+1)(J+m')) (N/2+J+1)/(J(2J+1))       rho_J[m+1,m'+1],  J = j+1
//!   + (y_E/2) sqrt((J-m)(J-m+1)(J-m')(J-m'+1)) (N/2-J)/((J+1)(2J+1))      rho_J[m+1,m'+1],  J = j-1
//!   + (y_D/2) sqrt((J^2-m^2)(J^2-m'^2)) (N/2+J+1)/(J(2J+1))               rho_J[m,m'],      J = j+1
//!   + (y_D/2) sqrt(((J+1)^2-m^2)((J+1)^2-m'^2)) (N/2-J)/((J+1)(2J+1))     rho_J[m,m'],      J = j-1
//! ```
//!
//! (terms whose source element does not exist are absent). Each row has at most 14 entries:
//! 9 collective (`(a, b)`, `(a+-1, b+-1)`, `(a+-2, b)`, `(a, b+-2)`), 1 from the same block
//! and 4 from the neighbouring blocks.

use crate::basis::{Basis, Sector};
use crate::C64;
use rayon::prelude::*;
use sqz_krylov::LinOp;
use sqz_model::{collective, Params};

/// A square complex CSR matrix with `u32` column indices.
#[derive(Debug, Clone)]
pub struct Csr {
    /// dimension
    pub dim: usize,
    /// row pointers (`dim + 1`)
    pub row_ptr: Vec<usize>,
    /// column indices, sorted within each row
    pub col: Vec<u32>,
    /// values
    pub val: Vec<C64>,
}

/// Below this dimension the product runs on one thread.
const PAR_MIN_DIM: usize = 1 << 14;

impl Csr {
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        (8 * self.row_ptr.len() + 4 * self.col.len() + 16 * self.val.len()) as u64
    }

    /// Row `i` as `(columns, values)`.
    pub fn row(&self, i: usize) -> (&[u32], &[C64]) {
        let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
        (&self.col[s..e], &self.val[s..e])
    }

    /// `y_i = sum_j A_ij x_j` for one row.
    #[inline]
    fn row_dot(&self, i: usize, x: &[C64]) -> C64 {
        let (c, v) = self.row(i);
        c.iter()
            .zip(v)
            .map(|(&j, &a)| a * x[j as usize])
            .sum::<C64>()
    }

    /// The matrix as a faer sparse row matrix (for the sparse LU).
    pub fn to_faer(&self) -> faer::sparse::SparseRowMat<usize, C64> {
        let sym = faer::sparse::SymbolicSparseRowMat::new_checked(
            self.dim,
            self.dim,
            self.row_ptr.clone(),
            None,
            self.col.iter().map(|&c| c as usize).collect(),
        );
        faer::sparse::SparseRowMat::new(sym, self.val.clone())
    }
}

impl LinOp<C64> for Csr {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        assert_eq!(x.len(), self.dim, "Csr::apply: x length");
        assert_eq!(y.len(), self.dim, "Csr::apply: y length");
        if self.dim >= PAR_MIN_DIM {
            y.par_chunks_mut(4096).enumerate().for_each(|(c, ys)| {
                for (o, yi) in ys.iter_mut().enumerate() {
                    *yi = self.row_dot(c * 4096 + o, x);
                }
            });
        } else {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = self.row_dot(i, x);
            }
        }
    }
}

/// Upper estimate of the bytes [`build`] holds at its peak on `basis`: the CSR (at most 14
/// entries per row, 20 bytes each) twice over (rows are gathered before they are packed).
pub fn csr_bytes_estimate(basis: &Basis) -> u64 {
    2 * (14 * 20 + 8) * basis.dim() as u64
}

/// The permutational Liouvillian with its basis.
#[derive(Debug, Clone)]
pub struct PermLiouvillian {
    /// index map
    pub basis: Basis,
    /// the matrix
    pub csr: Csr,
}

impl LinOp<C64> for PermLiouvillian {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.csr.dim
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        self.csr.apply(x, y, &mut ())
    }
}

/// The blocks of total spin `J` as the representation a steady-state solver works in
/// ([`sqz_krylov::certificate::Representation`]): the stacked blocks `rho_J` ([`Basis`] order),
/// the CSR Liouvillian, the trace over the block diagonals, the moments of [`crate::state`].
impl sqz_krylov::certificate::Representation for PermLiouvillian {
    type Moments = sqz_model::observables::SpinMoments;
    fn dim(&self) -> usize {
        self.csr.dim
    }
    fn apply_operator(&self, x: &[C64], y: &mut [C64]) {
        self.csr.apply(x, y, &mut ())
    }
    fn trace_entries(&self) -> Vec<usize> {
        self.basis.diagonal()
    }
    fn hermitian_normalized(&self, x: &mut [C64]) -> Result<(), String> {
        crate::state::hermitize_normalize(&self.basis, x).map_err(|e| match e {
            sqz_model::ModelError::Numerical(m) => m,
            e => e.to_string(),
        })
    }
    fn moments(&self, x: &[C64]) -> Self::Moments {
        crate::state::moments(&self.basis, x)
    }
}

/// The local-term entries flowing into destination `(j2, a, b)`: `(source 2J, source a,
/// source b, coefficient)`, the diagonal included. `n` TLS, `ye = gamma_loss`,
/// `yd = 2 gamma_deph` (PIQS's `emission`, `dephasing`).
pub fn local_sources(
    n: usize,
    ye: f64,
    yd: f64,
    j2: usize,
    a: usize,
    b: usize,
) -> Vec<(usize, usize, usize, f64)> {
    let mut out = Vec::with_capacity(6);
    if ye == 0.0 && yd == 0.0 {
        return out;
    }
    let nf = n as f64;
    let h = nf / 2.0;
    let j = j2 as f64 / 2.0;
    let m = a as f64 - j;
    let m1 = b as f64 - j;
    // diagonal
    let deph = if j2 == 0 {
        yd * nf / 4.0
    } else {
        yd / 2.0 * (h - m * m1 * (h + 1.0) / (j * (j + 1.0)))
    };
    out.push((j2, a, b, -(ye / 2.0 * (nf + m + m1) + deph)));
    if ye != 0.0 {
        // same block, from (j, m+1, m'+1)
        if j2 > 0 && a < j2 && b < j2 {
            let (mm, mm1) = (m + 1.0, m1 + 1.0);
            let c = ye / 2.0
                * ((j + mm) * (j - mm + 1.0) * (j + mm1) * (j - mm1 + 1.0)).sqrt()
                * (h + 1.0)
                / (j * (j + 1.0));
            out.push((j2, a + 1, b + 1, c));
        }
        // from J = j + 1, (m+1, m'+1): source indices a' = m + 1 + J = a + 2
        if j2 + 2 <= n {
            let jj = j + 1.0;
            let (mm, mm1) = (m + 1.0, m1 + 1.0);
            let c = ye / 2.0
                * ((jj + mm) * (jj + mm - 1.0) * (jj + mm1) * (jj + mm1 - 1.0)).sqrt()
                * (h + jj + 1.0)
                / (jj * (2.0 * jj + 1.0));
            out.push((j2 + 2, a + 2, b + 2, c));
        }
        // from J = j - 1, (m+1, m'+1): source index a' = m + 1 + J = a, valid when a, b <= 2J
        if j2 >= 2 && a <= j2 - 2 && b <= j2 - 2 {
            let jj = j - 1.0;
            let (mm, mm1) = (m + 1.0, m1 + 1.0);
            let c = ye / 2.0
                * ((jj - mm + 1.0) * (jj - mm + 2.0) * (jj - mm1 + 1.0) * (jj - mm1 + 2.0)).sqrt()
                * (h - jj)
                / ((jj + 1.0) * (2.0 * jj + 1.0));
            out.push((j2 - 2, a, b, c));
        }
    }
    if yd != 0.0 {
        // from J = j + 1, (m, m'): source index a' = m + J = a + 1
        if j2 + 2 <= n {
            let jj = j + 1.0;
            let c = yd / 2.0 * ((jj * jj - m * m) * (jj * jj - m1 * m1)).sqrt() * (h + jj + 1.0)
                / (jj * (2.0 * jj + 1.0));
            out.push((j2 + 2, a + 1, b + 1, c));
        }
        // from J = j - 1, (m, m'): source index a' = a - 1, valid when 1 <= a, b <= 2J + 1
        if j2 >= 2 && a >= 1 && b >= 1 && a - 1 <= j2 - 2 && b - 1 <= j2 - 2 {
            let jj = j - 1.0;
            let c = yd / 2.0
                * (((jj + 1.0).powi(2) - m * m) * ((jj + 1.0).powi(2) - m1 * m1)).sqrt()
                * (h - jj)
                / ((jj + 1.0) * (2.0 * jj + 1.0));
            out.push((j2 - 2, a - 1, b - 1, c));
        }
    }
    out.retain(|e| e.3 != 0.0);
    out
}

/// One CSR row being gathered: `(column, value)`.
type Row = Vec<(u32, C64)>;

/// Assembles the Liouvillian of the model on `basis` (see the module docs). Blocks of the basis
/// that the local terms would feed but that the basis lacks (`j2_min > N mod 2`) are dropped:
/// exact only without local rates.
pub fn build(p: &Params, basis: Basis) -> PermLiouvillian {
    let n = p.n();
    assert_eq!(basis.n(), n, "basis built for another N");
    let ye = p.gamma_loss();
    let yd = 2.0 * p.gamma_deph();
    let dim = basis.dim();
    // per block: the collective rows of each local (a + d b) index
    let per_block: Vec<Vec<(usize, Row)>> = (0..basis.blocks())
        .into_par_iter()
        .map(|k| {
            let j2 = basis.j2(k);
            let d = j2 + 1;
            let mut rows: Vec<Vec<(u32, C64)>> = vec![Vec::new(); d * d];
            if j2 > 0 {
                let pj = p.with_n(j2).expect("2J is a valid N");
                for (r, c, v) in collective::liouvillian_triplets(&pj) {
                    let (ra, rb) = (r % d, r / d);
                    let (ca, cb) = (c % d, c / d);
                    if let (Some(_), Some(ci)) = (basis.index(k, ra, rb), basis.index(k, ca, cb)) {
                        rows[r].push((ci as u32, v));
                    } else if basis.index(k, ra, rb).is_some() {
                        panic!("the sector is not closed under Eq. 7");
                    }
                }
            }
            let mut out = Vec::new();
            for b in 0..d {
                for a in 0..d {
                    let Some(i) = basis.index(k, a, b) else {
                        continue;
                    };
                    let mut row = std::mem::take(&mut rows[a + d * b]);
                    for (sj2, sa, sb, c) in local_sources(n, ye, yd, j2, a, b) {
                        if let Some(sk) = basis.block_of(sj2) {
                            let ci = basis
                                .index(sk, sa, sb)
                                .expect("the sector is closed under the local terms");
                            row.push((ci as u32, C64::new(c, 0.0)));
                        }
                    }
                    row.sort_unstable_by_key(|e| e.0);
                    let mut merged: Vec<(u32, C64)> = Vec::with_capacity(row.len());
                    for (c, v) in row {
                        match merged.last_mut() {
                            Some(l) if l.0 == c => l.1 += v,
                            _ => merged.push((c, v)),
                        }
                    }
                    merged.retain(|e| e.1 != C64::new(0.0, 0.0));
                    out.push((i, merged));
                }
            }
            out
        })
        .collect();
    let mut rows: Vec<Vec<(u32, C64)>> = vec![Vec::new(); dim];
    for blk in per_block {
        for (i, r) in blk {
            rows[i] = r;
        }
    }
    let nnz: usize = rows.iter().map(|r| r.len()).sum();
    let mut row_ptr = Vec::with_capacity(dim + 1);
    let mut col = Vec::with_capacity(nnz);
    let mut val = Vec::with_capacity(nnz);
    row_ptr.push(0);
    for r in rows {
        for (c, v) in r {
            col.push(c);
            val.push(v);
        }
        row_ptr.push(col.len());
    }
    PermLiouvillian {
        basis,
        csr: Csr {
            dim,
            row_ptr,
            col,
            val,
        },
    }
}

/// The Liouvillian on every block, in `sector`.
pub fn liouvillian(p: &Params, sector: Sector) -> PermLiouvillian {
    build(p, Basis::all_blocks(p.n(), sector))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize, gl: f64, gd: f64) -> Params {
        Params::new(n, 0.7, 0.3, 1.2)
            .unwrap()
            .with_local_rates(gl, gd)
            .unwrap()
    }

    /// `Tr L(rho) = 0` for every rho: the trace functional is a left null vector.
    #[test]
    fn trace_preserving() {
        for n in [1, 2, 5, 8] {
            for sector in [Sector::All, Sector::Even] {
                let lv = liouvillian(&params(n, 0.3, 0.2), sector);
                let mut colsum = vec![C64::new(0.0, 0.0); lv.basis.dim()];
                for i in lv.basis.diagonal() {
                    let (c, v) = lv.csr.row(i);
                    for (&c, &v) in c.iter().zip(v) {
                        colsum[c as usize] += v;
                    }
                }
                let worst = colsum.iter().map(|v| v.norm()).fold(0.0, f64::max);
                assert!(worst < 1e-12, "N = {n} {sector:?}: {worst:e}");
            }
        }
    }

    /// `L(rho^dag) = L(rho)^dag` block by block.
    #[test]
    fn hermiticity_preserving() {
        let n = 6;
        let lv = liouvillian(&params(n, 0.25, 0.4), Sector::All);
        let b = &lv.basis;
        let x: Vec<C64> = (0..b.dim())
            .map(|i| C64::new((i % 5) as f64 - 2.0, (i % 3) as f64 * 0.7))
            .collect();
        let mut xd = vec![C64::new(0.0, 0.0); b.dim()];
        for i in 0..b.dim() {
            let (k, a, c) = b.element(i);
            xd[b.index(k, c, a).unwrap()] = x[i].conj();
        }
        let (mut y, mut yd) = (
            vec![C64::new(0.0, 0.0); b.dim()],
            vec![C64::new(0.0, 0.0); b.dim()],
        );
        lv.csr.apply(&x, &mut y, &mut ());
        lv.csr.apply(&xd, &mut yd, &mut ());
        for i in 0..b.dim() {
            let (k, a, c) = b.element(i);
            let t = b.index(k, c, a).unwrap();
            assert!((yd[t] - y[i].conj()).norm() < 1e-12);
        }
    }

    /// At most 14 entries per row; without local rates the blocks decouple.
    #[test]
    fn sparsity() {
        let lv = liouvillian(&params(12, 0.3, 0.2), Sector::Even);
        let worst = (0..lv.csr.dim)
            .map(|i| lv.csr.row_ptr[i + 1] - lv.csr.row_ptr[i])
            .max()
            .unwrap();
        assert!(worst <= 14, "{worst}");
        let lv = liouvillian(&params(12, 0.0, 0.0), Sector::Even);
        for i in 0..lv.csr.dim {
            let (k, _, _) = lv.basis.element(i);
            for &c in lv.csr.row(i).0 {
                assert_eq!(lv.basis.element(c as usize).0, k);
            }
        }
    }
}
