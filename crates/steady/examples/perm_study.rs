//! Beyond the paper: steady 1/xi^2 at the optimal squeezing strength r_opt(N, beta, gamma_deph)
//! with local loss (`beta = A/(A + gamma_loss)`) and local dephasing, N up to 200.
//!
//! ```text
//! cargo run --release -p sqz-steady --example perm_study -- OUT_DIR [N,N,...] [BETAS] [DEPHS] [NAME]
//! python3 scripts/plot_permutational.py docs/figures/permutational_beta.png OUT_DIR/*.csv
//! ```
//!
//! For every N (default 10,20,50,100,200) and every (beta, gamma_deph) of the grid (default
//! beta = 1, 0.99, 0.95, 0.9, 0.8, 0.5, 0.2 at gamma_deph = 0 and gamma_deph = 0.001, 0.01, 0.1, 1
//! at beta = 1; `BETAS`, `DEPHS` comma-separated replace them, `-` for none), written to
//! `OUT_DIR/NAME.csv` (default `perm_study`),
//! `r_opt` maximises the steady 1/xi^2 (alpha = 0.5, Delta = 1): a scan of 7 points on
//! `[0.05, r_opt^ideal + 0.6]` then golden-section search to 3e-3 in r. beta = 1 with
//! gamma_deph = 0 is Eq. 8 (`sqz_model::analytic`). Each line of the CSV: `n, beta, gamma_loss,
//! gamma_deph, r_opt, inv_xi2_max, symmetric_population, inv_xi2_at_ideal_r_opt, evals,
//! error_bound, seconds` (`error_bound`, from the gap estimate at r_opt, for N <= 100; NaN above,
//! where the steady states are solved without the gap estimate, residual < 1e-11 checked).

use sqz_model::{analytic, Params};
use sqz_steady::permutational::solve as steady_state;
use sqz_steady::SteadyParams;
use std::io::Write;
use std::time::Instant;

const BETAS: [f64; 7] = [1.0, 0.99, 0.95, 0.9, 0.8, 0.5, 0.2];
const DEPHS: [f64; 4] = [0.001, 0.01, 0.1, 1.0];

struct Point {
    inv: f64,
    sym: f64,
}

fn eval(n: usize, r: f64, gl: f64, gd: f64) -> Point {
    let base = Params::new(n, r, 0.5, 1.0).unwrap();
    if gl == 0.0 && gd == 0.0 {
        let inv = analytic::steady_state(&base)
            .unwrap()
            .moments()
            .squeezing()
            .map_or(0.0, |s| s.inv_xi2);
        return Point { inv, sym: 1.0 };
    }
    let p = base.with_local_rates(gl, gd).unwrap();
    let s = steady_state(
        &p,
        &SteadyParams {
            estimate_gap: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        s.residual < 1e-11,
        "N = {n} r = {r}: residual {}",
        s.residual
    );
    Point {
        inv: s.squeezing().map_or(0.0, |q| q.inv_xi2),
        sym: s.symmetric_population(),
    }
}

/// `(r_opt, f(r_opt), evaluations)` by a coarse scan and golden-section search.
fn maximise(f: &mut dyn FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> (f64, f64, usize) {
    let k = 7;
    let xs: Vec<f64> = (0..k)
        .map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64)
        .collect();
    let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
    let mut evals = k;
    let ib = (0..k).max_by(|&a, &b| ys[a].total_cmp(&ys[b])).unwrap();
    let (mut a, mut b) = (xs[ib.saturating_sub(1)], xs[(ib + 1).min(k - 1)]);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    evals += 2;
    while b - a > tol {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
        evals += 1;
    }
    let (x, y) = if fc > fd { (c, fc) } else { (d, fd) };
    if ys[ib] > y {
        (xs[ib], ys[ib], evals)
    } else {
        (x, y, evals)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.first().map_or("out", |s| s.as_str()));
    let ns: Vec<usize> = args.get(1).map_or(vec![10, 20, 50, 100, 200], |s| {
        s.split(',').map(|x| x.parse().expect("N")).collect()
    });
    let list = |i: usize, d: &[f64]| -> Vec<f64> {
        match args.get(i).map(|s| s.as_str()) {
            None => d.to_vec(),
            Some("-") => Vec::new(),
            Some(s) => s.split(',').map(|x| x.parse().expect("a number")).collect(),
        }
    };
    let betas = list(2, &BETAS);
    let dephs = list(3, &DEPHS);
    let name = args.get(4).map_or("perm_study", |s| s.as_str());
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join(format!("{name}.csv"));
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        "n,beta,gamma_loss,gamma_deph,r_opt,inv_xi2_max,symmetric_population,inv_xi2_at_ideal_r_opt,evals,error_bound,seconds"
    )
    .unwrap();
    for &n in &ns {
        // ideal r_opt from Eq. 8
        let (r_ideal, _, _) = maximise(&mut |r| eval(n, r, 0.0, 0.0).inv, 0.02, 3.0, 1e-4);
        let mut grid: Vec<(f64, f64, f64)> =
            betas.iter().map(|&b| (b, 1.0 / b - 1.0, 0.0)).collect();
        grid.extend(dephs.iter().map(|&d| (1.0, 0.0, d)));
        for (beta, gl, gd) in grid {
            let t = Instant::now();
            let mut f = |r: f64| eval(n, r, gl, gd).inv;
            let (r_opt, best, evals) = maximise(&mut f, 0.05, r_ideal + 0.6, 3e-3);
            let at_ideal = eval(n, r_ideal, gl, gd).inv;
            let pt = eval(n, r_opt, gl, gd);
            let bound = if n <= 100 && (gl > 0.0 || gd > 0.0) {
                let p = Params::new(n, r_opt, 0.5, 1.0)
                    .unwrap()
                    .with_local_rates(gl, gd)
                    .unwrap();
                steady_state(&p, &SteadyParams::default())
                    .unwrap()
                    .error_bound
                    .unwrap_or(f64::NAN)
            } else {
                f64::NAN
            };
            let line = format!(
                "{n},{beta},{gl},{gd},{r_opt:.4},{best:.8},{:.6},{at_ideal:.8},{evals},{bound:.2e},{:.1}",
                pt.sym,
                t.elapsed().as_secs_f64()
            );
            println!("{line}");
            writeln!(file, "{line}").unwrap();
            file.flush().unwrap();
        }
    }
    eprintln!("wrote {}", path.display());
}
