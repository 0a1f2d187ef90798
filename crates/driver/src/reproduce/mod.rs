//! The built-in studies of `sqz reproduce`: one module per figure of Bai & An, PRL 127, 083602
//! (2021), plus the shared pieces (time evolution, progress, HDF5 helpers, plotting).
//!
//! Every study is a pure function of a [`Config`] (no input files); [`Config::full`] is the
//! documented default run and [`Config::quick`] a reduced first look (see the `quick` docs of
//! each field). Each figure module returns a data struct that knows how to write itself into an
//! HDF5 group and how to render its PNG.

pub mod evolve;
pub mod fig1;
pub mod fig2;
pub mod fig3;
pub mod fig4;
pub mod interrupt;
pub mod plot;
pub mod progress;

use anyhow::Context;
use std::f64::consts::PI;

/// Everything the studies need; no field is read from a file.
#[derive(Debug, Clone)]
pub struct Config {
    /// reduced run (`--quick`)
    pub quick: bool,
    /// squeezing angle alpha (paper: 0.5)
    pub alpha: f64,
    /// frequency shift Delta in units of A (paper: 1.0)
    pub delta: f64,
    /// local error tolerance per unit time of the Krylov propagator
    pub expv_tol: f64,
    /// Krylov dimension of the propagator
    pub krylov_dim: usize,

    /// Fig. 1: number of TLS (paper: 10)
    pub fig1_n: usize,
    /// Fig. 1: last time (1/A) of the uniform time grid
    pub fig1_t_max: f64,
    /// Fig. 1: intervals of the uniform time grid
    pub fig1_steps: usize,
    /// Fig. 1(b): squeezing strengths, initial state |j,-j>
    pub fig1b_r: Vec<f64>,
    /// Fig. 1(c): squeezing strength (paper: 0.5)
    pub fig1c_r: f64,
    /// Fig. 1(c): initial Dicke states |j,m>, given by m
    pub fig1c_m: Vec<f64>,

    /// Fig. 2: number of TLS (paper: 30)
    pub fig2_n: usize,
    /// Fig. 2: squeezing strength (paper: 0.8)
    pub fig2_r: f64,
    /// Fig. 2: times of the Husimi frames (paper: 0, 0.01, 0.1, 4.0)
    pub fig2_times: Vec<f64>,
    /// Fig. 2: grid points per axis of each frame
    pub fig2_grid: usize,
    /// Fig. 2: half-width of the frame in the n_perp plane (1 = the whole hemisphere)
    pub fig2_extent: f64,

    /// Fig. 3(a): values of N
    pub fig3a_n: Vec<usize>,
    /// Fig. 3(a): r values of the Eq. 7 time evolution
    pub fig3a_r_numerics: Vec<f64>,
    /// Fig. 3(a): r values of the Eq. 8 curves
    pub fig3a_r_eq8: Vec<f64>,
    /// Fig. 3(a): time of the Eq. 7 numerics (paper: 200/A)
    pub fig3a_t: f64,
    /// Fig. 3(a): Krylov dimension of the propagation to t = 200/A (a larger basis takes far
    /// fewer steps through the stiff, oscillating large-r dynamics)
    pub fig3a_krylov_dim: usize,
    /// Fig. 3(b-d): largest N (paper: about 1000 judging from its fits; beyond the paper: 2000)
    pub scaling_n_max: usize,
    /// Fig. 3(b-d): log-spaced N values between 2 and `scaling_fit_paper_n_max` (before
    /// de-duplication, as `sqz scaling --n-points`); the grid continues with the same step
    pub scaling_points: usize,
    /// Fig. 3(b-d): tolerance on r_opt and on the ends of the squeezed range
    pub scaling_r_tol: f64,
    /// Fig. 3(b-d): largest r searched
    pub scaling_r_max: f64,
    /// Fig. 3(c,d): the fit that is compared with the paper uses N <= this
    pub scaling_fit_paper_n_max: usize,

    /// Fig. 4: number of TLS (paper: 5)
    pub fig4_n: usize,
    /// Fig. 4: seed of the disorder (configuration c is the ChaCha8 stream c)
    pub fig4_seed: u64,
    /// Fig. 4(a-c): squeezing strength of the time traces
    pub fig4abc_r: f64,
    /// Fig. 4(a-c): disorder strengths in units of zeta (paper: 0.03, 0.06, 0.3 pi)
    pub fig4abc_w: Vec<f64>,
    /// Fig. 4(a-c): configurations per w (paper: 100)
    pub fig4abc_configs: usize,
    /// Fig. 4(a-c): first positive output time (the grid is t = 0 and log-spaced times)
    pub fig4abc_t_min: f64,
    /// Fig. 4(a-c): output times per decade
    pub fig4abc_points_per_decade: usize,
    /// Fig. 4(a-c): a panel runs to `gap_factor` slowest relaxation times (1 / median gap of
    /// its configurations, from Fig. 4(d)), so that it reaches the steady state of (d) ...
    pub fig4abc_gap_factor: f64,
    /// ... but at least to this time ...
    pub fig4abc_t_floor: f64,
    /// ... and at most to this time
    pub fig4abc_t_cap: f64,
    /// Fig. 4(d): disorder strengths in units of zeta (contains every `fig4abc_w`)
    pub fig4d_w: Vec<f64>,
    /// Fig. 4(d): configurations per w (paper: 200)
    pub fig4d_configs: usize,
    /// Fig. 4(d): squeezing strengths; `None` stands for r_opt(N = 5) of Eq. 8, found at run time
    pub fig4d_r: Vec<Option<f64>>,
}

