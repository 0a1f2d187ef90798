//! GMRES-DR against exact solutions, on operators where restarted GMRES stagnates because a
//! few eigenvalues near zero are not resolved by one cycle.

use sqz_krylov::{
    gmres_dr_with, gmres_recycled_with, gmres_with, GmresDrParams, GmresDrWorkspace, GmresParams,
    GmresWorkspace, Identity, KrylovError, LinOp,
};

/// A real block-diagonal operator: 2 x 2 blocks `[[d, e], [-e, d]]` (eigenvalues `d +- i e`)
/// followed by 1 x 1 blocks `d`. Its exact inverse is known block by block.
struct Blocks {
    pairs: Vec<(f64, f64)>,
    singles: Vec<f64>,
}

impl Blocks {
    fn dim(&self) -> usize {
        2 * self.pairs.len() + self.singles.len()
    }
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = vec![0.0; b.len()];
        for (i, &(d, e)) in self.pairs.iter().enumerate() {
            let (b0, b1) = (b[2 * i], b[2 * i + 1]);
            let det = d * d + e * e;
            x[2 * i] = (d * b0 - e * b1) / det;
            x[2 * i + 1] = (e * b0 + d * b1) / det;
        }
        let o = 2 * self.pairs.len();
        for (i, &d) in self.singles.iter().enumerate() {
            x[o + i] = b[o + i] / d;
        }
        x
    }
}

impl LinOp<f64> for Blocks {
    type Scratch = ();
    fn dim(&self) -> usize {
        Blocks::dim(self)
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[f64], y: &mut [f64], _: &mut ()) {
        for (i, &(d, e)) in self.pairs.iter().enumerate() {
            y[2 * i] = d * x[2 * i] + e * x[2 * i + 1];
            y[2 * i + 1] = -e * x[2 * i] + d * x[2 * i + 1];
        }
        let o = 2 * self.pairs.len();
        for (i, &d) in self.singles.iter().enumerate() {
            y[o + i] = d * x[o + i];
        }
    }
}

/// Small eigenvalues (a real one and two complex pairs near 0) among a spread of large ones:
/// GMRES(20) stagnates, GMRES-DR(20, 6) deflates the small ones.
fn stalling_operator() -> Blocks {
    let mut singles: Vec<f64> = (1..=400).map(|i| 1.0 + i as f64 * 0.25).collect();
    singles.push(1e-3);
    Blocks {
        pairs: vec![(2e-3, 1e-3), (5e-3, -4e-3), (3.0, 40.0)],
        singles,
    }
}

fn rhs(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 + ((i * 7) % 11) as f64 * 0.1).collect()
}

