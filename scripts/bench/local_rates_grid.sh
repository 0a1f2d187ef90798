#!/usr/bin/env bash
# Local rates on the full model (issue 22, target 2): one certified steady state per grid point,
# `sqz steady --model full --json --quiet`, one CSV row each (outcome, method, bound, gap,
# iterations, seconds). Usage:
#   scripts/bench/local_rates_grid.sh SQZ_BINARY OUT.csv N [N ...]
# Grid: w in WS (default: 0 = ideal positions, 0.3 pi, 1.0 pi; w in units of pi), r = 0.5,
# --seed 1 (configuration 0), and (gamma_loss, gamma_deph) in RATES (units of A; default below).
# WS and RATES may be set in the environment. The tolerance is the default (1e-8).
set -euo pipefail
SQZ=$1; OUT=$2; shift 2
RATES=${RATES:-"0.005:0 0.02:0 0.1:0 1:0 0:0.05 0:1 0.1:0.1 1:1"}
WS=${WS:-"0 0.3 1.0"}
echo "n,w_over_pi,gamma_loss,gamma_deph,method,outcome,iterations,seconds,residual,gap,error_bound,inv_xi2" > "$OUT"
for n in "$@"; do
  for w in $WS; do
    for rr in $RATES; do
      gl=${rr%:*}; gd=${rr#*:}
      wa=$([ "$w" = 0 ] && echo 0 || echo "${w}pi")
      j=$("$SQZ" steady --model full --n "$n" --r 0.5 --w "$wa" --seed 1 \
            --gamma-loss "$gl" --gamma-deph "$gd" --json --quiet 2>/dev/null) || j='{}'
      python3 - "$n" "$w" "$gl" "$gd" "$j" >> "$OUT" <<'P'
import json, sys
n, w, gl, gd, j = sys.argv[1:]
d = json.loads(j) if j.strip() else {}
f = lambda k: "" if d.get(k) is None else d[k]
print(",".join(str(x) for x in [n, w, gl, gd, f("method") or "error", f("outcome") or "error",
      f("iterations"), f("time_s"), f("residual"), f("gap"), f("error_bound"), f("inv_xi2")]))
P
    done
  done
done
