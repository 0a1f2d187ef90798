#!/usr/bin/env python3
"""Robustness of the steady squeezing against disorder (issue 16 item 3): the tables and the figure
of docs/reproduction.md ("Beyond the paper") from the result files of the studies in
jobs/robustness/ and jobs/n8-multinode.toml.

    mkdir -p out/robustness
    for f in jobs/robustness/*.toml; do sqz disorder $f --out out/robustness/$(basename $f .toml).h5; done
    sqz disorder jobs/n8-multinode.toml --out out/n8-multinode.h5
    python3 scripts/robustness.py out/robustness/*.h5 out/n8-multinode.h5 \
        [-o docs/figures/robustness.png] [--boot 2000] [--detail]

Result files with the same N and r are merged into one row (their w grids are joined; a w present
in several files pools their configurations, which are independent when the files' seeds or
w indices differ). Per row: the w -> 0+ limit (the rows with /w_limit = 1: mean, std and standard
error over configurations), the mean 1/xi^2 at each w, the critical disorder w_c where the mean
first falls below 1 (linear interpolation in w between grid points, starting from the limit;
"< 0+" when the limit is already below 1, "> w_max" when it never crosses), a bootstrap 95 %
interval of w_c (configurations resampled with replacement at every w independently, the
crossing recomputed; percentiles 2.5 and 97.5), and the fraction of squeezed configurations
(1/xi^2 > 1) at each w. Only configurations with steady/ok == 1 count (failed solves are counted
in the table). The "solve time" is the sum of the per-task wall times. Prints Markdown: a summary
table (mean and fraction at w = 0.1 .. 0.5 pi where on the grid) and, with --detail, every w of
every row; writes the figure (mean 1/xi^2 against w, one panel per kind of r). Needs h5py, numpy,
matplotlib.
"""

import argparse
import math

import numpy as np

SUMMARY_W = (0.1, 0.2, 0.3, 0.4, 0.5)  # units of pi


def load(path):
    import h5py

    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        w = f["w"][()]
        lim = f["w_limit"][()].astype(bool) if "w_limit" in f else np.zeros(len(w), bool)
        ok = f["steady/ok"][()].astype(bool)
        inv = f["steady/inv_xi2"][()]
        secs = f["steady/seconds"][()]
        done = f["steady/completed"][()].astype(bool) if "steady/completed" in f else np.ones_like(ok)
    return {
        "path": path,
        "n": int(a["n"]),
        "r": float(a["r"]),
        "done": int(a["tasks_done"]),
        "total": int(a["tasks_total"]),
        # (w, is_limit, values of the successful solves, solves attempted)
        "rows": [(float(w[k]), bool(lim[k]), inv[k][ok[k]], int(done[k].sum())) for k in range(len(w))],
        "seconds": float(secs[ok].sum()),
    }


def merge(files):
    """Files with the same N and r -> one row."""
    groups = {}
    for d in files:
        key = (d["n"], round(d["r"], 4))
        g = groups.setdefault(key, {"n": d["n"], "r": d["r"], "paths": [], "done": 0, "total": 0,
                                    "seconds": 0.0, "w": {}, "limit": None})
        g["paths"].append(d["path"])
        g["done"] += d["done"]
        g["total"] += d["total"]
        g["seconds"] += d["seconds"]
        for w, is_lim, vals, tried in d["rows"]:
            if is_lim:
                slot = g["limit"] or (np.empty(0), 0)
                g["limit"] = (np.concatenate([slot[0], vals]), slot[1] + tried)
            else:
                k = round(w / math.pi, 6)
                slot = g["w"].get(k, (np.empty(0), 0))
                g["w"][k] = (np.concatenate([slot[0], vals]), slot[1] + tried)
    return list(groups.values())


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


def analyse(g, boot, rng):
    keys = [k for k in sorted(g["w"]) if len(g["w"][k][0])]  # w with at least one result
    ws = [k * math.pi for k in keys]
    vals = [g["w"][k][0] for k in keys]
    lim = g["limit"][0] if g["limit"] is not None else None
    means = [v.mean() for v in vals]
    wc = crossing(ws, means, lim.mean() if lim is not None else None) if ws else math.nan
    samples = []
    for _ in range(boot if ws else 0):
        bm = [rng.choice(v, len(v)).mean() for v in vals]
        bl = rng.choice(lim, len(lim)).mean() if lim is not None else None
        samples.append(crossing(ws, bm, bl))
    s = np.array(samples)
    lo, hi = (np.percentile(s, 2.5), np.percentile(s, 97.5)) if len(s) else (math.nan, math.nan)
    return {
        "ws": np.array(ws),
        "means": np.array(means),
        "sems": np.array([v.std(ddof=1) / math.sqrt(len(v)) for v in vals]),
        "frac": np.array([(v > 1.0).mean() for v in vals]),
        "counts": [len(v) for v in vals],
        "failed": sum(g["w"][k][1] - len(g["w"][k][0]) for k in g["w"])
        + (g["limit"][1] - len(lim) if lim is not None else 0),
        "lim": lim,
        "wc": wc,
        "ci": (lo, hi),
    }


def fmt_wc(x, wmax):
    if isinstance(x, float) and math.isnan(x):
        return "-"
    if x == 0.0:
        return "< 0+"
    if math.isinf(x):
        return f"> {wmax / math.pi:.2f}"
    return f"{x / math.pi:.3f}"


