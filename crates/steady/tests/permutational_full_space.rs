//! The permutational model against an independent dense construction in the full 2^N space
//! (N = 2..5): the dense Kronecker-product Lindbladian of `sqz_testkit::dense_lindblad` (Eq. 3,
//! which at ideal positions is the paper's Eq. 7, plus `gamma_loss D[sigma_i] + (gamma_deph/2)
//! D[sigma^z_i]` for every TLS; the reference the tests of `sqz-superop` and `sqz` use too).
//!
//! The blocks of a permutation-invariant full-space `rho` are read off with collective
//! operators only: `rho_J[M, M+k] = Tr(rho (S+)^k P_M P_J) / c_k(J, M)` with `P_J` the projector
//! on total spin J, `P_M` on `S^z = M`, and `c_k = prod_{i<k} sqrt(J(J+1) - (M+i)(M+i+1))`.

use faer::{Mat, Scale};
use sqz_krylov::LinOp;
use sqz_model::{positions, Params};
use sqz_permutational::{basis::Basis, liouvillian, state, Sector, C64};
use sqz_steady::permutational::{solve as steady_state, PermSolver};
use sqz_steady::SteadyParams;
use sqz_testkit::dense_lindblad;

type M = Mat<C64>;

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn zeros(d: usize) -> M {
    Mat::zeros(d, d)
}

fn adj(a: &M) -> M {
    a.adjoint().to_owned()
}

/// The dense Liouvillian of `p` in the full space at ideal positions, column-major `vec`
/// (`sqz_testkit::dense_lindblad::eq3_reference`).
fn dense_liouvillian(p: &Params) -> M {
    dense_lindblad::eq3_reference(p, &positions::ideal(p.n())).to_mat()
}

/// `L rho` with the dense Liouvillian `l` (column-major `vec`).
fn apply(l: &M, rho: &M) -> M {
    let d = rho.nrows();
    let x = Mat::<C64>::from_fn(d * d, 1, |k, _| rho[(k % d, k / d)]);
    let y = l * &x;
    Mat::from_fn(d, d, |i, j| y[(i + d * j, 0)])
}

/// The steady state of `p` in the full space: the dense null-space solve of
/// `sqz_testkit::dense_lindblad` (`L x = 0` with the trace row), as a matrix.
fn dense_steady(p: &Params) -> M {
    let d = 1 << p.n();
    let l = dense_lindblad::eq3_reference(p, &positions::ideal(p.n()));
    let x = dense_lindblad::null_space_state(&l);
    Mat::from_fn(d, d, |i, j| x[i + d * j])
}

/// The collective operators of N TLS in the full space (bit i of the basis index = 1: TLS i
/// excited), which read the blocks of a permutation-invariant `rho`.
struct Full {
    n: usize,
    sp: M,
    sm: M,
    sz: M,
}

impl Full {
    fn new(n: usize) -> Self {
        let d = 1 << n;
        // S- = sum_i sigma_i, sigma_i = |g><e| on TLS i
        let mut sm = zeros(d);
        for b in 0..d {
            for i in 0..n {
                if b >> i & 1 == 1 {
                    sm[(b ^ (1 << i), b)] += c(1.0, 0.0);
                }
            }
        }
        let sp = adj(&sm);
        let mut sz = zeros(d);
        for b in 0..d {
            sz[(b, b)] = c(b.count_ones() as f64 - n as f64 / 2.0, 0.0);
        }
        Self { n, sp, sm, sz }
    }

    /// Projector on total spin J = j2/2.
    fn p_j(&self, j2: usize) -> M {
        let d = 1 << self.n;
        let sx = (&self.sp + &self.sm) * Scale(c(0.5, 0.0));
        let sy = (&self.sp - &self.sm) * Scale(c(0.0, -0.5));
        let s2 = &sx * &sx + &sy * &sy + &self.sz * &self.sz;
        let mut p = Mat::<C64>::identity(d, d);
        let jj = |x: usize| x as f64 / 2.0 * (x as f64 / 2.0 + 1.0);
        let mut k2 = self.n % 2;
        while k2 <= self.n {
            if k2 != j2 {
                let shifted = &s2 - Mat::<C64>::identity(d, d) * Scale(c(jj(k2), 0.0));
                p = &p * shifted * Scale(c(1.0 / (jj(j2) - jj(k2)), 0.0));
            }
            k2 += 2;
        }
        p
    }

