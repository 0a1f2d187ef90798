//! Prints `sqz_superop::memory_table(N)` (what `sqz info --n N` will show):
//! `cargo run --release -p sqz-superop --example memory_table -- 12`.
use sqz_superop::memory::{human_bytes, memory_table};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    println!("N = {n}");
    for (what, bytes) in memory_table(n) {
        println!("  {what:<62} {:>12}", human_bytes(bytes));
    }
}
