"""QuTiP side of the time-evolution benchmarks (issue 5): time qutip.mesolve on the same problems
as `benches/benches/evolve.rs` and `sqz evolve`, and print 1/xi^2 at the last time next to sqz's.

Problems (units A = 1; alpha = 0.5, Delta = 1.0):
  n5    Eq. 3, N = 5, r = 0.5, disorder w = 0.03 pi (sqz seed 1, configuration 0; the positions are
        taken from `sqz evolve --json` so both codes see the same z_i), from all ground,
        t = 0..3000 (301 output times)
  c30   Eq. 7, N = 30, r = 0.8 (Fig. 2), from |j,-j>, t = 0..4 (41 output times)
  n10   Eq. 3, N = 10, as n5 but t = 0..200 (201 output times). Not run by default: the 4^10
        superoperator alone (two-jump Lindblad form, ~10^8 nonzeros) takes several GB and its
        construction and the BDF integration take hours; `--n10` tries anyway.

mesolve options: method "bdf" (the issue's reference), atol 1e-12, rtol 1e-10, nsteps 1e7 (the
tolerances of the committed fixtures); `--method adams` and `--atol/--rtol` change them.
The Liouvillians come from scripts/fixtures/make_fixtures.py (two-jump Lindblad form of Eq. 3,
checked there against the N^2-pair form; Eq. 7 in the Dicke basis).

Requires: pip install qutip numpy scipy; a release build of sqz (`cargo build --release`).
Run:      python3 scripts/bench/qutip_evolve.py [n5] [c30] [--n10] [--method bdf|adams]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import qutip

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
import make_fixtures as mf  # noqa: E402

SQZ = os.path.join(ROOT, "target", "release", "sqz")


def sqz_json(args):
    t0 = time.perf_counter()
    out = subprocess.run([SQZ, *args, "--json", "--quiet"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout), time.perf_counter() - t0


def full_problem(n, t_max, steps, opts):
    common = ["evolve", "--model", "full", "--n", str(n), "--r", "0.5", "--w", "0.03pi", "--seed", "1"]
    ref, wall = sqz_json(common + ["--t-max", str(t_max), "--steps", str(steps)])
    z = np.array(ref["positions"])
    t0 = time.perf_counter()
    L = mf.full_liouvillian_lindblad(z, 0.5, 0.5, 1.0)
    t1 = time.perf_counter()
    dim = 2**n
    rho0 = qutip.Qobj(np.diag(np.eye(dim)[0]).astype(complex), dims=[[2] * n, [2] * n])
    times = np.linspace(0, t_max, steps + 1)
    res = qutip.mesolve(L, rho0, times, options=opts)
    t2 = time.perf_counter()
    obs = mf.observables(res.states[-1], n, *mf.full_spin_ops(n))
    report(f"Eq. 3, N = {n}, w = 0.03 pi, t = 0..{t_max}", t1 - t0, t2 - t1, obs, ref, wall)


def collective_problem(n, r, t_max, steps, opts):
    ref, wall = sqz_json(["evolve", "--n", str(n), "--r", str(r), "--t-max", str(t_max), "--steps", str(steps)])
    t0 = time.perf_counter()
    L = mf.collective_liouvillian(n, r, 0.5, 1.0)
    t1 = time.perf_counter()
    rho0 = qutip.Qobj(np.diag(np.eye(n + 1)[0]).astype(complex))
    times = np.linspace(0, t_max, steps + 1)
    res = qutip.mesolve(L, rho0, times, options=opts)
    t2 = time.perf_counter()
    obs = mf.observables(res.states[-1], n, *mf.dicke_ops(n))
    report(f"Eq. 7, N = {n}, r = {r}, t = 0..{t_max}", t1 - t0, t2 - t1, obs, ref, wall)


def report(name, build, solve, obs, ref, wall):
    print(f"{name}:")
    print(f"  QuTiP: build {build:.2f} s, mesolve {solve:.2f} s; 1/xi^2(t_end) = {obs['inv_xi2']:.12f}")
    print(f"  sqz:   evolve {ref['time_s']:.3f} s (process {wall:.3f} s, {ref['krylov']['matvecs']} "
          f"operator applications); 1/xi^2(t_end) = {ref['inv_xi2'][-1]:.12f}")
    print(f"  |difference| = {abs(obs['inv_xi2'] - ref['inv_xi2'][-1]):.2e}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("problems", nargs="*", default=["n5", "c30"], help="n5, c30 (default: both)")
    ap.add_argument("--n10", action="store_true", help="also try Eq. 3 at N = 10 (hours, GBs)")
    ap.add_argument("--method", default="bdf", choices=["bdf", "adams"])
    ap.add_argument("--atol", type=float, default=1e-12)
    ap.add_argument("--rtol", type=float, default=1e-10)
    a = ap.parse_args()
    opts = {"method": a.method, "atol": a.atol, "rtol": a.rtol, "nsteps": 10**7}
    print(f"qutip {qutip.__version__}, mesolve options {opts}")
    if "c30" in a.problems:
        collective_problem(30, 0.8, 4.0, 40, opts)
    if "n5" in a.problems:
        full_problem(5, 3000.0, 300, opts)
    if a.n10:
        full_problem(10, 200.0, 200, opts)


if __name__ == "__main__":
    main()
