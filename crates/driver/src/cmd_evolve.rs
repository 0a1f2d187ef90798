//! `sqz evolve`: time evolution of Eq. 7 (collective, Dicke basis) or Eq. 3 (full space) from a
//! chosen initial state, by Krylov exponential propagation ([`sqz_krylov::expv`]).
//!
//! Output per requested time: `t`, `inv_xi2`, `xi2`, `mean_spin`, `trace`. `xi2` is undefined
//! where `|<S>|` vanishes (`sqz_model::observables::SpinMoments::perpendicular_axes`): JSON gives
//! `null` there and `inv_xi2 = 0`; HDF5 stores `xi2 = 0` with `xi2_defined = 0`. Never a NaN.
//!
//! Initial states (`--init`):
//! * `ground`: every TLS in `|g>`, i.e. `|j,-j>`;
//! * `dicke:M`: `|j,M>` (`M` in `-N/2..N/2`, integer steps; `-3/2` or `-1.5`), for the full model
//!   the symmetric state embedded in the `2^N` basis ([`sqz_superop::basis::dicke_vector`]);
//! * `product:THETA,PHI`: every TLS in `cos(THETA/2)|e> + e^{i PHI} sin(THETA/2)|g>`, the spin
//!   coherent state `|THETA,PHI>` of [`sqz_model::observables::coherent_state`], whose mean spin
//!   points along `(sin TH cos PH, sin TH sin PH, cos TH)` (`product:pi,0` is `ground`, `product:0,0`
//!   all excited); angles accept a `pi` suffix.
//!
//! Full model: states whose density matrix lies in the weak-parity block (ground, Dicke states,
//! products with `THETA` in `{0, pi}`) are propagated in the block ([`sqz_superop::ParityBlock`],
//! half the memory and work); other product states couple the two parity halves and use the
//! full matrix-free operator ([`sqz_superop::MatFree`]).
//!
//! Husimi Q (`--husimi-times`, `--husimi-grid K`, `--husimi-extent E`, HDF5 only): the paper's
//! `Q(th, ph) = (2j+1)/(4 pi) <th,ph| rho |th,ph>` seen along the mean spin `n` (Fig. 2), in the
//! orthographic projection of the hemisphere around `n` onto the `n_perp` plane: grid point
//! `(x1, x2)`, `x1, x2 = -E..E` (K points each), is the direction
//! `u = x1 n1 + x2 n2 + sqrt(1 - x1^2 - x2^2) n` with `n, n1, n2` of the paper at that time
//! (points with `x1^2 + x2^2 > 1` are outside the hemisphere: `Q = 0`, `inside = 0`). When the
//! mean spin vanishes the axes fall back to `n = z, n1 = x, n2 = y` (`axes_defined = 0`).
//! For the full model Q is that of the state projected on the symmetric subspace (the
//! coherent states live there), so it integrates to `Tr(P_sym rho)`.

use crate::cli::{EvolveArgs, Model};
use crate::ops::DickeLiouvillian;
use crate::resolve::{self, PositionSource};
use crate::{h5, report};
use anyhow::{bail, Context};
use faer::Mat;
use num_complex::Complex64 as C64;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace, Orthogonalization};
use sqz_krylov::LinearOperator;
use sqz_model::observables::{self, SpinMoments};
use sqz_model::{positions, ModelError, Params};
use sqz_superop::basis;
use sqz_superop::memory::{self, Operator, Requirement};
use sqz_superop::{parity, MatFree, ParityBlock};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// Value stored in HDF5 `xi2` where it is undefined (`xi2_defined = 0`).
pub const XI2_FILL: f64 = 0.0;
/// `--orthogonalization auto` uses full Gram-Schmidt up to this many unknowns (vectors of
/// 256 KiB, cache-resident: the extra sweeps are cheap and save operator applications) and
/// incomplete orthogonalisation against the last [`AUTO_WINDOW`] vectors above.
pub const AUTO_FULL_MAX_DIM: usize = 1 << 14;
/// Window of `--orthogonalization auto` for large problems.
pub const AUTO_WINDOW: usize = 4;
/// Largest Husimi grid side.
const HUSIMI_GRID_MAX: usize = 2001;
/// A full-space initial state is put in the parity block when the norm of its elements outside
/// the block is below this fraction of its norm.
const PARITY_DROP: f64 = 1e-14;

/// The initial state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// all TLS in |g>
    Ground,
    /// |j, m>, Dicke index k = m + N/2
    Dicke {
        /// Dicke index
        k: usize,
    },
    /// every TLS in cos(theta/2)|e> + e^{i phi} sin(theta/2)|g>
    Product {
        /// polar angle of the mean spin
        theta: f64,
        /// azimuth of the mean spin
        phi: f64,
    },
}

