//! The bra and ket passes as `pulp` SIMD jobs (one task each).

use super::*;

/// A bra-pass task as a `pulp` SIMD job.
pub(super) struct BraTask<'a> {
    pub(super) eng: &'a Engine,
    pub(super) x: &'a [C64],
    pub(super) task: usize,
    pub(super) tpt: usize,
    pub(super) c1: &'a mut [Lanes],
    pub(super) t1: &'a [Term],
    pub(super) diag: Option<&'a [C64]>,
    pub(super) c2: Option<(&'a mut [Lanes], &'a [Term])>,
    pub(super) lb: &'a mut Local,
}

impl pulp::WithSimd for BraTask<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            eng,
            x,
            task,
            tpt,
            c1,
            t1,
            diag,
            c2,
            lb,
        } = self;
        eng.bra_task(x, task, tpt, c1, t1, diag, c2, lb)
    }
}

/// A ket-pass task as a `pulp` SIMD job.
pub(super) struct KetTask<'a> {
    pub(super) eng: &'a Engine,
    pub(super) x: Option<&'a [C64]>,
    pub(super) s: &'a [Lanes],
    pub(super) ts: &'a [Term],
    pub(super) add: Option<&'a [Lanes]>,
    pub(super) task: usize,
    pub(super) gpt: usize,
    pub(super) yc: &'a mut [C64],
    pub(super) lb: &'a mut Local,
}

impl pulp::WithSimd for KetTask<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            eng,
            x,
            s,
            ts,
            add,
            task,
            gpt,
            yc,
            lb,
        } = self;
        eng.ket_task(x, s, ts, add, task, gpt, yc, lb)
    }
}
