//! The level-2 preconditioner `M2` of the coarse operator (A-DEF1 with the Sylvester smoother
//! and the populations coarse space `E3`; see the parent module).

use super::*;

impl KronCoarse {
    /// `E3 = W^dag E W` on the populations `q_a q_a^dag` of the Schur bases (elementwise products
    /// of the transformed jump factors).
    pub(super) fn populations_matrix(&self) -> Mat<C64> {
        let ns = self.sec.len();
        let mut start = vec![0usize; ns + 1];
        for k in 0..ns {
            start[k + 1] = start[k] + self.sec[k].0;
        }
        let np = start[ns];
        let mut e3 = Mat::<C64>::zeros(np, np);
        for k in 0..ns {
            for a in 0..self.sec[k].0 {
                e3[(start[k] + a, start[k] + a)] += 2.0 * self.tri[k][(a, a)].re;
            }
        }
        for t in &self.terms {
            let pt: Vec<Mat<C64>> =
                t.p.iter()
                    .map(|p| {
                        let qp = par_dense::mul(self.q[t.to].adjoint(), p.as_ref(), self.par);
                        par_dense::mul(qp.as_ref(), self.q[t.from].as_ref(), self.par)
                    })
                    .collect();
            for a in 0..pt.len() {
                for b in 0..pt.len() {
                    let tv = t.tau[a][b];
                    for j in 0..self.sec[t.from].0 {
                        for i in 0..self.sec[t.to].0 {
                            e3[(start[t.to] + i, start[t.from] + j)] +=
                                tv * pt[a][(i, j)] * pt[b][(i, j)].conj();
                        }
                    }
                }
            }
        }
        for k in 0..ns {
            let s = self.sec[k].2 as f64 * self.inv_d;
            for i in 0..self.sec[k].0 {
                for j in 0..np {
                    e3[(start[k] + i, j)] -= s;
                }
            }
        }
        e3
    }

    /// `x = (S - theta)^{-1} f`: per sector `(K2 - theta) X + X K2^dag = F` by Bartels–Stewart on
    /// the Schur form.
    pub(super) fn sylvester_solve(&self, f: &[C64], x: &mut [C64], theta: C64) {
        let blocks: Vec<Mat<C64>> = (0..self.sec.len())
            .into_par_iter()
            .map(|k| {
                let d = self.sec[k].0;
                let q = &self.q[k];
                let t = &self.tri[k];
                let ft = par_dense::mul(
                    par_dense::mul(q.adjoint(), self.block(f, k), self.par).as_ref(),
                    q.as_ref(),
                    self.par,
                );
                // column-major copies: xt (overwritten by the solution) and T
                let mut xt: Vec<C64> = (0..d * d).map(|i| ft[(i % d, i / d)]).collect();
                let tc: Vec<C64> = (0..d * d).map(|i| t[(i % d, i / d)]).collect();
                // columns from the last: (T + conj(T_jj) - theta) x_j = f_j - sum_{l>j} conj(T_jl) x_l
                for j in (0..d).rev() {
                    let (head, tail) = xt.split_at_mut((j + 1) * d);
                    let xj = &mut head[j * d..];
                    for l in j + 1..d {
                        let c = tc[j + d * l].conj();
                        if c != C64::default() {
                            let xl = &tail[(l - j - 1) * d..(l - j) * d];
                            xj.iter_mut().zip(xl).for_each(|(a, b)| *a -= c * b);
                        }
                    }
                    // back substitution by columns of T
                    let sj = tc[j + d * j].conj() - theta;
                    for m in (0..d).rev() {
                        let den = tc[m + d * m] + sj;
                        let v = if den.norm() > 1e-300 {
                            xj[m] / den
                        } else {
                            xj[m]
                        };
                        xj[m] = v;
                        if v != C64::default() {
                            let tm = &tc[d * m..d * m + m];
                            xj[..m].iter_mut().zip(tm).for_each(|(a, b)| *a -= v * b);
                        }
                    }
                }
                let xm = MatRef::from_column_major_slice(&xt, d, d);
                par_dense::mul(
                    par_dense::mul(q.as_ref(), xm, self.par).as_ref(),
                    q.adjoint(),
                    self.par,
                )
            })
            .collect();
        for (k, b) in blocks.into_iter().enumerate() {
            self.block_mut(x, k).copy_from(&b);
        }
    }

    pub(super) fn pop_restrict(&self, f: &[C64]) -> Mat<C64> {
        let np = self.populations_dim();
        let mut g = Mat::<C64>::zeros(np, 1);
        let mut at = 0;
        for k in 0..self.sec.len() {
            let q = &self.q[k];
            let fq = par_dense::mul(self.block(f, k), q.as_ref(), self.par);
            for a in 0..self.sec[k].0 {
                let mut s = C64::default();
                for i in 0..self.sec[k].0 {
                    s += q[(i, a)].conj() * fq[(i, a)];
                }
                g[(at + a, 0)] = s;
            }
            at += self.sec[k].0;
        }
        g
    }

    pub(super) fn pop_prolong(&self, g: &Mat<C64>, x: &mut [C64]) {
        let mut at = 0;
        for k in 0..self.sec.len() {
            let q = &self.q[k];
            let d = self.sec[k].0;
            let qs = Mat::<C64>::from_fn(d, d, |i, a| q[(i, a)] * g[(at + a, 0)]);
            let m = par_dense::mul(qs.as_ref(), q.adjoint(), self.par);
            self.block_mut(x, k).copy_from(&m);
            at += d;
        }
    }

    /// `x = M2 f` (module docs): an approximate `E^{-1} f`.
    pub fn precondition(&self, f: &[C64], x: &mut [C64]) {
        let mut g = self.pop_restrict(f);
        self.e3.solve_in_place(g.as_mut(), self.par);
        self.finish_precondition(f, &g, x, C64::default());
    }

    /// `x = S_theta^{-1} (f - (E - theta) Q3 f) + Q3 f` with `W^dag Q3 f = g`.
    pub(super) fn finish_precondition(&self, f: &[C64], g: &Mat<C64>, x: &mut [C64], theta: C64) {
        let mut q3 = vec![C64::default(); self.dim];
        self.pop_prolong(g, &mut q3);
        let mut eq = vec![C64::default(); self.dim];
        self.apply(&q3, &mut eq);
        let r: Vec<C64> = f
            .iter()
            .zip(&eq)
            .zip(&q3)
            .map(|((a, b), q)| a - b + theta * q)
            .collect();
        self.sylvester_solve(&r, x, theta);
        x.iter_mut().zip(&q3).for_each(|(x, q)| *x += q);
    }
}
