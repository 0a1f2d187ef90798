//! Tests of the Kronecker form and of the Galerkin gap.

use super::*;

mod kronecker {
    use super::*;
    use crate::iterative::Deflated;
    use faer::Par;
    use sqz_krylov::LinOp;
    use sqz_model::Params;

    /// `Y^dag A Z` column by column through the full space.
    fn dense_e(p: &Params, z: &[f64], sw: &SchurWeyl) -> Mat<C64> {
        let op = sqz_superop::ParityBlock::new(p, z).unwrap();
        let a = Deflated::new(&op);
        let bd = a.dim();
        let cn = sw.dim();
        let (mut x, mut y) = (vec![C64::default(); bd], vec![C64::default(); bd]);
        let mut c = vec![C64::default(); cn];
        let mut e = Mat::<C64>::zeros(cn, cn);
        let mut s = a.new_scratch();
        for j in 0..cn {
            sw.prolong_unit(j, &mut x);
            a.apply(&x, &mut y, &mut s);
            sw.restrict(&y, &mut c, Par::Seq);
            for i in 0..cn {
                e[(i, j)] = c[i];
            }
        }
        e
    }

    #[test]
    fn kronecker_form_equals_the_galerkin_matrix() {
        for (n, w) in [(3, 0.3), (4, 0.05), (5, 0.3), (6, 0.01)] {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let chi: Vec<f64> = (0..n).map(|i| ((i as f64) * 1.7).sin()).collect();
            let z: Vec<f64> = (0..n)
                .map(|i| 2.0 * std::f64::consts::PI * i as f64 + w * std::f64::consts::PI * chi[i])
                .collect();
            let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
            let red = Reduced::new(&sw);
            let kc = KronCoarse::new(&sw, &red, &TwoJump::new(&p, &z), Par::Seq).unwrap();
            let e = dense_e(&p, &z, &sw);
            let cn = sw.dim();
            let mut out = vec![C64::default(); cn];
            let mut err: f64 = 0.0;
            let mut scale: f64 = 0.0;
            for j in 0..cn {
                let mut c = vec![C64::default(); cn];
                c[j] = C64::new(1.0, 0.0);
                kc.apply(&c, &mut out);
                for i in 0..cn {
                    err = err.max((out[i] - e[(i, j)]).norm());
                    scale = scale.max(e[(i, j)].norm());
                }
            }
            assert!(
                err < 1e-12 * scale.max(1.0),
                "N = {n}: |E_kron - E| = {err:e} (|E| = {scale:e})"
            );
            assert!(kc.schur_defect < 1e-8, "Schur defect {:e}", kc.schur_defect);
        }
    }
}

mod gap_tests {
    use super::*;
    use sqz_model::Params;

    #[test]
    fn davidson_finds_the_slowest_coarse_eigenvalues() {
        for (n, w) in [(5, 0.001), (5, 0.01), (6, 0.01), (6, 0.3), (6, 0.5)] {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 3, 1).unwrap();
            let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
            let red = Reduced::new(&sw);
            let kc = KronCoarse::new(&sw, &red, &TwoJump::new(&p, &z), Par::Seq).unwrap();
            let cn = kc.dim();
            let mut e = Mat::<C64>::zeros(cn, cn);
            let mut out = vec![C64::default(); cn];
            for j in 0..cn {
                let mut c = vec![C64::default(); cn];
                c[j] = C64::new(1.0, 0.0);
                kc.apply(&c, &mut out);
                for i in 0..cn {
                    e[(i, j)] = out[i];
                }
            }
            let mut ev = e.eigenvalues().unwrap();
            ev.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
            let want = ev
                .iter()
                .filter(|v| (**v + 1.0).norm() > 1e-6)
                .take(4)
                .map(|v| v.re.abs())
                .fold(f64::INFINITY, f64::min);
            let (got, apps) = kc.slow_eigenvalues(4).unwrap();
            let g = got.iter().map(|v| v.re.abs()).fold(f64::INFINITY, f64::min);
            assert!(
                (g - want).abs() < 1e-2 * want,
                "N={n} w={w}: dense {want:e} davidson {g:e} ({apps} applications) {:?}",
                &ev[..5]
            );
        }
    }
}
