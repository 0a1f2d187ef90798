#!/usr/bin/env bash
# Multi-node tests of `sqz disorder` under Slurm (issue 15), on the private cluster of
# scripts/slurm/multinode.sh: 3 nodes, each its own network namespace, hostname and slurmd;
# Open MPI ranks talk TCP over the bridge between nodes. scripts/test-extra.sh runs this file
# at its end; it also runs alone (as root):
#
#   scripts/test-multinode.sh            SQZ=/path/to/sqz to skip the build
#
# a. identical  jobs/n8-multinode.sbatch on 3 nodes x 2 ranks (CI study): the result equals a
#               one-process run bit for bit; the 6 ranks ran on 3 distinct hosts (hostname and
#               network namespace of every rank, logged by the cluster's TaskProlog), and each
#               rank got its node's memory share.
#               In a-e the result file itself is counted too (check_provenance: `sqz disorder
#               status --json`): every configuration recorded once with the host and rank that
#               computed it, the hosts expected, the runs (Slurm job ids) expected, and nothing
#               that one run saved recomputed by a later one.
# b. node loss  jobs/fig4d-n5.sbatch on 3 x 2 (a longer study), node sqzn2 crashed mid-study (link
#               down, then SIGKILL to every process of the node): Slurm ends the job (NODE_FAIL);
#               the same sbatch command on the 2 surviving nodes completes the study; the result
#               equals a one-process run and the configurations saved before the crash are kept.
#               The rank on sqzn2 had TCP connections to the other nodes (Open MPI's TCP BTL).
# c. rank 0     the same with sqzn1, the node of rank 0 and of the batch script.
# d. preempt    jobs/n8-multinode.sbatch with --requeue and SQZ_REQUEUE=1, `scancel --signal=TERM`
#               mid-study: the ranks on all 3 nodes exit 75, the job requeues itself, the requeued
#               run finishes the study; result equal, nothing saved before the signal recomputed.
# e. memory     nodes with different RealMemory (8192/7168/6144 MB): the scheduler refuses a job
#               that does not fit the smallest node, a step over its --mem is killed; then the
#               free memory of sqzn3 is cut to 4 MB (2 MB per rank) under a N = 5 study whose
#               solve needs 3.09 MiB: the ranks there say so naming sqzn3 and compute nothing,
#               the study does not hang, and the ranks of sqzn1 and sqzn2 compute every
#               configuration (result equal to one process; the file records no sqzn3).
#
# Every wait has a time limit; the cluster is always stopped (namespaces, bridge, daemons).
# SQZ_SKIP_MULTINODE=1 skips everything (reported); SQZ_MN_KEEP=1 keeps the folder with the
# results, job logs and cluster logs (it is kept anyway when a test fails). Needs sqz built with
# the mpi feature.
# Prints "N passed, M failed" at the end; exit code 0 when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

# Until phase 2 of issue 15 a rank whose node could not fit a configuration failed that
# configuration at once (its ranks took most of the study and failed it; the refusal did not
# name the host). Now such a rank refuses up front, naming its host, and gets no configuration.
# MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2=1 turns those checks back into expected failures.
MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2="${MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2:-0}"

START=$SECONDS
PASSED=0
FAILED=0
XFAILED=0
pass() {
    PASSED=$((PASSED + 1))
    echo "  ok: $*"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "  FAILED: $*" >&2
}
# a check that today's code is expected to fail (phase 2 of issue 15)
xcheck() {
    local what="$1" ok="$2" detail="${3:-}"
    if [[ "$ok" == 1 ]]; then
        if [[ "$MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2" == 1 ]]; then
            echo "  XPASS (passes now: set MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2=0): $what"
        fi
        pass "$what"
    elif [[ "$MEMORY_REFUSAL_XFAIL_UNTIL_PHASE2" == 1 ]]; then
        XFAILED=$((XFAILED + 1))
        echo "  XFAIL (expected until phase 2): $what${detail:+: $detail}"
    else
        fail "$what${detail:+: $detail}"
    fi
}
check() {
    local what="$1"
    shift
    if timeout 300 "$@" >"$T/check.log" 2>&1; then
        pass "$what"
    else
        fail "$what (exit $?): $(tail -n 5 "$T/check.log")"
    fi
}
section() { printf '\n== test-multinode [%s] %s (%ds)\n' "$1" "$2" "$((SECONDS - START))"; }
summary() {
    printf '\ntest-multinode: %d passed, %d failed, %d expected failures (%ds)\n' \
        "$PASSED" "$FAILED" "$XFAILED" "$((SECONDS - START))"
    echo "$PASSED passed, $FAILED failed"
}

