//! The HDF5 groups of `reproduce.h5`, one writer per figure (`docs/hdf5-layout.md`).

use sqz_reproduce::{fig1, fig2, fig3, fig4};
use sqz_study::h5;
use std::f64::consts::PI;

/// Writes groups `fig1b` and `fig1c`.
pub fn write_fig1(f: &hdf5::File, x: &fig1::Fig1) -> anyhow::Result<()> {
    let nt = x.t.len();
    for (name, what) in [("fig1b", "b"), ("fig1c", "c")] {
        let g = f.create_group(name)?;
        h5::attr_u64(&g, "n", x.n as u64)?;
        h5::attr_f64(&g, "alpha", x.alpha)?;
        h5::attr_f64(&g, "delta", x.delta)?;
        h5::attr_f64(&g, "expv_tol", x.tol)?;
        h5::attr_str(&g, "model", "Eq. 7 (collective), Krylov propagation")?;
        h5::ds_f64(&g, "t", &x.t)?;
        if what == "b" {
            h5::attr_str(&g, "initial_state", "|j,-j> (all TLS in |g>)")?;
            h5::attr_str(
                &g,
                "content",
                "inv_xi2[r_index, t_index] = 1/xi_R^2 from |j,-j>; steady_inv_xi2: Eq. 8",
            )?;
            h5::ds_f64(&g, "r", &x.b_r)?;
            let flat: Vec<f64> = x.b_inv.iter().flatten().copied().collect();
            h5::ds_nd(&g, "inv_xi2", &[x.b_r.len(), nt], &flat)?;
            h5::ds_f64(&g, "steady_inv_xi2", &x.b_steady)?;
        } else {
            h5::attr_f64(&g, "r", x.c_r)?;
            h5::attr_str(
                &g,
                "content",
                "inv_xi2[m_index, t_index] = 1/xi_R^2 from |j,m> (0 where the mean spin \
                 vanishes: xi2_defined = 0); steady_inv_xi2: Eq. 8",
            )?;
            h5::ds_f64(&g, "m", &x.c_m)?;
            let flat: Vec<f64> = x.c_inv.iter().flatten().copied().collect();
            h5::ds_nd(&g, "inv_xi2", &[x.c_m.len(), nt], &flat)?;
            let mask: Vec<f64> = x
                .c_defined
                .iter()
                .flatten()
                .map(|&b| b as u8 as f64)
                .collect();
            h5::ds_nd(&g, "xi2_defined", &[x.c_m.len(), nt], &mask)?;
            h5::attr_f64(&g, "steady_inv_xi2", x.c_steady)?;
        }
        h5::attr_f64(&g, "max_final_deviation_from_eq8", x.max_final_dev)?;
        h5::attr_u64(&g, "matvecs_fig1", x.matvecs as u64)?;
    }
    Ok(())
}

/// Writes group `fig2`.
pub fn write_fig2(f: &hdf5::File, x: &fig2::Fig2) -> anyhow::Result<()> {
    let g = f.create_group("fig2")?;
    h5::attr_u64(&g, "n", x.n as u64)?;
    h5::attr_f64(&g, "r", x.r)?;
    h5::attr_f64(&g, "alpha", x.alpha)?;
    h5::attr_f64(&g, "delta", x.delta)?;
    h5::attr_str(&g, "initial_state", "|j,-j>")?;
    h5::attr_str(
        &g,
        "definition",
        "Q(th,ph) = (2j+1)/(4 pi) <th,ph|rho|th,ph> at the direction u = x1 n1 + x2 n2 + \
         sqrt(1 - x1^2 - x2^2) n (orthographic projection of the hemisphere around the mean \
         spin n onto the n_perp plane); q[frame, i1, i2] at (x1[i1], x2[i2]); var_min, \
         var_max: principal variances in the n_perp plane in units of N/4",
    )?;
    let frames: Vec<_> = x.frames.iter().map(|f| (f.t, f.axes, &f.q[..])).collect();
    h5::write_husimi_frames(&g, &x.x, &frames)?;
    h5::ds_f64(
        &g,
        "var_min",
        &x.frames.iter().map(|f| f.var_min).collect::<Vec<_>>(),
    )?;
    h5::ds_f64(
        &g,
        "var_max",
        &x.frames.iter().map(|f| f.var_max).collect::<Vec<_>>(),
    )?;
    h5::ds_f64(
        &g,
        "inv_xi2",
        &x.frames.iter().map(|f| f.inv_xi2).collect::<Vec<_>>(),
    )?;
    Ok(())
}

