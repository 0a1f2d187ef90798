//! Small sparse operators and the assembly of Lindblad superoperators from them.
//!
//! Vectorisation convention used everywhere in sqz: `vec(rho)` stacks columns, so the density
//! matrix element `rho[a, b]` of a `d x d` matrix sits at index `a + d * b`. With it,
//! `vec(X rho) = (I (x) X) vec(rho)`, `vec(rho Y) = (Y^T (x) I) vec(rho)` and
//! `vec(A rho B) = (B^T (x) A) vec(rho)`.

use crate::C64;
use std::collections::BTreeMap;

/// A sparse square operator as a list of `(row, col, value)` entries (no duplicates).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseOp {
    /// dimension
    pub dim: usize,
    /// nonzero entries
    pub entries: Vec<(usize, usize, C64)>,
}

impl SparseOp {
    /// From entries; duplicates are summed and exact zeros dropped.
    pub fn new(dim: usize, entries: impl IntoIterator<Item = (usize, usize, C64)>) -> Self {
        let mut map: BTreeMap<(usize, usize), C64> = BTreeMap::new();
        for (r, c, v) in entries {
            assert!(
                r < dim && c < dim,
                "entry ({r}, {c}) outside dimension {dim}"
            );
            *map.entry((r, c)).or_default() += v;
        }
        let entries = map
            .into_iter()
            .filter(|(_, v)| *v != C64::new(0.0, 0.0))
            .map(|((r, c), v)| (r, c, v))
            .collect();
        Self { dim, entries }
    }

    /// The identity.
    pub fn identity(dim: usize) -> Self {
        Self::new(dim, (0..dim).map(|i| (i, i, C64::new(1.0, 0.0))))
    }

    /// Hermitian adjoint.
    pub fn adjoint(&self) -> Self {
        Self::new(
            self.dim,
            self.entries.iter().map(|&(r, c, v)| (c, r, v.conj())),
        )
    }

    /// `self * other`.
    ///
    /// # Panics
    /// If the dimensions differ.
    pub fn mul(&self, other: &Self) -> Self {
        assert_eq!(self.dim, other.dim, "dimension mismatch");
        let mut rows: Vec<Vec<(usize, C64)>> = vec![Vec::new(); other.dim];
        for &(r, c, v) in &other.entries {
            rows[r].push((c, v));
        }
        let prod = self
            .entries
            .iter()
            .flat_map(|&(r, k, a)| rows[k].iter().map(move |&(c, b)| (r, c, a * b)));
        Self::new(self.dim, prod.collect::<Vec<_>>())
    }

    /// `alpha * self + beta * other`.
    pub fn axpby(&self, alpha: C64, other: &Self, beta: C64) -> Self {
        assert_eq!(self.dim, other.dim, "dimension mismatch");
        let a = self.entries.iter().map(|&(r, c, v)| (r, c, alpha * v));
        let b = other.entries.iter().map(|&(r, c, v)| (r, c, beta * v));
        Self::new(self.dim, a.chain(b).collect::<Vec<_>>())
    }

    /// `y = self * x`.
    pub fn apply(&self, x: &[C64], y: &mut [C64]) {
        y.iter_mut().for_each(|v| *v = C64::new(0.0, 0.0));
        for &(r, c, v) in &self.entries {
            y[r] += v * x[c];
        }
    }
}

/// Accumulates superoperator entries `(row, col, value)` on the `d^2`-dimensional Liouville
/// space of a `d`-dimensional system.
#[derive(Debug, Clone, Default)]
pub struct SuperopBuilder {
    /// system dimension `d`
    pub d: usize,
    /// raw entries, duplicates allowed
    pub triplets: Vec<(usize, usize, C64)>,
}

impl SuperopBuilder {
    /// An empty superoperator on a `d`-dimensional system.
    pub fn new(d: usize) -> Self {
        Self {
            d,
            triplets: Vec::new(),
        }
    }

    /// Adds `coef * X rho`.
    pub fn left(&mut self, x: &SparseOp, coef: C64) {
        let d = self.d;
        for &(a, a2, v) in &x.entries {
            for b in 0..d {
                self.triplets.push((a + d * b, a2 + d * b, coef * v));
            }
        }
    }

