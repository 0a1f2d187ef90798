#!/usr/bin/env python3
"""Scaling past one node, on paper (issue 23): memory and time of the two-level steady-state
solve at N = 12..17 per node, and what a fine level distributed over MPI ranks would cost.

Inputs are measurements, not guesses:
  BANDWIDTH  the JSON of `cargo run --release -p sqz-superop --example bandwidth -- 12 13`
             (the measured apply of the operator the solver runs, `hermitian_real_form`, and the
             triad of the same process);
  SQZ        the sqz binary: `SQZ_MEMORY_LIMIT=<huge> sqz info --n N --json` gives the memory
             model of the two-level path (N <= 15; N = 16, 17 scale it by 4 per N: every term of
             it but the small coarse data is a multiple of 4^N).

  python3 scripts/bench/scaling_model.py BANDWIDTH SQZ [--net-gbs 10] [--iters 500]
                                        [--node-speedup 1]

Model (docs/scaling.md explains every line):
  - apply(N) = measured apply at the largest measured N0, times 4^(N-N0) times the ratio of the
    pair-term counts (N(N-1) + 4N + 2) / (N0(N0-1) + 4N0 + 2) (crates/superop/src/matfree.rs);
  - iteration(N) = 2 applies x (1 + OTHER_PER_TWO_APPLIES): at N = 12, w = 0.01 pi an iteration
    cost 1.25 s of which the two applies were 0.52 s (docs/performance.md, issue 13), so the
    rest (Gram-Schmidt over the basis, Jacobi smoother, level-2 preconditioner) is 1.4x them;
  - distributed fine level over P = 2^p ranks, the vector split by its top p bits (the top bits
    of the column index b of rho[a, b] at a + 2^N b): every left-side term (H_eff rho, J rho) is
    rank-local; a right-side term that flips a top bit needs the partner rank's part:
      * top-bit exchange: p single-bit partners (a whole local part each: hopping into and out
        of the bit, and the single-site jumps rho J^dag) and p(p-1)/2 double-bit partners, half of
        which are connected by excitation-conserving hopping (a whole local part each);
      * transposes: for Hermitian rho, rho H_eff^dag = (H_eff rho)^dag and
        J rho J^dag = J (J rho)^dag, so three rank-local products and one all-to-all transpose of
        three blocks ((P-1)/P of three local parts) give the whole apply;
    local part = 16 bytes x 4^N / 2 / P (the complex parity block);
  - memory per node: the 4^N parts of the model divided by P, the coarse level (set-up and
    coarse operator, `replicated_bytes`) whole on every node, and three local parts of
    receive buffers;
  - one restriction to the coarse space per iteration: a ring all-reduce of the coarse vector
    (`C_N` complex numbers, the Catalan number), 2 x 16 C_N (P-1)/P bytes per rank;
  - time per apply on P nodes = apply(N) / (P x node-speedup) (the work split ideally over nodes
    whose apply is node-speedup times this VM's, e.g. their triad over this VM's)
    + the smaller of the two volumes / network bandwidth.
"""
import json
import subprocess
import sys
from math import comb

OTHER_PER_TWO_APPLIES = (1.25 - 0.52) / 0.52  # docs/performance.md, N = 12 at 0.01 pi
MIN_RESTART = 20  # crates/steady/src/twolevel.rs
GIB = 1 << 30


def pair_terms(n):
    return n * (n - 1) + 4 * n + 2


