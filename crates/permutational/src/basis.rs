//! The permutation-invariant basis: blocks of total spin `J`, elements `|J, M><J, M'|`.
//!
//! A density matrix of N TLS that is invariant under permutations of the TLS is, by Schur–Weyl
//! duality, `rho = sum_J rho_J (x) I_{d_J} / d_J` on `H = sum_J C^{2J+1} (x) C^{d_J}`, with
//! `J = N/2, N/2 - 1, ..., 0 or 1/2` and the multiplicity
//! `d_J = (2J + 1) N! / ((N/2 + J + 1)! (N/2 - J)!)`. The `(2J+1) x (2J+1)` matrix `rho_J` is the
//! partial trace of the `J` block over its multiplicity space (PIQS's convention: Shammah et al.,
//! PRA 98, 063815 (2018)), so `Tr rho = sum_J Tr rho_J` and, for every collective operator
//! `O = sum_J O_J (x) I`, `<O> = sum_J Tr(rho_J O_J)`. No `d_J` appears anywhere in the
//! numerics (it reaches 1e58 at N = 200).
//!
//! ## Layout
//! Block `k = 0, 1, ...` holds `2J = N - 2k` (block 0 is the symmetric subspace `J = N/2`), of
//! dimension `d = 2J + 1`. Inside a block the index `a = M + J` (`a = 0` is `M = -J`) and the
//! element `rho_J[a, b]` sits at `offset_k + a + d b` (column-major, as `sqz_model::sparse`).
//! A [`Sector`] keeps a subset of the elements closed under the dynamics:
//! * [`Sector::All`]: every element;
//! * [`Sector::Even`]: `M - M'` even. Every term of the model (Eq. 7 and the local terms) changes
//!   `M - M'` by 0 or +-2, so this half is closed, and it holds every state reached from the
//!   ground state or a Dicke state, and the steady state (trace and moments live on it).
//!
//! `j2_min` > N mod 2 drops the blocks of small `J` (with no local rates the blocks decouple:
//! `j2_min = N` keeps only the symmetric subspace).

/// Which elements of each block are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sector {
    /// all `(M, M')`
    All,
    /// `M - M'` even
    Even,
}

impl Sector {
    /// `"all"` or `"even"`.
    pub fn name(self) -> &'static str {
        match self {
            Sector::All => "all",
            Sector::Even => "even",
        }
    }
}

/// Sentinel of [`Basis::position`] for an element outside the sector.
const NONE: u32 = u32::MAX;

/// Index map of the permutation-invariant representation (see the module docs).
#[derive(Debug, Clone)]
pub struct Basis {
    n: usize,
    sector: Sector,
    /// `2J` of each block, descending from N
    j2: Vec<usize>,
    /// first full (all-sector) index of each block; `full_offsets[k+1] - full_offsets[k] = d^2`
    full_offsets: Vec<usize>,
    /// full index -> sector index, or [`NONE`]
    pos: Vec<u32>,
    /// sector index -> full index
    full: Vec<u32>,
}

/// Largest N the permutational model accepts (dimension ~N^3/6 = 1.4e6 at N = 200, 1.1e7 at 400).
pub const N_MAX_PERM: usize = 400;

impl Basis {
    /// All blocks `2J = N, N-2, ..., >= j2_min` in the given sector.
    ///
    /// # Panics
    /// If `n == 0`, `n > N_MAX_PERM` or `j2_min > n`.
    pub fn new(n: usize, sector: Sector, j2_min: usize) -> Self {
        assert!(
            (1..=N_MAX_PERM).contains(&n),
            "permutational basis: N = {n} outside 1..={N_MAX_PERM}"
        );
        assert!(j2_min <= n, "permutational basis: j2_min {j2_min} > N {n}");
        let j2: Vec<usize> = (0..=n / 2)
            .map(|k| n - 2 * k)
            .filter(|&x| x >= j2_min)
            .collect();
        let mut full_offsets = vec![0usize];
        for &x in &j2 {
            full_offsets.push(full_offsets.last().unwrap() + (x + 1) * (x + 1));
        }
        let total = *full_offsets.last().unwrap();
        assert!(total < NONE as usize, "permutational basis too large");
        let mut pos = vec![NONE; total];
        let mut full = Vec::with_capacity(match sector {
            Sector::All => total,
            Sector::Even => total / 2 + j2.len(),
        });
        for (k, &x) in j2.iter().enumerate() {
            let d = x + 1;
            for b in 0..d {
                for a in 0..d {
                    let keep = match sector {
                        Sector::All => true,
                        Sector::Even => (a + b) % 2 == 0,
                    };
                    if keep {
                        let f = full_offsets[k] + a + d * b;
                        pos[f] = full.len() as u32;
                        full.push(f as u32);
                    }
                }
            }
        }
        Self {
            n,
            sector,
            j2,
            full_offsets,
            pos,
            full,
        }
    }