fn max_rel_err(x: &[f64], xs: &[f64]) -> f64 {
    let scale = xs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    x.iter()
        .zip(xs)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn gmres_dr_converges_where_restarted_gmres_stagnates() {
    let a = stalling_operator();
    let n = a.dim();
    let b = rhs(n);
    let xs = a.solve(&b);
    let budget = 3000;
    let id = Identity(n);
    // plain GMRES(20): stagnates within the budget
    let mut x = vec![0.0; n];
    let mut ws = GmresWorkspace::<f64>::new(n, 20);
    let p = GmresParams {
        restart: 20,
        max_iters: budget,
        rel_tol: 1e-10,
    };
    let plain = gmres_with(&a, &mut (), &id, &mut (), &b, &mut x, &p, &mut ws);
    assert!(
        matches!(plain, Err(KrylovError::NoConvergence { rel_residual, .. }) if rel_residual > 1e-6),
        "GMRES(20) was expected to stagnate: {plain:?}"
    );
    // GMRES-DR(20, 6): converges, to the exact solution
    let mut x = vec![0.0; n];
    let mut wd = GmresDrWorkspace::new(n, 20);
    let pd = GmresDrParams {
        stall_cycles: 0,
        projected_cycles: 0,
        progress: None,
        deflate: 6,
        max_iters: budget,
        rel_tol: 1e-10,
    };
    let info = gmres_dr_with(&a, &mut (), &id, &mut (), &b, &mut x, &pd, &mut wd).unwrap();
    assert!(info.rel_residual <= 1e-10, "{info:?}");
    assert!(info.iterations < 1000, "{info:?}");
    let err = max_rel_err(&x, &xs);
    assert!(err < 1e-6, "relative error {err:e}, {info:?}");
}

#[test]
fn gmres_dr_without_deflation_is_restarted_gmres() {
    let a = stalling_operator();
    let n = a.dim();
    let b = rhs(n);
    let id = Identity(n);
    let mut x1 = vec![0.0; n];
    let mut ws = GmresWorkspace::<f64>::new(n, 20);
    let p = GmresParams {
        restart: 20,
        max_iters: 400,
        rel_tol: 1e-10,
    };
    let e1 = gmres_with(&a, &mut (), &id, &mut (), &b, &mut x1, &p, &mut ws).unwrap_err();
    let mut x2 = vec![0.0; n];
    let mut wd = GmresDrWorkspace::new(n, 20);
    let pd = GmresDrParams {
        stall_cycles: 0,
        projected_cycles: 0,
        progress: None,
        deflate: 0,
        max_iters: 400,
        rel_tol: 1e-10,
    };
    let e2 = gmres_dr_with(&a, &mut (), &id, &mut (), &b, &mut x2, &pd, &mut wd).unwrap_err();
    let (
        KrylovError::NoConvergence {
            iterations: i1,
            rel_residual: r1,
            ..
        },
        KrylovError::NoConvergence {
            iterations: i2,
            rel_residual: r2,
            ..
        },
    ) = (e1, e2)
    else {
        panic!("both should run out of iterations");
    };
    assert_eq!(i1, i2);
    assert!((r1 - r2).abs() <= 1e-8 * r1, "{r1:e} vs {r2:e}");
    assert!(max_rel_err(&x1, &x2) < 1e-8);
}

/// A preconditioner that is the exact inverse on the large eigenvalues only: the right
/// preconditioned operator keeps the small ones, which the deflation then removes.
struct PartialInverse<'a>(&'a Blocks);

impl LinOp<f64> for PartialInverse<'_> {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[f64], y: &mut [f64], _: &mut ()) {
        let o = 2 * self.0.pairs.len();
        y.copy_from_slice(x);
        for (i, &d) in self.0.singles.iter().enumerate() {
            if d > 0.5 {
                y[o + i] = x[o + i] / d;
            }
        }
    }
}

#[test]
fn gmres_dr_with_a_right_preconditioner_solves_the_original_system() {
    let a = stalling_operator();
    let n = a.dim();
    let b = rhs(n);
    let xs = a.solve(&b);
    let m = PartialInverse(&a);
    let mut x = vec![0.0; n];
    let mut wd = GmresDrWorkspace::new(n, 10);
    let pd = GmresDrParams {
        stall_cycles: 0,
        projected_cycles: 0,
        progress: None,
        deflate: 6,
        max_iters: 2000,
        rel_tol: 1e-11,
    };
    let info = gmres_dr_with(&a, &mut (), &m, &mut (), &b, &mut x, &pd, &mut wd).unwrap();
    assert!(info.rel_residual <= 1e-11, "{info:?}");
    let err = max_rel_err(&x, &xs);
    assert!(err < 1e-7, "relative error {err:e}, {info:?}");
}