def replicated_bytes(n):
    """The coarse level, kept whole on every rank: `setup_bytes` + `coarse_bytes` of
    crates/steady/src/twolevel.rs (the Schur-Weyl basis, the reduced single-site matrices, the
    per-configuration coarse operator with its factors), written out here as there."""
    catalan = comb(2 * n, n) // (n + 1)
    npop = comb(n, n // 2)
    setup = comb(2 * n, n) * 24 + 3 * n * catalan * 8
    coarse = catalan * 16 * 50 + npop * npop * 32
    return setup + coarse


def info(sqz, n):
    out = subprocess.run(
        [sqz, "info", "--n", str(n), "--json"],
        env={"SQZ_MEMORY_LIMIT": str(1 << 50), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    ).stdout
    d = json.loads(out)
    two = [p for p in d["steady_paths"] if p["method"] == "gmres-two-level"][0]
    return two["bytes"], two["bytes_with_available_memory"]


def main():
    args = sys.argv[1:]
    net = 10.0
    iters = 500
    if "--net-gbs" in args:
        i = args.index("--net-gbs")
        net = float(args[i + 1])
        del args[i : i + 2]
    speed = 1.0
    if "--node-speedup" in args:
        i = args.index("--node-speedup")
        speed = float(args[i + 1])
        del args[i : i + 2]
    if "--iters" in args:
        i = args.index("--iters")
        iters = int(args[i + 1])
        del args[i : i + 2]
    bw, sqz = args
    b = json.load(open(bw))
    rows = [r for r in b["rows"] if r["kind"] == "hermitian_real_form"]
    n0 = max(r["n"] for r in rows)
    a0 = [r["apply_s"] for r in rows if r["n"] == n0][0]
    print(f"measured: real-form apply {a0:.3f} s at N = {n0}, triad {b['triad_gb_s']:.1f} GB/s,"
          f" {b['threads']} threads; network {net} GB/s per node; {iters} iterations assumed;"
          f" nodes {speed}x this VM's apply")

    def apply(n):
        return a0 * 4 ** (n - n0) * pair_terms(n) / pair_terms(n0)

    mem = {}
    for n in range(12, 16):
        mem[n] = info(sqz, n)
    for n in (16, 17):
        mem[n] = (mem[n - 1][0] * 4, mem[n - 1][1] * 4)
    print("\none node (like this VM):")
    print("| N | apply [s] | iteration [s] | solve of %d iterations [h] | memory, 20 / 100 Krylov vectors [GiB] |" % iters)
    print("|---|---|---|---|---|")
    for n in range(12, 18):
        it = 2 * apply(n) * (1 + OTHER_PER_TWO_APPLIES)
        print(f"| {n} | {apply(n):.3g} | {it:.3g} | {it * iters / 3600:.3g} |"
              f" {mem[n][0] / GIB:.1f} / {mem[n][1] / GIB:.1f} |")
    print("\nreplicated coarse level per node [GiB]: "
          + ", ".join(f"N = {n}: {replicated_bytes(n) / GIB:.1f}" for n in range(12, 18)))
    print("\ndistributed fine level, P nodes (vector split by its top log2 P bits):")
    print("| N | P | memory per node, 20 / 100 vectors [GiB] | local part [GiB] | top-bit exchange [GiB] | transposes [GiB] |"
          " coarse all-reduce [GiB] | apply compute [s] | exchange / transposes / all-reduce [s] | iteration [s] | solve [h] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in range(14, 18):
        for p in range(2, 7):
            P = 1 << p
            local = 16 * 4**n / 2 / P
            ex = (p + p * (p - 1) / 4) * local
            tr = 3 * local * (P - 1) / P
            rep = replicated_bytes(n)
            m20 = (mem[n][0] - rep) / P + rep + 3 * local
            m100 = (mem[n][1] - rep) / P + rep + 3 * local
            comp = apply(n) / P / speed
            t_ex = ex / (net * 1e9)
            t_tr = tr / (net * 1e9)
            catalan = comb(2 * n, n) // (n + 1)
            ar = 2 * 16 * catalan * (P - 1) / P
            t_ar = ar / (net * 1e9)
            it = 2 * (comp + min(t_ex, t_tr)) + 2 * comp * OTHER_PER_TWO_APPLIES + t_ar
            print(f"| {n} | {P} | {m20 / GIB:.1f} / {m100 / GIB:.1f} | {local / GIB:.2f} | {ex / GIB:.2f} |"
                  f" {tr / GIB:.2f} | {ar / GIB:.2f} | {comp:.3g} | {t_ex:.3g} / {t_tr:.3g} / {t_ar:.3g} | {it:.3g} |"
                  f" {it * iters / 3600:.3g} |")


if __name__ == "__main__":
    main()