    /// `rho_J` of every block, read off `rho` with collective operators (module docs).
    fn blocks(&self, rho: &M) -> Vec<M> {
        let d = 1 << self.n;
        let mut out = Vec::new();
        let mut j2 = self.n;
        loop {
            let pj = self.p_j(j2);
            let j = j2 as f64 / 2.0;
            let dj = j2 + 1;
            // upper[(a, a + k)] = Tr(r P_J P_M (S+)^k) / c_k with M = a - j
            let upper = |r: &M| {
                let mut u = zeros(dj);
                for a in 0..dj {
                    let mm = a as f64 - j;
                    let mut pm = zeros(d);
                    for b in 0..d {
                        if (b.count_ones() as f64 - self.n as f64 / 2.0 - mm).abs() < 1e-9 {
                            pm[(b, b)] = c(1.0, 0.0);
                        }
                    }
                    let mut x = &pm * &pj;
                    let mut ck = 1.0;
                    for k in 0..dj - a {
                        let tr: C64 = (0..d).map(|i| (r * &x)[(i, i)]).sum();
                        u[(a, a + k)] = tr / ck;
                        let mk = mm + k as f64;
                        ck *= (j * (j + 1.0) - mk * (mk + 1.0)).max(0.0).sqrt();
                        x = &self.sp * x;
                    }
                }
                u
            };
            let mut blk = upper(rho);
            // the lower triangle: rho_J[M+k, M] = Tr(rho P_J P_M (S-)^k) / c_k, from the
            // adjoint relation applied to rho^dag
            let lower = upper(&adj(rho));
            for a in 0..dj {
                for b in 0..a {
                    blk[(a, b)] = lower[(b, a)].conj();
                }
            }
            out.push(blk);
            if j2 < 2 {
                break;
            }
            j2 -= 2;
        }
        out
    }
}

fn params(n: usize, r: f64, alpha: f64, delta: f64, gl: f64, gd: f64) -> Params {
    Params::new(n, r, alpha, delta)
        .unwrap()
        .with_local_rates(gl, gd)
        .unwrap()
}

fn max_block_diff(basis: &Basis, x: &[C64], blocks: &[M]) -> f64 {
    let mut worst: f64 = 0.0;
    for (k, b) in blocks.iter().enumerate() {
        let mine = state::block(basis, x, k);
        for i in 0..b.nrows() {
            for j in 0..b.ncols() {
                worst = worst.max((mine[(i, j)] - b[(i, j)]).norm());
            }
        }
    }
    worst
}

/// Random permutation-invariant (non-Hermitian) full-space matrix: a random matrix averaged
/// over all permutations of the TLS.
fn random_symmetric(n: usize, seed: u64) -> M {
    let d = 1 << n;
    let mut s = seed;
    let mut rnd = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let a = Mat::<C64>::from_fn(d, d, |_, _| c(rnd(), rnd()));
    let mut perms: Vec<Vec<usize>> = vec![vec![]];
    for k in 0..n {
        let mut next = Vec::new();
        for p in &perms {
            for pos in 0..=k {
                let mut q = p.clone();
                q.insert(pos, k);
                next.push(q);
            }
        }
        perms = next;
    }
    let permute = |b: usize, p: &[usize]| -> usize { (0..n).map(|i| ((b >> i) & 1) << p[i]).sum() };
    let mut out = zeros(d);
    for p in &perms {
        for j in 0..d {
            for i in 0..d {
                out[(permute(i, p), permute(j, p))] += a[(i, j)];
            }
        }
    }
    out * Scale(c(1.0 / perms.len() as f64, 0.0))
}

