#!/usr/bin/env bash
# Stops the private test cluster that scripts/slurm/start.sh started in DIR: slurmd, slurmctld
# and munged, by the process ids recorded in DIR (nothing else is touched). For a multi-node
# cluster (start.sh --nodes N) also every process of its nodes, its namespaces and its bridge.
#
#   scripts/slurm/stop.sh DIR [--remove]     --remove also deletes DIR
set -uo pipefail

dir="${1:?usage: stop.sh DIR [--remove]}"
[[ -d "$dir" ]] || exit 0
if [[ -f "$dir/cluster.env" ]]; then
    # a multi-node cluster (start.sh --nodes N): namespaces, bridge and daemons
    exec "$(dirname "$0")/multinode.sh" stop "$@"
fi
if [[ -f "$dir/slurm.conf" ]]; then
    SLURM_CONF="$dir/slurm.conf" scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1 || true
fi
for d in slurmd slurmctld munged; do
    f="$dir/$d.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
done
if [[ "${2:-}" == --remove ]]; then
    rm -rf "$dir"
fi
