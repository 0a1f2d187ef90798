//! Coefficients of the two-jump Lindblad form of Eq. 3 (spec; not in the paper):
//!
//! ```text
//! L(rho) = G rho + rho G^dag + sum_{c=+,-} J_c rho J_c^dag,     G = -i H_eff
//! H_eff  = H - (i/2) sum_c J_c^dag J_c,   H = Delta_N sum_i s+_i s-_i + H_DD
//! J_c    = cosh r b_c - e^{i alpha} sinh r b_c^dag,   b_c = (1/sqrt 2) sum_i e^{c i z_i} sigma_i
//! ```
//!
//! Writing `J_c = sum_i (u_ci sigma_i + v_ci sigma_i^dag)` with `u_ci = cosh r e^{i c z_i}/sqrt 2`,
//! `v_ci = -e^{i alpha} sinh r e^{-i c z_i}/sqrt 2`, the one-sided operator `G` has, per basis row
//! `a`, a diagonal element and one element per pair `i < j` (the partner `a ^ (2^i | 2^j)`), whose
//! value depends on the two bits `(a_i, a_j)`:
//!
//! | `(a_i, a_j)` | operator | `G[a, a ^ m]` |
//! |---|---|---|
//! | (1, 0) | `s+_i s-_j` | `i Delta_ij - (1/2) sum_c (conj(u_ci) u_cj + conj(v_cj) v_ci)` |
//! | (0, 1) | `s+_j s-_i` | `i Delta_ij - (1/2) sum_c (conj(u_cj) u_ci + conj(v_ci) v_cj)` |
//! | (1, 1) | `s+_i s+_j` | `-(1/2) sum_c (conj(u_ci) v_cj + conj(u_cj) v_ci)` |
//! | (0, 0) | `s-_i s-_j` | `-(1/2) sum_c (conj(v_ci) u_cj + conj(v_cj) u_ci)` |
//!
//! and `G[a, a] = -i Delta_N n(a) - (1/2) sum_c sum_i (|u_ci|^2 a_i + |v_ci|^2 (1 - a_i))`.
//! `Delta_ij` (H_DD, which the jump operators do not contain) comes from
//! [`sqz_model::couplings::Couplings`]; everything else from `u`, `v`. The N^2-pair form of
//! [`crate::csr`] uses `gamma-_ij`, `gamma+_ij` instead, so the two builds are independent.

use crate::basis::excitations;
use crate::C64;
use sqz_model::couplings::Couplings;
use sqz_model::Params;

/// One pair element of `G`: `(G x)[a] += coef[a_i | a_j << 1] * x[a ^ (2^i | 2^j)]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairCoef {
    /// first TLS (`i < j`)
    pub i: usize,
    /// second TLS
    pub j: usize,
    /// the element for each configuration `(a_i, a_j)` of the output row, index `a_i | a_j << 1`
    pub coef: [C64; 4],
}

/// The operator data of the two-jump form.
///
/// The diagonal of the Liouvillian is `L[(a,b),(a,b)] = G[a,a] + conj(G[b,b])` (the sandwich
/// `J rho J^dag` has no diagonal: it flips one ket and one bra bit), e.g. for a Jacobi
/// preconditioner.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoJump {
    /// number of TLS
    pub n: usize,
    /// `u[c][i]`, c = 0 for `+`, 1 for `-`
    pub u: [Vec<C64>; 2],
    /// `v[c][i]`
    pub v: [Vec<C64>; 2],
    /// `G[a, a]` for all `a`
    pub g_diag: Vec<C64>,
    /// pair elements of `G`, `i < j`
    pub g_pairs: Vec<PairCoef>,
}

impl TwoJump {
    /// Coefficients for parameters `p` and positions `z`.
    ///
    /// # Panics
    /// If `z.len() != p.n()`, or `2^N` overflows.
    pub fn new(p: &Params, z: &[f64]) -> Self {
        let n = p.n();
        assert_eq!(z.len(), n, "positions: expected N = {n} values");
        let (ch, sh) = (p.r().cosh(), p.r().sinh());
        let s2 = std::f64::consts::FRAC_1_SQRT_2;
        let ea = C64::from_polar(1.0, p.alpha());
        let mut u = [vec![C64::default(); n], vec![C64::default(); n]];
        let mut v = [vec![C64::default(); n], vec![C64::default(); n]];
        for (ci, c) in [1.0f64, -1.0].into_iter().enumerate() {
            for i in 0..n {
                u[ci][i] = C64::from_polar(ch * s2, c * z[i]);
                v[ci][i] = -ea * C64::from_polar(sh * s2, -c * z[i]);
            }
        }
        let cp = Couplings::new(z);
        let sum_c = |f: &dyn Fn(usize) -> C64| f(0) + f(1);
        let mut g_pairs = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                let idelta = C64::new(0.0, cp.delta(i, j));
                let c10 =
                    idelta - 0.5 * sum_c(&|c| u[c][i].conj() * u[c][j] + v[c][j].conj() * v[c][i]);
                let c01 =
                    idelta - 0.5 * sum_c(&|c| u[c][j].conj() * u[c][i] + v[c][i].conj() * v[c][j]);
                let c11 = -0.5 * sum_c(&|c| u[c][i].conj() * v[c][j] + u[c][j].conj() * v[c][i]);
                let c00 = -0.5 * sum_c(&|c| v[c][i].conj() * u[c][j] + v[c][j].conj() * u[c][i]);
                g_pairs.push(PairCoef {
                    i,
                    j,
                    coef: [c00, c10, c01, c11],
                });
            }
        }
        let d = crate::basis::hilbert_dim(n);
        let delta_n = p.delta_n();
        let g_diag = (0..d)
            .map(|a| {
                let mut re = 0.0;
                for c in 0..2 {
                    for i in 0..n {
                        re += if (a >> i) & 1 == 1 {
                            u[c][i].norm_sqr()
                        } else {
                            v[c][i].norm_sqr()
                        };
                    }
                }
                C64::new(-0.5 * re, -delta_n * excitations(a) as f64)
            })
            .collect();
        Self {
            n,
            u,
            v,
            g_diag,
            g_pairs,
        }
    }

    /// The diagonal element `L[(a,b),(a,b)] = G[a,a] + conj(G[b,b])` of the Liouvillian.
    pub fn liouvillian_diagonal(&self, a: usize, b: usize) -> C64 {
        self.g_diag[a] + self.g_diag[b].conj()
    }
}
