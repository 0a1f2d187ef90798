#!/usr/bin/env python3
"""Tail statistics of disorder studies, per (file, w) cell, from `sqz disorder` result files:

    python3 scripts/bench/study_tails.py out/robustness/n7-r05-strong.h5 [more.h5 ...]

Prints Markdown: N, w / pi, tasks done, failed tasks, states without a bound, states with a bound
above the study's tol, median / mean / largest GMRES iterations and median / mean / slowest task
seconds (failed tasks included: they are part of the cost), slowest / median and mean / median,
and the mean 1/xi^2 with its standard error over the ok configurations (failed ones are not in
it: their count is next to it). Needs h5py and numpy.
"""
import sys

import numpy as np


def main(paths):
    import h5py

    print("| file | N | w / pi | done | failed | no bound | bound > tol | iterations median / mean / max | seconds median / mean / max | max / median | mean / median | mean 1/xi^2 +- sem (ok) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        with h5py.File(path, "r") as f:
            n = int(f.attrs["n"]) if "n" in f.attrs else int(f["positions"].shape[2])
            wop = f["w_over_pi"][()]
            st = f["steady"]
            status, secs, its = st["status"][()], st["seconds"][()], st["iterations"][()]
            ok, bound, met = st["ok"][()], st["error_bound"][()], st["bound_met"][()]
            inv = st["inv_xi2"][()]
            for wi, w in enumerate(wop):
                done = status[wi] > 0
                if not done.any():
                    continue
                failed = status[wi] == 2
                okm = ok[wi] == 1
                s = secs[wi][done]
                it = its[wi][okm]
                nob = int(np.sum(okm & (bound[wi] < 0)))
                over = int(np.sum(okm & (bound[wi] >= 0) & (met[wi] == 0)))
                med, mean = float(np.median(s)), float(np.mean(s))
                v = inv[wi][okm]
                sem = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0
                print(
                    f"| {path.split('/')[-1]} | {n} | {w:.3g} | {int(done.sum())} | {int(failed.sum())} | {nob} | {over} | "
                    f"{np.median(it):.0f} / {np.mean(it):.0f} / {np.max(it)} | {med:.2f} / {mean:.2f} / {np.max(s):.2f} | "
                    f"{np.max(s) / med:.1f} | {mean / med:.2f} | {np.mean(v):.4f} +- {sem:.4f} ({len(v)}) |"
                )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
