#!/usr/bin/env python3
"""Disorder and local loss together (issue 17, beyond the paper): the table of docs/reproduction.md
("Disorder and local loss") from the result files of the studies in jobs/local-rates/.

    mkdir -p out/local-rates
    for f in jobs/local-rates/*.toml; do sqz disorder $f --out out/local-rates/$(basename $f .toml).h5; done
    python3 scripts/local_rates_disorder.py out/local-rates/*.h5

One row per result file (its gamma_loss, gamma_deph from the root attributes): beta, the mean
1/xi^2 +- its standard error at each w, the fraction of squeezed configurations (1/xi^2 > 1), the
solver methods used and the failed solves. Only configurations with steady/ok == 1 count. With
--ideal, also the ideal-position value of the permutational model (`sqz steady --model
permutational`, same N, r and rates; the sqz binary on PATH or in target/release). Needs h5py,
numpy.
"""

import argparse
import json
import math
import os
import subprocess

import numpy as np

METHODS = {1: "dense", 2: "two-level", 3: "gmres-jacobi", 4: "collective", 5: "limit"}


def load(path):
    import h5py

    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        w = f["w"][()]
        ok = f["steady/ok"][()].astype(bool)
        inv = f["steady/inv_xi2"][()]
        meth = f["steady/method"][()]
        st = f["steady/status"][()]
        flags = dict(zip(f["steady/method"].attrs.get("flag_values", []),
                         str(f["steady/method"].attrs.get("flag_meanings", "")).split()))
    return {
        "n": int(a["n"]), "r": float(a["r"]),
        "gl": float(a.get("gamma_loss", 0.0)), "gd": float(a.get("gamma_deph", 0.0)),
        "w": np.asarray(w), "vals": [inv[k][ok[k]] for k in range(len(w))],
        "failed": int((st == 2).sum()),
        "pending": int((st == 0).sum()),
        "methods": sorted({flags.get(m, METHODS.get(int(m), str(m))) for m in meth[ok].ravel()}),
    }


def ideal(n, r, gl, gd):
    exe = "target/release/sqz" if os.path.exists("target/release/sqz") else "sqz"
    out = subprocess.run([exe, "steady", "--model", "permutational", "--n", str(n), "--r", str(r),
                          "--gamma-loss", str(gl), "--gamma-deph", str(gd), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["inv_xi2"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ideal", action="store_true")
    args = ap.parse_args()
    rows = sorted((load(p) for p in args.files), key=lambda d: (d["n"], d["r"], d["gd"], d["gl"]))
    ws = rows[0]["w"]
    head = " | ".join(f"w = {w / math.pi:g} pi" for w in ws)
    print(f"| N | r | gamma_loss | beta | gamma_deph | {'ideal (w = 0) | ' if args.ideal else ''}{head} "
          f"| fraction squeezed at the same w | methods | failed |")
    print("|" + "---|" * (8 + len(ws) + (1 if args.ideal else 0)))
    for d in rows:
        cells = " | ".join(f"{v.mean():.4f} +- {v.std(ddof=1) / math.sqrt(len(v)):.4f}" for v in d["vals"])
        frac = ", ".join(f"{(v > 1).mean():.2f}" for v in d["vals"])
        idl = f"{ideal(d['n'], d['r'], d['gl'], d['gd']):.4f} | " if args.ideal else ""
        print(f"| {d['n']} | {d['r']:g} | {d['gl']:g} | {1 / (1 + d['gl']):.3f} | {d['gd']:g} | {idl}{cells} "
              f"| {frac} | {', '.join(d['methods'])} | {d['failed']}"
              + (f" ({d['pending']} not computed yet)" if d["pending"] else "") + " |")


if __name__ == "__main__":
    main()
