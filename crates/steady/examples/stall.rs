//! The two-level solve of one study task under several GMRES variants, to see why a
//! configuration fails and what cures it (docs/numerics.md, "Failed solves at strong disorder"):
//! `cargo run --release -p sqz-steady --example stall -- N W_OVER_PI R SEED W_INDEX CONFIG
//! [MAX_ITERS [RESTART:DEFLATE,..]]` (a study task is SEED, its w index and its configuration:
//! the random stream is `W_INDEX * 2^32 + CONFIG`; CONFIG may be a range `FIRST-LAST`; variants
//! default to `100:0,100:20`; `J` is one-level GMRES-Jacobi, `iterative::solve_iterative`, with its
//! own certificate: an independent method). With `REF_FIRST=1` the first variant's state is the
//! reference of the others (`error_vs_ref`: the distance between two methods' states).
//! Prints one line per variant: iterations, seconds, residual, gap, bound, 1/xi^2 and the
//! outcome or the error. With `REF=PREFIX` (a reference of `reference_rho`, one configuration),
//! also `|rho - rho_ref|` over the parity block, the norm of the accuracy tests; with `DIRECT=1`
//! the reference of every configuration is computed here by the same sparse LU as `reference_rho`
//! (`sqz_steady::sparse_direct::solve_sparse_refined`; N <= 7). `NOTES=1` prints the solver's
//! notes to stderr.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let n: usize = arg(1, "7").parse().expect("N");
    let w: f64 = arg(2, "0.8").parse().expect("W_OVER_PI");
    let r: f64 = arg(3, "0.5").parse().expect("R");
    let seed: u64 = arg(4, "1").parse().expect("SEED");
    let w_index: u64 = arg(5, "0").parse().expect("W_INDEX");
    let configs: Vec<u64> = {
        let c = arg(6, "0");
        match c.split_once('-') {
            Some((f, l)) => (f.parse().expect("FIRST")..=l.parse().expect("LAST")).collect(),
            None => vec![c.parse().expect("CONFIG")],
        }
    };
    let max_iters: usize = arg(7, "20000").parse().expect("MAX_ITERS");
    // `J`: one-level GMRES-Jacobi with its own certificate (an independent method)
    let variants: Vec<Option<(usize, usize)>> = arg(8, "100:0,100:20")
        .split(',')
        .map(|v| {
            (v != "J").then(|| {
                let (m, k) = v.split_once(':').expect("RESTART:DEFLATE or J");
                (m.parse().expect("RESTART"), k.parse().expect("DEFLATE"))
            })
        })
        .collect();
    let p = sqz_model::Params::new(n, r, 0.5, 1.0).unwrap();
    let reference: Option<Vec<sqz_steady::C64>> = std::env::var("REF").ok().map(|prefix| {
        std::fs::read(format!("{prefix}.bin"))
            .expect("REF.bin")
            .chunks_exact(16)
            .map(|c| {
                sqz_steady::C64::new(
                    f64::from_le_bytes(c[..8].try_into().unwrap()),
                    f64::from_le_bytes(c[8..].try_into().unwrap()),
                )
            })
            .collect()
    });
    println!("n,w_over_pi,r,seed,w_index,config,restart,deflate,iterations,seconds,residual,gap,bound,inv_xi2,outcome,error_vs_ref,pair_delta");
    for config in configs {
        let stream = (w_index << 32) + config;
        let z =
            sqz_model::positions::disordered(n, w * std::f64::consts::PI, seed, stream).unwrap();
        // distance of the nearest adjacent pair to an equivalent placement (z_j - z_i a multiple of
        // pi with no TLS between them): its total spin is then conserved, so a slow mode
        let pair_delta = {
            let mut zs = z.clone();
            zs.sort_by(f64::total_cmp);
            zs.windows(2)
                .map(|p| {
                    let d = (p[1] - p[0]) / std::f64::consts::PI;
                    (d - d.round()).abs() * std::f64::consts::PI
                })
                .fold(f64::INFINITY, f64::min)
        };
        let mut reference = if std::env::var("DIRECT").is_ok() {
            let x = sqz_steady::sparse_direct::solve_sparse_refined(&p, &z, faer::Par::Seq)
                .expect("sparse direct");
            Some(sqz_superop::parity::restrict(n, &x))
        } else {
            reference.clone()
        };
        for &v in &variants {
            let (m, k) = v.unwrap_or((0, 0));
            let sp = sqz_steady::SteadyParams {
                max_iters,
                max_restart: m,
                deflate: k,
                ..Default::default()
            };
            let t = std::time::Instant::now();
            let head = format!("{n},{w},{r},{seed},{w_index},{config},{m},{k}");
            let solved = match v {
                Some(_) => sqz_steady::solve(&p, &z, &sp),
                None => sqz_steady::iterative::solve_iterative(
                    &p,
                    &z,
                    &sqz_steady::SteadyParams {
                        max_restart: sqz_steady::twolevel::MAX_RESTART,
                        deflate: sqz_steady::twolevel::DEFLATE,
                        ..sp
                    },
                    max_iters,
                ),
            };
            match solved {
                Ok(rep) => {
                    if std::env::var("NOTES").is_ok() {
                        for note in &rep.notes {
                            eprintln!("  note: {note}");
                        }
                    }
                    let xi = sqz_superop::observables::moments_parity(&rep.rho_block)
                        .squeezing()
                        .map(|s| s.inv_xi2)
                        .unwrap_or(f64::NAN);
                    let err = reference.as_ref().map_or(f64::NAN, |want| {
                        rep.rho_block
                            .iter()
                            .zip(want)
                            .map(|(a, b)| (a - b).norm_sqr())
                            .sum::<f64>()
                            .sqrt()
                    });
                    println!(
                        "{head},{},{:.2},{:.3e},{:.3e},{:.3e},{xi:.10},{},{err:.3e},{pair_delta:.4}",
                        rep.iterations,
                        t.elapsed().as_secs_f64(),
                        rep.residual,
                        rep.gap.unwrap_or(f64::NAN),
                        rep.error_bound.unwrap_or(f64::NAN),
                        rep.outcome.name()
                    );
                    if std::env::var("REF_FIRST").is_ok() && reference.is_none() {
                        reference = Some(rep.rho_block.clone());
                    }
                }
                Err(e) => println!(
                    "{head},,{:.2},,,,,error: {},,{pair_delta:.4}",
                    t.elapsed().as_secs_f64(),
                    e.to_string().replace(',', ";")
                ),
            }
        }
    }
}
