//! Local rates (issue 17): the two-level solver against one-level GMRES-Jacobi at one point,
//! iterations, time and error bound of each, and the difference of the two states:
//! `cargo run --release -p sqz-steady --example local_rates_methods -- N W_OVER_PI GAMMA_LOSS
//! GAMMA_DEPH [R]` (positions of `--seed 1 --config 0`; the table of docs/numerics.md,
//! "Local rates (issue 17): method choice"). `ONLY=two` or `ONLY=one` runs one method.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: usize, d: f64| args.get(k).and_then(|s| s.parse().ok()).unwrap_or(d);
    let n = get(1, 6.0) as usize;
    let (w, gl, gd, r) = (get(2, 0.1), get(3, 0.01), get(4, 0.0), get(5, 0.5));
    let p = sqz_model::Params::new(n, r, 0.5, 1.0)
        .and_then(|p| p.with_local_rates(gl, gd))
        .unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let sp = sqz_steady::SteadyParams::default();
    let only = std::env::var("ONLY").unwrap_or_default();
    let mut states = Vec::new();
    for (name, run) in [("two-level", "two"), ("gmres-jacobi", "one")] {
        if !only.is_empty() && only != run {
            continue;
        }
        let t = std::time::Instant::now();
        let rep = if run == "two" {
            sqz_steady::twolevel::solve_two_level(&p, &z, &sp, 20_000)
        } else {
            sqz_steady::iterative::solve_iterative(&p, &z, &sp, 20_000)
        };
        match rep {
            Ok(rep) => {
                println!(
                    "N={n} w={w}pi gl={gl} gd={gd} {name}: {:.2} s, its {}, residual {:.2e}, gap {:?}, bound {:?}",
                    t.elapsed().as_secs_f64(),
                    rep.iterations,
                    rep.residual,
                    rep.gap,
                    rep.error_bound
                );
                states.push(rep.rho_block);
            }
            Err(e) => println!(
                "N={n} w={w}pi gl={gl} gd={gd} {name}: failed after {:.2} s: {e}",
                t.elapsed().as_secs_f64()
            ),
        }
    }
    if let [a, b] = &states[..] {
        let d = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).norm_sqr())
            .sum::<f64>()
            .sqrt();
        println!("  |rho_two - rho_one|_F = {d:.2e}");
    }
}
