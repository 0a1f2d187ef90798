#!/usr/bin/env bash
# Steady states of Eq. 3 by the default path of `sqz steady --model full` for N = 5..12 at
# w = 0.01 pi and 0.3 pi (r = 0.5, alpha = 0.5, Delta = 1, seed 1), one run each in its own
# process: wall time (sqz's own `time_s`), method, iterations, gap estimate, error bound, peak
# memory (the child's maximum resident set size) next to the prediction of `sqz info --n N`
# (the bytes of the path taken, with the memory available at that moment) and their ratio.
#   scripts/bench/steady_table.sh [N ...]        (default: 5 6 7 8 9 10 11 12; N = 12 takes minutes)
#   SQZ_BIN=path/to/sqz scripts/bench/steady_table.sh ...   (that binary, e.g. an older commit's
#                                                           build, instead of building this tree)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../setup.sh
source scripts/setup.sh
if [ -z "${SQZ_BIN:-}" ]; then
    cargo build --release -q -p sqz
fi
python3 - "${SQZ_BIN:-$root/target/release/sqz}" "$@" <<'PY'
import json, subprocess, sys
sqz, ns = sys.argv[1], [int(a) for a in sys.argv[2:]] or [5, 6, 7, 8, 9, 10, 11, 12]
print("| N | w | time [s] | method | iterations | gap estimate | error bound | bound met | peak RSS [MB] | predicted [MB] | RSS / predicted |")
print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
fmt = lambda v: "-" if v is None else f"{v:.2e}"
for n in ns:
    for w in ("0.01", "0.3"):
        info = json.loads(subprocess.run([sqz, "info", "--n", str(n), "--json"], capture_output=True,
                                         text=True, check=True).stdout)
        method_now = info["steady_path_now"]
        pred = None
        for p in info["steady_paths"]:
            # the first path of the method taken (the others are the rarer stagnation and
            # local-rate variants)
            if pred is None and p["method"] in method_now and p["method"] != "collective-reduction":
                pred = p["bytes_with_available_memory"]
        code = ("import resource,subprocess,sys;p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
                "print(p.stdout);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code, sqz, "steady", "--model", "full", "--n", str(n),
                              "--r", "0.5", "--w", f"{w}pi", "--seed", "1", "--json"],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()
        r, rss = json.loads([l for l in out if l.startswith("{")][-1]), int(out[-1]) / 1024
        pm = "-" if pred is None else f"{pred / 2**20:.0f}"
        ratio = "-" if pred is None else f"{rss * 2**20 / pred:.2f}"
        print(f"| {n} | {w} pi | {r['time_s']:.3g} | {r['method']} | {r['iterations']} | "
              f"{fmt(r['gap'])} | {fmt(r['error_bound'])} | {r['bound_met']} | {rss:.0f} | {pm} | {ratio} |", flush=True)
PY
