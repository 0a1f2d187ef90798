//! The representation trait (`sqz_krylov::certificate::Representation`) of both spaces a steady
//! state is sought in: the weak-parity block of Eq. 3 (`sqz_superop::ParityBlock`) and the J
//! blocks of the permutational model (`sqz_permutational::PermLiouvillian`). Each solver's state
//! is a fixed point of the Hermitian real form, has trace 1 over the trace entries, and its
//! residual from the trait is the one the report gives.

use sqz_krylov::certificate::Representation;
use sqz_model::Params;
use sqz_permutational::basis::{Basis, Sector};
use sqz_steady::{SteadyParams, C64};

fn check<R: Representation>(rep: &R, x: &[C64], residual: f64) {
    assert_eq!(rep.dim(), x.len());
    let tr: C64 = rep.trace_entries().iter().map(|&i| x[i]).sum();
    assert!((tr - C64::new(1.0, 0.0)).norm() < 1e-12, "trace {tr}");
    let mut y = x.to_vec();
    rep.hermitian_normalized(&mut y).unwrap();
    let d = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    assert!(
        d < 1e-14,
        "the state is not in the Hermitian real form: {d:e}"
    );
    // a fixed point of the operator, and the trait's residual is the one the solver reported
    let r = rep.residual(x);
    assert!(r < 1e-10, "not a fixed point: |L x| = {r:e}");
    assert!(
        (r - residual).abs() <= 1e-14 + 1e-10 * residual,
        "residual from the trait {r:e} vs the report {residual:e}"
    );
}

#[test]
fn parity_block_state_is_hermitian_with_trace_one() {
    let p = Params::new(4, 0.5, 0.5, 1.0).unwrap();
    let z = [0.3, 6.0, 12.9, 18.4];
    let rep = sqz_steady::solve(&p, &z, &SteadyParams::default()).unwrap();
    let op = sqz_superop::ParityBlock::new(&p, &z).unwrap();
    // the dense path computes its residual from the real coordinates: the same norm
    check(&op, &rep.rho_block, rep.residual);
    let m = op.moments(&rep.rho_block);
    let want = sqz_superop::observables::moments_parity(&rep.rho_block);
    assert_eq!(m.mean, want.mean);
    // an arbitrary vector: made Hermitian with trace 1
    let mut v: Vec<C64> = (0..op.dim())
        .map(|i| C64::new(1.0 + (i % 5) as f64, (i % 3) as f64 - 1.0))
        .collect();
    op.hermitian_normalized(&mut v).unwrap();
    let tr: C64 = op.trace_entries().iter().map(|&i| v[i]).sum();
    assert!((tr - C64::new(1.0, 0.0)).norm() < 1e-12);
}

#[test]
fn j_blocks_state_is_hermitian_with_trace_one() {
    let p = Params::new(8, 0.5, 0.5, 1.0)
        .unwrap()
        .with_local_rates(0.05, 0.01)
        .unwrap();
    let rep = sqz_steady::permutational::solve(&p, &SteadyParams::default()).unwrap();
    let lv = sqz_permutational::build(&p, Basis::all_blocks(8, Sector::Even));
    check(&lv, &rep.rho_block, rep.residual);
    // the report's max-norm residual, computed apart from the trait: |r|_max <= |r|_2 <= sqrt(dim) |r|_max
    let (r2, rmax) = (lv.residual(&rep.rho_block), rep.details.residual_max);
    assert!(
        rmax <= r2 * (1.0 + 1e-12) && r2 <= (lv.dim() as f64).sqrt() * rmax * (1.0 + 1e-12),
        "2-norm {r2:e} and max-norm {rmax:e} of the same residual disagree"
    );
    assert_eq!(lv.moments(&rep.rho_block).mean, rep.moments().mean);
}