/// Writes groups `fig3a` and `fig3bcd`.
pub fn write_fig3(f: &hdf5::File, x: &fig3::Fig3) -> anyhow::Result<()> {
    let a = &x.a;
    let g = f.create_group("fig3a")?;
    h5::attr_f64(&g, "alpha", x.alpha)?;
    h5::attr_f64(&g, "delta", x.delta)?;
    h5::attr_f64(&g, "t_numerics", a.t)?;
    h5::attr_u64(&g, "krylov_dim", x.krylov_dim as u64)?;
    h5::attr_str(&g, "krylov_dim_note", "capped at (N+1)^2 / 2")?;
    h5::attr_f64(&g, "expv_tol", x.tol)?;
    h5::attr_str(
        &g,
        "content",
        "inv_xi2_eq8[N_index, r_index] on r_eq8 (analytic steady state, Eq. 8); \
         inv_xi2_eq7[N_index, r_index] on r_numerics: Eq. 7 propagated from |j,-j> to \
         t_numerics; eq8_at_numerics: Eq. 8 at r_numerics",
    )?;
    h5::ds_u64(&g, "n", &a.n.iter().map(|&x| x as u64).collect::<Vec<_>>())?;
    h5::ds_f64(&g, "r_eq8", &a.r_eq8)?;
    h5::ds_f64(&g, "r_numerics", &a.r_num)?;
    let flat = |v: &Vec<Vec<f64>>| v.iter().flatten().copied().collect::<Vec<_>>();
    h5::ds_nd(
        &g,
        "inv_xi2_eq8",
        &[a.n.len(), a.r_eq8.len()],
        &flat(&a.eq8),
    )?;
    h5::ds_nd(
        &g,
        "inv_xi2_eq7",
        &[a.n.len(), a.r_num.len()],
        &flat(&a.num),
    )?;
    let shape = [a.n.len(), a.r_num.len()];
    h5::ds_nd(&g, "eq8_at_numerics", &shape, &flat(&a.eq8_at_num))?;
    h5::ds_f64(&g, "max_abs_deviation", &a.max_dev)?;
    h5::attr_f64(&g, "max_trace_error", a.max_trace_err)?;

    let b = &x.bcd;
    let g = f.create_group("fig3bcd")?;
    h5::attr_f64(&g, "alpha", x.alpha)?;
    h5::attr_f64(&g, "delta", x.delta)?;
    h5::attr_f64(&g, "r_tol", b.r_tol)?;
    h5::attr_f64(&g, "r_max", b.r_max)?;
    h5::attr_str(
        &g,
        "content",
        "Eq. 8 per N: r_opt, inv_xi2_max = max over r of 1/xi^2, squeezed range (r_lo, r_hi) \
         of r with xi^2 < 1; fits/<range>: xi2_min = a N^b and r_opt = c ln N + d",
    )?;
    h5::write_scaling_points(&g, &b.points)?;
    let fg = g.create_group("fits")?;
    for (name, fit) in &b.fits {
        let s = fg.create_group(name)?;
        h5::attr_u64(&s, "n_min", fit.n_min as u64)?;
        h5::attr_u64(&s, "n_max", fit.n_max as u64)?;
        h5::attr_u64(&s, "points", fit.xi.points as u64)?;
        h5::attr_f64(&s, "a", fit.a().0)?;
        h5::attr_f64(&s, "a_err", fit.a().1)?;
        h5::attr_f64(&s, "b", fit.xi.slope)?;
        h5::attr_f64(&s, "b_err", fit.xi.slope_err)?;
        h5::attr_f64(&s, "c", fit.r.slope)?;
        h5::attr_f64(&s, "c_err", fit.r.slope_err)?;
        h5::attr_f64(&s, "d", fit.r.intercept)?;
        h5::attr_f64(&s, "d_err", fit.r.intercept_err)?;
        h5::attr_str(
            &s,
            "paper",
            "a = 1.64, b = -0.54 (Eq. 9); c = 0.27, d = -0.11 (Fig. 3d)",
        )?;
    }
    Ok(())
}

