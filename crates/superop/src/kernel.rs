//! The matrix-free engine shared by [`crate::matfree`] (full space) and [`crate::parity`]
//! (weak-parity block).
//!
//! It applies `L(rho) = G rho + rho G^dag + sum_c J_c rho J_c^dag` ([`crate::lindblad`]) to a
//! column-major matrix `x` (`nrows x ncols`; full space: `D x D`; parity block: `D/2 x D`, see
//! [`crate::parity`]) in four passes, each parallel over disjoint contiguous output chunks:
//!
//! | pass | sites | lanes | computes |
//! |---|---|---|---|
//! | A (bra) | columns | tiles of `LANES` rows | `s1 = x G^dag`, `s2 = x J_+^dag` |
//! | B (ket) | rows | groups of `LANES` columns | `y = G x + s1 + J_+ s2` |
//! | C (bra) | columns | tiles of rows | `s1 = x J_-^dag` |
//! | D (ket) | rows | groups of columns | `y += J_- s1` |
//!
//! In a pass, an operator acting on one side is a list of terms "site `s` receives
//! `coef[bits] * in[s ^ mask]`" (pair flips of `G`, single flips of `J_c`), the same for every
//! lane: the inner loop is a complex scalar times a vector of `LANES` complex numbers, stored as
//! separate real and imaginary parts, and is compiled for the best SIMD level found at run time
//! (`pulp` dispatch). Bra passes read `x` directly (a tile of rows is `LANES` contiguous numbers
//! per column); ket passes transpose a group of columns into a local site-major buffer.
//! The scratch vectors `s1`, `s2` are stored tile-major so that every pass writes contiguous
//! memory: no `unsafe`, no allocation per apply. Traffic per apply: about 12 vector sweeps
//! (x three times, s1 and s2 written and read, y written, read and written).

use crate::basis::{hilbert_dim, parity};
use crate::lindblad::TwoJump;
use crate::C64;
use rayon::prelude::*;

mod hermitian;
mod tasks;
use tasks::{BraTask, KetTask};

/// Lanes processed together by the inner loop.
pub(crate) const LANES: usize = 8;

/// Vector sweeps per apply: A reads `x`, writes `s1`, `s2` (3); B reads `x`, `s1`, `s2`, writes
/// `y` (4); C reads `x`, writes `s1` (2); D reads `s1`, `y`, writes `y` (3).
pub const VECTOR_SWEEPS: usize = 12;

/// Liouville dimensions below this run on one task (no thread hand-off).
const SERIAL_BELOW: usize = 1 << 12;

/// `LANES` complex numbers, split into real and imaginary parts.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
pub(crate) struct Lanes {
    re: [f64; LANES],
    im: [f64; LANES],
}

/// `out[s] += coef[s_bi | s_bj << 1] * in[s ^ src]` where `s_b` are bits of the full basis index
/// of site `s`.
#[derive(Debug, Clone, Copy)]
struct Term {
    src: usize,
    bi: u32,
    bj: u32,
    coef: [C64; 4],
}

/// Number of parallel tasks (each with its own local buffers).
pub(crate) fn task_count() -> usize {
    (rayon::current_num_threads() * 4).max(1)
}

/// Index geometry of the stored matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geometry {
    /// `rho[a, b]` at `a + D b`
    Full,
    /// the weak-parity block, [`crate::parity`]
    Parity,
}

/// Site index -> full basis index.
trait SiteMap: Copy {
    fn full(self, s: usize) -> usize;
}

#[derive(Clone, Copy)]
struct Ident;
impl SiteMap for Ident {
    #[inline(always)]
    fn full(self, s: usize) -> usize {
        s
    }
}

/// Ket half index `h = a >> 1` with the parity of `a` fixed: `a = (h << 1) | (parity(h) ^ fix)`.
#[derive(Clone, Copy)]
struct KetHalf {
    fix: usize,
}
impl SiteMap for KetHalf {
    #[inline(always)]
    fn full(self, s: usize) -> usize {
        (s << 1) | ((s.count_ones() as usize ^ self.fix) & 1)
    }
}

