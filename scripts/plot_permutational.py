#!/usr/bin/env python3
"""Figure and tables of the local-loss/dephasing study of the permutational model.

    cargo build --release -p sqz-steady --example perm_study
    target/release/examples/perm_study out/perm 10,20,50,100            # ~15 min on 2 busy cores
    python3 scripts/plot_permutational.py docs/figures/permutational_beta.png \
        docs/figures/permutational_study/*.csv > tables.md

(the committed CSV files and the commands that made each are listed in docs/reproduction.md,
"Beyond the paper"). From the CSV files of `crates/steady/examples/perm_study.rs`:

* the PNG, three panels: (a) max_r 1/xi^2 against beta (gamma_deph = 0), one curve per N;
  (b) r_opt against beta; (c) max_r 1/xi^2 against gamma_deph (beta = 1), Eq. 8 dotted;
* on stdout, three Markdown tables: max_r 1/xi^2 (r_opt) over N and beta; the same over N and
  gamma_deph; per N the beta that keeps 1/xi^2 above 1 and above 2 (3 dB), by linear
  interpolation in ln(gamma_loss) between grid points, and the largest shortfall of 1/xi^2 at the
  ideal r_opt(N) against the maximum over r.

Needs matplotlib (the tables alone: `--no-plot` in place of the PNG path).
"""

import csv
import math
import sys
from collections import defaultdict


def load(paths):
    rows = [r for path in paths for r in csv.DictReader(open(path))]
    for r in rows:
        for k in r:
            r[k] = float(r[k])
    by_n = defaultdict(list)
    for r in rows:
        by_n[int(r["n"])].append(r)
    return by_n


def loss_rows(rs):
    """gamma_deph = 0, by decreasing beta."""
    return sorted([r for r in rs if r["gamma_deph"] == 0.0], key=lambda r: -r["beta"])


def deph_rows(rs):
    """beta = 1, by increasing gamma_deph (gamma_deph = 0 first: Eq. 8)."""
    return sorted([r for r in rs if r["gamma_loss"] == 0.0], key=lambda r: r["gamma_deph"])


def cell(r):
    return f"{r['inv_xi2_max']:.3f} ({r['r_opt']:.3f})" if r else "-"


def grid_table(by_n, key, rows_of, label):
    values = sorted({r[key] for rs in by_n.values() for r in rows_of(rs)},
                    reverse=(key == "beta"))
    head = "| N | " + " | ".join(f"{label} = {v:g}" for v in values) + " |"
    out = [head, "|---" * (len(values) + 1) + "|"]
    for n, rs in sorted(by_n.items()):
        at = {r[key]: r for r in rows_of(rs)}
        out.append(f"| {n} | " + " | ".join(cell(at.get(v)) for v in values) + " |")
    return "\n".join(out)


def crossing(loss, level):
    """beta where max_r 1/xi^2 falls to `level` (interpolated in ln gamma_loss), or None."""
    for a, b in zip(loss, loss[1:]):
        if a["inv_xi2_max"] > level >= b["inv_xi2_max"]:
            if a["gamma_loss"] == 0.0:
                return None, f"between {b['beta']:g} and 1"
            la, lb = math.log(a["gamma_loss"]), math.log(b["gamma_loss"])
            t = (a["inv_xi2_max"] - level) / (a["inv_xi2_max"] - b["inv_xi2_max"])
            g = math.exp(la + t * (lb - la))
            return 1.0 / (1.0 + g), f"{1.0 / (1.0 + g):.3f} (gamma_loss = {g:.2g} A)"
    return None, None