impl Init {
    fn describe(&self, n: usize) -> String {
        match *self {
            Init::Ground => "ground".into(),
            Init::Dicke { k } => format!("dicke:{}", k as f64 - n as f64 / 2.0),
            Init::Product { theta, phi } => format!("product:{theta},{phi}"),
        }
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('/') {
        let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (b != 0.0).then_some(a / b).filter(|x| x.is_finite());
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `ground`, `dicke:M` or `product:THETA,PHI`.
pub fn parse_init(n: usize, s: &str) -> anyhow::Result<Init> {
    let t = s.trim();
    if t == "ground" {
        return Ok(Init::Ground);
    }
    if let Some(m) = t.strip_prefix("dicke:") {
        let mv =
            parse_number(m).with_context(|| format!("--init {s}: M = {m:?} is not a number"))?;
        let k = mv + n as f64 / 2.0;
        if k.fract() != 0.0 || k < 0.0 || k > n as f64 {
            bail!(
                "invalid --init {s}: M must be one of -N/2, -N/2+1, ..., N/2 (N = {n}; e.g. dicke:{})",
                -(n as f64) / 2.0
            );
        }
        return Ok(Init::Dicke { k: k as usize });
    }
    if let Some(rest) = t.strip_prefix("product:") {
        let (a, b) = rest.split_once(',').with_context(|| {
            format!("invalid --init {s}: expected product:THETA,PHI (radians, `pi` suffix allowed)")
        })?;
        let ang = |x: &str, name: &str| {
            positions::parse_length(x)
                .map_err(|_| anyhow::anyhow!("invalid --init {s}: {name} = {x:?} is not an angle"))
        };
        return Ok(Init::Product {
            theta: ang(a, "THETA")?,
            phi: ang(b, "PHI")?,
        });
    }
    bail!("invalid --init {s:?}: allowed `ground`, `dicke:M` or `product:THETA,PHI`")
}

/// `auto` (None), `full` or `incomplete:Q`.
pub fn parse_orthogonalization(s: &str) -> anyhow::Result<Option<Orthogonalization>> {
    let t = s.trim();
    match t {
        "auto" => return Ok(None),
        "full" => return Ok(Some(Orthogonalization::Full)),
        _ => {}
    }
    if let Some(q) = t.strip_prefix("incomplete:") {
        if let Ok(q) = q.trim().parse::<usize>() {
            if (1..=100).contains(&q) {
                return Ok(Some(Orthogonalization::Incomplete(q)));
            }
        }
    }
    bail!("invalid --orthogonalization {s:?}: allowed `auto`, `full` or `incomplete:Q` (1 <= Q <= 100)")
}

/// The orthogonalisation `auto` resolves to for an operator of dimension `dim`.
pub fn auto_orthogonalization(dim: usize) -> Orthogonalization {
    if dim <= AUTO_FULL_MAX_DIM {
        Orthogonalization::Full
    } else {
        Orthogonalization::Incomplete(AUTO_WINDOW)
    }
}

/// A comma-separated list of times: finite, `>= 0`, non-decreasing.
pub fn parse_times(what: &str, s: &str) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    for (i, x) in s.split(',').enumerate() {
        let v: f64 = x
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .with_context(|| {
                format!("invalid {what}: entry {i} = {x:?} is not a finite time >= 0")
            })?;
        if let Some(&prev) = out.last() {
            if v < prev {
                bail!("invalid {what}: times must be non-decreasing ({v} after {prev})");
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// The uniform grid `t_k = T k / K`, k = 0..K.
pub fn uniform_grid(t_max: f64, steps: usize) -> anyhow::Result<Vec<f64>> {
    if !(t_max.is_finite() && t_max > 0.0 && t_max <= 1e12) {
        bail!("invalid --t-max {t_max}: expected a finite time 0 < T <= 1e12 (units of 1/A)");
    }
    if steps == 0 || steps > 10_000_000 {
        bail!("invalid --steps {steps}: expected 1 <= K <= 10^7 intervals");
    }
    Ok((0..=steps)
        .map(|k| {
            if k == steps {
                t_max
            } else {
                t_max * k as f64 / steps as f64
            }
        })
        .collect())
}

/// Where a state vector lives, and how to measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    /// Dicke basis, `(N+1)^2`
    Dicke(usize),
    /// weak-parity block of the full space, `4^N / 2`
    Parity(usize),
    /// full Liouville space, `4^N`
    Full(usize),
}

impl Space {
    fn operator_name(self) -> &'static str {
        match self {
            Space::Dicke(_) => "dicke-csr (Eq. 7)",
            Space::Parity(_) => "parity-block matrix-free (Eq. 3)",
            Space::Full(_) => "full matrix-free (Eq. 3)",
        }
    }

    fn moments(self, w: &[C64]) -> SpinMoments {
        match self {
            Space::Dicke(n) => observables::moments(&dicke_mat(n, w)),
            Space::Parity(_) => sqz_superop::observables::moments_parity(w),
            Space::Full(_) => sqz_superop::observables::moments(w),
        }
    }

    fn trace(self, w: &[C64]) -> f64 {
        match self {
            Space::Dicke(n) => (0..=n).map(|k| w[k * (n + 2)].re).sum(),
            Space::Parity(n) => parity::trace(n, w).re,
            Space::Full(_) => basis::trace(w).re,
        }
    }

    /// The state in (or projected on) the Dicke basis.
    fn dicke_rho(self, w: &[C64]) -> Mat<C64> {
        match self {
            Space::Dicke(n) => dicke_mat(n, w),
            Space::Parity(n) => dicke_projection(n, |a, b| {
                parity::block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| w[k])
            }),
            Space::Full(n) => {
                let d = basis::hilbert_dim(n);
                dicke_projection(n, |a, b| w[a + d * b])
            }
        }
    }
}

fn dicke_mat(n: usize, w: &[C64]) -> Mat<C64> {
    let d = n + 1;
    Mat::from_fn(d, d, |i, j| w[i + d * j])
}

/// `<D_k| rho |D_l>` with the normalised symmetric states `D_k` (k excitations, equal real
/// amplitudes `C(N,k)^(-1/2)`, the phase convention of `sqz_superop::basis::dicke_vector`).
fn dicke_projection(n: usize, rho: impl Fn(usize, usize) -> C64) -> Mat<C64> {
    let d = basis::hilbert_dim(n);
    let mut count = vec![0usize; n + 1];
    for b in 0..d {
        count[b.count_ones() as usize] += 1;
    }
    let c: Vec<f64> = count.iter().map(|&x| 1.0 / (x as f64).sqrt()).collect();
    let mut out = Mat::<C64>::zeros(n + 1, n + 1);
    for b in 0..d {
        let kb = b.count_ones() as usize;
        for a in 0..d {
            let v = rho(a, b);
            if v != C64::new(0.0, 0.0) {
                let ka = a.count_ones() as usize;
                out[(ka, kb)] += v * (c[ka] * c[kb]);
            }
        }
    }
    out
}

/// The product state `psi` of `--init product` in the full basis (b = sum_i n_i 2^i).
fn product_state(n: usize, theta: f64, phi: f64) -> Vec<C64> {
    let e = C64::new((0.5 * theta).cos(), 0.0);
    let g = C64::from_polar((0.5 * theta).sin(), phi);
    (0..basis::hilbert_dim(n))
        .map(|b| {
            let k = b.count_ones() as i32;
            e.powi(k) * g.powi(n as i32 - k)
        })
        .collect()
}

fn pure_dicke(v: &[C64]) -> Vec<C64> {
    let d = v.len();
    let mut out = Vec::with_capacity(d * d);
    for j in 0..d {
        for i in 0..d {
            out.push(v[i] * v[j].conj());
        }
    }
    out
}

/// Everything `sqz evolve` needs, validated.
struct Run {
    model: Model,
    p: Params,
    z: Option<(Vec<f64>, PositionSource)>,
    init: Init,
    times: Vec<f64>,
    grid: Option<(f64, usize)>,
    husimi_times: Vec<f64>,
    husimi_grid: usize,
    husimi_extent: f64,
    expv: ExpvParams,
    /// `None`: auto, by dimension
    ortho: Option<Orthogonalization>,
    json: bool,
    out: Option<std::path::PathBuf>,
    quiet: bool,
}

impl Run {
    fn from_args(a: &EvolveArgs) -> anyhow::Result<Self> {
        let p = Params::new(a.phys.n, a.phys.r, a.phys.alpha, a.phys.delta)?;
        let z = match a.model {
            Model::Permutational => unreachable!("dispatched in run"),
            Model::Collective => {
                if a.pos.w.is_some() || a.pos.positions.is_some() {
                    bail!(
                        "--model collective is Eq. 7 at ideal positions; --w and --positions need \
                         --model full"
                    );
                }
                None
            }
            Model::Full => {
                if p.n() > sqz_superop::N_MAX_FULL {
                    bail!(
                        "invalid --n {} for --model full: at most {} TLS (the 4^N Liouville space)",
                        p.n(),
                        sqz_superop::N_MAX_FULL
                    );
                }
                Some(resolve::positions(p.n(), &a.pos)?)
            }
        };
        let init = parse_init(p.n(), &a.init)?;
        let (times, grid) = match (&a.times, a.t_max) {
            (Some(list), None) => (parse_times("--times", list)?, None),
            (None, Some(t)) => (uniform_grid(t, a.steps)?, Some((t, a.steps))),
            (Some(_), Some(_)) => bail!("give either --t-max T [--steps K] or --times, not both"),
            (None, None) => {
                bail!("give the output times: --t-max T [--steps K] or --times t1,t2,...")
            }
        };
        let husimi_times = match &a.husimi_times {
            Some(s) => parse_times("--husimi-times", s)?,
            None => Vec::new(),
        };
        if !husimi_times.is_empty() {
            if a.out.is_none() {
                bail!("--husimi-times writes to HDF5: give --out FILE.h5");
            }
            if !(2..=HUSIMI_GRID_MAX).contains(&a.husimi_grid) {
                bail!(
                    "invalid --husimi-grid {}: expected 2 <= K <= {HUSIMI_GRID_MAX}",
                    a.husimi_grid
                );
            }
            if !(a.husimi_extent > 0.0 && a.husimi_extent <= 1.0) {
                bail!(
                    "invalid --husimi-extent {}: expected 0 < E <= 1 (the unit disk of the \
                     projected hemisphere)",
                    a.husimi_extent
                );
            }
        }
        if !(a.tol.is_finite() && a.tol > 0.0 && a.tol < 1e-2) {
            bail!("invalid --tol {}: expected 0 < tol < 1e-2", a.tol);
        }
        if !(2..=200).contains(&a.krylov_dim) {
            bail!(
                "invalid --krylov-dim {}: expected 2 <= m <= 200",
                a.krylov_dim
            );
        }
        Ok(Self {
            model: a.model,
            p,
            z,
            init,
            times,
            grid,
            husimi_times,
            husimi_grid: a.husimi_grid,
            husimi_extent: a.husimi_extent,
            expv: ExpvParams {
                krylov_dim: a.krylov_dim,
                tol: a.tol,
                ..ExpvParams::default()
            },
            ortho: parse_orthogonalization(&a.orthogonalization)?,
            json: a.json,
            out: a.out.clone(),
            quiet: a.quiet,
        })
    }
}

/// Observables at the requested times.
#[derive(Debug, Default)]
struct Series {
    t: Vec<f64>,
    inv_xi2: Vec<f64>,
    xi2: Vec<Option<f64>>,
    mean_spin: Vec<[f64; 3]>,
    trace: Vec<f64>,
}

/// One Husimi frame.
#[derive(Debug)]
struct Frame {
    t: f64,
    axes: [[f64; 3]; 3],
    axes_defined: bool,
    /// `q[i1 * K + i2]`
    q: Vec<f64>,
}

struct Outcome {
    space: Space,
    dim: usize,
    ortho: Orthogonalization,
    series: Series,
    frames: Vec<Frame>,
    info: ExpvInfo,
    seconds: f64,
}

/// Progress on stderr: a bar when stderr is a terminal, a line every 10 s otherwise; nothing for
/// runs shorter than a second (terminal) or ten seconds.
struct Progress {
    start: Instant,
    last: Instant,
    t_end: f64,
    tty: bool,
    quiet: bool,
    drawn: bool,
}

impl Progress {
    fn new(t_end: f64, quiet: bool) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            t_end,
            tty: std::io::stderr().is_terminal(),
            quiet,
            drawn: false,
        }
    }

    fn update(&mut self, t: f64, info: &ExpvInfo) {
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let el = now - self.start;
        let frac = if self.t_end > 0.0 {
            (t / self.t_end).clamp(0.0, 1.0)
        } else {
            1.0
        };
        if self.tty {
            if el < Duration::from_secs(1) || now - self.last < Duration::from_millis(200) {
                return;
            }
            let w = 30;
            let fill = (frac * w as f64).round() as usize;
            eprint!(
                "\r\x1b[2K[{}{}] {:5.1}%  t = {:.4e} / {:.4e}  {} steps  {} matvecs  {:.1} s ",
                "#".repeat(fill),
                " ".repeat(w - fill),
                100.0 * frac,
                t,
                self.t_end,
                info.steps,
                info.matvecs,
                el.as_secs_f64()
            );
            self.drawn = true;
        } else {
            if now - self.last < Duration::from_secs(10) {
                return;
            }
            eprintln!(
                "sqz evolve: t = {:.6e} of {:.6e} ({:.1}%), {} steps, {} matvecs, {:.1} s elapsed",
                t,
                self.t_end,
                100.0 * frac,
                info.steps,
                info.matvecs,
                el.as_secs_f64()
            );
        }
        self.last = now;
    }

    fn finish(&self) {
        if self.drawn {
            // erase the bar
            eprint!("\r\x1b[2K");
        }
    }
}

/// What a merged time stands for.
#[derive(Debug, Clone, Copy)]
enum Tag {
    Out,
    Husimi,
}

fn measure(space: Space, w: &[C64]) -> anyhow::Result<(SpinMoments, f64, f64, Option<f64>)> {
    let mom = space.moments(w);
    let tr = space.trace(w);
    let (inv, xi2) = match mom.squeezing() {
        Ok(sq) => (sq.inv_xi2, Some(sq.xi2)),
        Err(ModelError::ZeroMeanSpin(_)) => (0.0, None),
        Err(e) => return Err(e.into()),
    };
    Ok((mom, tr, inv, xi2))
}

fn husimi_frame(space: Space, w: &[C64], t: f64, k: usize, extent: f64) -> Frame {
    let mom = space.moments(w);
    let (axes, defined) = match mom.perpendicular_axes() {
        Ok((n0, n1, n2)) => ([n0, n1, n2], true),
        Err(_) => ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], false),
    };
    let rho = space.dicke_rho(w);
    let xs = husimi_axis(k, extent);
    let q: Vec<f64> = (0..k * k)
        .into_par_iter()
        .map(|idx| {
            let (x1, x2) = (xs[idx / k], xs[idx % k]);
            let r2 = x1 * x1 + x2 * x2;
            if r2 > 1.0 {
                return 0.0;
            }
            let h = (1.0 - r2).sqrt();
            let u: Vec<f64> = (0..3)
                .map(|c| x1 * axes[1][c] + x2 * axes[2][c] + h * axes[0][c])
                .collect();
            let th = u[2].clamp(-1.0, 1.0).acos();
            let ph = u[1].atan2(u[0]);
            observables::husimi_q(&rho, &[th], &[ph])[0]
        })
        .collect();
    Frame {
        t,
        axes,
        axes_defined: defined,
        q,
    }
}

