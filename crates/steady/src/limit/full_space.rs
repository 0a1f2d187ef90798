//! The full-space reference: `L1`, `L2` as dense `2^N` operators, `L0^#` by GMRES, `G1`, `G2`
//! column by column, and the limit from them.

use super::*;

/// `L1` and `L2` of one configuration as dense `2^N` operators (the full-space reference).
pub struct FullTaylor {
    pub(super) n: usize,
    pub(super) h1: Mat<C64>,
    /// `(P, Q, Q^dag P)` of `L2 = 2 sum D(P, Q)`
    pub(super) pairs: Vec<(Mat<C64>, Mat<C64>, Mat<C64>)>,
    /// faer's parallelism of the products
    pub(super) par: Par,
}

impl FullTaylor {
    /// Dense `2^N` matrices for `p` and the disorder direction `chi` (N <= 10 or so); their
    /// products with faer's parallelism `par`.
    pub fn new(p: &Params, chi: &[f64], par: Par) -> Self {
        let n = p.n();
        let dh = 1usize << n;
        let lower = |f: &[f64]| {
            let mut m = Mat::<C64>::zeros(dh, dh);
            for b in 0..dh {
                for (i, &fi) in f.iter().enumerate() {
                    if (b >> i) & 1 == 1 {
                        m[(b ^ (1 << i), b)] += C64::new(fi, 0.0);
                    }
                }
            }
            m
        };
        let s2 = std::f64::consts::FRAC_1_SQRT_2;
        let u0 = C64::new(p.r().cosh() * s2, 0.0);
        let v0 = -C64::from_polar(p.r().sinh() * s2, p.alpha());
        let one = vec![1.0; n];
        let chi2: Vec<f64> = chi.iter().map(|c| c * c).collect();
        let comb = |f: &[f64], a: C64, b: C64| {
            let m = lower(f);
            let ma = adj(&m);
            Mat::<C64>::from_fn(dh, dh, |i, j| a * m[(i, j)] + b * ma[(i, j)])
        };
        let j0 = comb(&one, u0, v0);
        let k1 = comb(chi, u0, -v0);
        let j2 = comb(&chi2, -0.5 * u0, -0.5 * v0);
        let dp = delta_prime(chi);
        let mut h1 = Mat::<C64>::zeros(dh, dh);
        for b in 0..dh {
            for j in 0..n {
                if (b >> j) & 1 == 0 {
                    continue;
                }
                for i in 0..n {
                    if i == j || ((b ^ (1 << j)) >> i) & 1 == 1 {
                        continue;
                    }
                    let a = (b ^ (1 << j)) | (1 << i);
                    h1[(a, b)] += C64::new(-dp[i * n + j], 0.0);
                }
            }
        }
        let pair = |p: &Mat<C64>, q: &Mat<C64>| {
            let qp = sqz_krylov::par_dense::mul(q.adjoint(), p.as_ref(), par);
            (p.clone(), q.clone(), qp)
        };
        let pairs = vec![pair(&j0, &j2), pair(&j2, &j0), pair(&k1, &k1)];
        Self { n, h1, pairs, par }
    }

    pub(super) fn to_full(&self, xb: &[C64]) -> Mat<C64> {
        let n = self.n;
        let dh = 1usize << n;
        Mat::<C64>::from_fn(dh, dh, |a, b| {
            sqz_superop::parity::block_index(n, a, b).map_or(ZERO, |k| xb[k])
        })
    }

    pub(super) fn to_block(&self, m: &Mat<C64>) -> Vec<C64> {
        let n = self.n;
        let bd = sqz_superop::parity::block_dim(n);
        (0..bd)
            .map(|k| {
                let (a, b) = sqz_superop::parity::full_index(n, k);
                m[(a, b)]
            })
            .collect()
    }

    /// `L1 x = -i [H1, x]` on a parity-block vector.
    pub fn l1(&self, xb: &[C64]) -> Vec<C64> {
        let x = self.to_full(xb);
        let y = mul(&self.h1, &x, self.par) - mul(&x, &self.h1, self.par);
        self.to_block(&scaled(&y, -IM))
    }

