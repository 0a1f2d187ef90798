//! The configuration-independent set-up: Schur–Weyl sectors, spin-J steady states and the group
//! inverses of the collective Liouvillian on every sector pair.

use super::*;

/// One total-spin sector.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sec {
    pub(super) two_j: usize,
    pub(super) nj: usize,
    pub(super) d: usize,
    pub(super) off: usize,
}

/// The configuration-independent part of the limit: the Schur–Weyl basis, the reduced matrices,
/// the spin-J steady states and the group inverses of the collective Liouvillian on every sector
/// pair with `|J - J'| <= 2`. Depends on `(N, r, alpha, Delta)` only; a study keeps one.
pub struct LimitSetup {
    pub(super) params: (usize, f64, f64, f64),
    pub(super) sw: SchurWeyl,
    pub(super) red: Reduced,
    pub(super) sec: Vec<Sec>,
    pub(super) rho: Vec<Mat<C64>>,
    /// `ginv[a * ns + b]`: the group inverse of `L0coll_{J_a J_b}` on `vec` (column-major) of
    /// `(2J_a+1) x (2J_b+1)` matrices
    pub(super) ginv: Vec<Option<Mat<C64>>>,
    pub(super) u0: C64,
    pub(super) v0: C64,
    /// largest `|L0coll G L0coll - L0coll|` relative to `|L0coll|` (diagnostic)
    pub ginv_defect: f64,
    /// seconds to build
    pub seconds: f64,
    /// faer's parallelism of the set-up and of the limits computed with it
    pub(super) par: Par,
}

/// Dense Dicke-basis spin matrices `(S-, S+, S^z)` for `2J = two_j`.
pub(super) fn spin_mats(two_j: usize) -> (Mat<C64>, Mat<C64>, Mat<C64>) {
    let nj = two_j + 1;
    let mut sp = Mat::<C64>::zeros(nj, nj);
    for k in 0..two_j {
        sp[(k + 1, k)] = C64::new(sqz_model::spin::s_plus_element(two_j, k), 0.0);
    }
    let sm = adj(&sp);
    let sz = Mat::<C64>::from_fn(nj, nj, |i, j| {
        if i == j {
            C64::new(sqz_model::spin::m_of(two_j, i), 0.0)
        } else {
            ZERO
        }
    });
    (sm, sp, sz)
}

/// The collective Liouvillian (Eq. 7) on the `(J_a, J_b)` block, acting on `vec` (column-major)
/// of `na x nb` matrices: spin-`J_a` operators on the left, spin-`J_b` on the right.
pub(super) fn l0_block(p: &Params, two_ja: usize, two_jb: usize, par: Par) -> Mat<C64> {
    let (ma, pa, za) = spin_mats(two_ja);
    let (mb, pb, zb) = spin_mats(two_jb);
    let (na, nb) = (two_ja + 1, two_jb + 1);
    let dim = na * nb;
    let mut l = Mat::<C64>::zeros(dim, dim);
    // X -> c A X B:  vec(A X B) = (B^T (x) A) vec X
    let mut add = |a: &Mat<C64>, b: &Mat<C64>, c: C64| {
        for jx in 0..nb {
            for ix in 0..na {
                for lb in 0..nb {
                    let bv = b[(lb, jx)];
                    if bv == ZERO {
                        continue;
                    }
                    for ka in 0..na {
                        let av = a[(ix, ka)];
                        if av != ZERO {
                            l[(ix + na * jx, ka + na * lb)] += c * av * bv;
                        }
                    }
                }
            }
        }
    };
    let ia = Mat::<C64>::identity(na, na);
    let ib = Mat::<C64>::identity(nb, nb);
    let dn = p.delta_n();
    add(&za, &ib, C64::new(0.0, -dn));
    add(&ia, &zb, C64::new(0.0, dn));
    // D(A, B) X = 2 A X B - X B A - B A X, A and B collective
    let nsq = p.nsq();
    let m = p.m();
    // (A on the left spin, B on the left spin, A on the right, B on the right, coefficient)
    type Term<'a> = (&'a Mat<C64>, &'a Mat<C64>, &'a Mat<C64>, &'a Mat<C64>, C64);
    let terms: [Term; 4] = [
        (&pa, &ma, &pb, &mb, C64::new(0.5 * nsq, 0.0)),
        (&ma, &pa, &mb, &pb, C64::new(0.5 * (nsq + 1.0), 0.0)),
        (&pa, &pa, &pb, &pb, -0.5 * m),
        (&ma, &ma, &mb, &mb, -0.5 * m.conj()),
    ];
    for (a_left, b_left, a_right, b_right, c) in terms {
        // left factor A acts on spin a, right factor B on spin b
        add(a_left, b_right, 2.0 * c);
        let ba_right = mul(b_right, a_right, par);
        add(&ia, &ba_right, -c);
        let ba_left = mul(b_left, a_left, par);
        add(&ba_left, &ib, -c);
    }
    l
}

