#!/usr/bin/env python3
"""Plot a disorder study (Fig. 4(d)): mean +- std of the steady 1/xi^2 against w.

    python3 scripts/plot_disorder.py out/fig4d-n5.h5 [more.h5 ...] [-o fig4d.png] [--sem]

Reads the result files of `sqz disorder` (layout: docs/hdf5-layout.md) with h5py; one curve per
file, the band is +- one standard deviation over configurations (--sem: standard error of the
mean instead), the dashed line the ideal-position value (w = 0, Eq. 8) when the file has it.
Only configurations with `steady/ok == 1` count; an unfinished study is plotted with what it has
and says so. Needs h5py and matplotlib (pip install h5py matplotlib).
"""

import argparse
import sys


def load(path):
    import h5py

    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        w_over_pi = f["w_over_pi"][()]
        ok = f["steady/ok"][()].astype(bool)
        inv = f["steady/inv_xi2"][()]
        s = f["summary"]
        mean = s["inv_xi2_mean"][()]
        std = s["inv_xi2_std"][()]
        sem = s["inv_xi2_sem"][()]
        count = s["count"][()]
        ideal = s.attrs.get("inv_xi2_ideal")
    # the summary is recomputed from the per-configuration values as a check
    for k in range(len(w_over_pi)):
        v = inv[k][ok[k]]
        if len(v) != count[k] or (len(v) and abs(v.mean() - mean[k]) > 1e-12 * max(1.0, abs(mean[k]))):
            raise SystemExit(f"{path}: summary/inv_xi2_mean disagrees with steady/inv_xi2 at w index {k}")
    done, total = int(a["tasks_done"]), int(a["tasks_total"])
    n = int(a["n"])
    label = f"N = {n}, r = {float(a['r']):g}, {int(a['configurations'])} configurations"
    if done < total:
        label += f" (unfinished: {done}/{total})"
        print(f"{path}: unfinished study, {done} of {total} tasks", file=sys.stderr)
    return dict(w=w_over_pi, mean=mean, std=std, sem=sem, count=count, ideal=ideal, label=label, n=n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", help="result files of sqz disorder")
    p.add_argument("-o", "--out", default="disorder.png", help="output image (png, pdf, svg)")
    p.add_argument("--sem", action="store_true", help="band = standard error of the mean instead of std")
    args = p.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for i, path in enumerate(args.files):
        d = load(path)
        has = d["count"] > 0
        x, m = d["w"][has], d["mean"][has]
        e = (d["sem"] if args.sem else d["std"])[has]
        color = f"C{i}"
        ax.plot(x, m, "o-", color=color, label=d["label"], ms=4)
        ax.fill_between(x, m - e, m + e, color=color, alpha=0.25, lw=0)
        if d["ideal"] is not None:
            ax.axhline(float(d["ideal"]), color=color, ls="--", lw=1, label=f"ideal positions (N = {d['n']})")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(r"disorder strength $w$ ($\pi\zeta$)")
    ax.set_ylabel(r"steady-state $1/\xi_R^2$")
    band = "standard error of the mean" if args.sem else "standard deviation"
    ax.set_title(f"mean $\\pm$ {band}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=150)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
