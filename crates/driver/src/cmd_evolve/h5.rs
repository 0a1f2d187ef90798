//! `sqz evolve --out FILE.h5`: every parameter as attributes, the observables, the Husimi frames.

use super::Run;
use crate::resolve::PositionSource;
use sqz_dynamics::propagate::{husimi_axis, ortho_name};
use sqz_dynamics::{Evolution, InitState};
use sqz_study::h5;

/// Value stored in HDF5 `xi2` where it is undefined (`xi2_defined = 0`).
pub const XI2_FILL: f64 = 0.0;

/// Writes the result file (atomically).
pub(super) fn write(path: &std::path::Path, run: &Run, o: &Evolution) -> anyhow::Result<()> {
    h5::write_atomically(path, |f| {
        let p = &run.p;
        h5::attr_str(f, "command", "evolve")?;
        h5::attr_str(f, "notes", &o.notes.join("\n"))?;
        h5::attr_str(f, "model", run.model.name())?;
        h5::attr_u64(f, "n", p.n() as u64)?;
        h5::attr_f64(f, "r", p.r())?;
        h5::attr_f64(f, "alpha", p.alpha())?;
        h5::attr_f64(f, "delta", p.delta())?;
        h5::attr_f64(f, "gamma_loss", p.gamma_loss())?;
        h5::attr_f64(f, "gamma_deph", p.gamma_deph())?;
        h5::attr_str(f, "init", &run.init.describe())?;
        match run.init {
            InitState::Dicke { .. } => {
                h5::attr_f64(f, "init_m", run.init.m().expect("a Dicke state"))?
            }
            InitState::Product { theta, phi } => {
                h5::attr_f64(f, "init_theta", theta)?;
                h5::attr_f64(f, "init_phi", phi)?;
            }
            InitState::Ground => {}
        }
        h5::attr_str(f, "operator", o.space.operator_name())?;
        h5::attr_u64(f, "dim", o.dim as u64)?;
        h5::attr_f64(f, "tol", run.plan.expv.tol)?;
        h5::attr_u64(f, "krylov_dim", run.plan.expv.krylov_dim as u64)?;
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
                PositionSource::Direction { w, chi } => {
                    h5::attr_str(f, "position_source", "direction")?;
                    h5::attr_f64(f, "w", *w)?;
                    h5::ds_f64(f, "chi", chi)?;
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
        h5::ds_nd(f, "mean_spin", &[s.t.len(), 3], &ms)?;
        h5::ds_f64(f, "trace", &s.trace)?;
        if !o.frames.is_empty() {
            write_husimi(f, run, o)?;
        }
        Ok(())
    })
}

fn write_husimi(f: &hdf5::File, run: &Run, o: &Evolution) -> anyhow::Result<()> {
    let g = f.create_group("husimi")?;
    let k = run.plan.husimi_grid;
    h5::attr_u64(&g, "grid", k as u64)?;
    h5::attr_f64(&g, "extent", run.plan.husimi_extent)?;
    h5::attr_str(
        &g,
        "definition",
        "Q(th,ph) = (2j+1)/(4 pi) <th,ph|rho|th,ph> at the direction u = x1 n1 + x2 n2 + \
         sqrt(1 - x1^2 - x2^2) n (orthographic projection of the hemisphere around the \
         mean spin n onto the n_perp plane); q[time, i1, i2] at (x1[i1], x2[i2]); Q = 0 \
         and inside = 0 where x1^2 + x2^2 > 1; full model: Q of the state projected on \
         the symmetric subspace",
    )?;
    let xs = husimi_axis(k, run.plan.husimi_extent);
    let inside: Vec<u8> = (0..k * k)
        .map(|i| (xs[i / k].powi(2) + xs[i % k].powi(2) <= 1.0) as u8)
        .collect();
    h5::ds_nd(&g, "inside", &[k, k], &inside)?;
    let frames: Vec<_> = o
        .frames
        .iter()
        .map(|fr| (fr.t, fr.axes, &fr.q[..]))
        .collect();
    h5::write_husimi_frames(&g, &xs, &frames)?;
    let def: Vec<bool> = o.frames.iter().map(|fr| fr.axes_defined).collect();
    h5::ds_bool(&g, "axes_defined", &def)
}