if [[ "${SQZ_SKIP_MULTINODE:-0}" == 1 ]]; then
    echo "test-multinode: SKIPPED on request (SQZ_SKIP_MULTINODE=1)"
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    fail "the multi-node cluster needs root (network namespaces, slurmd); SQZ_SKIP_MULTINODE=1 skips these tests"
    summary
    exit 1
fi

if [[ -z "${SQZ:-}" ]]; then
    # shellcheck source=scripts/setup.sh
    source scripts/setup.sh || exit 1
    read -r -a FEATURES <<<"${SQZ_FEATURE_ARGS:-}"
    if [[ " ${FEATURES[*]-} " != *"sqz/mpi"* ]]; then
        echo "test-multinode: sqz is built without MPI (SQZ_NO_MPI=1?): SKIPPED" >&2
        exit 0
    fi
    echo "test-multinode: building sqz (cargo build --release -p sqz ${SQZ_FEATURE_ARGS:-})"
    cargo build --release -p sqz ${FEATURES[@]+"${FEATURES[@]}"} 2>&1 | tail -n 1
    SQZ="${CARGO_TARGET_DIR:-$ROOT/target}/release/sqz"
fi
[[ -x "$SQZ" ]] || {
    echo "test-multinode: no sqz binary at $SQZ" >&2
    exit 1
}
export SQZ # the batch scripts in jobs/ run this binary
# no leftovers of an enclosing Slurm job or MPI launcher; the cluster's TaskProlog sets the
# Open MPI transport (TCP between nodes) unless the job does
unset SLURM_NTASKS SLURM_STEP_NUM_TASKS SLURM_JOB_ID SLURM_CONF OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_RANK
unset OMPI_MCA_btl OMPI_MCA_pml OMPI_MCA_btl_tcp_if_include OMPI_MCA_oob_tcp_if_include SQZ_MEMORY_LIMIT

# The shared folder of the cluster: the results, the job logs and the cluster's own files.
T="$(mktemp -d /tmp/sqz-multinode.XXXXXX)"
chmod 755 "$T" # munged (user munge) must reach the cluster folder inside
CL="$T/cluster"
MN="scripts/slurm/multinode.sh"
BG_PIDS=()

cleanup() {
    local rc=$? p
    for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    if [[ -f "$CL/cluster.env" ]]; then
        scripts/slurm/stop.sh "$CL" || true
    fi
    if [[ $rc -eq 0 && $FAILED -eq 0 && "${SQZ_MN_KEEP:-0}" != 1 ]]; then
        rm -rf "$T"
    else
        echo "test-multinode: files kept in $T" >&2
    fi
}
trap cleanup EXIT
trap 'echo "test-multinode: interrupted" >&2; exit 143' TERM INT

