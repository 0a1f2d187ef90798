//! The Hermitian apply of the parity block: `G x` once with its conjugate transpose added, the
//! ket side of the jumps on the upper rows only (used by the real form, [`crate::herm`]).

use super::*;

impl Engine {
    /// `y = L x` for a Hermitian `x` in the parity geometry, exact on the upper triangle
    /// `h_a <= h_b` of every parity block (the entries the real form keeps); the other entries hold
    /// partial sums. Uses `L(x) = G x + (G x)^dag + sum_c J_c (x J_c^dag)`: the one-sided `G`
    /// (the pair terms, most of the work) is applied once instead of on both sides, and the ket
    /// side of the jumps only to rows up to the group's last column. `gx` (a block vector) holds
    /// `G x` between the passes.
    ///
    /// # Panics
    /// If the geometry is not the parity block, or a length differs from [`Engine::dim`].
    pub fn apply_hermitian_upper(
        &self,
        x: &[C64],
        y: &mut [C64],
        scratch: &mut Scratch,
        gx: &mut [C64],
    ) {
        assert_eq!(
            self.geometry,
            Geometry::Parity,
            "Hermitian apply: parity block only"
        );
        assert!(x.len() == self.dim() && y.len() == self.dim() && gx.len() == self.dim());
        self.assert_scratch(scratch);
        let Scratch {
            s1,
            s2,
            local,
            pass_seconds,
            ..
        } = scratch;
        let clock = std::time::Instant::now();
        // A: s1 = x J_+^dag, s2 = x J_-^dag
        self.bra_pass(
            x,
            s1,
            &self.bra_j[0],
            None,
            Some((s2, &self.bra_j[1])),
            local,
        );
        let ta = clock.elapsed().as_secs_f64();
        // B: gx = G x; y = G x + J_+ s1 + J_- s2 (jumps on the upper rows only)
        let (nrows, gw) = (self.nrows, self.group_w);
        let groups = self.ncols / gw;
        let gpt = groups.div_ceil(local.len());
        let (s1, s2) = (&*s1, &*s2);
        y.par_chunks_mut(gpt * gw * nrows)
            .zip(gx.par_chunks_mut(gpt * gw * nrows))
            .zip(local.par_iter_mut())
            .enumerate()
            .for_each(|(task, ((yc, gc), lb))| {
                self.arch.dispatch(HermKetTask {
                    eng: self,
                    x,
                    s1,
                    s2,
                    task,
                    gpt,
                    yc,
                    gc,
                    lb,
                })
            });
        let tb = clock.elapsed().as_secs_f64();
        // C: y += gx^dag on the upper triangle of each parity block
        let h = nrows;
        const T: usize = 64;
        let gx = &*gx;
        y.par_chunks_mut(h * T.min(h))
            .enumerate()
            .for_each(|(chunk, out)| {
                let cols_per = T.min(h);
                let col0 = chunk * cols_per;
                let (p, hb0) = (col0 / h, col0 % h);
                let base = p * h * h;
                for c in 0..out.len() / h {
                    let hb = hb0 + c;
                    for ha0 in (0..=hb).step_by(T) {
                        for ha in ha0..(ha0 + T).min(hb + 1) {
                            out[ha + h * c] += gx[base + hb + h * ha].conj();
                        }
                    }
                }
            });
        let tc = clock.elapsed().as_secs_f64();
        pass_seconds[0] += ta;
        pass_seconds[1] += tb - ta;
        pass_seconds[2] += tc - tb;
    }

    /// One task of the Hermitian ket pass (inside the SIMD dispatch).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn herm_ket_task(
        &self,
        x: &[C64],
        s1: &[Lanes],
        s2: &[Lanes],
        task: usize,
        gpt: usize,
        yc: &mut [C64],
        gc: &mut [C64],
        lb: &mut Local,
    ) {
        let (nrows, gw) = (self.nrows, self.group_w);
        let half_shift = (self.n.max(1) - 1) as u32;
        for (g, (yg, gg)) in yc
            .chunks_mut(gw * nrows)
            .zip(gc.chunks_mut(gw * nrows))
            .enumerate()
        {
            let c0 = (task * gpt + g) * gw;
            let m = KetHalf {
                fix: (c0 >> half_shift) & 1,
            };
            // rows h_a <= h_b for the columns c0 .. c0 + gw of this parity
            let lim = ((c0 % nrows) + gw).min(nrows);
            let (a, b) = (&mut lb.a[..nrows], &mut lb.b[..nrows]);
            gather_cols(&x[nrows * c0..nrows * (c0 + gw)], nrows, a);
            self.kernel(m, a, b, &self.ket_g, Some(&self.ket_diag), false);
            self.scatter_cols(b, gg);
            self.gather_scratch(s1, c0, a);
            self.kernel(m, a, &mut b[..lim], &self.ket_j[0], None, true);
            self.gather_scratch(s2, c0, a);
            self.kernel(m, a, &mut b[..lim], &self.ket_j[1], None, true);
            self.scatter_cols(b, yg);
        }
    }
}

/// A Hermitian ket-pass task as a `pulp` SIMD job.
struct HermKetTask<'a> {
    eng: &'a Engine,
    x: &'a [C64],
    s1: &'a [Lanes],
    s2: &'a [Lanes],
    task: usize,
    gpt: usize,
    yc: &'a mut [C64],
    gc: &'a mut [C64],
    lb: &'a mut Local,
}

impl pulp::WithSimd for HermKetTask<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            eng,
            x,
            s1,
            s2,
            task,
            gpt,
            yc,
            gc,
            lb,
        } = self;
        eng.herm_ket_task(x, s1, s2, task, gpt, yc, gc, lb)
    }
}
