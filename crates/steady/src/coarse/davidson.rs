//! The slowest eigenvalues of the coarse operator `E` by block Davidson (the Galerkin gap).

use super::*;

impl KronCoarse {
    /// The `k` eigenvalues of `E` nearest zero that belong to relaxation modes (the deflated
    /// trace mode at `-1` excluded), by a block Davidson iteration with the level-2
    /// preconditioner as correction operator (`t = M2 r`, an approximate inverse at the small
    /// eigenvalues sought), started from the slowest eigenvectors of the populations matrix
    /// `E3`. Returns the values and the number of applications of `E` and `M2`.
    pub fn slow_eigenvalues(&self, k: usize) -> Result<(Vec<C64>, usize), String> {
        self.slow_eigenpairs(k).map(|(v, _, a)| (v, a))
    }

    /// [`KronCoarse::slow_eigenvalues`] with the (unit) Ritz vectors.
    #[allow(clippy::type_complexity)]
    pub fn slow_eigenpairs(&self, k: usize) -> Result<(Vec<C64>, Vec<Vec<C64>>, usize), String> {
        /// relative residual `|E v - theta v| <= RESIDUAL_TOL |theta|` of a converged Ritz pair
        const RESIDUAL_TOL: f64 = 1e-2;
        /// iterations before giving up
        const MAX_ITERS: usize = 60;
        /// basis size at which the search space is restarted from the current Ritz vectors
        const MAX_BASIS: usize = 96;
        let n = self.dim;
        let np = self.populations_dim();
        let k = k.min(np.saturating_sub(1)).max(1);
        // start: slowest eigenvectors of E3 (by modulus), trace mode excluded later
        let e3 = self.populations_matrix();
        let par = self.par;
        let evd = par_dense::eigen(e3.as_ref(), par)
            .map_err(|e| format!("gap estimate: populations eigenproblem: {e:?}"))?;
        let u3lu = par_dense::Lu::new(evd.u.as_ref(), par);
        let mut order: Vec<usize> = (0..np).collect();
        let s3 = &evd.s;
        order.sort_by(|&a, &b| s3[a].norm().total_cmp(&s3[b].norm()));
        let mut basis: Vec<Vec<C64>> = Vec::new();
        let mut ebasis: Vec<Vec<C64>> = Vec::new();
        let mut apps = 0usize;
        let push = |v: Vec<C64>,
                    basis: &mut Vec<Vec<C64>>,
                    ebasis: &mut Vec<Vec<C64>>,
                    apps: &mut usize| {
            let mut v = v;
            self.remove_trace(&mut v);
            for _ in 0..2 {
                for b in basis.iter() {
                    let h: C64 = b.iter().zip(&v).map(|(x, y)| x.conj() * y).sum();
                    v.iter_mut().zip(b).for_each(|(y, x)| *y -= h * x);
                }
            }
            let nv = v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
            if nv < 1e-10 {
                return;
            }
            v.iter_mut().for_each(|x| *x /= nv);
            let mut ev = vec![C64::default(); v.len()];
            self.apply(&v, &mut ev);
            *apps += 1;
            basis.push(v);
            ebasis.push(ev);
        };
        for &j in order.iter().take(k + 2) {
            let g = Mat::<C64>::from_fn(np, 1, |i, _| evd.u[(i, j)]);
            let mut v = vec![C64::default(); n];
            self.pop_prolong(&g, &mut v);
            push(v, &mut basis, &mut ebasis, &mut apps);
        }
        for _ in 0..MAX_ITERS {
            let m = basis.len();
            let h = Mat::<C64>::from_fn(m, m, |i, j| {
                basis[i]
                    .iter()
                    .zip(&ebasis[j])
                    .map(|(x, y)| x.conj() * y)
                    .sum()
            });
            let he = par_dense::eigen(h.as_ref(), par)
                .map_err(|e| format!("gap estimate: Ritz eigenproblem: {e:?}"))?;
            let (hs, hu) = (&he.s, he.u.as_ref());
            let mut idx: Vec<usize> = (0..m).collect();
            idx.sort_by(|&a, &b| hs[a].norm().total_cmp(&hs[b].norm()));
            let mut wanted = Vec::new();
            let mut corrections = Vec::new();
            let mut ritz_vectors = Vec::new();
            for &j in &idx {
                if wanted.len() == k {
                    break;
                }
                let theta = hs[j];
                let (x, ex) = ritz_vector(&basis, &ebasis, hu, j, n);
                let r: Vec<C64> = ex.iter().zip(&x).map(|(a, v)| a - theta * v).collect();
                let rn = r.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                let xn = x.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                wanted.push(theta);
                if rn > RESIDUAL_TOL * theta.norm() * xn {
                    corrections.push((r, theta));
                }
                ritz_vectors.push(x);
            }
            if corrections.is_empty() && wanted.len() == k {
                return Ok((wanted, ritz_vectors, apps));
            }
            if basis.len() + corrections.len() > MAX_BASIS {
                basis.clear();
                ebasis.clear();
                for x in ritz_vectors {
                    push(x, &mut basis, &mut ebasis, &mut apps);
                }
            }
            for (r, theta) in corrections {
                // t = M2(theta) r: the level-2 preconditioner of E - theta
                let mut g = self.pop_restrict(&r);
                u3lu.solve_in_place(g.as_mut(), par);
                for i in 0..np {
                    let den = s3[i] - theta;
                    g[(i, 0)] = if den.norm() > 1e-300 {
                        g[(i, 0)] / den
                    } else {
                        g[(i, 0)]
                    };
                }
                let g = par_dense::mul(evd.u.as_ref(), g.as_ref(), par);
                let mut t = vec![C64::default(); n];
                self.finish_precondition(&r, &g, &mut t, theta);
                apps += 1;
                push(t, &mut basis, &mut ebasis, &mut apps);
            }
        }
        Err(format!(
            "gap estimate: the slowest coarse eigenvalues did not converge in {MAX_ITERS} Davidson iterations"
        ))
    }
}

/// The Ritz vector `x = V y` of the column `j` of `hu` (`y`) and its image `E x = (E V) y`, for
/// the basis `V` and its image `E V`.
fn ritz_vector(
    basis: &[Vec<C64>],
    ebasis: &[Vec<C64>],
    hu: MatRef<'_, C64>,
    j: usize,
    n: usize,
) -> (Vec<C64>, Vec<C64>) {
    let mut x = vec![C64::default(); n];
    let mut ex = vec![C64::default(); n];
    for (l, (b, eb)) in basis.iter().zip(ebasis).enumerate() {
        let y = hu[(l, j)];
        x.iter_mut().zip(b).for_each(|(a, v)| *a += y * v);
        ex.iter_mut().zip(eb).for_each(|(a, v)| *a += y * v);
    }
    (x, ex)
}

/// `Tr(t rho)` for real `t`.
pub(super) fn trace_prod(t: &Mat<f64>, rho: &Mat<C64>) -> C64 {
    let mut s = C64::default();
    for i in 0..t.nrows() {
        for k in 0..t.ncols() {
            s += t[(i, k)] * rho[(k, i)];
        }
    }
    s
}
