#!/usr/bin/env bash
# Issue 4 table: `sqz steady --model full` at the default accuracy for N = 5..10 at w = 0.01 pi and
# 0.3 pi, one run each (its own process), with wall time (sqz's own `time_s`), method,
# iterations, gap estimate, error bound and peak memory (the child's maximum resident set size).
#   scripts/bench/steady_table.sh [N ...]        (default: 5 6 7 8 9 10; N = 10 takes ~10 min)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../setup.sh
source scripts/setup.sh
cargo build --release -q -p sqz
python3 - "$root/target/release/sqz" "$@" <<'PY'
import json, resource, subprocess, sys
sqz, ns = sys.argv[1], [int(a) for a in sys.argv[2:]] or [5, 6, 7, 8, 9, 10]
print("| N | w | time [s] | method | iterations | gap estimate | error bound | peak RSS [MB] |")
print("|---|---|---|---|---|---|---|---|", flush=True)
fmt = lambda v: "-" if v is None else f"{v:.2e}"
for n in ns:
    for w in ("0.01", "0.3"):
        code = ("import resource,subprocess,sys;p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
                "print(p.stdout);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code, sqz, "steady", "--model", "full", "--n", str(n),
                              "--r", "0.5", "--w", f"{w}pi", "--seed", "1", "--json"],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()
        r, rss = json.loads([l for l in out if l.startswith("{")][-1]), int(out[-1]) / 1024
        print(f"| {n} | {w} pi | {r['time_s']:.3g} | {r['method']} | {r['iterations']} | "
              f"{fmt(r['gap'])} | {fmt(r['error_bound'])} | {rss:.0f} |", flush=True)
PY