/// `k + 1` log-spaced points from `a` to `b`, both included.
pub fn logspace(a: f64, b: f64, k: usize) -> Vec<f64> {
    let (la, lb) = (a.ln(), b.ln());
    (0..=k)
        .map(|i| {
            if i == k {
                b
            } else {
                (la + (lb - la) * i as f64 / k as f64).exp()
            }
        })
        .collect()
}

/// `k + 1` uniform points from `a` to `b`, both included.
pub fn linspace(a: f64, b: f64, k: usize) -> Vec<f64> {
    (0..=k)
        .map(|i| {
            if i == k {
                b
            } else {
                a + (b - a) * i as f64 / k as f64
            }
        })
        .collect()
}

impl Config {
    /// The default study (about 4-5 minutes on 2 cores).
    pub fn full() -> Self {
        Self {
            quick: false,
            alpha: 0.5,
            delta: 1.0,
            expv_tol: 1e-8,
            krylov_dim: 30,
            fig1_n: 10,
            fig1_t_max: 4.0,
            fig1_steps: 400,
            fig1b_r: vec![0.1, 0.3, 0.5, 0.8, 1.2],
            fig1c_r: 0.5,
            fig1c_m: vec![-5.0, -3.0, 0.0, 3.0, 5.0],
            fig2_n: 30,
            fig2_r: 0.8,
            fig2_times: vec![0.0, 0.01, 0.1, 4.0],
            fig2_grid: 121,
            fig2_extent: 0.8,
            fig3a_n: vec![5, 10, 20],
            fig3a_r_numerics: linspace(0.0, 2.0, 20),
            fig3a_r_eq8: linspace(0.0, 2.0, 200),
            fig3a_t: 200.0,
            fig3a_krylov_dim: 60,
            scaling_n_max: 2000,
            scaling_points: 48,
            scaling_r_tol: 1e-4,
            scaling_r_max: 4.0,
            scaling_fit_paper_n_max: 1000,
            fig4_n: 5,
            fig4_seed: 2021,
            fig4abc_r: 0.5,
            fig4abc_w: vec![0.03 * PI, 0.06 * PI, 0.3 * PI],
            fig4abc_configs: 100,
            fig4abc_t_min: 1e-2,
            fig4abc_points_per_decade: 20,
            fig4abc_gap_factor: 8.0,
            fig4abc_t_floor: 1e3,
            fig4abc_t_cap: 1e4,
            fig4d_w: [
                0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45,
                0.5, 0.55, 0.6,
            ]
            .iter()
            .map(|x| x * PI)
            .collect(),
            fig4d_configs: 200,
            fig4d_r: vec![Some(0.2), None, Some(0.5)],
        }
    }

    /// The reduced first look (`--quick`, well under a minute): the same studies with fewer
    /// configurations (8 and 12 instead of 100 and 200), fewer w (7 instead of 17), Fig. 4(a-c)
    /// traces to at most t = 1000/A instead of 10^4/A, Fig. 3(a) at N = 5, 10 with 9 r values, Fig. 3(b-d)
    /// for N up to 200 (16 values), coarser Husimi grids and Fig. 1 time grids.
    pub fn quick() -> Self {
        let mut c = Self::full();
        c.quick = true;
        c.fig1_steps = 160;
        c.fig2_grid = 41;
        c.fig3a_n = vec![5, 10];
        c.fig3a_r_numerics = linspace(0.0, 2.0, 8);
        c.fig3a_r_eq8 = linspace(0.0, 2.0, 80);
        c.scaling_n_max = 200;
        c.scaling_points = 16;
        c.scaling_r_tol = 1e-3;
        c.scaling_fit_paper_n_max = 200;
        c.fig4abc_configs = 8;
        c.fig4abc_points_per_decade = 10;
        c.fig4abc_t_floor = 1e2;
        c.fig4abc_t_cap = 1e3;
        c.fig4d_w = [0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.5]
            .iter()
            .map(|x| x * PI)
            .collect();
        c.fig4d_configs = 12;
        c
    }
}