    /// Every block (`J = N/2` down to 0 or 1/2).
    pub fn all_blocks(n: usize, sector: Sector) -> Self {
        Self::new(n, sector, n % 2)
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The sector.
    pub fn sector(&self) -> Sector {
        self.sector
    }
    /// Number of unknowns.
    pub fn dim(&self) -> usize {
        self.full.len()
    }
    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.j2.len()
    }
    /// `2J` of block `k`.
    pub fn j2(&self, k: usize) -> usize {
        self.j2[k]
    }
    /// Block of `2J`, if present.
    pub fn block_of(&self, j2: usize) -> Option<usize> {
        if j2 > self.n || (self.n - j2) % 2 != 0 {
            return None;
        }
        let k = (self.n - j2) / 2;
        (k < self.j2.len()).then_some(k)
    }
    /// Position of `rho_J[a, b]` of block `k` in the state vector, `None` outside the sector.
    ///
    /// # Panics
    /// If `a` or `b` is outside the block.
    #[inline]
    pub fn index(&self, k: usize, a: usize, b: usize) -> Option<usize> {
        let d = self.j2[k] + 1;
        assert!(
            a < d && b < d,
            "element ({a}, {b}) outside block of size {d}"
        );
        let p = self.pos[self.full_offsets[k] + a + d * b];
        (p != NONE).then_some(p as usize)
    }
    /// `(k, a, b)` of a state-vector position.
    pub fn element(&self, i: usize) -> (usize, usize, usize) {
        let f = self.full[i] as usize;
        let k = self.full_offsets.partition_point(|&o| o <= f) - 1;
        let d = self.j2[k] + 1;
        let l = f - self.full_offsets[k];
        (k, l % d, l / d)
    }
    /// The contiguous range of state-vector positions of block `k`.
    pub fn block_range(&self, k: usize) -> std::ops::Range<usize> {
        let first = |kk: usize| -> usize {
            if kk == self.j2.len() {
                return self.full.len();
            }
            // the first kept element of a block is (0, 0), in every sector
            self.pos[self.full_offsets[kk]] as usize
        };
        first(k)..first(k + 1)
    }
    /// Positions of the diagonal elements (the trace functional).
    pub fn diagonal(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for k in 0..self.blocks() {
            for a in 0..=self.j2[k] {
                out.push(
                    self.index(k, a, a)
                        .expect("diagonal elements are in every sector"),
                );
            }
        }
        out
    }
}

/// `ln d_J`, the log multiplicity of total spin `J = j2/2` among N spins 1/2:
/// `d_J = (2J+1) N! / ((N/2 + J + 1)! (N/2 - J)!)`.
pub fn ln_degeneracy(n: usize, j2: usize) -> f64 {
    assert!(j2 <= n && (n - j2) % 2 == 0, "no J = {j2}/2 for N = {n}");
    let lf = |m: usize| (1..=m).map(|x| (x as f64).ln()).sum::<f64>();
    let up = (n + j2) / 2 + 1;
    let lo = (n - j2) / 2;
    ((j2 + 1) as f64).ln() + lf(n) - lf(up) - lf(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_and_degeneracies() {
        for n in 1..=12 {
            let b = Basis::all_blocks(n, Sector::All);
            let want: usize = (0..=n / 2).map(|k| (n - 2 * k + 1).pow(2)).sum();
            assert_eq!(b.dim(), want);
            // sum_J (2J+1) d_J = 2^N
            let total: f64 = (0..b.blocks())
                .map(|k| (b.j2(k) + 1) as f64 * ln_degeneracy(n, b.j2(k)).exp())
                .sum();
            assert!((total - 2f64.powi(n as i32)).abs() < 1e-9 * total, "{n}");
            let e = Basis::all_blocks(n, Sector::Even);
            for i in 0..e.dim() {
                let (k, a, bb) = e.element(i);
                assert_eq!(e.index(k, a, bb), Some(i));
                assert_eq!((a + bb) % 2, 0);
            }
            assert_eq!(e.diagonal().len(), b.diagonal().len());
        }
        // N = 200: 1 373 701 unknowns in all, 686 901 in the even sector
        assert_eq!(Basis::all_blocks(200, Sector::All).dim(), 1_373_701);
        assert_eq!(Basis::all_blocks(200, Sector::Even).dim(), 686_901);
        assert_eq!(Basis::new(6, Sector::All, 6).dim(), 49);
    }
}
