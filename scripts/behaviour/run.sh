#!/usr/bin/env bash
# Runs the fixed set of `sqz` commands whose outputs must not change under a behaviour-preserving
# restructuring (issue 21, "changes no result"), each into its own JSON file under OUTDIR:
#
#   - `sqz reproduce --quick --json` (all figures, reduced), its JSON and its HDF5 file;
#   - `sqz steady --json`: the collective model (N = 4, 10, 40); the full model at N = 4, 6, 8 and
#     w = 0+, 0.01 pi, 0.3 pi, without and with `--gamma-loss 0.005` (two-level path) and, at
#     N = 4, 6, `--gamma-loss 0.1` (one-level path); the permutational model at N = 20 and 40
#     (with local rates, and without);
#   - `sqz evolve --json`: full (N = 4) and collective (N = 10);
#   - `sqz disorder jobs/ci-small.toml`, its HDF5 file dumped to JSON (every dataset and
#     attribute) by scripts/behaviour/h5dump.py.
#
#   scripts/behaviour/run.sh SQZ OUTDIR       (about 2-3 minutes on the 2-core VM)
#
# Compare two such directories with `python3 scripts/behaviour/compare.py OLD NEW`, which
# excludes the timing fields and exits 1 on any other difference.
set -euo pipefail
sqz="$(readlink -f "$1")"
out="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out"
out="$(readlink -f "$out")"

run() { # name, then the sqz arguments
    local name="$1"
    shift
    echo "behaviour: $name" >&2
    "$sqz" "$@" >"$out/$name.json"
}

run reproduce-quick reproduce --quick --json --quiet --out-dir "$out/reproduce"
rm -f "$out"/reproduce/*.png
python3 "$root/scripts/behaviour/h5dump.py" "$out/reproduce/reproduce.h5" >"$out/reproduce-h5.json"
rm -rf "$out/reproduce"

for n in 4 10 40; do
    run "steady-collective-n$n" steady --model collective --n "$n" --r 0.5 --json
done
for n in 4 6 8; do
    for w in 0+ 0.01pi 0.3pi; do
        run "steady-full-n$n-w$w" steady --model full --n "$n" --r 0.5 --w "$w" --seed 1 --json --quiet
        [ "$w" = 0+ ] && continue # the limit w -> 0+ is defined without local rates
        run "steady-full-n$n-w$w-loss0.005" steady --model full --n "$n" --r 0.5 --w "$w" --seed 1 \
            --gamma-loss 0.005 --json --quiet
    done
done
for n in 4 6; do
    run "steady-full-n$n-w0.3pi-loss0.1" steady --model full --n "$n" --r 0.5 --w 0.3pi --seed 1 \
        --gamma-loss 0.1 --json --quiet
done
for n in 20 40; do
    run "steady-permutational-n$n" steady --model permutational --n "$n" --r 0.5 --json
    run "steady-permutational-n$n-local" steady --model permutational --n "$n" --r 0.5 \
        --gamma-loss 0.02 --gamma-deph 0.01 --json
done

run evolve-full-n4 evolve --model full --n 4 --r 0.5 --w 0.3pi --seed 1 --t-max 50 --steps 11 --json --quiet
run evolve-collective-n10 evolve --model collective --n 10 --r 0.5 --t-max 50 --steps 11 --json --quiet

rm -f "$out/ci-small.h5"
"$sqz" disorder "$root/jobs/ci-small.toml" --out "$out/ci-small.h5" --threads 2 --quiet >/dev/null
python3 "$root/scripts/behaviour/h5dump.py" "$out/ci-small.h5" >"$out/disorder-ci-small.json"
rm -f "$out/ci-small.h5"
echo "behaviour: outputs in $out" >&2