# done/total of a result file (0 when absent or unreadable)
done_in() {
    local v
    v="$({ timeout 20 "$SQZ" disorder status --json "$1" 2>/dev/null || true; } | sed -n 's/.*"done":\([0-9]*\).*/\1/p' | head -n 1)"
    echo "${v:-0}"
}
failed_in() {
    local v
    v="$({ timeout 20 "$SQZ" disorder status --json "$1" 2>/dev/null || true; } | sed -n 's/.*"failed":\([0-9]*\).*/\1/p' | head -n 1)"
    echo "${v:-0}"
}
# waits until a result file has at least $2 finished tasks, or $3 seconds pass
wait_done() {
    local f="$1" want="$2" limit="$3" t0=$SECONDS
    while (($(done_in "$f") < want)); do
        ((SECONDS - t0 > limit)) && return 1
        sleep 0.2
    done
}
job_field() { # JOB FIELD: a field of `scontrol show job` (empty when unknown)
    timeout 20 scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
# waits until job $1 ends (a final state, after at least $3 restarts), at most $2 seconds;
# prints the final state
wait_job() {
    local job="$1" limit="$2" restarts="${3:-0}" t0=$SECONDS st r
    while :; do
        st="$(job_field "$job" JobState)"
        r="$(job_field "$job" Restarts)"
        case "$st" in
            COMPLETED | FAILED | CANCELLED | NODE_FAIL | TIMEOUT | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
                if ((${r:-0} >= restarts)); then
                    echo "$st"
                    return 0
                fi
                ;;
        esac
        if ((SECONDS - t0 > limit)); then
            echo "${st:-UNKNOWN}(still, after ${limit}s)"
            return 1
        fi
        sleep 0.5
    done
}
# submits "$@" (sbatch options and script arguments) with --parsable; prints the job id
submit() {
    timeout 30 sbatch --parsable "$@" 2>"$T/sbatch.err" | cut -d';' -f1
}
# the TaskProlog's line for each task of step 0 of job $1: "rank host netns mem_limit"
ranks_of() {
    awk -v j="job=$1" '$2 == j && $3 == "step=0" {
        r = $4; h = $5; n = $7; m = $9; sub("rank=", "", r); sub("host=", "", h);
        sub("netns=", "", n); sub("mem_limit=", "", m); print r, h, n, m }' "$CL/log/tasks.log" | sort -n
}
# check_provenance FILE HOSTS JOBS [RESTARTS]: counts from the result file (its /provenance, read
# by `sqz disorder status --json`) that every configuration is finished and recorded with the
# host and rank that computed it; that the configurations per host add up to the total (none
# missing; each has one row, so one host); that the hosts are exactly HOSTS; that the runs are
# the jobs JOBS in order (and their RESTARTS); and that no configuration was computed twice: a
# configuration saved by one run and recomputed by a later one would leave the earlier run's
# `saved` count above the configurations still recorded for it (docs/hdf5-layout.md).
check_provenance() {
    local file="$1" hosts="$2" jobs="$3" restarts="${4:-}" out
    if out="$({ timeout 20 "$SQZ" disorder status --json "$file" 2>/dev/null || true; } | python3 -c '
import json, sys
hosts, jobs, restarts = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3].split()
try:
    s = json.load(sys.stdin)
except ValueError as e:
    sys.exit("no status: %s" % e)
bad = []
total, done = s["total"], s["done"]
if done != total:
    bad.append("%d of %d done" % (done, total))
if s.get("unrecorded", 0):
    bad.append("%d configurations without a recorded host" % s["unrecorded"])
per_host = {h["host"]: h["configurations"] for h in s.get("hosts", []) if h["configurations"] > 0}
if sum(per_host.values()) != total:
    bad.append("configurations per host add up to %d, not %d" % (sum(per_host.values()), total))
for h in s.get("hosts", []):
    if sum(h["ranks"].values()) != h["configurations"]:
        bad.append("ranks of %s do not add up" % h["host"])
if sorted(per_host) != sorted(hosts):
    bad.append("hosts %s, expected %s" % (sorted(per_host), sorted(hosts)))
runs = s.get("runs", [])
if [r["job_id"] for r in runs] != jobs:
    bad.append("runs of jobs %s, expected %s" % ([r["job_id"] for r in runs], jobs))
if restarts and [str(r["restart"]) for r in runs] != restarts:
    bad.append("restarts %s, expected %s" % ([r["restart"] for r in runs], restarts))
if sum(r["configurations"] for r in runs) != total:
    bad.append("configurations per run do not add up to the total")
for i, r in enumerate(runs):
    if r["saved"] > r["configurations"]:
        bad.append("run %d saved %d but only %d are still its own: recomputed by a later run"
                   % (i, r["saved"], r["configurations"]))
if runs and runs[-1]["saved"] != runs[-1]["configurations"]:
    bad.append("the last run saved a different count than it holds")
desc = "; ".join("%s %d" % hn for hn in sorted(per_host.items()))
rdesc = "; ".join("job %s/%s on %s: %d" % (r["job_id"], r["restart"], r["node_list"],
                  r["configurations"]) for r in runs)