def configs_desc(a):
    c = sorted(set(a["counts"]))
    s = "-" if not c else (f"{c[0]}" if len(c) == 1 else f"{c[0]}-{c[-1]}")
    if a["lim"] is not None:
        s += f" (limit {len(a['lim'])})"
    return s


def at(a, wpi, what):
    for w, v in zip(a["ws"], a[what]):
        if abs(w / math.pi - wpi) < 1e-9:
            return v
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", "--out", default="docs/figures/robustness.png")
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--detail", action="store_true", help="also print every w of every row")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    groups = merge([load(p) for p in args.files])
    groups.sort(key=lambda g: (g["r"] == 0.5, g["n"]))
    rows = [(g, analyse(g, args.boot, rng)) for g in groups]
    cols = ", ".join(f"{w:g}" for w in SUMMARY_W)
    print(f"| N | r | configurations per w | limit w -> 0+: mean (std) | w_c / pi (95 % CI) "
          f"| mean 1/xi^2 (largest sem) at w/pi = {cols} | fraction squeezed at w/pi = {cols} "
          f"| failed solves | solve time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for g, a in rows:
        wmax = a["ws"][-1] if len(a["ws"]) else 0.0
        lim = a["lim"]
        lims = f"{lim.mean():.4f} ({lim.std(ddof=1):.4f})" if lim is not None else "-"
        lo, hi = a["ci"]
        ci = fmt_wc(a["wc"], wmax) + ("" if math.isnan(lo) else f" ({fmt_wc(lo, wmax)} .. {fmt_wc(hi, wmax)})")
        unfinished = "" if g["done"] == g["total"] else f" (unfinished {g['done']}/{g['total']})"
        ms = [at(a, w, "means") for w in SUMMARY_W]
        sems = [s for s in (at(a, w, "sems") for w in SUMMARY_W) if s is not None]
        fr = [at(a, w, "frac") for w in SUMMARY_W]
        mtxt = ", ".join("-" if m is None else f"{m:.3f}" for m in ms)
        if sems:
            mtxt += f" ({max(sems):.3f})"
        print(f"| {g['n']} | {g['r']:.4g} | {configs_desc(a)}{unfinished} | {lims} | {ci} | {mtxt} | "
              + ", ".join("-" if f is None else f"{f:.2f}" for f in fr)
              + f" | {a['failed']} | {g['seconds']:.0f} s |")
    if args.detail:
        for g, a in rows:
            print(f"\nN = {g['n']}, r = {g['r']:.4g} ({', '.join(g['paths'])})\n")
            print("| w / pi | configurations | mean 1/xi^2 | sem | fraction squeezed |")
            print("|---|---|---|---|---|")
            if a["lim"] is not None:
                lim = a["lim"]
                print(f"| 0+ | {len(lim)} | {lim.mean():.4f} | {lim.std(ddof=1) / math.sqrt(len(lim)):.4f} "
                      f"| {(lim > 1.0).mean():.2f} |")
            for w, c, m, s, f in zip(a["ws"], a["counts"], a["means"], a["sems"], a["frac"]):
                print(f"| {w / math.pi:g} | {c} | {m:.4f} | {s:.4f} | {f:.2f} |")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no figure")
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for ax, kind in zip(axes[:2], ("r = r_opt(N)", "r = 0.5")):
        for g, a in rows:
            if (g["r"] == 0.5) != (kind == "r = 0.5"):
                continue
            if not len(a["ws"]):
                if a["lim"] is not None:  # the limit alone
                    ax.plot([0.0], [a["lim"].mean()], marker="*", ms=10, ls="none",
                            label=f"N = {g['n']} (r = {g['r']:.3f}): limit only")
                continue
            x = a["ws"] / math.pi
            c = sorted(set(a["counts"]))
            cd = f"{c[0]}" if len(c) == 1 else f"{c[0]}-{c[-1]}"
            line = ax.errorbar(x, a["means"], yerr=a["sems"], marker="o", ms=3, capsize=2,
                               label=f"N = {g['n']} (r = {g['r']:.3f}, {cd} conf.)")
            if a["lim"] is not None:
                ax.plot([0.0], [a["lim"].mean()], marker="*", ms=10, color=line[0].get_color())
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        ax.set_xlabel("w / pi (units of zeta)")
        ax.set_title(f"{kind}; star: w -> 0+ limit")
        ax.legend(fontsize=7)
        ax.set_ylabel("mean steady 1/xi^2 (+- sem)")
    # w_c(N) at r_opt(N), with its bootstrap interval
    ax = axes[2]
    pts = [(g["n"], a["wc"], a["ci"]) for g, a in rows
           if g["r"] != 0.5 and len(a["ws"]) and 0.0 < a["wc"] < math.inf]
    if pts:
        n = np.array([p[0] for p in pts], float)
        wc = np.array([p[1] for p in pts]) / math.pi
        lo = np.array([p[2][0] for p in pts]) / math.pi
        hi = np.array([p[2][1] for p in pts]) / math.pi
        ax.errorbar(n, wc, yerr=[wc - lo, hi - wc], marker="o", capsize=3, ls="-")
        ax.set_xlabel("N")
        ax.set_ylabel("w_c / pi (mean 1/xi^2 = 1), 95 % bootstrap CI")
        ax.set_title("critical disorder at r = r_opt(N)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"\nfigure: {args.out}")


if __name__ == "__main__":
    main()