/// Bra column index `c = (b >> 1) | parity(b) << (N-1)`.
#[derive(Clone, Copy)]
struct BraHalf {
    shift: u32,
    hmask: usize,
}
impl SiteMap for BraHalf {
    #[inline(always)]
    fn full(self, s: usize) -> usize {
        let h = s & self.hmask;
        (h << 1) | ((h.count_ones() as usize ^ (s >> self.shift)) & 1)
    }
}

#[inline(always)]
fn cmadd<const FMA: bool>(re: &mut [f64; LANES], im: &mut [f64; LANES], c: C64, v: &Lanes) {
    if FMA {
        // only instantiated under a SIMD level with FMA: `mul_add` is one instruction there
        for k in 0..LANES {
            re[k] = c.re.mul_add(v.re[k], (-c.im).mul_add(v.im[k], re[k]));
            im[k] = c.re.mul_add(v.im[k], c.im.mul_add(v.re[k], im[k]));
        }
    } else {
        for k in 0..LANES {
            re[k] += c.re * v.re[k] - c.im * v.im[k];
            im[k] += c.re * v.im[k] + c.im * v.re[k];
        }
    }
}

/// `out[s] (+)= diag[full(s)] in[s] + sum_terms coef in[s ^ src]` for every site `s`.
#[inline(always)]
fn kernel<M: SiteMap, const FMA: bool>(
    map: M,
    inp: &[Lanes],
    out: &mut [Lanes],
    terms: &[Term],
    diag: Option<&[C64]>,
    accumulate: bool,
) {
    for (s, o) in out.iter_mut().enumerate() {
        let f = map.full(s);
        let (mut re, mut im) = if accumulate {
            (o.re, o.im)
        } else {
            ([0.0; LANES], [0.0; LANES])
        };
        if let Some(d) = diag {
            cmadd::<FMA>(&mut re, &mut im, d[f], &inp[s]);
        }
        for t in terms {
            let idx = ((f >> t.bi) & 1) | (((f >> t.bj) & 1) << 1);
            cmadd::<FMA>(&mut re, &mut im, t.coef[idx], &inp[s ^ t.src]);
        }
        o.re = re;
        o.im = im;
    }
}

/// Per-task buffers.
#[derive(Debug, Clone)]
struct Local {
    a: Vec<Lanes>,
    b: Vec<Lanes>,
}

/// Scratch memory of one apply: two tile-major vectors and per-task buffers.
#[derive(Debug, Clone)]
pub struct Scratch {
    s1: Vec<Lanes>,
    s2: Vec<Lanes>,
    local: Vec<Local>,
    /// (nrows, ncols) it was made for
    shape: (usize, usize),
    /// cumulative wall time of passes A, B, C, D
    pass_seconds: [f64; 4],
}

impl Scratch {
    /// Cumulative wall time (seconds) of the four passes of every apply made with this scratch:
    /// A (bra: `x G^dag`, `x J_+^dag`), B (ket: `G x`, `J_+ .`), C (bra: `x J_-^dag`),
    /// D (ket: `J_- .`).
    pub fn pass_seconds(&self) -> [f64; 4] {
        self.pass_seconds
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        let lanes = self.s1.len()
            + self.s2.len()
            + self
                .local
                .iter()
                .map(|l| l.a.len() + l.b.len())
                .sum::<usize>();
        (lanes * std::mem::size_of::<Lanes>()) as u64
    }
}