print("%d configurations: %s (runs: %s)" % (total, desc, rdesc))
if bad:
    sys.exit("; ".join(bad))
' "$hosts" "$jobs" "$restarts" 2>&1)"; then
        pass "every configuration recorded once with its host and rank, none recomputed: $out"
    else
        fail "provenance in $file: $out"
    fi
}

section setup "a private 3-node Slurm cluster (scripts/slurm/start.sh --nodes 3)"
if ! timeout 900 scripts/slurm/setup.sh; then
    fail "Slurm, munge, iproute2 are not installed and could not be installed; SQZ_SKIP_MULTINODE=1 skips these tests"
    summary
    exit 1
fi
timeout 120 "$MN" gc || true # clusters of earlier runs killed before their cleanup
if ! ENV_LINE="$(timeout 300 scripts/slurm/start.sh --nodes 3 "$CL")"; then
    fail "the multi-node cluster did not start (logs above); SQZ_SKIP_MULTINODE=1 skips these tests"
    summary
    exit 1
fi
eval "$ENV_LINE"
export SLURM_CONF
NODES="sqzn1 sqzn2 sqzn3"
pass "cluster up in $((SECONDS - START)) s: $(timeout 20 sinfo -h -N -o '%N/%T/%m MB' | tr '\n' ' ')"
HOSTS_OK=1
for n in $NODES; do
    h="$(timeout 10 "$MN" exec "$CL" "$n" hostname 2>&1)"
    [[ "$h" == "$n" ]] || HOSTS_OK=0
done
if [[ $HOSTS_OK == 1 && "$(hostname)" != sqzn* ]]; then
    pass "each node has its own hostname (sqzn1..3; this machine is $(hostname))"
else
    fail "node hostnames: $(for n in $NODES; do timeout 10 "$MN" exec "$CL" "$n" hostname 2>&1; done | tr '\n' ' ')"
fi
check "srun --mpi=list offers pmix" bash -c "timeout 20 srun --mpi=list 2>&1 | grep -qw pmix"

# studies: the CI study (40 tasks) and a longer one to interrupt (N = 5, 3000 tasks, ~6-10 s
# on 6 ranks here; 1200 tasks took ~3 s once the solver got faster, too close to the time a
# node kill or a signal takes to arrive); the memory study (N = 5, 200 tasks, so that the small node gets some even
# when its ranks start late)
cp jobs/ci-small.toml "$T/small.toml"
cat >"$T/long.toml" <<'EOF'
description = "test-multinode: node loss, preemption"
n = 5
r = 0.5
w = ["0.1pi", "0.3pi"]
configurations = 1500
seed = 7
EOF
cat >"$T/mem.toml" <<'EOF'
description = "test-multinode: a node without memory for the solve"
n = 5
r = 0.5
w = ["0.1pi"]
configurations = 200
seed = 3
EOF
LONG_TOTAL=3000

section ref "reference runs in one process"
check "CI study, one process, 1 thread" timeout 300 "$SQZ" disorder "$T/small.toml" --out "$T/small-ref.h5" --threads 1 --quiet
check "long study, one process" timeout 600 "$SQZ" disorder "$T/long.toml" --out "$T/long-ref.h5" --quiet
check "memory study, one process" timeout 300 "$SQZ" disorder "$T/mem.toml" --out "$T/mem-ref.h5" --quiet

# ---------------------------------------------------------------- a. identical, 3 hosts
section identical "jobs/n8-multinode.sbatch on 3 nodes x 2 ranks: identical to one process, 3 hosts"
JOB="$(submit --nodes 3 --ntasks-per-node 2 --output="$T/a-%j.out" jobs/n8-multinode.sbatch "$T/small.toml" "$T/small-mn.h5")"
if [[ -z "$JOB" ]]; then
    fail "sbatch refused the job: $(cat "$T/sbatch.err")"
