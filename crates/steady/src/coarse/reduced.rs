//! Clebsch–Gordan matrices and the reduced matrices of `sigma_i` between Schur–Weyl sectors
//! (the configuration-independent part of the Kronecker form, see the parent module).

use super::*;

/// `T[k', k] = <J M; 1 -1 | J' M-1>` with `k = M + J`, `k' = M - 1 + J'` (Condon–Shortley), for
/// `2J = two_j`, `2J' = two_jp`; the matrix element of the spherical component `-1` of a vector
/// operator between `|J M>` and `|J' M-1>` up to the reduced matrix element.
pub fn cg_lower(two_j: usize, two_jp: usize) -> Mat<f64> {
    let j = two_j as f64 / 2.0;
    let jp = two_jp as f64 / 2.0;
    let mut t = Mat::<f64>::zeros(two_jp + 1, two_j + 1);
    for k in 0..=two_j {
        let m = k as f64 - j;
        let mp = m - 1.0;
        let kp = mp + jp;
        if kp < -0.25 || kp > two_jp as f64 + 0.25 {
            continue;
        }
        let kp = kp.round() as usize;
        let v = if two_jp == two_j + 2 {
            ((j - mp) * (j - mp + 1.0) / ((2.0 * j + 1.0) * (2.0 * j + 2.0))).sqrt()
        } else if two_jp == two_j {
            if two_j == 0 {
                0.0
            } else {
                ((j - mp) * (j + mp + 1.0) / (2.0 * j * (j + 1.0))).sqrt()
            }
        } else if two_jp + 2 == two_j {
            ((j + mp) * (j + mp + 1.0) / (2.0 * j * (2.0 * j + 1.0))).sqrt()
        } else {
            0.0
        };
        t[(kp, k)] = v;
    }
    t
}

/// The configuration-independent part of the Kronecker form: Clebsch–Gordan matrices and the
/// reduced matrices `R^(i)_{J'J}` of every `sigma_i` between sectors (indexed by sector number,
/// `q = N/2 - J`).
pub struct Reduced {
    pub(super) n: usize,
    pub(super) ns: usize,
    /// `t[to * ns + from]`: `T_{J'J}` where `sigma` maps sector `from` into sector `to`
    pub(super) t: Vec<Option<Mat<f64>>>,
    /// `r[(i * ns + to) * ns + from]`: `R^(i)_{J'J}` (`d_to x d_from`)
    pub(super) r: Vec<Option<Mat<f64>>>,
}

impl Reduced {
    /// Builds the reduced matrices from the basis of `sw`: for each sector pair one block
    /// `B_{e-1}[:, J']^T sigma_i B_e[:, J]` at the `M` with the largest Clebsch–Gordan
    /// coefficient, divided by it.
    pub fn new(sw: &SchurWeyl) -> Self {
        let n = sw.n();
        let ns = sw.n_sectors();
        let mut t = vec![None; ns * ns];
        let mut r = vec![None; n * ns * ns];
        for from in 0..ns {
            let (q, d, col, _) = sw.sector(from);
            let two_j = n - 2 * q;
            for to in 0..ns {
                let (qp, dp, colp, _) = sw.sector(to);
                let two_jp = n - 2 * qp;
                if two_jp.abs_diff(two_j) > 2 {
                    continue;
                }
                let tm = cg_lower(two_j, two_jp);
                // the largest coefficient, ties to the smallest excitation block
                let mut best = (0.0, 0usize, 0usize);
                for k in 0..=two_j {
                    for kp in 0..=two_jp {
                        let v = tm[(kp, k)];
                        if v > best.0 * (1.0 + 1e-9) {
                            best = (v, kp, k);
                        }
                    }
                }
                if best.0 < 1e-12 {
                    continue;
                }
                let (tv, _, k) = best;
                let e = q + k;
                let be = sw.basis_real(e);
                let bf = sw.basis_real(e - 1);
                let (se, sf) = (sw.states(e), sw.states(e - 1));
                let pos = |s: usize| sf.binary_search(&s).expect("state with e-1 excitations");
                for i in 0..n {
                    // M = sigma_i B_e[:, from] (rows: e-1 states)
                    let mut m = Mat::<f64>::zeros(sf.len(), d);
                    for (row, &s) in se.iter().enumerate() {
                        if (s >> i) & 1 == 1 {
                            let rr = pos(s ^ (1 << i));
                            for a in 0..d {
                                m[(rr, a)] = be[(row, col + a)];
                            }
                        }
                    }
                    let mut red = Mat::<f64>::zeros(dp, d);
                    matmul(
                        red.as_mut(),
                        Accum::Replace,
                        bf.subcols(colp, dp).transpose(),
                        m.as_ref(),
                        1.0 / tv,
                        Par::Seq,
                    );
                    r[(i * ns + to) * ns + from] = Some(red);
                }
                t[to * ns + from] = Some(tm);
            }
        }
        Self { n, ns, t, r }
    }

    /// The Clebsch–Gordan matrix `T_{J'J}` (sector `from` -> `to` under `sigma`), if connected.
    pub fn t(&self, to: usize, from: usize) -> Option<&Mat<f64>> {
        self.t[to * self.ns + from].as_ref()
    }

    /// The reduced matrix `R^(i)_{J'J}` of `sigma_i` from sector `from` to `to`.
    ///
    /// # Panics
    /// If the sectors are not connected ([`Reduced::t`] is `None`).
    pub fn r(&self, i: usize, to: usize, from: usize) -> &Mat<f64> {
        self.r[(i * self.ns + to) * self.ns + from]
            .as_ref()
            .expect("reduced matrix of a connected sector pair")
    }

    /// `sum_i w_i R^(i)_{to, from}` (or its transpose `sum_i w_i R^(i)T_{from, to}` when
    /// `transpose`, the factor of `sigma_i^dag` from `from` to `to`).
    pub fn combine(&self, w: &[C64], to: usize, from: usize, transpose: bool) -> Mat<C64> {
        let (a, b) = if transpose { (from, to) } else { (to, from) };
        let r0 = self.r(0, a, b);
        let (nr, nc) = if transpose {
            (r0.ncols(), r0.nrows())
        } else {
            (r0.nrows(), r0.ncols())
        };
        let mut out = Mat::<C64>::zeros(nr, nc);
        for (i, wi) in w.iter().enumerate() {
            let ri = self.r(i, a, b);
            for c in 0..nc {
                for rr in 0..nr {
                    let v = if transpose { ri[(c, rr)] } else { ri[(rr, c)] };
                    out[(rr, c)] += wi * v;
                }
            }
        }
        out
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        let m = |x: &Option<Mat<f64>>| x.as_ref().map_or(0, |m| m.nrows() * m.ncols());
        ((self.t.iter().map(m).sum::<usize>() + self.r.iter().map(m).sum::<usize>()) * 8) as u64
    }
}