/// The Liouvillian acting on a random permutation-invariant matrix, in both sectors.
#[test]
fn liouvillian_matches_full_space_action() {
    for (n, pr) in [
        (2, params(2, 0.5, 0.5, 1.0, 0.3, 0.0)),
        (3, params(3, 0.7, 0.3, 1.2, 0.2, 0.15)),
        (4, params(4, 0.4, 1.1, 0.4, 0.0, 0.25)),
        (5, params(5, 0.6, 0.5, 1.0, 0.35, 0.1)),
    ] {
        let full = Full::new(n);
        let rho = random_symmetric(n, 17 + n as u64);
        let lrho = apply(&dense_liouvillian(&pr), &rho);
        let want = full.blocks(&lrho);
        let lv = liouvillian(&pr, Sector::All);
        let blocks = full.blocks(&rho);
        let mut x = vec![C64::new(0.0, 0.0); lv.basis.dim()];
        for (k, b) in blocks.iter().enumerate() {
            for a in 0..b.nrows() {
                for bb in 0..b.ncols() {
                    x[lv.basis.index(k, a, bb).unwrap()] = b[(a, bb)];
                }
            }
        }
        let mut y = vec![C64::new(0.0, 0.0); x.len()];
        lv.csr.apply(&x, &mut y, &mut ());
        let scale = want
            .iter()
            .flat_map(|b| {
                b.col_iter()
                    .flat_map(|c| c.iter().map(|v| v.norm()).collect::<Vec<_>>())
            })
            .fold(0.0, f64::max);
        let diff = max_block_diff(&lv.basis, &y, &want);
        assert!(
            diff < 1e-12 * scale.max(1.0),
            "N = {n}: max |L_perm - L_full| = {diff:e} (scale {scale})"
        );
    }
}

/// Steady states with local rates (unique): blocks, populations and 1/xi^2 agree, by both
/// solvers.
#[test]
fn steady_state_matches_full_space() {
    for pr in [
        params(2, 0.5, 0.5, 1.0, 0.1, 0.0),
        params(3, 0.8, 1.1, 0.4, 0.05, 0.2),
        params(4, 0.5, 0.5, 1.0, 0.1, 0.0),
        params(4, 0.3, 0.5, 1.0, 0.0, 0.3),
        params(5, 0.6, 0.5, 1.0, 0.02, 0.01),
        params(5, 1.0, 0.2, 2.0, 1.0, 0.5),
    ] {
        let full = Full::new(pr.n());
        let rho = dense_steady(&pr);
        let want = full.blocks(&rho);
        let sz = {
            let tr = |o: &M| -> f64 { (0..o.nrows()).map(|i| (&rho * o)[(i, i)].re).sum() };
            let sx = (&full.sp + &full.sm) * Scale(c(0.5, 0.0));
            let sy = (&full.sp - &full.sm) * Scale(c(0.0, -0.5));
            let ops = [sx, sy, full.sz.clone()];
            let mut mean = [0.0; 3];
            let mut second = [[0.0; 3]; 3];
            for a in 0..3 {
                mean[a] = tr(&ops[a]);
                for b in 0..3 {
                    second[a][b] = tr(&(&ops[a] * &ops[b]));
                }
            }
            sqz_model::observables::SpinMoments {
                n: pr.n(),
                mean,
                second,
            }
        };
        let want_sq = sz.squeezing().unwrap();
        for method in [PermSolver::Direct, PermSolver::TwoLevel] {
            let s = steady_state(
                &pr,
                &SteadyParams {
                    perm_solver: method,
                    ..Default::default()
                },
            )
            .unwrap();
            let diff = max_block_diff(&s.details.basis, &s.rho_block, &want);
            assert!(
                diff < 1e-10,
                "{pr:?} {method:?}: max block difference {diff:e}"
            );
            let sq = s.squeezing().unwrap();
            assert!(
                (sq.inv_xi2 - want_sq.inv_xi2).abs() < 1e-10,
                "{pr:?} {method:?}: 1/xi^2 {} vs full {}",
                sq.inv_xi2,
                want_sq.inv_xi2
            );
            let m = s.moments();
            for a in 0..3 {
                assert!((m.mean[a] - sz.mean[a]).abs() < 1e-10);
                for b in 0..3 {
                    assert!((m.second[a][b] - sz.second[a][b]).abs() < 1e-10);
                }
            }
            assert!(s.bound_met, "{pr:?} {method:?}: {:?}", s.notes);
            assert!(s.min_eigenvalue > -1e-12);
        }
    }
}