else
    ST="$(wait_job "$JOB" 300)"
    EC="$(job_field "$JOB" ExitCode)"
    if [[ "$ST" == COMPLETED && "$EC" == 0:0 ]]; then
        pass "job $JOB on $(job_field "$JOB" NodeList) completed (exit 0)"
    else
        fail "job $JOB: $ST, exit $EC: $(tail -n 8 "$T/a-$JOB.out" 2>/dev/null)"
    fi
    check "the job ran 6 MPI ranks" grep -qF "6 rank(s) x 1 compute thread(s)" "$T/a-$JOB.out"
    check "result equals the one-process run" "$SQZ" disorder compare "$T/small-ref.h5" "$T/small-mn.h5"
    check_provenance "$T/small-mn.h5" "$NODES" "$JOB"
    ranks_of "$JOB" >"$T/a-ranks.txt"
    sed 's/^/      rank /' "$T/a-ranks.txt"
    NR="$(wc -l <"$T/a-ranks.txt")"
    NH="$(awk '{print $2}' "$T/a-ranks.txt" | sort -u | tr '\n' ' ')"
    NNS="$(awk '{print $3}' "$T/a-ranks.txt" | sort -u | wc -l)"
    PER="$(awk '{print $2}' "$T/a-ranks.txt" | sort | uniq -c | awk '{print $1}' | sort -u | tr -d '\n')"
    if [[ "$NR" == 6 && "$NH" == "sqzn1 sqzn2 sqzn3 " && "$NNS" == 3 && "$PER" == 2 ]]; then
        pass "the 6 ranks ran on 3 distinct hosts ($NH), 2 per host, in 3 network namespaces"
    else
        fail "ranks and hosts: $NR ranks on hosts '$NH' in $NNS namespaces (2 per host: '$PER')"
    fi
    # --mem-per-cpu=3G x 2 CPUs per node / 2 ranks per node
    check "every rank got its node's memory share (SQZ_MEMORY_LIMIT = 3 GiB from --mem-per-cpu=3G)" \
        test "$(awk '{print $4}' "$T/a-ranks.txt" | sort -u)" == 3221225472
fi

# ---------------------------------------------------------------- b, c. node loss
# node_loss TAG NODE SURVIVORS: crash NODE mid-study, resubmit on the survivors
node_loss() {
    local tag="$1" node="$2" survivors="$3" out="$T/long-$1.h5" job st k0 k job2 st2 other tcp
    job="$(submit --nodes 3 --ntasks-per-node 2 --output="$T/$tag-%j.out" jobs/fig4d-n5.sbatch "$T/long.toml" "$out" --checkpoint-tasks 10)"
    if [[ -z "$job" ]]; then
        fail "sbatch refused the job: $(cat "$T/sbatch.err")"
        return
    fi
    if ! wait_done "$out" 100 300; then
        fail "job $job made no progress: $(tail -n 8 "$T/$tag-$job.out" 2>/dev/null)"
        timeout 20 scancel "$job"
        return
    fi
    # The ranks on the node talk TCP to the other nodes (Open MPI's TCP BTL over the bridge).
    tcp="$(timeout 10 "$MN" exec "$CL" "$node" ss -tnp 2>/dev/null | awk '/"sqz"/ && /ESTAB/ {print $5}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')"
    other=0
    for a in $tcp; do
        [[ "$a" != "$(timeout 10 "$MN" exec "$CL" "$node" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" && "$a" != 127.* ]] && other=1
    done
    if [[ $other == 1 ]]; then
        pass "the ranks on $node have TCP connections to other nodes ($tcp)"
    else
        fail "no TCP connection from the ranks on $node to another node (peers: '$tcp')"
    fi
    cp "$out" "$T/long-$tag-snapshot.h5"
    k0="$(done_in "$T/long-$tag-snapshot.h5")"
    local t_kill=$SECONDS
    if ! timeout 60 "$MN" kill-node "$CL" "$node"; then
        fail "could not crash $node"
        return
    fi
    st="$(wait_job "$job" 240)"
    k="$(done_in "$out")"
    if [[ "$st" == NODE_FAIL ]] && ((k > 0 && k < LONG_TOTAL)); then
        pass "$node crashed with $k0 of $LONG_TOTAL tasks saved: Slurm ended job $job ($st) after $((SECONDS - t_kill)) s, $k saved"
    else
        fail "after the crash of $node: job $job $st, $k of $LONG_TOTAL saved: $(tail -n 6 "$T/$tag-$job.out" 2>/dev/null)"
    fi
    # the same sbatch command on the surviving nodes (the crashed one is DOWN)
    job2="$(submit --nodes 2 --ntasks-per-node 2 --output="$T/$tag-resume-%j.out" jobs/fig4d-n5.sbatch "$T/long.toml" "$out")"
    if [[ -z "$job2" ]]; then
        fail "sbatch refused the resubmission: $(cat "$T/sbatch.err")"
    else
        st2="$(wait_job "$job2" 300)"
        local ran
        ran="$(timeout 20 scontrol show hostnames "$(job_field "$job2" NodeList)" 2>/dev/null | tr '\n' ' ')"
        if [[ "$st2" == COMPLETED && "$(job_field "$job2" ExitCode)" == 0:0 && "$ran" == "$survivors " ]]; then
            pass "resubmitted job $job2 on the survivors ($ran) completed the study"
        else
            fail "resubmitted job $job2: $st2 on '$ran': $(tail -n 8 "$T/$tag-resume-$job2.out" 2>/dev/null)"
        fi
        check "it resumed from the $k saved tasks" grep -q "resuming .*($k of $LONG_TOTAL tasks done)" "$T/$tag-resume-$job2.out"
        check "it computed only the other $((LONG_TOTAL - k))" grep -q "this run computed $((LONG_TOTAL - k)) in" "$T/$tag-resume-$job2.out"
    fi
    check "nothing saved before the crash was lost or recomputed" "$SQZ" disorder compare --kept "$T/long-$tag-snapshot.h5" "$out"
    check "final result equals the one-process run" "$SQZ" disorder compare "$T/long-ref.h5" "$out"
    check "no temporary file left" test ! -e "$out.tmp"
    check_provenance "$out" "$NODES" "$job ${job2:-?}"
    check "$node boots again and is idle" timeout 120 "$MN" start-node "$CL" "$node"
}