/// Writes a row-major 2-D f64 dataset `rows x cols`.
pub fn ds2(g: &hdf5::Group, name: &str, rows: usize, cols: usize, v: &[f64]) -> anyhow::Result<()> {
    assert_eq!(v.len(), rows * cols, "ds2 {name}: shape");
    g.new_dataset::<f64>()
        .shape([rows, cols])
        .create(name)
        .with_context(|| format!("dataset {name}"))?
        .write_raw(v)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// Writes a row-major 3-D f64 dataset.
pub fn ds3(g: &hdf5::Group, name: &str, shape: [usize; 3], v: &[f64]) -> anyhow::Result<()> {
    assert_eq!(
        v.len(),
        shape.iter().product::<usize>(),
        "ds3 {name}: shape"
    );
    g.new_dataset::<f64>()
        .shape(shape)
        .create(name)
        .with_context(|| format!("dataset {name}"))?
        .write_raw(v)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// Maps `f` over `jobs` on the rayon pool, starting the jobs strictly in the given order (put the
/// expensive ones first for load balance): each worker takes the next index from a shared
/// counter. Results come back in job order; the first error stops the remaining jobs.
pub fn par_map_in_order<J, T, F>(jobs: &[J], f: F) -> anyhow::Result<Vec<T>>
where
    J: Sync,
    T: Send,
    F: Fn(&J) -> anyhow::Result<T> + Sync,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<anyhow::Result<T>>>> =
        (0..jobs.len()).map(|_| Mutex::new(None)).collect();
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= jobs.len() {
                    break;
                }
                let r = f(&jobs[i]);
                if r.is_err() {
                    next.store(jobs.len(), Ordering::SeqCst);
                }
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    let mut out = Vec::with_capacity(jobs.len());
    let mut missing = false;
    for slot in slots {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => missing = true,
        }
    }
    if missing {
        anyhow::bail!("a parallel job did not run (internal error)");
    }
    Ok(out)
}

/// Mean and (sample, n - 1) standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, 0.0);
    }
    let s2 = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    (m, s2.sqrt())
}

/// First `x` where the piecewise-linear `y(x)` falls from above `level` to below it.
pub fn first_crossing_below(x: &[f64], y: &[f64], level: f64) -> Option<f64> {
    (1..x.len()).find_map(|i| {
        (y[i - 1] >= level && y[i] < level)
            .then(|| x[i - 1] + (x[i] - x[i - 1]) * (y[i - 1] - level) / (y[i - 1] - y[i]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_statistics() {
        let l = logspace(1e-2, 1e2, 4);
        assert_eq!(l.len(), 5);
        assert!((l[2] - 1.0).abs() < 1e-12 && l[4] == 1e2);
        assert_eq!(linspace(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-15 && (s - 1.0).abs() < 1e-15);
        let c = first_crossing_below(&[0.0, 1.0, 2.0], &[2.0, 1.5, 0.5], 1.0).unwrap();
        assert!((c - 1.5).abs() < 1e-15);
        assert!(first_crossing_below(&[0.0, 1.0], &[2.0, 1.5], 1.0).is_none());
    }

    #[test]
    fn ordered_parallel_map_keeps_job_order_and_reports_errors() {
        let jobs: Vec<usize> = (0..50).collect();
        let v = par_map_in_order(&jobs, |&j| Ok(j * j)).unwrap();
        assert_eq!(v, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        let e = par_map_in_order(&jobs, |&j| {
            if j == 7 {
                anyhow::bail!("job 7")
            } else {
                Ok(j)
            }
        });
        assert!(e.unwrap_err().to_string().contains("job 7"));
        assert!(par_map_in_order(&Vec::<usize>::new(), |&j| Ok(j))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn scaling_grid_extends_the_paper_grid() {
        let c = Config::full();
        let g = super::fig3::scaling_grid(&c);
        let paper = crate::cmd_scaling::n_grid(2, 1000, 48);
        assert_eq!(&g[..paper.len()], &paper[..]);
        assert_eq!(*g.last().unwrap(), 2000);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert!(g.len() > paper.len() + 3);
        let q = Config::quick();
        assert_eq!(
            super::fig3::scaling_grid(&q),
            crate::cmd_scaling::n_grid(2, 200, 16)
        );
    }

    #[test]
    fn fig4_windows_follow_the_gap_within_their_bounds() {
        let c = Config::full();
        let t = super::fig4::panel_times(&c, 1.0 / 840.0);
        assert_eq!(t[0], 0.0);
        assert_eq!(*t.last().unwrap(), 7000.0);
        assert!((t[1] - 1e-2).abs() < 1e-15);
        assert_eq!(*super::fig4::panel_times(&c, 1e-5).last().unwrap(), 1e4);
        assert_eq!(*super::fig4::panel_times(&c, 1.0).last().unwrap(), 1e3);
        assert_eq!(*super::fig4::panel_times(&c, f64::NAN).last().unwrap(), 1e4);
        assert!(t.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn configs_are_consistent() {
        for c in [Config::full(), Config::quick()] {
            for w in &c.fig4abc_w {
                assert!(
                    c.fig4d_w.iter().any(|x| (x - w).abs() < 1e-12),
                    "Fig. 4(d) must contain the w of Fig. 4(a-c)"
                );
            }
            assert!(c.fig4d_configs >= c.fig4abc_configs);
            assert!(c
                .fig4d_r
                .iter()
                .any(|r| r.is_some_and(|r| (r - c.fig4abc_r).abs() < 1e-15)));
        }
    }
}