/// Writes groups `fig4abc` and `fig4d`.
pub fn write_fig4(f: &hdf5::File, x: &fig4::Fig4) -> anyhow::Result<()> {
    let a = &x.abc;
    let g = f.create_group("fig4abc")?;
    h5::attr_u64(&g, "n", x.n as u64)?;
    h5::attr_f64(&g, "r", a.r)?;
    h5::attr_f64(&g, "alpha", x.alpha)?;
    h5::attr_f64(&g, "delta", x.delta)?;
    h5::attr_u64(&g, "seed", x.seed)?;
    h5::attr_u64(&g, "configs", a.configs as u64)?;
    h5::attr_f64(&g, "expv_tol", x.tol)?;
    h5::attr_str(&g, "initial_state", "all TLS in |g>")?;
    h5::attr_str(
        &g,
        "disorder",
        "z_i = 2 pi i + w chi_i, chi_i uniform in [-1, 1] from ChaCha8 (seed, stream = config)",
    )?;
    h5::attr_str(
        &g,
        "content",
        "w_<k>/t: output times of panel k (0, then log-spaced up to gap_factor / gap_median, \
         clamped); w_<k>/ideal: 1/xi^2(t) at ideal positions (Eq. 3, parity block); \
         w_<k>/traces[config, t]; \
         mean, std over configurations; steady_mean/std: steady state of the same \
         configurations (Fig. 4(d) solver); t_decay: first t where ideal - mean reaches \
         (1 - 1/e) of (Eq. 8 - steady_mean)",
    )?;
    h5::attr_f64(&g, "ideal_vs_eq7_max_abs", a.ideal_vs_eq7)?;
    for (k, p) in a.panels.iter().enumerate() {
        let s = g.create_group(&format!("w_{k}"))?;
        h5::attr_f64(&s, "w", p.w)?;
        h5::attr_f64(&s, "w_over_pi", p.w / PI)?;
        h5::attr_f64(&s, "steady_mean", p.steady_mean)?;
        h5::attr_f64(&s, "steady_std", p.steady_std)?;
        h5::attr_f64(&s, "gap_median", p.gap_median)?;
        h5::attr_f64(&s, "t_decay", p.t_decay.unwrap_or(-1.0))?;
        h5::attr_f64(&s, "zeta_over_a_w", 1.0 / p.w)?;
        h5::attr_f64(&s, "final_mean_minus_steady_abs", p.final_gap_to_steady)?;
        h5::ds_f64(&s, "t", &p.t)?;
        h5::ds_f64(&s, "ideal", &p.ideal)?;
        h5::ds_f64(&s, "mean", &p.mean)?;
        h5::ds_f64(&s, "std", &p.std)?;
        let flat: Vec<f64> = p.traces.iter().flatten().copied().collect();
        h5::ds_nd(&s, "traces", &[p.traces.len(), p.t.len()], &flat)?;
    }

    let d = &x.d;
    let g = f.create_group("fig4d")?;
    h5::attr_u64(&g, "n", x.n as u64)?;
    h5::attr_f64(&g, "alpha", x.alpha)?;
    h5::attr_f64(&g, "delta", x.delta)?;
    h5::attr_u64(&g, "seed", x.seed)?;
    h5::attr_u64(&g, "configs", d.configs as u64)?;
    h5::attr_str(
        &g,
        "solver",
        "sqz_steady::solve: dense real-Hermitian LU of the Eq. 3 parity block with trace \
         deflation; gap = slowest relaxation rate (shift-invert Arnoldi); error_bound = \
         |L rho| / gap",
    )?;
    h5::attr_str(
        &g,
        "content",
        "r_<k>/inv_xi2[w_index, config]; mean, std per w; ideal_w0: Eq. 8 at w = 0; \
         w_cross: first w where the mean falls below 1 (-1: not on the grid)",
    )?;
    h5::ds_f64(&g, "w", &d.w)?;
    h5::ds_f64(
        &g,
        "w_over_pi",
        &d.w.iter().map(|x| x / PI).collect::<Vec<_>>(),
    )?;
    for (k, s) in d.at_r.iter().enumerate() {
        let sg = g.create_group(&format!("r_{k}"))?;
        h5::attr_f64(&sg, "r", s.r)?;
        h5::attr_str(&sg, "r_choice", &s.r_note)?;
        h5::attr_f64(&sg, "ideal_w0", s.ideal)?;
        h5::attr_f64(&sg, "w_cross", s.w_cross.unwrap_or(-1.0))?;
        h5::attr_f64(&sg, "w_cross_over_pi", s.w_cross.map_or(-1.0, |w| w / PI))?;
        h5::attr_u64(&sg, "bound_missed", s.bound_missed as u64)?;
        let flat: Vec<f64> = s.values.iter().flatten().copied().collect();
        h5::ds_nd(&sg, "inv_xi2", &[d.w.len(), d.configs], &flat)?;
        h5::ds_f64(&sg, "mean", &s.mean)?;
        h5::ds_f64(&sg, "std", &s.std)?;
        h5::ds_f64(&sg, "gap_min", &s.gap_min)?;
        h5::ds_f64(&sg, "gap_median", &s.gap_median)?;
        h5::ds_f64(&sg, "error_bound_max", &s.error_bound_max)?;
    }
    Ok(())
}