section node-loss "node sqzn2 crashes mid-study; resubmitted on the 2 survivors"
node_loss b sqzn2 "sqzn1 sqzn3"

section rank0-loss "node sqzn1 (rank 0, batch script) crashes mid-study; resubmitted on the 2 survivors"
node_loss c sqzn1 "sqzn2 sqzn3"

# ---------------------------------------------------------------- d. preemption, requeue
section preempt "scancel --signal=TERM across 3 nodes: exit 75, the job requeues itself and finishes"
OUT="$T/long-d.h5"
submit_preempt() {
    SQZ_REQUEUE=1 submit --requeue --open-mode=append --nodes 3 --ntasks-per-node 2 \
        --output="$T/d-%j.out" jobs/n8-multinode.sbatch "$T/long.toml" "$OUT" --checkpoint-tasks 10
}
JOB="$(submit_preempt)"
PROGRESS=0
if [[ -n "$JOB" ]]; then
    if wait_done "$OUT" 100 300; then
        PROGRESS=1
    elif grep -q "Open MPI failed to TCP connect" "$T/d-$JOB.out" 2>/dev/null; then
        # Open MPI's TCP start-up once failed here, right after the node reboots of the sections
        # above ("failed to TCP connect to a peer MPI process ... Operation now in progress", then
        # a rank died inside Open MPI with SIGSEGV before sqz computed anything; 1 of ~6 runs,
        # 2026-11-29). That start-up is not what this section tests: the job is cancelled, its
        # file removed and the job submitted once more, and the log says so. Any other failure,
        # or the same one twice, fails the section.
        echo "  note: job $JOB: Open MPI could not connect its ranks at start-up ($(grep -m1 'srun: error' "$T/d-$JOB.out" 2>/dev/null)); submitted once more"
        timeout 20 scancel "$JOB" 2>/dev/null || true
        wait_job "$JOB" 60 >/dev/null || true
        rm -f "$OUT" "$OUT.lock" "$OUT.tmp"
        JOB="$(submit_preempt)"
        if [[ -n "$JOB" ]] && wait_done "$OUT" 100 300; then
            PROGRESS=1
        fi
    fi