/// Terms and tables of one operator in one geometry.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    n: usize,
    geometry: Geometry,
    nrows: usize,
    ncols: usize,
    ntiles: usize,
    tile_w: usize,
    group_w: usize,
    ket_g: Vec<Term>,
    ket_j: [Vec<Term>; 2],
    bra_g: Vec<Term>,
    bra_j: [Vec<Term>; 2],
    ket_diag: Vec<C64>,
    bra_diag: Vec<C64>,
    arch: pulp::Arch,
    /// the dispatch level has FMA (any level above scalar on x86-64)
    fma: bool,
}

impl Engine {
    pub fn new(tj: &TwoJump, geometry: Geometry) -> Self {
        let n = tj.n;
        let d = hilbert_dim(n);
        let half = (d / 2).max(1);
        let nrows = match geometry {
            Geometry::Full => d,
            Geometry::Parity => half,
        };
        let ket_mask = |m: usize| match geometry {
            Geometry::Full => m,
            Geometry::Parity => m >> 1,
        };
        let bra_mask = |m: usize| match geometry {
            Geometry::Full => m,
            Geometry::Parity => (m >> 1) | (parity(m) << (n - 1)),
        };
        let zero = C64::new(0.0, 0.0);
        let arch = pulp::Arch::new();
        let pair_terms = |mask: &dyn Fn(usize) -> usize, conj: bool| -> Vec<Term> {
            tj.g_pairs
                .iter()
                .map(|p| Term {
                    src: mask((1 << p.i) | (1 << p.j)),
                    bi: p.i as u32,
                    bj: p.j as u32,
                    coef: if conj {
                        p.coef.map(|c| c.conj())
                    } else {
                        p.coef
                    },
                })
                .collect()
        };
        let single_terms = |c: usize, mask: &dyn Fn(usize) -> usize, conj: bool| -> Vec<Term> {
            (0..n)
                .map(|i| {
                    let (u, v) = (tj.u[c][i], tj.v[c][i]);
                    let (u, v) = if conj { (u.conj(), v.conj()) } else { (u, v) };
                    Term {
                        src: mask(1 << i),
                        bi: i as u32,
                        bj: i as u32,
                        coef: [u, zero, zero, v],
                    }
                })
                .collect()
        };
        let group_w = LANES.min(match geometry {
            Geometry::Full => d,
            Geometry::Parity => half,
        });
        Self {
            n,
            geometry,
            nrows,
            ncols: d,
            ntiles: nrows.div_ceil(LANES),
            tile_w: LANES.min(nrows),
            group_w,
            ket_g: pair_terms(&ket_mask, false),
            ket_j: [
                single_terms(0, &ket_mask, false),
                single_terms(1, &ket_mask, false),
            ],
            bra_g: pair_terms(&bra_mask, true),
            bra_j: [
                single_terms(0, &bra_mask, true),
                single_terms(1, &bra_mask, true),
            ],
            ket_diag: tj.g_diag.clone(),
            bra_diag: tj.g_diag.iter().map(|c| c.conj()).collect(),
            arch,
            fma: !matches!(arch, pulp::Arch::Scalar),
        }
    }

    /// Complex multiply-adds per apply: per element, `N(N-1)/2 + 1` on each side for `G`
    /// (pairs and diagonal) and `N` for each of the four single-flip passes of `J_+`, `J_-`.
    pub fn madds_per_apply(&self) -> u64 {
        let per = (self.ket_g.len() + self.bra_g.len() + 2 + 2 * self.n + 2 * self.n) as u64;
        per * self.dim() as u64
    }

    /// Bytes read or written per apply, counting each vector access once (as STREAM does):
    /// [`VECTOR_SWEEPS`] sweeps over vectors of `16 * dim` bytes.
    pub fn bytes_moved_per_apply(&self) -> u64 {
        (VECTOR_SWEEPS * 16 * self.dim()) as u64
    }

    /// Length of the vectors the engine acts on.
    pub fn dim(&self) -> usize {
        self.nrows * self.ncols
    }