/// Time evolution (Krylov `expv` on the permutational Liouvillian) against `exp(t L)` of the
/// dense full-space Liouvillian, N = 3 and 4, from the ground state (even sector) and from a
/// spin coherent state (both sectors): moments and block traces at t = 0.7 and 3.
#[test]
fn evolution_matches_full_space() {
    use sqz_krylov::expv::{expm, ExpvParams};
    for (n, theta, phi) in [(3usize, 0.0f64, 0.0f64), (3, 1.1, 0.4), (4, 2.0, -0.7)] {
        let pr = params(n, 0.6, 0.5, 1.0, 0.3, 0.2);
        let full = Full::new(n);
        let d: usize = 1 << n;
        let dd = d * d;
        let l = dense_liouvillian(&pr);
        // the product state: every TLS in cos(th/2)|e> + e^{i ph} sin(th/2)|g>
        let (ce, cg) = (
            c((0.5 * theta).cos(), 0.0),
            C64::from_polar((0.5 * theta).sin(), phi),
        );
        let psi_full: Vec<C64> = (0..d)
            .map(|b| {
                let k = b.count_ones() as i32;
                ce.powi(k) * cg.powi(n as i32 - k)
            })
            .collect();
        let psi = if theta == 0.0 && phi == 0.0 {
            // ground state instead
            let mut v = vec![c(0.0, 0.0); n + 1];
            v[0] = c(1.0, 0.0);
            v
        } else {
            sqz_model::observables::coherent_state(n, theta, phi)
        };
        let rho0 = if theta == 0.0 && phi == 0.0 {
            let mut m = zeros(d);
            m[(0, 0)] = c(1.0, 0.0);
            m
        } else {
            Mat::from_fn(d, d, |i, j| psi_full[i] * psi_full[j].conj())
        };
        let times = [0.7, 3.0];
        let mut got = Vec::new();
        sqz_permutational::evolve::evolve(
            &pr,
            &psi,
            &times,
            &ExpvParams {
                tol: 1e-12,
                ..Default::default()
            },
            |_, b, w| {
                got.push((
                    state::moments(b, w),
                    state::block_populations(b, w),
                    b.sector(),
                ));
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        let even = theta == 0.0;
        assert_eq!(got[0].2 == Sector::Even, even);
        for (k, &t) in times.iter().enumerate() {
            let tl = Mat::<C64>::from_fn(dd, dd, |i, j| l[(i, j)] * t);
            let prop = expm(tl.as_ref());
            let v0 = Mat::<C64>::from_fn(dd, 1, |i, _| rho0[(i % d, i / d)]);
            let vt = &prop * &v0;
            let rho_t = Mat::from_fn(d, d, |i, j| vt[(i + d * j, 0)]);
            let want = full.blocks(&rho_t);
            let tr = |o: &M| -> f64 { (0..d).map(|i| (&rho_t * o)[(i, i)].re).sum() };
            let sx = (&full.sp + &full.sm) * Scale(c(0.5, 0.0));
            let sy = (&full.sp - &full.sm) * Scale(c(0.0, -0.5));
            let ops = [sx, sy, full.sz.clone()];
            let (m, pops, _) = &got[k];
            for a in 0..3 {
                assert!(
                    (m.mean[a] - tr(&ops[a])).abs() < 1e-9,
                    "N = {n} t = {t}: <S_{a}>"
                );
                for b in 0..3 {
                    let w2 = tr(&(&ops[a] * &ops[b]));
                    assert!(
                        (m.second[a][b] - w2).abs() < 1e-9,
                        "N = {n} t = {t}: <S_{a} S_{b}>"
                    );
                }
            }
            for (kk, blk) in want.iter().enumerate() {
                let tr_blk: f64 = (0..blk.nrows()).map(|i| blk[(i, i)].re).sum();
                assert!(
                    (pops[kk] - tr_blk).abs() < 1e-10,
                    "N = {n} t = {t}: Tr rho_J"
                );
            }
        }
    }
}