    /// Adds `coef * rho Y`.
    pub fn right(&mut self, y: &SparseOp, coef: C64) {
        let d = self.d;
        for &(b2, b, v) in &y.entries {
            for a in 0..d {
                self.triplets.push((a + d * b, a + d * b2, coef * v));
            }
        }
    }

    /// Adds `coef * A rho B`.
    pub fn sandwich(&mut self, a: &SparseOp, b: &SparseOp, coef: C64) {
        let d = self.d;
        for &(r, r2, va) in &a.entries {
            for &(c2, c, vb) in &b.entries {
                self.triplets.push((r + d * c, r2 + d * c2, coef * va * vb));
            }
        }
    }

    /// Adds `-i [H, rho]`.
    pub fn hamiltonian(&mut self, h: &SparseOp) {
        self.left(h, C64::new(0.0, -1.0));
        self.right(h, C64::new(0.0, 1.0));
    }

    /// Adds `coef * D(A, B) rho` with the paper's `D(A,B) rho = 2 A rho B - rho B A - B A rho`.
    pub fn d_paper(&mut self, a: &SparseOp, b: &SparseOp, coef: C64) {
        let ba = b.mul(a);
        self.sandwich(a, b, 2.0 * coef);
        self.right(&ba, -coef);
        self.left(&ba, -coef);
    }

    /// Entries with duplicates summed and exact zeros dropped, sorted by (col, row).
    pub fn finish(self) -> Vec<(usize, usize, C64)> {
        let mut t = self.triplets;
        t.sort_unstable_by_key(|&(r, c, _)| (c, r));
        let mut out: Vec<(usize, usize, C64)> = Vec::with_capacity(t.len());
        for (r, c, v) in t {
            match out.last_mut() {
                Some(last) if last.0 == r && last.1 == c => last.2 += v,
                _ => out.push((r, c, v)),
            }
        }
        out.retain(|e| e.2 != C64::new(0.0, 0.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(op: &SparseOp) -> Vec<C64> {
        let mut m = vec![C64::default(); op.dim * op.dim];
        for &(r, c, v) in &op.entries {
            m[r * op.dim + c] += v;
        }
        m
    }

    #[test]
    fn superop_matches_matrix_products() {
        let d = 3;
        let a = SparseOp::new(d, [(0, 1, C64::new(1.0, 2.0)), (2, 0, C64::new(-0.5, 0.0))]);
        let b = SparseOp::new(d, [(1, 2, C64::new(0.3, -1.0)), (0, 0, C64::new(2.0, 0.0))]);
        let rho: Vec<C64> = (0..d * d)
            .map(|k| C64::new(k as f64, (k * k) as f64 * 0.1))
            .collect();
        // rho as matrix: rho[a, b] = vec[a + d b]
        let mut sb = SuperopBuilder::new(d);
        sb.d_paper(&a, &b, C64::new(0.7, 0.2));
        let l = sb.finish();
        let mut out = vec![C64::default(); d * d];
        for &(r, c, v) in &l {
            out[r] += v * rho[c];
        }
        // reference with dense products
        let (ad, bd) = (dense(&a), dense(&b));
        let rm = |i: usize, j: usize| rho[i + d * j];
        let mm = |x: &dyn Fn(usize, usize) -> C64,
                  y: &dyn Fn(usize, usize) -> C64,
                  i: usize,
                  j: usize| { (0..d).map(|k| x(i, k) * y(k, j)).sum::<C64>() };
        let am = |i: usize, j: usize| ad[i * d + j];
        let bm = |i: usize, j: usize| bd[i * d + j];
        let ba = |i: usize, j: usize| mm(&bm, &am, i, j);
        let arho = |i: usize, j: usize| mm(&am, &rm, i, j);
        for i in 0..d {
            for j in 0..d {
                let want = 2.0 * mm(&arho, &bm, i, j) - mm(&rm, &ba, i, j) - mm(&ba, &rm, i, j);
                let got = out[i + d * j] / C64::new(0.7, 0.2);
                assert!((want - got).norm() < 1e-12, "{i} {j}: {want} vs {got}");
            }
        }
    }
}