fi
if [[ -z "$JOB" ]]; then
    fail "sbatch refused the job: $(cat "$T/sbatch.err")"
elif ((PROGRESS == 0)); then
    fail "job $JOB made no progress: $(tail -n 8 "$T/d-$JOB.out" 2>/dev/null)"
    timeout 20 scancel "$JOB"
else
    cp "$OUT" "$T/long-d-snapshot.h5"
    timeout 20 scancel --signal=TERM "$JOB"
    ST="$(wait_job "$JOB" 300 1)"
    LOG="$T/d-$JOB.out"
    if [[ "$ST" == COMPLETED && "$(job_field "$JOB" Restarts)" -ge 1 && "$(job_field "$JOB" ExitCode)" == 0:0 ]]; then
        pass "job $JOB was requeued and its second run completed (restarts: $(job_field "$JOB" Restarts))"
    else
        fail "job $JOB: $ST, restarts $(job_field "$JOB" Restarts): $(tail -n 8 "$LOG" 2>/dev/null)"
    fi
    # "(SIGTERM)" when rank 0 saw the signal first, "(a signal on rank R)" otherwise
    check "sqz saved what had finished and stopped (exit code 75)" grep -q "sqz: interrupted (.*exit code 75" "$LOG"
    E75=""
    for n in $NODES; do
        grep -q "srun: error: $n: tasks [0-9-]*: Exited with exit code 75" "$LOG" && E75+="$n "
    done
    if [[ "$E75" == "sqzn1 sqzn2 sqzn3 " ]]; then
        pass "the ranks on all 3 nodes exited 75"
    else
        fail "ranks that exited 75 on: '$E75': $(grep 'srun: error' "$LOG" | head -n 5)"
    fi
    check "the batch script saw exit code 75" grep -q "job $JOB: interrupted, finished configurations saved" "$LOG"
    # printed before `scontrol requeue` (Slurm may end the script as soon as it requeues)
    check "the batch script said it requeues the job" grep -q "job $JOB: requeueing it" "$LOG"
    check "the first run is recorded with exit code 75 (jobcomp)" \
        grep -q "JobId=$JOB .*DerivedExitCode=75:0" "$CL/log/jobcomp.log"
    K="$(done_in "$T/long-d-snapshot.h5")"
    check "the requeued run resumed the saved tasks" grep -q "resuming .*of $LONG_TOTAL tasks done" "$LOG"
    check "nothing saved before the signal was lost or recomputed" "$SQZ" disorder compare --kept "$T/long-d-snapshot.h5" "$OUT"
    check "final result equals the one-process run" "$SQZ" disorder compare "$T/long-ref.h5" "$OUT"
    check_provenance "$OUT" "$NODES" "$JOB $JOB" "0 1"
fi

# ---------------------------------------------------------------- e. per-node memory
section memory "per-node memory: RealMemory, --mem, a node too small for the solve"
MEMS="$(timeout 20 sinfo -h -N -o '%N=%m' | sort | tr '\n' ' ')"
if [[ "$MEMS" == "sqzn1=8192 sqzn2=7168 sqzn3=6144 " ]]; then
    pass "nodes with different RealMemory: $MEMS"
else
    fail "RealMemory of the nodes: $MEMS"
fi
# 2 x 3500 MB per node: fits sqzn1 and sqzn2, not sqzn3
if timeout 30 sbatch --test-only --nodes 3 --ntasks-per-node 2 --mem-per-cpu=3500M --wrap true >"$T/testonly.log" 2>&1; then
    fail "the scheduler accepted 7000 MB per node on 3 nodes although sqzn3 has 6144: $(cat "$T/testonly.log")"
else
    pass "the scheduler refuses 7000 MB per node on 3 nodes ($(tail -n 1 "$T/testonly.log"))"
fi
timeout 120 srun --nodes 1 --ntasks 1 --mem=64M python3 -c '
import time
a = bytearray(256 << 20)
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(20)
' >"$T/overmem.log" 2>&1
RC=$?
if [[ $RC -ne 0 && $RC -ne 124 ]] && grep -q "exceeded memory limit" "$T/overmem.log"; then
    pass "--mem is enforced: a step using 256 MB under --mem=64M is killed (exit $RC)"