/// A second right-hand side solved with the harmonic Ritz vectors the first solve kept
/// (`gmres_recycled_with`): the exact solution, in fewer iterations than a fresh GMRES-DR of the
/// same cycle length (112 against 257 without a preconditioner; with the partial inverse both
/// take a few steps); the kept vectors stay as they were.
#[test]
fn recycled_solve_of_a_second_right_hand_side_is_exact_and_cheaper() {
    let a = stalling_operator();
    let n = a.dim();
    let b = rhs(n);
    let b2: Vec<f64> = (0..n)
        .map(|i| ((i * 5) % 7) as f64 - 3.0 + 0.01 * i as f64)
        .collect();
    let xs2 = a.solve(&b2);
    let m = PartialInverse(&a);
    for (restart, with_pre) in [(40usize, false), (30, true)] {
        let pd = GmresDrParams {
            stall_cycles: 0,
            projected_cycles: 0,
            progress: None,
            deflate: 6,
            max_iters: 4000,
            rel_tol: 1e-10,
        };
        let id = Identity(n);
        let run = |x: &mut Vec<f64>, rhs: &[f64], wd: &mut GmresDrWorkspace, recycled: bool| {
            let r = match (with_pre, recycled) {
                (false, false) => gmres_dr_with(&a, &mut (), &id, &mut (), rhs, x, &pd, wd),
                (false, true) => gmres_recycled_with(&a, &mut (), &id, &mut (), rhs, x, &pd, wd),
                (true, false) => gmres_dr_with(&a, &mut (), &m, &mut (), rhs, x, &pd, wd),
                (true, true) => gmres_recycled_with(&a, &mut (), &m, &mut (), rhs, x, &pd, wd),
            };
            r.unwrap()
        };
        let mut wd = GmresDrWorkspace::new(n, restart);
        let mut x = vec![0.0; n];
        run(&mut x, &b, &mut wd, false);
        let (w_before, kept) = {
            let (w, k) = wd.ritz_basis();
            (w.to_vec(), k)
        };
        assert!(kept >= 4, "kept {kept}");
        let mut x2 = vec![0.0; n];
        let rec = run(&mut x2, &b2, &mut wd, true);
        assert!(rec.rel_residual <= 1e-10, "{rec:?}");
        let err = max_rel_err(&x2, &xs2);
        assert!(err < 1e-7, "recycled: relative error {err:e}, {rec:?}");
        assert_eq!(wd.ritz_basis().0, &w_before[..], "the kept vectors changed");
        let mut wf = GmresDrWorkspace::new(n, restart);
        let mut x3 = vec![0.0; n];
        let fresh = run(&mut x3, &b2, &mut wf, false);
        // with the preconditioner both take a few steps (only the slow modes remain): no more
        // than fresh; without it, the recycled space must save iterations
        assert!(
            rec.iterations < fresh.iterations || (with_pre && rec.iterations <= fresh.iterations),
            "restart {restart}: recycled {} iterations (with the {kept} applications that form A M W), fresh {}",
            rec.iterations,
            fresh.iterations
        );
        eprintln!(
            "restart {restart}, preconditioner {with_pre}: recycled {} iterations, fresh {}",
            rec.iterations, fresh.iterations
        );
    }
}

/// The projected-stagnation stop (`GmresDrParams::projected_cycles`): on a slow but steady
/// solve (a spread of eigenvalues, no deflation, a short cycle) the residual falls by far more
/// than `STALL_FACTOR` over `stall_cycles` cycles, so only the projection of the rate can stop
/// it early; a projection longer than the solve needs changes nothing.
#[test]
fn projected_stagnation_stops_a_slow_steady_solve_early_and_only_then() {
    let a = Blocks {
        pairs: vec![],
        singles: (1..=200).map(|i| 1.0 + i as f64 * 0.5).collect(),
    };
    let n = a.dim();
    let b = rhs(n);
    let id = Identity(n);
    let run = |projected: usize| {
        let mut x = vec![0.0; n];
        let mut wd = GmresDrWorkspace::new(n, 5);
        let pd = GmresDrParams {
            stall_cycles: 3,
            projected_cycles: projected,
            progress: None,
            deflate: 0,
            max_iters: 5000,
            rel_tol: 1e-10,
        };
        let out = gmres_dr_with(&a, &mut (), &id, &mut (), &b, &mut x, &pd, &mut wd);
        (out, x)
    };
    let (full, x_full) = run(0);
    let full = full.expect("the slow solve converges without the projection");
    let cycles = full.restarts;
    assert!(cycles >= 12, "not a slow solve: {cycles} cycles");
    // a projection of a third of the cycles it needs stops it, early and before the budget
    let (early, _) = run(cycles / 3);
    match early {
        Err(KrylovError::NoConvergence { iterations, .. }) => {
            assert!(
                iterations < full.iterations / 2,
                "stopped after {iterations} of {} iterations",
                full.iterations
            )
        }
        other => panic!("expected an early stop, got {other:?}"),
    }
    // a projection beyond what it needs: the same solve, bit for bit
    let (late, x_late) = run(2 * cycles);
    assert_eq!(late.unwrap().iterations, full.iterations);
    assert_eq!(x_late, x_full);
}
