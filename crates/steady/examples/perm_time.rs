//! Timing of the permutational steady state (issue 17 targets: N = 40 < 1 s, N = 100 < 30 s,
//! N = 200 feasible). Peak memory: run under `/usr/bin/time -v`.
//!
//! ```text
//! cargo run --release -p sqz-steady --example perm_time -- N [r] [gamma_loss] [gamma_deph] [gap] [method]
//! ```
//! (defaults r = 1.14, gamma_loss = 0.05, gamma_deph = 0, gap = 1; `gap` 0 skips the gap estimate;
//! method 0 = auto, 1 = direct sparse LU, 2 = two-level GMRES).

use sqz_model::Params;
use sqz_steady::permutational::{solve as steady_state, PermSolver};
use sqz_steady::SteadyParams;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |i: usize, d: f64| args.get(i).map_or(d, |s| s.parse().expect("a number"));
    let n = get(0, 40.0) as usize;
    let p = Params::new(n, get(1, 1.14), 0.5, 1.0)
        .and_then(|p| p.with_local_rates(get(2, 0.05), get(3, 0.0)))
        .expect("valid parameters");
    let opt = SteadyParams {
        estimate_gap: get(4, 1.0) != 0.0,
        perm_solver: match get(5, 0.0) as usize {
            1 => PermSolver::Direct,
            2 => PermSolver::TwoLevel,
            _ => PermSolver::Auto,
        },
        ..Default::default()
    };
    let s = steady_state(&p, &opt).expect("steady state");
    let sq = s.squeezing().expect("squeezing");
    let t = s.details.timings;
    println!(
        "N = {n} r = {} gamma_loss = {} gamma_deph = {}: {} dim {} nnz {} it {} | 1/xi^2 = {:.12} +- {:.1e} | \
         residual {:.1e} gap {:.3e} bound {:.1e} | P(J=N/2) = {:.6} | min eig {:.1e} | \
         assemble {:.3} s, LU {:.3} s, solve {:.3} s, gap {:.3} s ({} solves, {} its), total {:.3} s",
        p.r(),
        p.gamma_loss(),
        p.gamma_deph(),
        s.method.name(),
        s.details.basis.dim(),
        s.details.nnz,
        s.iterations,
        sq.inv_xi2,
        s.details.inv_xi2_bound.unwrap_or(f64::NAN),
        s.residual,
        s.gap.unwrap_or(f64::NAN),
        s.error_bound.unwrap_or(f64::NAN),
        s.symmetric_population(),
        s.min_eigenvalue,
        t.assemble,
        t.factor,
        t.solve,
        t.gap,
        s.details.gap_solves,
        s.details.gap_iterations,
        s.seconds
    );
    for note in &s.notes {
        println!("note: {note}");
    }
}
