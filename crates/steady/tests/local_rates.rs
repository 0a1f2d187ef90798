//! Local loss and dephasing (issue 17) in the full-space steady state: the Jacobi diagonal, the
//! solver paths with rates, and the choice of method.

use num_complex::Complex64 as C64;
use sqz_model::{positions, Params};
use sqz_superop::{csr, parity};
use std::f64::consts::PI;

/// The closed-form block diagonal (Jacobi preconditioner) includes the local diagonal: it equals
/// the diagonal of the assembled operator with rates.
#[test]
fn block_diagonal_with_local_rates_equals_the_assembly() {
    for n in [3usize, 4] {
        let p = Params::new(n, 0.7, 0.5, 1.0)
            .unwrap()
            .with_local_rates(0.3, 0.2)
            .unwrap();
        let z = positions::disordered(n, 0.2 * PI, 1, 0).unwrap();
        let blk = csr::restrict_parity(&csr::assemble(&p, &z).unwrap(), n);
        let dg = sqz_steady::iterative::block_diagonal(&p);
        for (k, want) in dg.iter().enumerate().take(parity::block_dim(n)) {
            let got = blk.get(k, k).copied().unwrap_or(C64::new(0.0, 0.0));
            assert!(
                (got - want).norm() < 1e-13,
                "N = {n}, k = {k}: {got} vs {want}"
            );
        }
    }
}
