#!/usr/bin/env python3
"""Robustness of the steady squeezing against disorder (issue 16 item 3): the table and the figure
of docs/reproduction.md ("Beyond the paper") from the result files of the studies in
jobs/robustness/.

    for f in jobs/robustness/*.toml; do sqz disorder $f --out out/robustness/$(basename $f .toml).h5; done
    python3 scripts/robustness.py out/robustness/*.h5 [-o docs/figures/robustness.png] [--boot 2000]

Per result file (one N and r): the w -> 0+ limit (the row with /w_limit = 1: mean and std over
configurations), the mean 1/xi^2 at each w, the critical disorder w_c where the mean first falls
below 1 (linear interpolation in w between the grid points; "< 0+" when the limit is already
below 1, "> w_max" when it never crosses), a bootstrap 95 % interval of w_c (configurations
resampled with replacement at every w independently, the crossing recomputed; percentiles 2.5
and 97.5), and the fraction of squeezed configurations (1/xi^2 > 1) at each w. Only
configurations with steady/ok == 1 count (failed solves are counted in the table). The "solve
time" is the sum of the per-task wall times. Prints a Markdown table; writes the figure (mean
1/xi^2 against w, one panel per r kind). Needs h5py, numpy, matplotlib.
"""

import argparse
import math

import numpy as np


def load(path):
    import h5py

    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        w = f["w"][()]
        lim = f["w_limit"][()].astype(bool) if "w_limit" in f else np.zeros(len(w), bool)
        ok = f["steady/ok"][()].astype(bool)
        inv = f["steady/inv_xi2"][()]
        secs = f["steady/seconds"][()]
    vals = [inv[k][ok[k]] for k in range(len(w))]
    return {
        "path": path,
        "n": int(a["n"]),
        "r": float(a["r"]),
        "configs": int(a["configurations"]),
        "done": int(a["tasks_done"]),
        "total": int(a["tasks_total"]),
        "w": np.asarray(w),
        "limit": lim,
        "vals": vals,
        "seconds": float(secs[ok].sum()),
    }


def crossing(ws, means, limit_mean):
    """First w where the mean falls below 1 (linear interpolation); 0 when the limit is below 1
    already, inf when it never crosses."""
    if limit_mean is not None and limit_mean < 1.0:
        return 0.0
    prev_w, prev_m = (0.0, limit_mean) if limit_mean is not None else (None, None)
    for w, m in zip(ws, means):
        if m < 1.0:
            if prev_w is None:
                return w
            return prev_w + (prev_m - 1.0) / (prev_m - m) * (w - prev_w)
        prev_w, prev_m = w, m
    return math.inf


def analyse(d, boot, rng):
    grid = [k for k in range(len(d["w"])) if not d["limit"][k]]
    grid.sort(key=lambda k: d["w"][k])
    lk = [k for k in range(len(d["w"])) if d["limit"][k]]
    lim = d["vals"][lk[0]] if lk else None
    ws = [d["w"][k] for k in grid]
    means = [d["vals"][k].mean() for k in grid]
    wc = crossing(ws, means, lim.mean() if lim is not None else None)
    samples = []
    for _ in range(boot):
        bm = [rng.choice(d["vals"][k], len(d["vals"][k])).mean() for k in grid]
        bl = rng.choice(lim, len(lim)).mean() if lim is not None else None
        samples.append(crossing(ws, bm, bl))
    s = np.array(samples)
    lo, hi = (np.percentile(s, 2.5), np.percentile(s, 97.5)) if boot else (math.nan, math.nan)
    return {
        "ws": np.array(ws),
        "means": np.array(means),
        "sems": np.array([d["vals"][k].std(ddof=1) / math.sqrt(len(d["vals"][k])) for k in grid]),
        "frac": np.array([(d["vals"][k] > 1.0).mean() for k in grid]),
        "lim": lim,
        "wc": wc,
        "ci": (lo, hi),
    }


def fmt_wc(x, wmax):
    if x == 0.0:
        return "< 0+"
    if math.isinf(x):
        return f"> {wmax / math.pi:.2f}"
    return f"{x / math.pi:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", "--out", default="docs/figures/robustness.png")
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    for p in args.files:
        d = load(p)
        rows.append((d, analyse(d, args.boot, rng)))
    rows.sort(key=lambda x: (x[0]["r"] == 0.5, x[0]["n"]))
    ws = rows[0][1]["ws"]
    print("| N | r | configurations | limit w -> 0+ mean (std) | w_c / pi (95 % CI) | mean 1/xi^2 at w/pi = "
          + ", ".join(f"{w / math.pi:g}" for w in ws)
          + " | fraction squeezed at the same w | solve time |")
    print("|---|---|---|---|---|---|---|---|")
    for d, a in rows:
        wmax = a["ws"][-1]
        lim = a["lim"]
        lims = f"{lim.mean():.4f} ({lim.std(ddof=1):.4f})" if lim is not None else "-"
        lo, hi = a["ci"]
        ci = f"{fmt_wc(a['wc'], wmax)} ({fmt_wc(lo, wmax)} .. {fmt_wc(hi, wmax)})"
        unfinished = "" if d["done"] == d["total"] else f" (unfinished {d['done']}/{d['total']})"
        failed = sum(d["configs"] - len(v) for v in d["vals"])
        if failed:
            unfinished += f" ({failed} solves failed)"
        print(f"| {d['n']} | {d['r']:.4g} | {d['configs']}{unfinished} | {lims} | {ci} | "
              + ", ".join(f"{m:.3f}" for m in a["means"]) + " | "
              + ", ".join(f"{f:.2f}" for f in a["frac"]) + f" | {d['seconds']:.0f} s |")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no figure")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, kind in zip(axes, ("r = r_opt(N)", "r = 0.5")):
        for d, a in rows:
            if (d["r"] == 0.5) != (kind == "r = 0.5"):
                continue
            x = a["ws"] / math.pi
            line = ax.errorbar(x, a["means"], yerr=a["sems"], marker="o", ms=3, capsize=2,
                               label=f"N = {d['n']} (r = {d['r']:.3f}, {d['configs']} conf.)")
            if a["lim"] is not None:
                ax.plot([0.0], [a["lim"].mean()], marker="*", ms=10, color=line[0].get_color())
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        ax.set_xlabel("w / pi (units of zeta)")
        ax.set_title(f"{kind}; star: w -> 0+ limit")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("mean steady 1/xi^2 (+- sem)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
