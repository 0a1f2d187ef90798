#!/usr/bin/env python3
"""Tail statistics of the two-level solve per GMRES variant, from the CSV of the `stall` example
(crates/steady/examples/stall.rs):

    target/release/examples/stall N W R SEED W_INDEX FIRST-LAST 20000 100:0,100:20 > out.csv
    python3 scripts/bench/tail_stats.py out.csv [more.csv ...]

Prints, per (N, w, restart, deflate): tasks, failed solves, bound missed, median / mean / largest
iterations, median / mean / slowest seconds, slowest / median and mean / median, and where the
CSV has `error_vs_ref` (a sparse-direct reference, `DIRECT=1` or `REF=`): how many true errors
exceed the reported bound and the largest error / bound. Failed tasks
count in the time statistics with the time they spent before failing (they are part of a
study's cost), never in the iteration statistics of converged solves.
"""
import csv
import statistics
import sys
from collections import defaultdict


def main(paths):
    cells = defaultdict(list)
    for path in paths:
        with open(path) as f:
            for row in csv.DictReader(f):
                if not row.get("n") or row["n"] == "n":
                    continue
                key = (int(row["n"]), float(row["w_over_pi"]), int(row["restart"]), int(row["deflate"]))
                cells[key].append(row)
    print("| N | w / pi | restart | deflate | tasks | failed | bound > tol | iterations median / mean / max | seconds median / mean / max | max / median | mean / median | error > bound (of checked) | largest error / bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(cells):
        rows = cells[key]
        failed = [r for r in rows if r["outcome"].startswith("error")]
        ok = [r for r in rows if not r["outcome"].startswith("error")]
        missed = [r for r in ok if r["outcome"] != "converged"]
        its = [int(r["iterations"]) for r in ok]
        secs = [float(r["seconds"]) for r in rows]
        med = statistics.median(secs)
        mean = statistics.mean(secs)
        its_s = f"{statistics.median(its):.0f} / {statistics.mean(its):.0f} / {max(its)}" if its else "-"
        checked = [
            (float(r["error_vs_ref"]), float(r["bound"]))
            for r in ok
            if r.get("error_vs_ref") not in (None, "", "NaN") and r["bound"] not in ("", "NaN")
        ]
        over = sum(1 for e, b in checked if e > b)
        ratio = max((e / b for e, b in checked), default=float("nan"))
        chk = f"{over} of {len(checked)} | {ratio:.2f}" if checked else "- | -"
        print(
            f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {len(rows)} | {len(failed)} | {len(missed)} | "
            f"{its_s} | {med:.2f} / {mean:.2f} / {max(secs):.2f} | {max(secs) / med:.1f} | {mean / med:.2f} | {chk} |"
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
