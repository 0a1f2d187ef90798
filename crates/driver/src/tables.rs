//! HDF5 tables that more than one command writes.

use sqz_model::scaling::ScalingPoint;
use sqz_study::h5;

/// The per-N columns of the scaling study (`sqz scaling`'s `/scaling`, `reproduce.h5`'s
/// `/fig3bcd`): `n`, `r_opt`, `inv_xi2_max`, `xi2_min`, `r_lo`, `r_hi`, `squeezed`.
pub fn write_scaling_points(g: &hdf5::Group, pts: &[ScalingPoint]) -> anyhow::Result<()> {
    let col = |f: fn(&ScalingPoint) -> f64| pts.iter().map(f).collect::<Vec<_>>();
    h5::ds_u64(g, "n", &pts.iter().map(|p| p.n as u64).collect::<Vec<_>>())?;
    h5::ds_f64(g, "r_opt", &col(|p| p.r_opt))?;
    h5::ds_f64(g, "inv_xi2_max", &col(|p| p.inv_xi2_max))?;
    h5::ds_f64(g, "xi2_min", &col(|p| 1.0 / p.inv_xi2_max))?;
    h5::ds_f64(g, "r_lo", &col(|p| p.r_lo))?;
    h5::ds_f64(g, "r_hi", &col(|p| p.r_hi))?;
    h5::ds_bool(
        g,
        "squeezed",
        &pts.iter().map(|p| p.squeezed).collect::<Vec<_>>(),
    )
}

/// One Husimi frame: the time, the axes `n`, `n1`, `n2` and `q` on the grid.
pub type HusimiFrame<'a> = (f64, [[f64; 3]; 3], &'a [f64]);

/// Husimi frames (`sqz evolve --husimi-times`' `/husimi`, `reproduce.h5`'s `/fig2`): the grid
/// axes `x1`, `x2` (both `x`), the times `t`, `q[frame, i1, i2]` and the axes `n`, `n1`, `n2`
/// `[frame, 3]` of each frame.
pub fn write_husimi_frames(
    g: &hdf5::Group,
    x: &[f64],
    frames: &[HusimiFrame<'_>],
) -> anyhow::Result<()> {
    let (k, nf) = (x.len(), frames.len());
    h5::ds_f64(g, "x1", x)?;
    h5::ds_f64(g, "x2", x)?;
    h5::ds_f64(g, "t", &frames.iter().map(|f| f.0).collect::<Vec<_>>())?;
    let q: Vec<f64> = frames.iter().flat_map(|f| f.2.iter().copied()).collect();
    h5::ds_nd(g, "q", &[nf, k, k], &q)?;
    for (a, name) in ["n", "n1", "n2"].iter().enumerate() {
        let v: Vec<f64> = frames.iter().flat_map(|f| f.1[a]).collect();
        h5::ds_nd(g, name, &[nf, 3], &v)?;
    }
    Ok(())
}
