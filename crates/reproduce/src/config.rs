//! The built-in studies of `sqz reproduce`: every parameter of every figure, no input files.
//! [`Config::full`] is the documented default run and [`Config::quick`] a reduced first look
//! (see the `quick` docs of each field).

use sqz_dynamics::times::linspace;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_grid_extends_the_paper_grid() {
        let c = Config::full();
        let g = crate::fig3::scaling_grid(&c);
        let paper = sqz_model::scaling::n_grid(2, 1000, 48);
        assert_eq!(&g[..paper.len()], &paper[..]);
        assert_eq!(*g.last().unwrap(), 2000);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert!(g.len() > paper.len() + 3);
        let q = Config::quick();
        assert_eq!(
            crate::fig3::scaling_grid(&q),
            sqz_model::scaling::n_grid(2, 200, 16)
        );
    }

    #[test]
    fn fig4_windows_follow_the_gap_within_their_bounds() {
        let c = Config::full();
        let t = crate::fig4::panel_times(&c, 1.0 / 840.0);
        assert_eq!(t[0], 0.0);
        assert_eq!(*t.last().unwrap(), 7000.0);
        assert!((t[1] - 1e-2).abs() < 1e-15);
        assert_eq!(*crate::fig4::panel_times(&c, 1e-5).last().unwrap(), 1e4);
        assert_eq!(*crate::fig4::panel_times(&c, 1.0).last().unwrap(), 1e3);
        assert_eq!(*crate::fig4::panel_times(&c, f64::NAN).last().unwrap(), 1e4);
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