    /// `(tasks, vector length, sites)` of a scratch: the per-task buffer count, the lanes of each
    /// of the two tile-major vectors, the lanes of each per-task buffer.
    fn scratch_shape(&self) -> (usize, usize, usize) {
        let tasks = if self.dim() < SERIAL_BELOW {
            1
        } else {
            task_count()
        };
        (tasks, self.ntiles * self.ncols, self.nrows.max(self.ncols))
    }

    /// Bytes a scratch from [`Engine::new_scratch`] holds ([`Scratch::bytes`]), without making
    /// one.
    pub fn scratch_bytes(&self) -> u64 {
        let (tasks, len, sites) = self.scratch_shape();
        ((2 * len + 2 * sites * tasks) * std::mem::size_of::<Lanes>()) as u64
    }

    pub fn new_scratch(&self) -> Scratch {
        let (tasks, len, sites) = self.scratch_shape();
        Scratch {
            s1: vec![Lanes::default(); len],
            s2: vec![Lanes::default(); len],
            local: vec![
                Local {
                    a: vec![Lanes::default(); sites],
                    b: vec![Lanes::default(); sites]
                };
                tasks
            ],
            shape: (self.nrows, self.ncols),
            pass_seconds: [0.0; 4],
        }
    }

    /// `y = L x`.
    ///
    /// # Panics
    /// If the lengths differ from [`Engine::dim`] or the scratch was made for another shape.
    pub fn apply(&self, x: &[C64], y: &mut [C64], scratch: &mut Scratch) {
        assert_eq!(
            x.len(),
            self.dim(),
            "input length {} != dimension {}",
            x.len(),
            self.dim()
        );
        assert_eq!(
            y.len(),
            self.dim(),
            "output length {} != dimension {}",
            y.len(),
            self.dim()
        );
        self.assert_scratch(scratch);
        let Scratch {
            s1,
            s2,
            local,
            pass_seconds,
            ..
        } = scratch;
        let clock = std::time::Instant::now();
        let mut last = 0.0;
        let mut lap = |k: usize| {
            let now = clock.elapsed().as_secs_f64();
            pass_seconds[k] += now - last;
            last = now;
        };
        // A: s1 = x G^dag, s2 = x J_+^dag
        self.bra_pass(
            x,
            s1,
            &self.bra_g,
            Some(&self.bra_diag),
            Some((s2, &self.bra_j[0])),
            local,
        );
        lap(0);
        // B: y = G x + s1 + J_+ s2
        self.ket_pass(Some(x), s2, &self.ket_j[0], Some(s1), y, local);
        lap(1);
        // C: s1 = x J_-^dag
        self.bra_pass(x, s1, &self.bra_j[1], None, None, local);
        lap(2);
        // D: y += J_- s1
        self.ket_pass(None, s1, &self.ket_j[1], None, y, local);
        lap(3);
    }

    /// # Panics
    /// If `scratch` was made for another operator shape.
    fn assert_scratch(&self, scratch: &Scratch) {
        assert_eq!(
            scratch.shape,
            (self.nrows, self.ncols),
            "scratch made for another operator"
        );
    }

    #[inline(always)]
    fn bra_map(&self) -> BraHalf {
        BraHalf {
            shift: (self.n.max(1) - 1) as u32,
            hmask: (self.ncols / 2).max(1) - 1,
        }
    }

    /// [`kernel`] with FMA when the dispatch level has it.
    #[inline(always)]
    fn kernel<M: SiteMap>(
        &self,
        map: M,
        inp: &[Lanes],
        out: &mut [Lanes],
        terms: &[Term],
        diag: Option<&[C64]>,
        accumulate: bool,
    ) {
        if self.fma {
            kernel::<M, true>(map, inp, out, terms, diag, accumulate)
        } else {
            kernel::<M, false>(map, inp, out, terms, diag, accumulate)
        }
    }