    /// `L2 x = 2 sum_(P,Q) D(P, Q) x` on a parity-block vector.
    pub fn l2(&self, xb: &[C64]) -> Vec<C64> {
        let x = self.to_full(xb);
        let dh = x.nrows();
        let mut y = Mat::<C64>::zeros(dh, dh);
        for (p, q, qp) in &self.pairs {
            let par = self.par;
            y += sqz_krylov::par_dense::mul(mul(p, &x, par).as_ref(), q.adjoint(), par);
            y -= faer::Scale(C64::new(0.5, 0.0)) * (mul(qp, &x, par) + mul(&x, qp, par));
        }
        self.to_block(&scaled(&y, C64::new(2.0, 0.0)))
    }
}

/// `L0 + Z Y^dag` on the parity block (nonsingular: the ideal null space is bordered away).
pub(super) struct Bordered<'a> {
    pub(super) l0: &'a sqz_superop::ParityBlock,
    pub(super) sw: &'a SchurWeyl,
    pub(super) par: Par,
}

impl LinOp<C64> for Bordered<'_> {
    type Scratch = sqz_superop::Scratch;
    fn dim(&self) -> usize {
        self.l0.dim()
    }
    fn new_scratch(&self) -> sqz_superop::Scratch {
        self.l0.new_scratch()
    }
    fn scratch_bytes(&self) -> u64 {
        self.l0.scratch_bytes()
    }
    fn apply(&self, x: &[C64], y: &mut [C64], s: &mut sqz_superop::Scratch) {
        self.l0.apply(x, y, s);
        let mut c = vec![ZERO; self.sw.dim()];
        self.sw.restrict(x, &mut c, Par::Seq);
        let mut z = vec![ZERO; x.len()];
        self.sw.prolong(&c, &mut z, self.par);
        y.iter_mut().zip(&z).for_each(|(a, b)| *a += b);
    }
}

/// `G1`, `G2` (dense `C_N x C_N`, coarse coordinates) through the full Liouville space: `L1`,
/// `L2` dense ([`FullTaylor`]), `L0^#` by Jacobi-preconditioned GMRES on `L0 + Z Y^dag`
/// (`L0^# x = (L0 + Z Y^dag)^{-1} x - Z Y^dag x`), one solve per coarse basis vector. Returns
/// `(G1, G2, solves)`.
pub fn full_space_generators(
    su: &LimitSetup,
    p: &Params,
    chi: &[f64],
    gmres_tol: f64,
) -> Result<(Mat<C64>, Mat<C64>, usize), SteadyError> {
    let n = p.n();
    let ft = FullTaylor::new(p, chi, su.par);
    let l0 = sqz_superop::ParityBlock::new(p, &sqz_model::positions::ideal(n))?;
    let sw = &su.sw;
    let cn = sw.dim();
    let bd = l0.dim();
    let op = Bordered {
        l0: &l0,
        sw,
        par: su.par,
    };
    // the Jacobi preconditioner: the inverse diagonal as an operator
    let jac = sqz_krylov::Diagonal(
        crate::iterative::block_diagonal(p)
            .into_iter()
            .map(|d| if d.norm() > 1e-12 { 1.0 / d } else { ONE })
            .collect(),
    );
    let gp = sqz_krylov::GmresParams {
        restart: 80,
        max_iters: 20_000,
        rel_tol: gmres_tol,
    };
    let mut g1 = Mat::<C64>::zeros(cn, cn);
    let mut g2 = Mat::<C64>::zeros(cn, cn);
    let mut z = vec![ZERO; bd];
    let mut c = vec![ZERO; cn];
    let mut c2 = vec![ZERO; cn];
    let mut solves = 0;
    for col in 0..cn {
        sw.prolong_unit(col, &mut z);
        let x1 = ft.l1(&z);
        sw.restrict(&x1, &mut c, Par::Seq);
        for i in 0..cn {
            g1[(i, col)] = c[i];
        }
        // L0^# x1
        let nx = x1.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        let mut u = vec![ZERO; bd];
        if nx > 0.0 {
            sqz_krylov::gmres(&op, Some(&jac), &x1, &mut u, &gp).map_err(|e| {
                SteadyError::NoConvergence {
                    method: "limit-full-space",
                    detail: format!("group inverse of L0, coarse column {col}: {e}"),
                }
            })?;
            solves += 1;
            // - Z Y^dag x1
            let mut zc = vec![ZERO; bd];
            sw.prolong(&c, &mut zc, su.par);
            u.iter_mut().zip(&zc).for_each(|(a, b)| *a -= b);
        }
        let y2 = ft.l2(&z);
        sw.restrict(&y2, &mut c, Par::Seq);
        let y3 = ft.l1(&u);
        sw.restrict(&y3, &mut c2, Par::Seq);
        for i in 0..cn {
            g2[(i, col)] = c[i] - c2[i];
        }
    }
    Ok((g1, g2, solves))
}

