//! `sqz liouvillian`: assemble the Eq. 3 Liouvillian (CSR) and write it to HDF5, with the
//! assembly time, so that independent implementations (QuTiP, `scripts/bench/`) can check they
//! build the same operator before anything is timed.

use crate::cli::{Global, LiouvillianArgs};
use crate::resolve;
use serde_json::json;
use sqz_model::Params;
use sqz_study::h5;
use std::time::Instant;

pub fn run(a: &LiouvillianArgs, g: Global) -> anyhow::Result<()> {
    let p = Params::new(a.phys.n, a.phys.r, a.phys.alpha, a.phys.delta)?;
    let (z, _) = resolve::positions(p.n(), &a.pos)?;
    let t0 = Instant::now();
    let m = sqz_superop::csr::assemble(&p, &z)?;
    let seconds = t0.elapsed().as_secs_f64();
    if let Some(path) = &a.out {
        h5::write_atomically(path, |f| {
            h5::attr_u64(f, "n", p.n() as u64)?;
            h5::attr_f64(f, "r", p.r())?;
            h5::attr_f64(f, "alpha", p.alpha())?;
            h5::attr_f64(f, "delta", p.delta())?;
            h5::attr_f64(f, "assembly_s", seconds)?;
            h5::attr_str(f, "format", "CSR of the 4^N Liouvillian; vec(rho) column-major: rho[a,b] at a + 2^N b; basis index b = sum_i n_i 2^i")?;
            let g = f.create_group("liouvillian")?;
            h5::ds_f64(&g, "positions", &z)?;
            let indptr: Vec<u64> = m.indptr().raw_storage().iter().map(|&v| v as u64).collect();
            let indices: Vec<u64> = m.indices().iter().map(|&v| v as u64).collect();
            h5::ds_u64(&g, "indptr", &indptr)?;
            h5::ds_u64(&g, "indices", &indices)?;
            h5::ds_f64(
                &g,
                "data_re",
                &m.data().iter().map(|v| v.re).collect::<Vec<_>>(),
            )?;
            h5::ds_f64(
                &g,
                "data_im",
                &m.data().iter().map(|v| v.im).collect::<Vec<_>>(),
            )?;
            Ok(())
        })?;
    }
    let v =
        json!({"n": p.n(), "dim": m.rows(), "nnz": m.nnz(), "assembly_s": seconds, "positions": z});
    if g.json {
        println!("{v}");
    } else {
        println!(
            "N = {}: 4^N = {}, nnz = {}, assembled in {seconds:.3} s",
            p.n(),
            m.rows(),
            m.nnz()
        );
    }
    Ok(())
}