    /// Bra pass over tiles of rows: `out1 = terms1 (+ diag)`, optionally `out2 = terms2`.
    #[allow(clippy::type_complexity)]
    fn bra_pass(
        &self,
        x: &[C64],
        s1: &mut [Lanes],
        t1: &[Term],
        diag: Option<&[C64]>,
        second: Option<(&mut [Lanes], &[Term])>,
        local: &mut [Local],
    ) {
        let tpt = self.ntiles.div_ceil(local.len());
        let chunk = tpt * self.ncols;
        let job = |task, c1, c2, lb| BraTask {
            eng: self,
            x,
            task,
            tpt,
            c1,
            t1,
            diag,
            c2,
            lb,
        };
        match second {
            Some((s2, t2)) => s1
                .par_chunks_mut(chunk)
                .zip(s2.par_chunks_mut(chunk))
                .zip(local.par_iter_mut())
                .enumerate()
                .for_each(|(task, ((c1, c2), lb))| {
                    self.arch.dispatch(job(task, c1, Some((c2, t2)), lb))
                }),
            None => s1
                .par_chunks_mut(chunk)
                .zip(local.par_iter_mut())
                .enumerate()
                .for_each(|(task, (c1, lb))| self.arch.dispatch(job(task, c1, None, lb))),
        }
    }