def threshold_table(by_n):
    out = ["| N | smallest beta computed: max 1/xi^2 | beta keeping 1/xi^2 > 1 | beta keeping "
           "1/xi^2 > 2 (3 dB) | r_opt(beta) - r_opt(1), range | 1/xi^2 at ideal r_opt vs max, "
           "largest shortfall |", "|---|---|---|---|---|---|"]
    for n, rs in sorted(by_n.items()):
        loss = loss_rows(rs)
        if not loss:
            continue
        last = loss[-1]
        _, one = crossing(loss, 1.0)
        _, two = crossing(loss, 2.0)
        if one is None:
            one = f"any beta >= {last['beta']:g} (none below 1 found)"
        if two is None:
            two = ("none: the ideal 1/xi^2 is below 2" if loss[0]["inv_xi2_max"] <= 2.0
                   else f"any beta >= {last['beta']:g}")
        r1 = [r["r_opt"] for r in loss if r["beta"] == 1.0][0]
        shifts = [r["r_opt"] - r1 for r in loss if r["beta"] < 1.0]
        short = max(1.0 - r["inv_xi2_at_ideal_r_opt"] / r["inv_xi2_max"] for r in loss)
        out.append(f"| {n} | beta = {last['beta']:g}: {last['inv_xi2_max']:.5f} | {one} | {two} | "
                   f"{min(shifts):+.4f} .. {max(shifts):+.4f} | {100 * short:.2f} % |")
    return "\n".join(out)


def plot(by_n, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(14, 4.2))
    for n, rs in sorted(by_n.items()):
        loss = loss_rows(rs)
        b = [r["beta"] for r in loss]
        line = ax[0].plot(b, [r["inv_xi2_max"] for r in loss], "o-", label=f"N = {n}")[0]
        ax[1].plot(b, [r["r_opt"] for r in loss], "o-", color=line.get_color())
        deph = [r for r in deph_rows(rs) if r["gamma_deph"] > 0.0]
        if deph:
            ax[2].plot([r["gamma_deph"] for r in deph], [r["inv_xi2_max"] for r in deph], "o-",
                       color=line.get_color())
        ideal = [r for r in loss if r["beta"] == 1.0]
        if ideal:
            ax[2].axhline(ideal[0]["inv_xi2_max"], ls=":", lw=0.8, color=line.get_color())
    ax[0].set_xscale("log")
    ax[0].set_yscale("log")
    ax[0].set_xlabel(r"$\beta = A/(A+\gamma_{loss})$")
    ax[0].set_ylabel(r"max$_r$ $1/\xi_R^2$")
    ax[0].set_title(r"(a) local loss, $\gamma_{deph} = 0$")
    ax[0].axhline(1.0, color="k", lw=0.5)
    ax[0].axhline(2.0, color="k", lw=0.5, ls="--")
    ax[1].set_xscale("log")
    ax[1].set_xlabel(r"$\beta$")
    ax[1].set_ylabel(r"$r_{opt}$")
    ax[1].set_title(r"(b) optimal squeezing strength")
    ax[2].set_xscale("log")
    ax[2].set_yscale("log")
    ax[2].set_xlabel(r"$\gamma_{deph}$ (units of A)")
    ax[2].set_ylabel(r"max$_r$ $1/\xi_R^2$")
    ax[2].set_title(r"(c) local dephasing, $\beta = 1$ (dotted: Eq. 8)")
    ax[2].axhline(1.0, color="k", lw=0.5)
    for a in ax:
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=8)
    fig.suptitle(r"Steady squeezing with local loss and dephasing ($\alpha = 0.5$, $\Delta = A$; "
                 r"dashed: 3 dB)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}", file=sys.stderr)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    by_n = load(sys.argv[2:])
    print("max_r 1/xi^2 (r_opt), local loss only (gamma_deph = 0):\n")
    print(grid_table(by_n, "beta", loss_rows, "beta"))
    print("\nmax_r 1/xi^2 (r_opt), local dephasing only (beta = 1):\n")
    print(grid_table(by_n, "gamma_deph", deph_rows, "gamma_deph"))
    print("\nThresholds in beta (gamma_deph = 0):\n")
    print(threshold_table(by_n))
    if sys.argv[1] != "--no-plot":
        plot(by_n, sys.argv[1])


if __name__ == "__main__":
    main()
