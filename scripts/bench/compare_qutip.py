"""sqz against QuTiP 5 on the same problems (issue 8), in one run.

For each problem the Liouvillian is built by both tools from the same N, positions, r, alpha,
Delta and compared entry by entry first (sqz writes its CSR with `sqz liouvillian --out`); only
then are they timed. Times are medians of several repetitions, in separate processes for sqz
(so they include process start, a few ms) and in-process for QuTiP. Memory high-water marks are
the peak RSS of each measured child process (`resource.getrusage(RUSAGE_CHILDREN)` deltas are not
per child, so every measurement runs in its own child).

Usage (through scripts/bench/compare.sh, which makes the virtual environment):
    python3 scripts/bench/compare_qutip.py --sqz target/release/sqz [--quick] [--reps 3]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
R, ALPHA, DELTA = 0.5, 0.5, 1.0


def positions(n, w_over_pi, seed=1, config=0, sqz=None):
    """The disordered positions sqz uses (asked from sqz itself, so both tools agree)."""
    out = run_sqz(sqz, ["liouvillian", "--n", str(n), "--r", str(R), "--w", f"{w_over_pi}pi",
                        "--seed", str(seed), "--config", str(config), "--json"])[0]
    return out["positions"]


def run_sqz(sqz, args):
    """Runs sqz, returns (parsed JSON, wall seconds, peak RSS in MB)."""
    code = (
        "import resource,subprocess,sys,time,json;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "dt=time.perf_counter()-t;ru=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc':p.returncode,'out':p.stdout,'err':p.stderr,'dt':dt,'rss':ru.ru_maxrss/1024}))"
    )
    res = subprocess.run([sys.executable, "-c", code, sqz] + args, capture_output=True, text=True, check=True)
    r = json.loads(res.stdout)
    if r["rc"] != 0:
        raise RuntimeError(f"sqz {' '.join(args)} failed: {r['err']}")
    lines = [ln for ln in r["out"].splitlines() if ln.startswith("{")]
    out = json.loads(lines[-1]) if lines else {}
    # sqz's own timing of the computation (excludes process start), when it reports one
    dt = out.get("time_s", out.get("assembly_s", r["dt"]))
    return out, dt, r["rss"]


LAST_FAILURE = {"why": ""}


def qutip_in_child(fn_name, kwargs, timeout=None, mem_gb=None):
    """Runs one QuTiP measurement in a child process: returns (result dict, seconds, peak MB).

    With `timeout` (s) and `mem_gb` (address-space limit) the child is stopped; the result is then
    (None, nan, nan) and LAST_FAILURE["why"] says what happened."""
    code = (
        "import json,resource,sys,time;sys.path.insert(0,sys.argv[1]);import compare_qutip as c;"
        "kw=json.loads(sys.argv[3]);c.qutip_liouvillian(2,[0.0,7.0]);t=time.perf_counter();out=getattr(c,sys.argv[2])(**kw);dt=time.perf_counter()-t;"
        "print(json.dumps({'out':out,'dt':dt,'rss':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))"
    )
    here = os.path.dirname(os.path.abspath(__file__))

    def limit():
        if mem_gb:
            import resource

            b = int(mem_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (b, b))

    try:
        res = subprocess.run([sys.executable, "-c", code, here, fn_name, json.dumps(kwargs)],
                             capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        LAST_FAILURE["why"] = f"QuTiP stopped after {timeout:.0f} s"
        return None, math.nan, math.nan
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["?"])[-1]
        LAST_FAILURE["why"] = ("QuTiP ran out of memory" if "MemoryError" in res.stderr or "memory" in tail.lower()
                               else f"QuTiP failed: {tail[:80]}")
        return None, math.nan, math.nan
    r = json.loads(res.stdout.strip().splitlines()[-1])
    # the function's own timing excludes the interpreter start and `import qutip`
    return r["out"], r["out"].get("t", r["dt"]), r["rss"]


# ---------------------------------------------------------------- QuTiP side (Eq. 3, N^2-pair form)
def qutip_liouvillian(n, z):
    import qutip as qt

    nsq = math.sinh(R) ** 2
    m = math.sinh(R) * math.cosh(R) * complex(math.cos(ALPHA), math.sin(ALPHA))
    dn = (2 * nsq + 1) * DELTA
    ident = qt.qeye(2)
    sm1 = qt.destroy(2)

    def op(i, o):  # TLS 0 is the least significant bit: tensor in reversed order
        ops = [ident] * n
        ops[n - 1 - i] = o
        return qt.tensor(ops).to("csr")

    sm = [op(i, sm1) for i in range(n)]
    sp = [s.dag() for s in sm]
    h = dn * sum(sp[i] * sm[i] for i in range(n))
    for i in range(n):
        for j in range(n):
            if i != j:
                dij = -0.5 * math.sin(abs(z[i] - z[j]))
                h = h - dij * (sp[i] * sm[j] + sm[i] * sp[j]) / 2
    lv = -1j * (qt.spre(h) - qt.spost(h))

    def d(a, b):
        return 2 * qt.sprepost(a, b) - qt.spost(b * a) - qt.spre(b * a)

    for i in range(n):
        for j in range(n):
            gm = math.cos(abs(z[i] - z[j]))
            gp = math.cos(abs(z[i] + z[j]))
            lv = lv + gm / 2 * (nsq * d(sp[i], sm[j]) + (nsq + 1) * d(sm[i], sp[j]))
            lv = lv - gp / 2 * (m * d(sp[i], sp[j]) + m.conjugate() * d(sm[i], sm[j]))
    return lv, sm, sp


def xi2_full(rho, n, sm, sp):
    import qutip as qt

    smt = sum(sm)
    spt = sum(sp)
    sx, sy = (spt + smt) / 2, (spt - smt) / 2j
    sz = sum(sp[i] * sm[i] for i in range(n)) - n / 2 * qt.qeye(rho.dims[0])
    ops = (sx, sy, sz)
    s = [qt.expect(o, rho).real for o in ops]
    ln = np.linalg.norm(s)
    th, ph = math.acos(max(-1, min(1, s[2] / ln))), math.atan2(s[1], s[0])
    n1 = [math.cos(th) * math.cos(ph), math.cos(th) * math.sin(ph), -math.sin(th)]
    n2 = [-math.sin(ph), math.cos(ph), 0.0]
    a = sum(c * o for c, o in zip(n1, ops))
    b = sum(c * o for c, o in zip(n2, ops))
    caa, cbb = qt.expect(a * a, rho).real, qt.expect(b * b, rho).real
    cab = qt.expect((a * b + b * a) / 2, rho).real
    lam = 0.5 * (caa + cbb) - math.sqrt(0.25 * (caa - cbb) ** 2 + cab**2)
    return n * lam / ln**2


def q_build(n, z):
    t = time.perf_counter()
    lv, _, _ = qutip_liouvillian(n, z)
    return {"nnz": int(lv.data.as_scipy().nnz), "t": time.perf_counter() - t}


def q_steady(n, z, method="direct"):
    import qutip as qt

    t = time.perf_counter()
    lv, sm, sp = qutip_liouvillian(n, z)
    if method == "direct":
        rho = qt.steadystate(lv, method=method)
    else:
        # QuTiP's iterative solver with its incomplete-LU preconditioner (scipy >= 1.12 names)
        rho = qt.steadystate(lv, method=method, use_precond=True, rtol=1e-12, atol=0.0, maxiter=2000)
    return {"xi2": xi2_full(rho, n, sm, sp), "t": time.perf_counter() - t}


def q_evolve(n, z, t_max):
    import qutip as qt

    t = time.perf_counter()
    lv, sm, sp = qutip_liouvillian(n, z)
    psi0 = qt.basis([2] * n, [0] * n)
    rho0 = psi0 * psi0.dag()
    res = qt.mesolve(lv, rho0, [0.0, t_max], options={"atol": 1e-10, "rtol": 1e-8, "nsteps": 10**8})
    return {"xi2": xi2_full(res.states[-1], n, sm, sp), "t": time.perf_counter() - t}


def q_disorder_point(n, w_over_pi, configs, sqz):
    """200 steady states (QuTiP direct) at one w: the mean 1/xi^2."""
    import qutip as qt

    vals = []
    for c in range(configs):
        z = json.loads(subprocess.run([sqz, "liouvillian", "--n", str(n), "--r", str(R), "--w", f"{w_over_pi}pi",
                                       "--seed", "1", "--config", str(c), "--json"],
                                      capture_output=True, text=True, check=True).stdout)["positions"]
        lv, sm, sp = qutip_liouvillian(n, z)
        vals.append(1 / xi2_full(qt.steadystate(lv), n, sm, sp))
    return {"mean_inv_xi2": float(np.mean(vals))}


# ---------------------------------------------------------------- comparison
def check_liouvillian(sqz, n, z_over_pi):
    """sqz's CSR equals QuTiP's to 1e-12 (max abs), else abort."""
    import h5py
    import qutip  # noqa: F401

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "L.h5")
        run_sqz(sqz, ["liouvillian", "--n", str(n), "--r", str(R), "--w", f"{z_over_pi}pi", "--out", path, "--json"])
        with h5py.File(path) as f:
            g = f["liouvillian"]
            z = list(g["positions"][:])
            import scipy.sparse as sps

            data = g["data_re"][:] + 1j * g["data_im"][:]
            dim = 4**n
            ls = sps.csr_matrix((data, g["indices"][:], g["indptr"][:]), shape=(dim, dim))
    lq, _, _ = qutip_liouvillian(n, z)
    diff = abs(ls - lq.data.as_scipy()).max()
    if not diff < 1e-12:
        raise SystemExit(f"Liouvillians differ at N={n}: max |L_sqz - L_qutip| = {diff:e}")
    return diff, z


def median_time(fn, reps):
    res, times, rss = None, [], []
    for _ in range(reps):
        res, dt, mb = fn()
        times.append(dt)
        rss.append(mb)
    return res, statistics.median(times), max(rss)


def q_disorder_from_file(path, n):
    """QuTiP steady states for every configuration stored in a `sqz disorder` result file."""
    import h5py
    import qutip as qt

    with h5py.File(path) as f:
        pos = f["positions"][0]
    t = time.perf_counter()
    vals = []
    for z in pos:
        lv, sm, sp = qutip_liouvillian(n, list(z))
        vals.append(1 / xi2_full(qt.steadystate(lv), n, sm, sp))
    return {"mean_inv_xi2": float(np.mean(vals)), "t": time.perf_counter() - t}


def disorder_point(sqz, n, w_over_pi, configs, reps):
    """One Fig. 4(d) point: `sqz disorder` (all cores) against a QuTiP loop (one core)."""
    import h5py

    d = tempfile.mkdtemp()
    toml = os.path.join(d, "point.toml")
    with open(toml, "w") as f:
        f.write(f'n = {n}\nr = {R}\nw = ["{w_over_pi}pi"]\nconfigurations = {configs}\nseed = 7\n')
    out = os.path.join(d, "point.h5")
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run([sqz, "disorder", toml, "--out", out, "--fresh"], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    with h5py.File(out) as f:
        mean_s = float(f["summary/inv_xi2_mean"][0])
    rq, tq, mq = qutip_in_child("q_disorder_from_file", {"path": out, "n": n})
    if rq is not None and not abs(rq["mean_inv_xi2"] - mean_s) < 1e-6:
        raise SystemExit(f"disorder point disagrees: sqz {mean_s} vs qutip {rq['mean_inv_xi2']}")
    return statistics.median(times), tq, mq


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for prob, marker in (("steady state (QuTiP direct)", "o"), ("Liouvillian construction", "s"),
                         ("time evolution to t=200/A", "^")):
        pts = [(n, ts, tq) for p, n, case, ts, tq, _, _, _ in rows if p == prob and case == "w=0.3pi"]
        if not pts:
            continue
        ns = [p[0] for p in pts]
        ax.semilogy(ns, [p[1] for p in pts], marker + "-", label=f"sqz: {prob.split(' (')[0]}")
        ax.semilogy(ns, [p[2] for p in pts], marker + "--", label=f"QuTiP: {prob.split(' (')[0]}")
    ax.set_xlabel("N (two-level systems)")
    ax.set_ylabel("time [s]")
    ax.set_title("sqz vs QuTiP 5, w = 0.3 pi zeta, r = 0.5 (2-core VM)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_doc(rows, cmd):
    """Replaces the generated section of docs/performance.md."""
    path = os.path.join(ROOT, "docs", "performance.md")
    start, end = "<!-- compare_qutip:start -->", "<!-- compare_qutip:end -->"
    lines = [start, "", f"Generated by `{cmd}` on {time.strftime('%Y-%m-%d')} ({os.cpu_count()} cores). "
             "Medians; sqz times are its own timing of the computation (`time_s`/`assembly_s`), "
             "QuTiP's are measured around the same work after `import qutip` and a warm-up; "
             "memory is the peak RSS of the measuring child process.", "",
             "| problem | N | case | sqz [s] | QuTiP [s] | QuTiP / sqz | sqz peak MB | QuTiP peak MB | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda v, f: "-" if isinstance(v, float) and math.isnan(v) else format(v, f)  # noqa: E731
    for p, n, case, ts, tq, ms, mq, note in rows:
        ratio = tq / ts if ts > 0 and not math.isnan(tq) and not math.isnan(ts) else math.nan
        lines.append(f"| {p} | {n} | {case} | {fmt(ts, '.4g')} | {fmt(tq, '.4g')} | {fmt(ratio, '.1f')} | "
                     f"{fmt(ms, '.0f')} | {fmt(mq, '.0f')} | {note} |")
    lines += ["", "Largest N reached here (24 GiB, 2 cores):", "",
              "| problem | tool | largest N | time [s] | peak MB |", "|---|---|---|---|---|"]
    for kind in ("steady state", "time evolution"):
        for tool, ti, mi in (("sqz", 3, 5), ("QuTiP", 4, 6)):
            ok = [r for r in rows if r[0].startswith(kind) and not math.isnan(r[ti])]
            if ok:
                best = max(ok, key=lambda r: (r[1], -r[ti]))
                lines.append(f"| {kind} | {tool} | {best[1]} | {best[ti]:.4g} | {fmt(best[mi], '.0f')} |")
    if BANDWIDTH:
        bw = BANDWIDTH[0]
        lines += ["", f"Memory bandwidth in the same run: STREAM-like triad {bw['triad_gb_s']:.1f} GB/s "
                  f"({bw['threads']} threads). Matrix-free apply (bytes = vector sweeps, each access counted once):", "",
                  "| N | operator | apply [ms] | bytes moved [MB] | achieved GB/s | fraction of triad |",
                  "|---|---|---|---|---|---|"]
        for r in bw["rows"]:
            lines.append(f"| {r['n']} | {r['kind']} | {r['apply_s'] * 1e3:.1f} | {r['bytes'] / 1e6:.0f} | "
                         f"{r['achieved_gb_s']:.1f} | {r['fraction_of_triad']:.2f} |")
    lines += ["", "![time against N](figures/perf_vs_n.png)", "", end]
    text = open(path).read() if os.path.exists(path) else "# Performance\n"
    block = "\n".join(lines)
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Side by side with QuTiP (issue 8)\n\n" + block + "\n"
    open(path, "w").write(text)


BANDWIDTH = []


class Rows(list):
    """Measured rows, also written to a JSON cache after each one; with `resume`, rows already in
    the cache (same problem, N, case) are reused instead of measured again."""

    def __init__(self, path, resume):
        super().__init__()
        self.path = path
        self.cached = {}
        if resume and os.path.exists(path):
            for r in json.load(open(path)):
                self.cached[tuple(r[:3])] = tuple(r)

    def have(self, problem, n, case):
        r = self.cached.get((problem, n, case))
        if r is not None:
            self.append(r)
            print("reused", r, flush=True)
        return r is not None

    def add(self, row):
        self.append(row)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        json.dump([list(r) for r in self], open(self.path, "w"))
        print(row, flush=True)


def bandwidth(root):
    """The matrix-free apply against a STREAM-like triad, same process (sqz-superop example)."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "sqz-superop", "--example", "bandwidth"],
                   cwd=root, check=True)
    out = subprocess.run([os.path.join(root, "target", "release", "examples", "bandwidth"), "10", "12"],
                         capture_output=True, text=True, check=True).stdout
    BANDWIDTH.append(json.loads(out.strip().splitlines()[-1]))
    print("bandwidth:", BANDWIDTH[0], flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqz", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-doc", action="store_true", help="print only, do not rewrite docs/performance.md")
    ap.add_argument("--cache", default=os.path.join(ROOT, "out", "compare_rows.json"),
                    help="rows are saved here as they are measured")
    ap.add_argument("--resume", action="store_true", help="reuse the rows already in --cache")
    a = ap.parse_args()
    sqz = a.sqz
    reps = 1 if a.quick else a.reps
    rows = Rows(a.cache, a.resume)
    nan = math.nan
    ns_build = [3, 4, 5] if a.quick else [3, 4, 5, 6, 7]
    ns_steady = [3, 4, 5] if a.quick else [3, 4, 5, 6, 7]
    w = 0.3
    for n in ns_build:
        diff, z = check_liouvillian(sqz, n, w)
        print(f"N={n}: Liouvillians agree to {diff:.1e}", flush=True)
        if rows.have("Liouvillian construction", n, f"w={w}pi"):
            continue
        _, ts, ms = median_time(lambda: run_sqz(sqz, ["liouvillian", "--n", str(n), "--r", str(R), "--w", f"{w}pi", "--json"]), reps)
        _, tq, mq = median_time(lambda: qutip_in_child("q_build", {"n": n, "z": z}), reps)
        rows.add(("Liouvillian construction", n, f"w={w}pi", ts, tq, ms, mq, ""))

    def steady_args(n, wv):
        return ["steady", "--model", "full", "--n", str(n), "--r", str(R), "--w", f"{wv}pi", "--json"]

    for wv in (0.3, 0.01):
        for n in ns_steady:
            if rows.have("steady state (QuTiP direct)", n, f"w={wv}pi"):
                continue
            z = positions(n, wv, sqz=sqz)
            rs, ts, ms = median_time(lambda: run_sqz(sqz, steady_args(n, wv)), reps)
            rq, tq, mq = median_time(lambda: qutip_in_child("q_steady", {"n": n, "z": z}, timeout=1800), 1 if n >= 7 else reps)
            if rq is not None and not abs(rq["xi2"] - rs["xi2"]) < 1e-6 * rs["xi2"]:
                raise SystemExit(f"steady states disagree at N={n}: xi2 sqz {rs['xi2']} vs qutip {rq['xi2']}")
            note = f"sqz {rs['method']}, bound {rs['error_bound']:.1e}" if rs.get("error_bound") else f"sqz {rs['method']}"
            rows.add(("steady state (QuTiP direct)", n, f"w={wv}pi", ts, tq, ms, mq, note))
    if not a.quick:
        # QuTiP's iterative solver where it converges
        for n in (4, 5, 6):
            if rows.have("steady state (QuTiP iterative-gmres)", n, f"w={w}pi"):
                continue
            z = positions(n, w, sqz=sqz)
            rs, ts, ms = median_time(lambda: run_sqz(sqz, steady_args(n, w)), reps)
            rq, tq, mq = qutip_in_child("q_steady", {"n": n, "z": z, "method": "iterative-gmres"}, timeout=600)
            note = ""
            if rq is None:
                note = LAST_FAILURE["why"]
            elif not abs(rq["xi2"] - rs["xi2"]) < 1e-6 * rs["xi2"]:
                note = f"QuTiP iterative inaccurate: xi2 {rq['xi2']:.6g} vs {rs['xi2']:.6g}"
            rows.add(("steady state (QuTiP iterative-gmres)", n, f"w={w}pi", ts, tq, ms, mq, note))
        # beyond QuTiP: N = 8 (QuTiP direct attempted with a time and memory limit) and N = 10
        for n, wv, try_qutip in ((8, 0.3, True), (8, 0.01, False), (10, 0.01, False), (10, 0.3, False)):
            if rows.have("steady state (QuTiP direct)", n, f"w={wv}pi"):
                continue
            rs, ts, ms = run_sqz(sqz, steady_args(n, wv))
            tq, mq, note = nan, nan, "QuTiP not attempted (N = 8 direct did not finish)"
            if try_qutip:
                z = positions(n, wv, sqz=sqz)
                rq, tq, mq = qutip_in_child("q_steady", {"n": n, "z": z}, timeout=900, mem_gb=20)
                note = LAST_FAILURE["why"] if rq is None else ""
            bound = f"bound {rs['error_bound']:.1e}" if rs.get("error_bound") else "no bound"
            note = f"sqz {rs['method']}, {rs['iterations']} its, {bound}; " + note
            rows.add(("steady state (QuTiP direct)", n, f"w={wv}pi", ts, tq, ms, mq, note))
    evolve_cases = [(4, 200.0)] if a.quick else [(4, 200.0), (5, 200.0), (5, 3000.0), (6, 200.0), (7, 200.0),
                                                  (8, 200.0), (10, 200.0)]
    for n, t_max in evolve_cases:
        if rows.have(f"time evolution to t={t_max:g}/A", n, f"w={w}pi"):
            continue
        args = ["evolve", "--model", "full", "--n", str(n), "--r", str(R), "--w", f"{w}pi", "--times", f"0,{t_max}", "--json"]
        rs, ts, ms = median_time(lambda: run_sqz(sqz, args), 1 if n >= 8 else reps)
        if n <= 8:
            z = positions(n, w, sqz=sqz)
            rq, tq, mq = qutip_in_child("q_evolve", {"n": n, "z": z, "t_max": t_max}, timeout=1200, mem_gb=20)
            note = LAST_FAILURE["why"] if rq is None else ""
        else:
            rq, tq, mq, note = None, nan, nan, "QuTiP not attempted (4^10 = 1e6 states; see N = 8)"
        xs = 1.0 / rs["inv_xi2"][-1]
        if rq is not None and not abs(rq["xi2"] - xs) < 1e-5 * xs:
            raise SystemExit(f"evolutions disagree at N={n}, t={t_max}: xi2 sqz {xs} vs qutip {rq['xi2']}")
        rows.add((f"time evolution to t={t_max:g}/A", n, f"w={w}pi", ts, tq, ms, mq, note))
    configs = 20 if a.quick else 200
    if not rows.have(f"disorder point, {configs} configurations", 5, f"w={w}pi"):
        ts, tq, mq = disorder_point(sqz, 5, w, configs, reps)
        rows.add((f"disorder point, {configs} configurations", 5, f"w={w}pi", ts, tq, math.nan, mq,
                  "sqz on 2 cores, QuTiP one loop"))
    bandwidth(ROOT)
    emit(rows)
    if not a.no_doc:
        figs = os.path.join(ROOT, "docs", "figures")
        os.makedirs(figs, exist_ok=True)
        plot(rows, os.path.join(figs, "perf_vs_n.png"))
        write_doc(rows, "scripts/bench/compare.sh" + (" --quick" if a.quick else ""))


def emit(rows):
    print(f"{'problem':<40} {'N':>3} {'case':<10} {'sqz [s]':>10} {'QuTiP [s]':>10} {'ratio':>8} {'sqz MB':>8} {'QuTiP MB':>9}")
    for p, n, case, ts, tq, ms, mq, note in rows:
        ratio = tq / ts if ts > 0 and not math.isnan(tq) else math.nan
        print(f"{p:<40} {n:>3} {case:<10} {ts:>10.4f} {tq:>10.4f} {ratio:>8.1f} {ms:>8.0f} {mq:>9.0f} {note}")


if __name__ == "__main__":
    main()