    /// One task of a bra pass. Runs inside the SIMD dispatch, so everything it calls is
    /// `#[inline(always)]` (only inlined code gets the run-time target features).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn bra_task(
        &self,
        x: &[C64],
        task: usize,
        tpt: usize,
        c1: &mut [Lanes],
        t1: &[Term],
        diag: Option<&[C64]>,
        mut c2: Option<(&mut [Lanes], &[Term])>,
        lb: &mut Local,
    ) {
        let ncols = self.ncols;
        for (k, o1) in c1.chunks_mut(ncols).enumerate() {
            let t = task * tpt + k;
            let buf = &mut lb.a[..ncols];
            self.gather_tile(x, t, buf);
            let o2 = c2
                .as_mut()
                .map(|(c, t2)| (&mut c[k * ncols..(k + 1) * ncols], *t2));
            match self.geometry {
                Geometry::Full => {
                    self.kernel(Ident, buf, o1, t1, diag, false);
                    if let Some((o2, t2)) = o2 {
                        self.kernel(Ident, buf, o2, t2, None, false);
                    }
                }
                Geometry::Parity => {
                    let m = self.bra_map();
                    self.kernel(m, buf, o1, t1, diag, false);
                    if let Some((o2, t2)) = o2 {
                        self.kernel(m, buf, o2, t2, None, false);
                    }
                }
            }
        }
    }

    /// `buf[c] = x[t LANES .. t LANES + tile_w, c]` for every column `c`.
    #[inline(always)]
    fn gather_tile(&self, x: &[C64], t: usize, buf: &mut [Lanes]) {
        let (nrows, w) = (self.nrows, self.tile_w);
        let r0 = t * LANES;
        if w == LANES {
            for (c, l) in buf.iter_mut().enumerate() {
                let src: &[C64; LANES] = x[r0 + nrows * c..r0 + nrows * c + LANES]
                    .try_into()
                    .unwrap();
                for r in 0..LANES {
                    l.re[r] = src[r].re;
                    l.im[r] = src[r].im;
                }
            }
        } else {
            for (c, l) in buf.iter_mut().enumerate() {
                let src = &x[r0 + nrows * c..r0 + nrows * c + w];
                for (r, v) in src.iter().enumerate() {
                    l.re[r] = v.re;
                    l.im[r] = v.im;
                }
            }
        }
    }

    /// Ket pass over groups of columns: `y = G x + add + terms s` (with `x`), or `y += terms s`
    /// (without).
    fn ket_pass(
        &self,
        x: Option<&[C64]>,
        s: &[Lanes],
        ts: &[Term],
        add: Option<&[Lanes]>,
        y: &mut [C64],
        local: &mut [Local],
    ) {
        let (nrows, gw) = (self.nrows, self.group_w);
        let groups = self.ncols / gw;
        let gpt = groups.div_ceil(local.len());
        y.par_chunks_mut(gpt * gw * nrows)
            .zip(local.par_iter_mut())
            .enumerate()
            .for_each(|(task, (yc, lb))| {
                self.arch.dispatch(KetTask {
                    eng: self,
                    x,
                    s,
                    ts,
                    add,
                    task,
                    gpt,
                    yc,
                    lb,
                })
            });
    }

    /// One task of a ket pass (inside the SIMD dispatch, see [`Engine::bra_task`]).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn ket_task(
        &self,
        x: Option<&[C64]>,
        s: &[Lanes],
        ts: &[Term],
        add: Option<&[Lanes]>,
        task: usize,
        gpt: usize,
        yc: &mut [C64],
        lb: &mut Local,
    ) {
        let (nrows, gw) = (self.nrows, self.group_w);
        let half_shift = (self.n.max(1) - 1) as u32;
        for (g, yg) in yc.chunks_mut(gw * nrows).enumerate() {
            let c0 = (task * gpt + g) * gw;
            let (a, b) = (&mut lb.a[..nrows], &mut lb.b[..nrows]);
            match self.geometry {
                Geometry::Full => self.ket_group(Ident, x, s, ts, add, yg, c0, a, b),
                Geometry::Parity => {
                    let m = KetHalf {
                        fix: (c0 >> half_shift) & 1,
                    };
                    self.ket_group(m, x, s, ts, add, yg, c0, a, b)
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn ket_group<M: SiteMap>(
        &self,
        map: M,
        x: Option<&[C64]>,
        s: &[Lanes],
        ts: &[Term],
        add: Option<&[Lanes]>,
        yg: &mut [C64],
        c0: usize,
        a: &mut [Lanes],
        b: &mut [Lanes],
    ) {
        let nrows = self.nrows;
        let gw = self.group_w;
        match x {
            Some(x) => {
                gather_cols(&x[nrows * c0..nrows * (c0 + gw)], nrows, a);
                self.kernel(map, a, b, &self.ket_g, Some(&self.ket_diag), false);
            }
            None => gather_cols(yg, nrows, b),
        }
        self.gather_scratch(s, c0, a);
        self.kernel(map, a, b, ts, None, true);
        if let Some(add) = add {
            self.add_scratch(add, c0, b);
        }
        self.scatter_cols(b, yg);
    }

    /// `yg[h + nrows k] = b[h].lane(k)`: a site-major group of columns back to column-major.
    #[inline(always)]
    fn scatter_cols(&self, b: &[Lanes], yg: &mut [C64]) {
        let nrows = self.nrows;
        if self.full_blocks() {
            for (hb, blk) in b.chunks_exact(LANES).enumerate() {
                let blk: &[Lanes; LANES] = blk.try_into().unwrap();
                let mut t = [Lanes::default(); LANES];
                transpose_lanes(blk, &mut t, false);
                for (k, l) in t.iter().enumerate() {
                    let dst: &mut [C64; LANES] = (&mut yg
                        [k * nrows + hb * LANES..k * nrows + (hb + 1) * LANES])
                        .try_into()
                        .unwrap();
                    for r in 0..LANES {
                        dst[r] = C64::new(l.re[r], l.im[r]);
                    }
                }
            }
            return;
        }
        for (k, col) in yg.chunks_mut(nrows).enumerate() {
            for (h, v) in col.iter_mut().enumerate() {
                *v = C64::new(b[h].re[k], b[h].im[k]);
            }
        }
    }

    /// Tiles and column groups are full `LANES x LANES` blocks (all but the smallest N).
    #[inline(always)]
    fn full_blocks(&self) -> bool {
        self.group_w == LANES && self.tile_w == LANES && self.nrows % LANES == 0
    }

    /// `buf[h].lane(k) = s[h, c0 + k]` from the tile-major scratch.
    #[inline(always)]
    fn gather_scratch(&self, s: &[Lanes], c0: usize, buf: &mut [Lanes]) {
        let (nrows, ncols, gw, tw) = (self.nrows, self.ncols, self.group_w, self.tile_w);
        if self.full_blocks() {
            for (t, out) in buf.chunks_exact_mut(LANES).enumerate() {
                let blk: &[Lanes; LANES] = s[t * ncols + c0..t * ncols + c0 + LANES]
                    .try_into()
                    .unwrap();
                let out: &mut [Lanes; LANES] = out.try_into().unwrap();
                transpose_lanes(blk, out, false);
            }
            return;
        }
        for t in 0..self.ntiles {
            for k in 0..gw {
                let src = &s[t * ncols + c0 + k];
                for r in 0..tw.min(nrows - t * LANES) {
                    let l = &mut buf[t * LANES + r];
                    l.re[k] = src.re[r];
                    l.im[k] = src.im[r];
                }
            }
        }
    }

    /// `buf[h].lane(k) += s[h, c0 + k]`.
    #[inline(always)]
    fn add_scratch(&self, s: &[Lanes], c0: usize, buf: &mut [Lanes]) {
        let (nrows, ncols, gw, tw) = (self.nrows, self.ncols, self.group_w, self.tile_w);
        if self.full_blocks() {
            for (t, out) in buf.chunks_exact_mut(LANES).enumerate() {
                let blk: &[Lanes; LANES] = s[t * ncols + c0..t * ncols + c0 + LANES]
                    .try_into()
                    .unwrap();
                let out: &mut [Lanes; LANES] = out.try_into().unwrap();
                transpose_lanes(blk, out, true);
            }
            return;
        }
        for t in 0..self.ntiles {
            for k in 0..gw {
                let src = &s[t * ncols + c0 + k];
                for r in 0..tw.min(nrows - t * LANES) {
                    let l = &mut buf[t * LANES + r];
                    l.re[k] += src.re[r];
                    l.im[k] += src.im[r];
                }
            }
        }
    }
}

/// `buf[h].lane(k) = cols[h + nrows k]` (a group of contiguous columns, transposed).
#[inline(always)]
fn gather_cols(cols: &[C64], nrows: usize, buf: &mut [Lanes]) {
    if cols.len() == LANES * nrows && nrows % LANES == 0 {
        for (hb, out) in buf[..nrows].chunks_exact_mut(LANES).enumerate() {
            let mut t = [Lanes::default(); LANES];
            for (k, l) in t.iter_mut().enumerate() {
                let src: &[C64; LANES] = cols[k * nrows + hb * LANES..k * nrows + (hb + 1) * LANES]
                    .try_into()
                    .unwrap();
                for r in 0..LANES {
                    l.re[r] = src[r].re;
                    l.im[r] = src[r].im;
                }
            }
            let out: &mut [Lanes; LANES] = out.try_into().unwrap();
            transpose_lanes(&t, out, false);
        }
        return;
    }
    for (k, col) in cols.chunks(nrows).enumerate() {
        for (h, v) in col.iter().enumerate() {
            buf[h].re[k] = v.re;
            buf[h].im[k] = v.im;
        }
    }
}

/// `out[r].lane(k) (+)= blk[k].lane(r)`: an 8 x 8 transpose of the real and imaginary parts.
#[inline(always)]
fn transpose_lanes(blk: &[Lanes; LANES], out: &mut [Lanes; LANES], add: bool) {
    for r in 0..LANES {
        for k in 0..LANES {
            if add {
                out[r].re[k] += blk[k].re[r];
                out[r].im[k] += blk[k].im[r];
            } else {
                out[r].re[k] = blk[k].re[r];
                out[r].im[k] = blk[k].im[r];
            }
        }
    }
}