fn husimi_axis(k: usize, extent: f64) -> Vec<f64> {
    (0..k)
        .map(|i| -extent + 2.0 * extent * i as f64 / (k - 1) as f64)
        .collect()
}

fn propagate<A: LinearOperator>(
    op: &A,
    space: Space,
    mut v: Vec<C64>,
    run: &Run,
) -> anyhow::Result<Outcome> {
    let dim = op.dim();
    let mut sched: Vec<(f64, Tag)> = run
        .times
        .iter()
        .map(|&t| (t, Tag::Out))
        .chain(run.husimi_times.iter().map(|&t| (t, Tag::Husimi)))
        .collect();
    sched.sort_by(|a, b| a.0.total_cmp(&b.0));
    let times: Vec<f64> = sched.iter().map(|s| s.0).collect();
    let t_end = times.last().copied().unwrap_or(0.0);
    let mut series = Series::default();
    let mut frames = Vec::new();
    let mut failure: Option<anyhow::Error> = None;
    let mut progress = Progress::new(t_end, run.quiet);
    let mut ws = ExpvWorkspace::new(dim, run.expv.krylov_dim);
    let params = ExpvParams {
        orthogonalization: run.ortho.unwrap_or_else(|| auto_orthogonalization(dim)),
        ..run.expv
    };
    let start = Instant::now();
    let info = expv_times(op, &times, &mut v, &params, &mut ws, |ev| match ev {
        Event::Step { t, info } => {
            progress.update(t, info);
            ControlFlow::Continue(())
        }
        Event::Output { index, t, w } => match sched[index].1 {
            Tag::Out => match measure(space, w) {
                Ok((mom, tr, inv, xi2)) => {
                    series.t.push(t);
                    series.inv_xi2.push(inv);
                    series.xi2.push(xi2);
                    series.mean_spin.push(mom.mean);
                    series.trace.push(tr);
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    failure = Some(e.context(format!("observables at t = {t}")));
                    ControlFlow::Break(())
                }
            },
            Tag::Husimi => {
                frames.push(husimi_frame(
                    space,
                    w,
                    t,
                    run.husimi_grid,
                    run.husimi_extent,
                ));
                ControlFlow::Continue(())
            }
        },
    });
    progress.finish();
    let info = info.context("Krylov propagation")?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Outcome {
        space,
        dim,
        ortho: params.orthogonalization,
        series,
        frames,
        info,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn evolve_collective(run: &Run) -> anyhow::Result<Outcome> {
    let n = run.p.n();
    let d = n + 1;
    let dim = d * d;
    let need = DickeLiouvillian::bytes_estimate(n)
        + ExpvWorkspace::bytes(dim, run.expv.krylov_dim)
        + 16 * dim as u64;
    let avail = memory::available_bytes();
    if need > avail {
        bail!(
            "the collective propagation at N = {n} needs about {} (Eq. 7 CSR and {} Krylov \
             vectors of (N+1)^2 = {dim} numbers), {} available",
            memory::human_bytes(need),
            run.expv.krylov_dim + 2,
            memory::human_bytes(avail)
        );
    }
    let psi: Vec<C64> = match run.init {
        Init::Ground => {
            let mut v = vec![C64::new(0.0, 0.0); d];
            v[0] = C64::new(1.0, 0.0);
            v
        }
        Init::Dicke { k } => {
            let mut v = vec![C64::new(0.0, 0.0); d];
            v[k] = C64::new(1.0, 0.0);
            v
        }
        Init::Product { theta, phi } => observables::coherent_state(n, theta, phi),
    };
    let op = DickeLiouvillian::new(&run.p);
    propagate(&op, Space::Dicke(n), pure_dicke(&psi), run)
}

fn evolve_full(run: &Run, z: &[f64]) -> anyhow::Result<Outcome> {
    let n = run.p.n();
    let psi: Vec<C64> = match run.init {
        Init::Ground => {
            let mut v = vec![C64::new(0.0, 0.0); basis::hilbert_dim(n)];
            v[0] = C64::new(1.0, 0.0);
            v
        }
        Init::Dicke { k } => basis::dicke_vector(n, k),
        Init::Product { theta, phi } => product_state(n, theta, phi),
    };
    // rho = |psi><psi| lies in the equal-parity block iff psi has one excitation parity
    let (even, odd) = psi.iter().enumerate().fold((0.0, 0.0), |(e, o), (b, x)| {
        if basis::parity(b) == 0 {
            (e + x.norm_sqr(), o)
        } else {
            (e, o + x.norm_sqr())
        }
    });
    let in_block = (even * odd).sqrt() <= PARITY_DROP * (even + odd);
    let k = run.expv.krylov_dim + 3;
    let opk = if in_block {
        Operator::ParityBlock
    } else {
        Operator::MatrixFree
    };
    let req = Requirement::solve(opk, k);
    memory::check(&req, req.bytes(n))?;
    let full = basis::pure_state(&psi);
    if in_block {
        let v = parity::restrict(n, &full);
        drop(full);
        let op = ParityBlock::new(&run.p, z)?;
        propagate(&op, Space::Parity(n), v, run)
    } else {
        let op = MatFree::new(&run.p, z)?;
        propagate(&op, Space::Full(n), full, run)
    }
}

pub fn run(a: &EvolveArgs) -> anyhow::Result<()> {
    if a.model == Model::Permutational {
        return crate::cmd_permutational::evolve(a);
    }
    crate::cmd_permutational::reject_local_rates(&a.rates, a.model)?;
    let run = Run::from_args(a)?;
    let out = match (&run.model, &run.z) {
        (Model::Full, Some((z, _))) => evolve_full(&run, z)?,
        _ => evolve_collective(&run)?,
    };
    if let Some(path) = &run.out {
        write_h5(path, &run, &out).with_context(|| format!("writing {}", path.display()))?;
    }
    if run.json {
        report::emit(json_fields(&run, &out), true);
    } else {
        print_text(&run, &out);
    }
    Ok(())
}

fn ortho_name(o: Orthogonalization) -> String {
    match o {
        Orthogonalization::Full => "full".into(),
        Orthogonalization::Incomplete(q) => format!("incomplete:{q}"),
    }
}

fn info_json(i: &ExpvInfo) -> Value {
    json!({
        "steps": i.steps,
        "rejections": i.rejections,
        "matvecs": i.matvecs,
        "happy_breakdowns": i.happy_breakdowns,
        "reorthogonalizations": i.reorthogonalizations,
        "error_estimate": i.error_estimate,
        "hump": i.hump,
        "max_step": i.max_step,
    })
}

fn json_fields(run: &Run, o: &Outcome) -> Map<String, Value> {
    let p = &run.p;
    let mut m = Map::new();
    m.insert(
        "model".into(),
        json!(match run.model {
            Model::Collective => "collective",
            Model::Full => "full",
            Model::Permutational => "permutational",
        }),
    );
    m.insert("n".into(), json!(p.n()));
    m.insert("r".into(), json!(p.r()));
    m.insert("alpha".into(), json!(p.alpha()));
    m.insert("delta".into(), json!(p.delta()));
    m.insert("init".into(), json!(run.init.describe(p.n())));
    if let Some((z, src)) = &run.z {
        m.insert("positions".into(), json!(z));
        insert_source(&mut m, src);
    }
    m.insert("operator".into(), json!(o.space.operator_name()));
    m.insert("dim".into(), json!(o.dim));
    m.insert("tol".into(), json!(run.expv.tol));
    m.insert("krylov_dim".into(), json!(run.expv.krylov_dim));
    m.insert("orthogonalization".into(), json!(ortho_name(o.ortho)));
    let s = &o.series;
    m.insert("t".into(), json!(s.t));
    m.insert("inv_xi2".into(), json!(s.inv_xi2));
    m.insert("xi2".into(), json!(s.xi2));
    m.insert("mean_spin".into(), json!(s.mean_spin));
    m.insert("trace".into(), json!(s.trace));
    m.insert("krylov".into(), info_json(&o.info));
    m.insert("time_s".into(), json!(o.seconds));
    if let Some(path) = &run.out {
        m.insert("out".into(), json!(path.display().to_string()));
    }
    m
}

fn insert_source(m: &mut Map<String, Value>, src: &PositionSource) {
    match src {
        PositionSource::Ideal => {
            m.insert("position_source".into(), json!("ideal"));
        }
        PositionSource::Disorder { w, seed, config } => {
            m.insert("position_source".into(), json!("disorder"));
            m.insert("w".into(), json!(w));
            m.insert("w_over_pi".into(), json!(w / std::f64::consts::PI));
            m.insert("seed".into(), json!(seed));
            m.insert("config".into(), json!(config));
        }
        PositionSource::Explicit => {
            m.insert("position_source".into(), json!("explicit"));
        }
    }
}

fn print_text(run: &Run, o: &Outcome) {
    let p = &run.p;
    println!(
        "# sqz evolve: N = {}, r = {}, alpha = {}, delta = {}, init {}, {} (dim {})",
        p.n(),
        p.r(),
        p.alpha(),
        p.delta(),
        run.init.describe(p.n()),
        o.space.operator_name(),
        o.dim
    );
    let i = &o.info;
    println!(
        "# krylov: {} steps ({} rejected), {} matvecs, error estimate {:.2e}, {:.3} s",
        i.steps, i.rejections, i.matvecs, i.error_estimate, o.seconds
    );
    println!(
        "# {:>12} {:>16} {:>16} {:>14} {:>14} {:>14} {:>18}",
        "t", "inv_xi2", "xi2", "Sx", "Sy", "Sz", "trace"
    );
    let s = &o.series;
    for k in 0..s.t.len() {
        let xi2 = s.xi2[k].map_or("-".to_string(), |x| format!("{x:.10e}"));
        println!(
            "  {:>12.6} {:>16.10e} {:>16} {:>14.6e} {:>14.6e} {:>14.6e} {:>18.15}",
            s.t[k],
            s.inv_xi2[k],
            xi2,
            s.mean_spin[k][0],
            s.mean_spin[k][1],
            s.mean_spin[k][2],
            s.trace[k]
        );
    }
    if let Some(path) = &run.out {
        println!("# written to {}", path.display());
    }
}

fn ds_nd(g: &hdf5::Group, name: &str, shape: &[usize], v: &[f64]) -> anyhow::Result<()> {
    g.new_dataset::<f64>()
        .shape(shape)
        .create(name)
        .with_context(|| format!("dataset {name}"))?
        .write_raw(v)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

fn ds_u8_nd(g: &hdf5::Group, name: &str, shape: &[usize], v: &[u8]) -> anyhow::Result<()> {
    g.new_dataset::<u8>()
        .shape(shape)
        .create(name)
        .with_context(|| format!("dataset {name}"))?
        .write_raw(v)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

fn write_h5(path: &std::path::Path, run: &Run, o: &Outcome) -> anyhow::Result<()> {
    h5::write_atomically(path, |f| {
        let p = &run.p;
        h5::attr_str(f, "command", "evolve")?;
        h5::attr_str(
            f,
            "model",
            match run.model {
                Model::Collective => "collective",
                Model::Full => "full",
                Model::Permutational => "permutational",
            },
        )?;
        h5::attr_u64(f, "n", p.n() as u64)?;
        h5::attr_f64(f, "r", p.r())?;
        h5::attr_f64(f, "alpha", p.alpha())?;
        h5::attr_f64(f, "delta", p.delta())?;
        h5::attr_str(f, "init", &run.init.describe(p.n()))?;
        match run.init {
            Init::Dicke { k } => h5::attr_f64(f, "init_m", k as f64 - p.n() as f64 / 2.0)?,
            Init::Product { theta, phi } => {
                h5::attr_f64(f, "init_theta", theta)?;
                h5::attr_f64(f, "init_phi", phi)?;
            }
            Init::Ground => {}
        }
        h5::attr_str(f, "operator", o.space.operator_name())?;
        h5::attr_u64(f, "dim", o.dim as u64)?;
        h5::attr_f64(f, "tol", run.expv.tol)?;
        h5::attr_u64(f, "krylov_dim", run.expv.krylov_dim as u64)?;
        h5::attr_str(f, "orthogonalization", &ortho_name(o.ortho))?;
        if let Some((t_max, steps)) = run.grid {
            h5::attr_f64(f, "t_max", t_max)?;
            h5::attr_u64(f, "steps", steps as u64)?;
        }
        let i = &o.info;
        h5::attr_u64(f, "krylov_steps", i.steps as u64)?;
        h5::attr_u64(f, "krylov_rejections", i.rejections as u64)?;
        h5::attr_u64(f, "matvecs", i.matvecs as u64)?;
        h5::attr_f64(f, "error_estimate", i.error_estimate)?;
        h5::attr_f64(f, "time_s", o.seconds)?;
        h5::attr_f64(f, "xi2_fill_value", XI2_FILL)?;
        h5::attr_str(
            f,
            "xi2_note",
            "xi2 is undefined where |<S>| vanishes: there xi2 = xi2_fill_value, xi2_defined = 0, \
             inv_xi2 = 0",
        )?;
        if let Some((z, src)) = &run.z {
            h5::ds_f64(f, "positions", z)?;
            match src {
                PositionSource::Ideal => h5::attr_str(f, "position_source", "ideal")?,
                PositionSource::Explicit => h5::attr_str(f, "position_source", "explicit")?,
                PositionSource::Disorder { w, seed, config } => {
                    h5::attr_str(f, "position_source", "disorder")?;
                    h5::attr_f64(f, "w", *w)?;
                    h5::attr_u64(f, "seed", *seed)?;
                    h5::attr_u64(f, "config", *config)?;
                }
            }
        }
        let s = &o.series;
        h5::ds_f64(f, "t", &s.t)?;
        h5::ds_f64(f, "inv_xi2", &s.inv_xi2)?;
        let xi2: Vec<f64> = s.xi2.iter().map(|x| x.unwrap_or(XI2_FILL)).collect();
        h5::ds_f64(f, "xi2", &xi2)?;
        let mask: Vec<bool> = s.xi2.iter().map(|x| x.is_some()).collect();
        h5::ds_bool(f, "xi2_defined", &mask)?;
        let ms: Vec<f64> = s.mean_spin.iter().flatten().copied().collect();
        ds_nd(f, "mean_spin", &[s.t.len(), 3], &ms)?;
        h5::ds_f64(f, "trace", &s.trace)?;
        if !o.frames.is_empty() {
            let g = f.create_group("husimi")?;
            let k = run.husimi_grid;
            h5::attr_u64(&g, "grid", k as u64)?;
            h5::attr_f64(&g, "extent", run.husimi_extent)?;
            h5::attr_str(
                &g,
                "definition",
                "Q(th,ph) = (2j+1)/(4 pi) <th,ph|rho|th,ph> at the direction u = x1 n1 + x2 n2 + \
                 sqrt(1 - x1^2 - x2^2) n (orthographic projection of the hemisphere around the \
                 mean spin n onto the n_perp plane); q[time, i1, i2] at (x1[i1], x2[i2]); Q = 0 \
                 and inside = 0 where x1^2 + x2^2 > 1; full model: Q of the state projected on \
                 the symmetric subspace",
            )?;
            let xs = husimi_axis(k, run.husimi_extent);
            h5::ds_f64(&g, "x1", &xs)?;
            h5::ds_f64(&g, "x2", &xs)?;
            let inside: Vec<u8> = (0..k * k)
                .map(|i| (xs[i / k].powi(2) + xs[i % k].powi(2) <= 1.0) as u8)
                .collect();
            ds_u8_nd(&g, "inside", &[k, k], &inside)?;
            let ts: Vec<f64> = o.frames.iter().map(|fr| fr.t).collect();
            h5::ds_f64(&g, "t", &ts)?;
            let q: Vec<f64> = o
                .frames
                .iter()
                .flat_map(|fr| fr.q.iter().copied())
                .collect();
            ds_nd(&g, "q", &[o.frames.len(), k, k], &q)?;
            for (a, name) in ["n", "n1", "n2"].iter().enumerate() {
                let v: Vec<f64> = o.frames.iter().flat_map(|fr| fr.axes[a]).collect();
                ds_nd(&g, name, &[o.frames.len(), 3], &v)?;
            }
            let def: Vec<bool> = o.frames.iter().map(|fr| fr.axes_defined).collect();
            h5::ds_bool(&g, "axes_defined", &def)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_parsing() {
        assert_eq!(parse_init(4, "ground").unwrap(), Init::Ground);
        assert_eq!(parse_init(4, "dicke:-2").unwrap(), Init::Dicke { k: 0 });
        assert_eq!(parse_init(3, "dicke:-3/2").unwrap(), Init::Dicke { k: 0 });
        assert_eq!(parse_init(3, "dicke:0.5").unwrap(), Init::Dicke { k: 2 });
        assert!(parse_init(3, "dicke:0").is_err());
        assert!(parse_init(4, "dicke:3").is_err());
        match parse_init(4, "product:0.5pi,1").unwrap() {
            Init::Product { theta, phi } => {
                assert!((theta - 0.5 * std::f64::consts::PI).abs() < 1e-15);
                assert_eq!(phi, 1.0);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_init(4, "product:1").is_err());
        assert!(parse_init(4, "excited").is_err());
    }

    #[test]
    fn times_parsing_and_grid() {
        assert_eq!(
            parse_times("--times", "0,1,1,2.5").unwrap(),
            vec![0.0, 1.0, 1.0, 2.5]
        );
        assert!(parse_times("--times", "1,0").is_err());
        assert!(parse_times("--times", "-1").is_err());
        assert!(parse_times("--times", "nan").is_err());
        let g = uniform_grid(3.0, 3).unwrap();
        assert_eq!(g, vec![0.0, 1.0, 2.0, 3.0]);
        assert!(uniform_grid(0.0, 3).is_err());
        assert!(uniform_grid(1.0, 0).is_err());
    }

    #[test]
    fn product_state_matches_coherent_state_in_dicke_basis() {
        let n = 4;
        let (th, ph) = (1.1, 0.4);
        let psi = product_state(n, th, ph);
        let full = basis::pure_state(&psi);
        let rho = Space::Full(n).dicke_rho(&full);
        let cs = observables::coherent_state(n, th, ph);
        for i in 0..=n {
            for j in 0..=n {
                let want = cs[i] * cs[j].conj();
                assert!((rho[(i, j)] - want).norm() < 1e-14, "({i},{j})");
            }
        }
        // the product state's mean spin points along (th, ph)
        let m = sqz_superop::observables::moments(&full);
        let j = n as f64 / 2.0;
        assert!((m.mean[0] - j * th.sin() * ph.cos()).abs() < 1e-13);
        assert!((m.mean[1] - j * th.sin() * ph.sin()).abs() < 1e-13);
        assert!((m.mean[2] - j * th.cos()).abs() < 1e-13);
    }
}