else
    fail "a step over its --mem: exit $RC: $(tail -n 3 "$T/overmem.log")"
fi

timeout 20 "$MN" node-mem "$CL" sqzn3 4
JOB="$(submit --nodes 3 --ntasks-per-node 2 --output="$T/e-%j.out" jobs/fig4d-n5.sbatch "$T/mem.toml" "$T/mem.h5")"
if [[ -z "$JOB" ]]; then
    fail "sbatch refused the job: $(cat "$T/sbatch.err")"
else
    ST="$(wait_job "$JOB" 240)"
    LOG="$T/e-$JOB.out"
    EC="$(job_field "$JOB" ExitCode)"
    NF="$(failed_in "$T/mem.h5")"
    echo "      job $JOB: $ST, exit $EC; $(done_in "$T/mem.h5") of 200 tasks done, $NF failed; refusals: $(grep -c 'more than the 2.00 MiB' "$LOG")"
    if [[ "$ST" == *"still, after"* ]]; then
        fail "the study hung with sqzn3 out of memory (job $JOB $ST): $(tail -n 5 "$LOG")"
        timeout 20 scancel "$JOB"
    else
        pass "the study did not hang with sqzn3 out of memory (job $JOB: $ST, exit $EC)"
    fi
    check "the ranks on sqzn3 got 2 MiB each (4 MB free, 2 ranks)" \
        test "$(ranks_of "$JOB" | awk '$2 == "sqzn3" {print $4}' | sort -u)" == 2097152
    check "the other ranks got 1 GiB each (--mem-per-cpu=1G)" \
        test "$(ranks_of "$JOB" | awk '$2 != "sqzn3" {print $4}' | sort -u)" == 1073741824
    check "a rank says the solve does not fit (needs 3.09 MiB, 2.00 MiB available)" \
        grep -q "needs about 3.09 MiB .* more than the 2.00 MiB .* available" "$LOG"
    # phase 2: the refusal names the host; no configuration is lost to the small node
    xcheck "the refusal names the host (sqzn3)" \
        "$(grep 'more than the 2.00 MiB' "$LOG" | grep -q sqzn3 && echo 1 || echo 0)" \
        "$(grep -m 1 'more than the 2.00 MiB' "$LOG")"
    LOST_OK=0
    if "$SQZ" disorder compare "$T/mem-ref.h5" "$T/mem.h5" >/dev/null 2>&1; then
        LOST_OK=1 # the other nodes computed every configuration
    elif [[ "$EC" != 0:0 ]] && ! timeout 20 "$SQZ" disorder status "$T/mem.h5" >/dev/null 2>&1; then
        LOST_OK=1 # or the study is reported incomplete and the job failed
    fi
    xcheck "no configuration lost to the small node (result equals one process, or the job fails and the file is incomplete)" \
        "$LOST_OK" "$NF of 200 configurations recorded as failed, job exit $EC, 'sqz disorder status' says complete"
    check_provenance "$T/mem.h5" "sqzn1 sqzn2" "$JOB"
fi
timeout 20 "$MN" node-mem "$CL" sqzn3

# ---------------------------------------------------------------- stop
section stop "scripts/slurm/stop.sh removes the cluster"
# shellcheck source=/dev/null
source "$CL/cluster.env"
timeout 120 scripts/slurm/stop.sh "$CL"
LEFT="$(ip netns list 2>/dev/null | grep -c "^$MN_NSPFX" || true)"
if [[ "$LEFT" == 0 ]] && ! ip link show "$MN_BRIDGE" >/dev/null 2>&1 && [[ ! -f "$CL/cluster.env" ]] &&
    ! pgrep -f "$CL/" >/dev/null 2>&1; then
    pass "no namespace, bridge or daemon of the cluster left"
else
    fail "left after stop: $LEFT namespaces, bridge $(ip -o link show "$MN_BRIDGE" 2>/dev/null | wc -l), processes: $(pgrep -af "$CL/" | head -n 3)"
fi

summary
[[ $FAILED -eq 0 ]]