impl LimitSetup {
    /// Builds the set-up for `p` with faer's parallelism `par`.
    pub fn new(p: &Params, par: Par) -> Result<Self, SteadyError> {
        let t0 = Instant::now();
        let sw = SchurWeyl::new(p, par)?;
        let red = Reduced::new(&sw);
        let n = p.n();
        let ns = sw.n_sectors();
        let sec: Vec<Sec> = (0..ns)
            .map(|k| {
                let (q, d, _, off) = sw.sector(k);
                Sec {
                    two_j: n - 2 * q,
                    nj: n - 2 * q + 1,
                    d,
                    off,
                }
            })
            .collect();
        let rho: Vec<Mat<C64>> = (0..ns).map(|k| sw.sector_rho(k).clone()).collect();
        let mut ginv = vec![None; ns * ns];
        let mut defect: f64 = 0.0;
        for a in 0..ns {
            for b in 0..ns {
                if sec[a].two_j.abs_diff(sec[b].two_j) > 4 {
                    continue;
                }
                let l = l0_block(p, sec[a].two_j, sec[b].two_j, par);
                let dim = l.nrows();
                let g = if a == b {
                    // (L + rho 1^T)^{-1} - rho 1^T, 1^T vec(S) = Tr S
                    let nj = sec[a].nj;
                    let r = &rho[a];
                    let rv: Vec<C64> = (0..dim).map(|k| r[(k % nj, k / nj)]).collect();
                    let tv: Vec<C64> = (0..dim)
                        .map(|k| if k % nj == k / nj { ONE } else { ZERO })
                        .collect();
                    let res = (0..dim)
                        .map(|i| (0..dim).map(|k| l[(i, k)] * rv[k]).sum::<C64>().norm())
                        .fold(0.0, f64::max);
                    if res > 1e-9 * max_abs(&l).max(1.0) {
                        return Err(SteadyError::Unsupported(format!(
                            "limit set-up: the spin-{} steady state is not the null vector of the \
                             collective Liouvillian on its block (residual {res:.2e})",
                            sec[a].two_j as f64 / 2.0
                        )));
                    }
                    let bord = Mat::<C64>::from_fn(dim, dim, |i, k| l[(i, k)] + rv[i] * tv[k]);
                    let inv = sqz_krylov::par_dense::Lu::new(bord.as_ref(), par).inverse(par);
                    Mat::<C64>::from_fn(dim, dim, |i, k| inv[(i, k)] - rv[i] * tv[k])
                } else {
                    sqz_krylov::par_dense::Lu::new(l.as_ref(), par).inverse(par)
                };
                // L G L = L (group inverse property; on invertible blocks L G = I)
                let lgl = mul(&mul(&l, &g, par), &l, par);
                let d = Mat::<C64>::from_fn(dim, dim, |i, k| lgl[(i, k)] - l[(i, k)]);
                defect = defect.max(max_abs(&d) / max_abs(&l).max(1e-300));
                ginv[a * ns + b] = Some(g);
            }
        }
        if defect.is_nan() || defect >= 1e-8 {
            return Err(SteadyError::Unsupported(format!(
                "limit set-up: group inverse of the collective Liouvillian inaccurate ({defect:.2e})"
            )));
        }
        let s2 = std::f64::consts::FRAC_1_SQRT_2;
        Ok(Self {
            params: (p.n(), p.r(), p.alpha(), p.delta()),
            sw,
            red,
            sec,
            rho,
            ginv,
            u0: C64::new(p.r().cosh() * s2, 0.0),
            v0: -C64::from_polar(p.r().sinh() * s2, p.alpha()),
            ginv_defect: defect,
            seconds: t0.elapsed().as_secs_f64(),
            par,
        })
    }

    /// Whether this set-up was built for the parameters `p` and the parallelism `par`.
    pub fn matches(&self, p: &Params, par: Par) -> bool {
        self.params == (p.n(), p.r(), p.alpha(), p.delta()) && self.par == par
    }

    /// The Schur–Weyl basis.
    pub fn schur_weyl(&self) -> &SchurWeyl {
        &self.sw
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.params.0
    }

    /// Dimension of the populations space, `sum_J d_J`.
    pub fn populations_dim(&self) -> usize {
        self.sec.iter().map(|s| s.d).sum()
    }

    pub(super) fn ns(&self) -> usize {
        self.sec.len()
    }

    /// `vec^-1(G vec(s))` for the group inverse of block `(a, b)`.
    pub(super) fn apply_ginv(&self, a: usize, b: usize, s: &Mat<C64>) -> Mat<C64> {
        let g = self.ginv[a * self.ns() + b]
            .as_ref()
            .expect("group inverse of a sector pair within |J - J'| <= 2");
        let (na, nb) = (self.sec[a].nj, self.sec[b].nj);
        let mut out = Mat::<C64>::zeros(na, nb);
        for k in 0..na * nb {
            let x = s[(k % na, k / na)];
            if x == ZERO {
                continue;
            }
            for i in 0..na * nb {
                out[(i % na, i / na)] += g[(i, k)] * x;
            }
        }
        out
    }
}