pub(super) fn full_space_limit(
    su: &LimitSetup,
    p: &Params,
    chi: &[f64],
    lp: &LimitParams,
) -> Result<LimitReport, SteadyError> {
    let (g1, g2, solves) = full_space_generators(su, p, chi, lp.gmres_tol)?;
    let cn = g1.nrows();
    let mut notes = Vec::new();
    // i G1 is Hermitian (G1 = -i [h_J, .] per sector)
    let g1s = sqz_krylov::par_dense::eigenvalues(g1.as_ref(), su.par)
        .map_err(|e| SteadyError::Unsupported(format!("limit: spectrum of G1: {e:?}")))?;
    let g1max = g1s.iter().map(|v| v.norm()).fold(0.0, f64::max).max(1e-300);
    let g1re = g1s.iter().map(|v| v.re.abs()).fold(0.0, f64::max) / g1max;
    let herm = Mat::<C64>::from_fn(cn, cn, |i, j| {
        0.5 * (IM * g1[(i, j)] + (IM * g1[(j, i)]).conj())
    });
    let (u, s) = sqz_krylov::par_dense::self_adjoint_eigen(herm.as_ref(), su.par)
        .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvectors of i G1: {e:?}")))?;
    let om: Vec<f64> = (0..cn).map(|i| s[i].re).collect();
    let tol = lp.degeneracy_tol * g1max;
    // clusters of equal frequency
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for i in 0..cn {
        match clusters.last_mut() {
            Some(cl) if (om[i] - om[*cl.last().expect("nonempty")]).abs() <= tol => cl.push(i),
            _ => clusters.push(vec![i]),
        }
    }
    let kernel: Vec<usize> = (0..cn).filter(|&i| om[i].abs() <= tol).collect();
    let expect = su.populations_dim();
    if kernel.len() != expect {
        return Err(SteadyError::Degenerate(format!(
            "w -> 0+ limit (full space): the first-order generator is degenerate: the kernel of G1 \
             has dimension {} instead of sum_J d_J = {expect}{}",
            kernel.len(),
            closest_neighbours(chi)
        )));
    }
    let min_freq = om
        .iter()
        .filter(|x| x.abs() > tol)
        .map(|x| x.abs())
        .fold(f64::INFINITY, f64::min);
    let block = |idx: &[usize]| {
        let v = Mat::<C64>::from_fn(cn, idx.len(), |i, k| u[(i, idx[k])]);
        let w = mul(
            &sqz_krylov::par_dense::mul(v.adjoint(), g2.as_ref(), su.par),
            &v,
            su.par,
        );
        (v, w)
    };
    let (v0, w0) = block(&kernel);
    let eigs = sorted_eigenvalues(&w0, su.par)?;
    let pv = null_vector(&w0, &eigs, lp, chi)?;
    let c: Vec<C64> = (0..cn)
        .map(|i| (0..pv.len()).map(|k| v0[(i, k)] * pv[k]).sum())
        .collect();
    let mut coh = Vec::new();
    for cl in &clusters {
        if om[cl[0]].abs() <= tol {
            continue;
        }
        let (_, w) = block(cl);
        let ev = sqz_krylov::par_dense::eigenvalues(w.as_ref(), su.par)
            .map_err(|e| SteadyError::Unsupported(format!("limit: coherence block: {e:?}")))?;
        coh.extend(ev.iter().map(|v| -v.re));
        if cl.len() > 1 {
            notes.push(format!(
                "a first-order frequency {:.4e} is {}-fold degenerate",
                om[cl[0]],
                cl.len()
            ));
        }
    }
    let (rates, kinds) = collect_rates(&eigs, &coh, lp.n_rates);
    finish(
        su,
        c,
        FinishData {
            eigs,
            rates,
            kinds,
            h_spectra: Vec::new(),
            min_freq,
            ker_g1_dim: kernel.len(),
            g1_real_part: g1re,
            method: LimitMethod::FullSpace,
            solves,
            notes,
        },
    )
}
