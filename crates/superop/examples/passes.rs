//! Wall time per pass of the parity-block apply and of its Hermitian variant:
//! `cargo run --release -p sqz-superop --example passes -- N`.
use sqz_model::{positions, Params};
use sqz_superop::herm::HermParity;
use sqz_superop::C64;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = positions::disordered(n, 0.3 * std::f64::consts::PI, 2024, 0).unwrap();
    let hp = HermParity::new(&p, &z).unwrap();
    let bd = sqz_superop::parity::block_dim(n);
    let xr: Vec<f64> = (0..bd).map(|k| ((k * 7) % 13) as f64 - 6.0).collect();
    let mut xc = vec![C64::default(); bd];
    sqz_superop::herm::to_complex(n, &xr, &mut xc);
    let (mut yc, mut gx) = (vec![C64::default(); bd], vec![C64::default(); bd]);
    let reps = 5;
    let mut ks = hp.new_kernel_scratch();
    for _ in 0..reps {
        hp.apply_complex(&xc, &mut yc, &mut ks);
    }
    let a = ks.pass_seconds();
    let mut ks = hp.new_kernel_scratch();
    for _ in 0..reps {
        hp.apply_hermitian_upper(&xc, &mut yc, &mut ks, &mut gx);
    }
    let b = ks.pass_seconds();
    let ms = |v: [f64; 4]| v.map(|s| format!("{:.1}", s * 1e3 / reps as f64));
    println!("N = {n}: complex apply passes A B C D [ms] {:?}", ms(a));
    println!(
        "N = {n}: Hermitian apply passes A (J bra) B (G + J ket) C (transpose-add) [ms] {:?}",
        ms(b)
    );
}
