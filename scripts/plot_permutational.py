#!/usr/bin/env python3
"""Plot the local-loss/dephasing study of the permutational model.

    cargo run --release -p sqz-permutational --example perm_study -- out/perm 10,20,50,100
    cargo run --release -p sqz-permutational --example perm_study -- out/perm 200 1,0.9,0.5 0.01,0.1 perm_study_200
    python3 scripts/plot_permutational.py docs/figures/permutational_beta.png out/perm/*.csv

Three panels from the CSV files of `examples/perm_study.rs`: (a) max_r 1/xi^2 against beta
(gamma_deph = 0), one curve per N; (b) r_opt against beta; (c) max_r 1/xi^2 against gamma_deph
(beta = 1), with the ideal value (Eq. 8) at the left edge. Needs matplotlib.
"""

import csv
import sys
from collections import defaultdict


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = [r for path in sys.argv[2:] for r in csv.DictReader(open(path))]
    for r in rows:
        for k in r:
            r[k] = float(r[k])
    by_n = defaultdict(list)
    for r in rows:
        by_n[int(r["n"])].append(r)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(14, 4.2))
    for n, rs in sorted(by_n.items()):
        loss = sorted([r for r in rs if r["gamma_deph"] == 0.0], key=lambda r: -r["beta"])
        b = [r["beta"] for r in loss]
        ax[0].plot(b, [r["inv_xi2_max"] for r in loss], "o-", label=f"N = {n}")
        ax[1].plot(b, [r["r_opt"] for r in loss], "o-", label=f"N = {n}")
        ideal = [r for r in loss if r["beta"] == 1.0][0]
        deph = sorted([r for r in rs if r["gamma_deph"] > 0.0], key=lambda r: r["gamma_deph"])
        line = ax[2].plot([r["gamma_deph"] for r in deph], [r["inv_xi2_max"] for r in deph], "o-",
                          label=f"N = {n}")[0]
        ax[2].axhline(ideal["inv_xi2_max"], ls=":", lw=0.8, color=line.get_color())
    ax[0].set_xlabel(r"$\beta = A/(A+\gamma_{loss})$")
    ax[0].set_ylabel(r"max$_r$ $1/\xi_R^2$")
    ax[0].set_title(r"(a) local loss, $\gamma_{deph} = 0$")
    ax[0].set_yscale("log")
    ax[0].axhline(1.0, color="k", lw=0.5)
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
    fig.suptitle(r"Steady squeezing with local loss and dephasing ($\alpha = 0.5$, $\Delta = A$)")
    fig.tight_layout()
    fig.savefig(sys.argv[1], dpi=120)
    print(f"wrote {sys.argv[1]}")


if __name__ == "__main__":
    main()
