#!/usr/bin/env bash
# MPI and Slurm integration tests of `sqz disorder` (issue 6); scripts/test.sh runs this file.
#
#   scripts/test-extra.sh
#
# 1. mpi     the CI study (jobs/ci-small.toml: N = 4, 2 w, 20 configurations) with `mpirun -n 1`
#            and `-n 3` (oversubscribed) and with threads: identical result datasets, the ranks
#            recorded in the file; ranks whose SQZ_MEMORY_LIMIT cannot fit the solve refuse up
#            front naming their host and rank 0 computes everything; a panic in
#            one task (hidden --panic-at-task) aborts the whole job instead of hanging it.
# 2. kill    a longer study under `mpirun -n 2`, its ranks killed with SIGKILL mid-way, resumed
#            under `mpirun -n 3`; then SIGUSR1 to mpirun (forwarded: sqz saves and exits 75),
#            resumed under `mpirun -n 2`: both resumed files
#            equal an uninterrupted run, and keep the tasks finished before the kill untouched.
# 3. slurm   a private single-node Slurm (scripts/slurm/start.sh; slurm-wlm and munge are
#            installed with apt-get if missing): `sbatch --wait jobs/fig4d-n5.sbatch` on the CI
#            study, result checked; then the longer study submitted, `scancel --signal=TERM`
#            while it runs, resubmitted: completes without recomputing finished tasks.
#            If Slurm cannot be started this FAILS; SQZ_SKIP_SLURM=1 skips it explicitly.
# 4. faults  issue 12, docs/reliability.md "Fault injection": kill -9 at random points of a run
#            that checkpoints after every task (8 rounds), then resume: equal to the reference and
#            nothing finished recomputed; a second writer of the same result file refused with the
#            holder's PID and host; SIGTERM on a 500 000-task study exits 75 within seconds, and
#            checkpoints cost the new rows only; sqz reproduce says what was saved on SIGTERM and
#            SIGINT; a full disk (a 1 MiB tmpfs mounted for the test, root only) at the start, on
#            resume and in the middle of a run.
# 5. plot    scripts/plot_disorder.py on a result file, when python3 has h5py and matplotlib
#            (they are pip-installed if missing and PyPI is reachable; otherwise reported as skipped).
# 5. multinode scripts/test-multinode.sh: a private 3-node Slurm (network namespaces), results
#            across nodes, node loss, rank 0's node lost, preemption and requeue, per-node memory.
#            SQZ_SKIP_MULTINODE=1 (or SQZ_SKIP_SLURM=1) skips it.
#
# Needs the `mpi` feature (SQZ_FEATURE_ARGS from scripts/setup.sh); with SQZ_NO_MPI=1 the MPI and
# Slurm parts are skipped (reported). Prints "N passed, M failed" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

# shellcheck source=scripts/setup.sh
source scripts/setup.sh
read -r -a FEATURES <<<"${SQZ_FEATURE_ARGS:-}"
export OMPI_MCA_rmaps_base_oversubscribe=1
if [[ "$(id -u)" == 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# no leftovers of an enclosing Slurm job or MPI launcher
unset SLURM_NTASKS SLURM_STEP_NUM_TASKS SLURM_JOB_ID SLURM_CONF OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_RANK

echo "test-extra: building sqz (cargo build --release -p sqz ${SQZ_FEATURE_ARGS:-})"
cargo build --release -p sqz ${FEATURES[@]+"${FEATURES[@]}"} 2>&1 | tail -n 1
SQZ="${CARGO_TARGET_DIR:-$ROOT/target}/release/sqz"
export SQZ # the batch scripts in jobs/ run this binary

T="$(mktemp -d /tmp/sqz-extra.XXXXXX)"
chmod 755 "$T" # munged (user munge) must reach the Slurm folder inside
SLURM_DIR="$T/slurm"
BG_PIDS=()
PASSED=0
FAILED=0
START=$SECONDS

cleanup() {
    local rc=$?
    local p
    for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    if [[ -f "$SLURM_DIR/slurm.conf" ]]; then
        scripts/slurm/stop.sh "$SLURM_DIR" || true
    fi
    if mountpoint -q "$T/full" 2>/dev/null; then
        umount "$T/full" || true
    fi
    if [[ $rc -eq 0 && $FAILED -eq 0 ]]; then
        rm -rf "$T"
    else
        echo "test-extra: files kept in $T" >&2
    fi
}
trap cleanup EXIT

pass() {
    PASSED=$((PASSED + 1))
    echo "  ok: $*"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "  FAILED: $*" >&2
}
# check "description" command...: runs the command, passes or fails
check() {
    local what="$1"
    shift
    if "$@" >"$T/check.log" 2>&1; then
        pass "$what"
    else
        fail "$what (exit $?): $(tail -n 5 "$T/check.log")"
    fi
}
section() { printf '\n== test-extra [%s] %s (%ds)\n' "$1" "$2" "$((SECONDS - START))"; }

# done/total of a result file (0 when absent or unreadable)
done_in() {
    local v
    v="$({ "$SQZ" disorder status --json "$1" 2>/dev/null || true; } | sed -n 's/.*"done":\([0-9]*\).*/\1/p' | head -n 1)"
    echo "${v:-0}"
}

# waits until a result file has at least $2 finished tasks (or $3 seconds pass)
wait_done() {
    local f="$1" want="$2" limit="${3:-120}" t0=$SECONDS
    while (($(done_in "$f") < want)); do
        if ((SECONDS - t0 > limit)); then return 1; fi
        sleep 0.1
    done
}

HAVE_MPI=0
if [[ " ${FEATURES[*]-} " == *"sqz/mpi"* ]]; then HAVE_MPI=1; fi

# The longer study of the kill tests: N = 5, 2 w values x 800 configurations (~8 s on 2 cores;
# at 300 configurations it took 3 s once the solver got faster, too close to the signal latency).
LONG_TASKS=1600
cat >"$T/long.toml" <<'EOF'
description = "test-extra: kill and resume"
n = 5
r = 0.5
w = ["0.1pi", "0.3pi"]
configurations = 800
seed = 7
EOF
cp jobs/ci-small.toml "$T/small.toml"

# ---------------------------------------------------------------- references (threads, no MPI launcher)
section ref "reference runs in one process"
check "CI study, 1 thread" "$SQZ" disorder "$T/small.toml" --out "$T/small-t1.h5" --threads 1 --quiet
check "CI study, 2 threads" "$SQZ" disorder "$T/small.toml" --out "$T/small-t2.h5" --threads 2 --quiet
check "1 and 2 threads identical" "$SQZ" disorder compare "$T/small-t1.h5" "$T/small-t2.h5"
check "long study, uninterrupted" "$SQZ" disorder "$T/long.toml" --out "$T/long-ref.h5" --quiet

if [[ $HAVE_MPI != 1 ]]; then
    echo "test-extra: sqz is built without MPI (SQZ_NO_MPI=1?): MPI and Slurm tests SKIPPED" >&2
else
    # ------------------------------------------------------------ 1. mpirun -n 1 / -n 3
    section mpi "mpirun -n 1 and -n 3 give identical result datasets"
    check "mpirun -n 1" mpirun -n 1 "$SQZ" disorder "$T/small.toml" --out "$T/small-n1.h5" --quiet
    check "mpirun -n 3 (oversubscribed)" mpirun -n 3 "$SQZ" disorder "$T/small.toml" --out "$T/small-n3.h5" --quiet
    check "-n 1 and -n 3 identical" "$SQZ" disorder compare "$T/small-n1.h5" "$T/small-n3.h5"
    check "-n 3 and threads identical" "$SQZ" disorder compare "$T/small-t1.h5" "$T/small-n3.h5"
    printf 'n = 4\nr = 0.5\nw = ["0.1pi", "0.3pi"]\nconfigurations = 5\nseed = 11\n[traces]\nt_max = 5.0\npoints = 11\n' >"$T/traces.toml"
    check "time traces, 1 thread" "$SQZ" disorder "$T/traces.toml" --out "$T/traces-t1.h5" --threads 1 --quiet
    check "time traces, mpirun -n 3" mpirun -n 3 "$SQZ" disorder "$T/traces.toml" --out "$T/traces-n3.h5" --quiet
    check "time traces identical on 1 thread and 3 ranks" "$SQZ" disorder compare "$T/traces-t1.h5" "$T/traces-n3.h5"
    check "mpirun -n 2 --json reports 2 ranks" bash -c \
        "mpirun -n 2 '$SQZ' disorder '$T/small.toml' --out '$T/small-n2.h5' --quiet --json | grep -q '\"ranks\":2'"
    check "a complete file is not recomputed" bash -c \
        "mpirun -n 2 '$SQZ' disorder '$T/small.toml' --out '$T/small-n2.h5' --quiet --json | grep -q '\"computed_this_run\":0'"
    check "the file records the ranks that computed (3 ranks, 1 run, each configuration once)" bash -c \
        "'$SQZ' disorder status --json '$T/small-n3.h5' | grep -q '\"ranks\":{\"0\":[0-9]*,\"1\":[0-9]*,\"2\":[0-9]*}' &&
         '$SQZ' disorder status --json '$T/small-n3.h5' | grep -q '\"unrecorded\":0'"
    # per-rank memory: ranks 1 and 2 get 50 kB (the N = 4 solve needs 306 kB), rank 0 1 GB (MPMD)
    set +e
    timeout 120 mpirun -n 1 -x SQZ_MEMORY_LIMIT=1G "$SQZ" disorder "$T/small.toml" --out "$T/small-mem.h5" --quiet \
        : -n 2 -x SQZ_MEMORY_LIMIT=50000 "$SQZ" disorder "$T/small.toml" --out "$T/small-mem.h5" --quiet \
        >"$T/mem.log" 2>&1
    RC=$?
    set -e
    if [[ $RC -eq 0 ]] && [[ "$(grep -c "rank [12] on host $(hostname) computes no configuration: .*needs about" "$T/mem.log")" == 2 ]]; then
        pass "ranks whose memory cannot fit the solve refuse up front naming their host; the study completes"
    else
        fail "per-rank memory refusal: exit $RC: $(tail -n 5 "$T/mem.log")"
    fi
    check "... and rank 0 computed every configuration: equal to one process" \
        "$SQZ" disorder compare "$T/small-t1.h5" "$T/small-mem.h5"
    check "... and the file records only rank 0" bash -c \
        "'$SQZ' disorder status --json '$T/small-mem.h5' | grep -q '\"ranks\":{\"0\":40}'"

    set +e
    timeout 120 mpirun -n 3 "$SQZ" disorder "$T/small.toml" --out "$T/panic.h5" --quiet --panic-at-task 7 \
        >"$T/panic.log" 2>&1
    RC=$?
    set -e
    if [[ $RC -ne 0 && $RC -ne 124 ]] && grep -q "aborting all MPI ranks" "$T/panic.log"; then
        pass "a panic on one rank aborts the whole mpirun -n 3 job (exit $RC), no hang"
    else
        fail "panic on one rank: exit $RC (124 = hung until the timeout): $(tail -n 5 "$T/panic.log")"
    fi

    # ------------------------------------------------------------ 2. kill mid-way, resume
    section kill "SIGKILL the ranks mid-way, resume; SIGUSR1 to mpirun, resume"
    mpirun -n 2 "$SQZ" disorder "$T/long.toml" --out "$T/long-k.h5" --checkpoint-tasks 10 --quiet \
        >"$T/kill.log" 2>&1 &
    MPIRUN=$!
    BG_PIDS+=("$MPIRUN")
    if wait_done "$T/long-k.h5" 40 120; then
        # the ranks are children of mpirun: kill them hard, as a crash or OOM killer would
        RANKS="$(pgrep -P "$MPIRUN" || true)"
        if [[ -n "$RANKS" ]]; then
            # shellcheck disable=SC2086
            kill -KILL $RANKS 2>/dev/null || true
        else
            kill -KILL "$MPIRUN" 2>/dev/null || true
        fi
        wait "$MPIRUN" 2>/dev/null || true
        K="$(done_in "$T/long-k.h5")"
        if ((K > 0 && K < $LONG_TASKS)); then
            pass "killed with SIGKILL mid-way: $K of $LONG_TASKS tasks saved"
        else
            fail "kill was not mid-way ($K of $LONG_TASKS tasks saved)"
        fi
        cp "$T/long-k.h5" "$T/long-k-snapshot.h5"
        check "resume under mpirun -n 3" mpirun -n 3 "$SQZ" disorder "$T/long.toml" --out "$T/long-k.h5" --quiet
        check "resumed file equals the uninterrupted one" "$SQZ" disorder compare "$T/long-ref.h5" "$T/long-k.h5"
        check "tasks saved before the kill were not recomputed" "$SQZ" disorder compare --kept "$T/long-k-snapshot.h5" "$T/long-k.h5"
        check "no temporary file left" bash -c "! ls '$T'/long-k.h5*.tmp 2>/dev/null | grep -q ."
    else
        fail "the mpirun -n 2 run made no progress: $(tail -n 5 "$T/kill.log")"
        kill -KILL "$MPIRUN" 2>/dev/null || true
    fi

    mpirun -n 2 "$SQZ" disorder "$T/long.toml" --out "$T/long-t.h5" --checkpoint-tasks 10 --quiet \
        >"$T/term.log" 2>&1 &
    MPIRUN=$!
    BG_PIDS+=("$MPIRUN")
    if wait_done "$T/long-t.h5" 40 120; then
        # mpirun forwards SIGUSR1 to the ranks (SIGTERM would make it kill them after a moment)
        kill -USR1 "$MPIRUN"
        set +e
        wait "$MPIRUN"
        RC=$?
        set -e
        K="$(done_in "$T/long-t.h5")"
        if [[ $RC -eq 75 ]] && ((K > 0 && K < $LONG_TASKS)) && grep -q "interrupted (SIGUSR1)" "$T/term.log"; then
            pass "SIGUSR1 to mpirun mid-way: exit 75, $K of $LONG_TASKS tasks saved"
        else
            fail "SIGUSR1 to mpirun: exit $RC, $K of $LONG_TASKS tasks saved: $(tail -n 5 "$T/term.log")"
        fi
        cp "$T/long-t.h5" "$T/long-t-snapshot.h5"
        check "resume under mpirun -n 2" mpirun -n 2 "$SQZ" disorder "$T/long.toml" --out "$T/long-t.h5" --quiet
        check "resumed file equals the uninterrupted one" "$SQZ" disorder compare "$T/long-ref.h5" "$T/long-t.h5"
        check "saved tasks were not recomputed" "$SQZ" disorder compare --kept "$T/long-t-snapshot.h5" "$T/long-t.h5"
    else
        fail "the mpirun -n 2 run made no progress: $(tail -n 5 "$T/term.log")"
        kill -KILL "$MPIRUN" 2>/dev/null || true
    fi

    # ------------------------------------------------------------ 3. Slurm
    if [[ "${SQZ_SKIP_SLURM:-0}" == 1 ]]; then
        section slurm "SKIPPED: SQZ_SKIP_SLURM=1"
        echo "test-extra: the Slurm tests were skipped on request (SQZ_SKIP_SLURM=1)" >&2
    else
        section slurm "local single-node Slurm: sbatch jobs/fig4d-n5.sbatch, scancel --signal=TERM, resubmit"
        if ! scripts/slurm/setup.sh; then
            fail "Slurm (slurm-wlm, munge) is not installed and could not be installed; set SQZ_SKIP_SLURM=1 to skip the Slurm tests"
        elif ! SLURM_ENV="$(scripts/slurm/start.sh "$SLURM_DIR")"; then
            fail "the local Slurm cluster did not start (logs above); set SQZ_SKIP_SLURM=1 to skip the Slurm tests"
        else
            eval "$SLURM_ENV"
            export SLURM_CONF
            pass "local Slurm up ($(sinfo -h -o '%D node, %c CPUs, %T'))"
            NT="$(nproc)"
            ((NT > 2)) && NT=2

            # the CI study through the real batch script
            set +e
            sbatch --wait --quiet --ntasks="$NT" --output="$T/slurm-small-%j.out" \
                jobs/fig4d-n5.sbatch "$T/small.toml" "$T/small-slurm.h5" >/dev/null
            RC=$?
            set -e
            if [[ $RC -eq 0 ]]; then pass "sbatch --wait jobs/fig4d-n5.sbatch (CI study, $NT ranks)"; else
                fail "sbatch job failed (exit $RC): $(tail -n 8 "$T"/slurm-small-*.out)"
            fi
            check "the Slurm job ran $NT MPI ranks" grep -qF "$NT rank(s) x 1 compute thread(s)" "$T"/slurm-small-*.out
            check "Slurm result complete" "$SQZ" disorder status "$T/small-slurm.h5"
            check "Slurm result equals mpirun -n 1" "$SQZ" disorder compare "$T/small-n1.h5" "$T/small-slurm.h5"

            # scancel --signal=TERM a running job, then resubmit
            JOB="$(sbatch --parsable --ntasks="$NT" --output="$T/slurm-long-%j.out" \
                jobs/fig4d-n5.sbatch "$T/long.toml" "$T/long-slurm.h5" --checkpoint-tasks 10)"
            if wait_done "$T/long-slurm.h5" 40 180; then
                scancel --signal=TERM "$JOB"
                for _ in $(seq 600); do
                    [[ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ]] && break
                    sleep 0.1
                done
                K="$(done_in "$T/long-slurm.h5")"
                STATE="$(scontrol -o show job "$JOB" 2>/dev/null | grep -o 'JobState=[A-Z_]*\|ExitCode=[0-9:]*' | tr '\n' ' ' || true)"
                if ((K > 0 && K < $LONG_TASKS)) && grep -q "interrupted (SIGTERM)" "$T/slurm-long-$JOB.out" &&
                    [[ "$STATE" == *"ExitCode=75:0"* ]]; then
                    pass "scancel --signal=TERM: job $JOB saved $K of $LONG_TASKS tasks and exited cleanly (${STATE% })"
                else
                    fail "scancel --signal=TERM: $K of $LONG_TASKS saved, $STATE; log: $(tail -n 8 "$T/slurm-long-$JOB.out")"
                fi
                cp "$T/long-slurm.h5" "$T/long-slurm-snapshot.h5"
                set +e
                sbatch --wait --quiet --ntasks="$NT" --output="$T/slurm-resume-%j.out" \
                    jobs/fig4d-n5.sbatch "$T/long.toml" "$T/long-slurm.h5" >/dev/null
                RC=$?
                set -e
                if [[ $RC -eq 0 ]]; then pass "resubmitted job completed"; else
                    fail "resubmitted job failed (exit $RC): $(tail -n 8 "$T"/slurm-resume-*.out)"
                fi
                check "resubmitted job resumed from $K tasks" grep -q "resuming .*($K of $LONG_TASKS tasks done)" "$T"/slurm-resume-*.out
                check "resubmitted job computed only the other $(($LONG_TASKS - K))" grep -q "this run computed $(($LONG_TASKS - K)) in" "$T"/slurm-resume-*.out
                check "tasks finished before scancel were not recomputed" "$SQZ" disorder compare --kept "$T/long-slurm-snapshot.h5" "$T/long-slurm.h5"
                check "resumed Slurm result equals the uninterrupted run" "$SQZ" disorder compare "$T/long-ref.h5" "$T/long-slurm.h5"
            else
                fail "Slurm job $JOB made no progress: $(tail -n 8 "$T"/slurm-long-*.out 2>/dev/null)"
                scancel "$JOB" 2>/dev/null || true
            fi
        fi
    fi
fi

# ---------------------------------------------------------------- 4. fault injection (issue 12)
section faults "kill -9 at random points, two writers, SIGTERM on 500 000 tasks, reproduce signals, full disk"
no_temps() { ! ls "$1"/*.tmp "$1"/*.tmp.* 2>/dev/null | grep -q .; }

# kill -9 at random points of a run that checkpoints after every finished task
printf 'n = 4\nr = 0.5\nw = ["0.05pi", "0.3pi"]\nconfigurations = 600\nseed = 12\n' >"$T/k9.toml"
check "kill -9 reference run" "$SQZ" disorder "$T/k9.toml" --out "$T/k9-ref.h5" --quiet
K9_OK=1
for round in 1 2 3 4 5 6 7 8; do
    "$SQZ" disorder "$T/k9.toml" --out "$T/k9.h5" --checkpoint-tasks 1 --quiet >"$T/k9-$round.log" 2>&1 &
    P=$!
    BG_PIDS+=("$P")
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -KILL "$P" 2>/dev/null || true
    wait "$P" 2>/dev/null || true
    if [[ -e "$T/k9.h5" ]]; then
        cp "$T/k9.h5" "$T/k9-snap-$round.h5"
        # the file a kill left behind must be readable (status: 0 complete, 3 incomplete)
        set +e
        "$SQZ" disorder status "$T/k9.h5" >/dev/null 2>"$T/k9-status.log"
        RC=$?
        set -e
        if [[ $RC -ne 0 && $RC -ne 3 ]]; then
            K9_OK=0
            fail "kill -9 round $round left an unreadable file: $(tail -n 2 "$T/k9-status.log")"
        fi
    fi
done
check "kill -9 x 8: resume completes" "$SQZ" disorder "$T/k9.toml" --out "$T/k9.h5" --quiet
check "kill -9 x 8: resumed file equals the uninterrupted run" "$SQZ" disorder compare "$T/k9-ref.h5" "$T/k9.h5"
for snap in "$T"/k9-snap-*.h5; do
    [[ -e "$snap" ]] || continue
    check "kill -9: tasks saved in $(basename "$snap") kept, not recomputed" \
        "$SQZ" disorder compare --kept "$snap" "$T/k9.h5"
done
check "kill -9: no temporary or lock file left" bash -c "! ls '$T'/k9.h5.*tmp '$T'/k9.h5.lock 2>/dev/null | grep -q ."
[[ $K9_OK == 1 ]] && pass "kill -9 x 8: every file left behind was readable"

# two writers of one result file
"$SQZ" disorder "$T/long.toml" --out "$T/two.h5" --checkpoint-tasks 10 --quiet >"$T/two-a.log" 2>&1 &
PA=$!
BG_PIDS+=("$PA")
if wait_done "$T/two.h5" 20 120; then
    set +e
    "$SQZ" disorder "$T/long.toml" --out "$T/two.h5" --quiet >"$T/two-b.log" 2>&1
    RB=$?
    wait "$PA"
    RA=$?
    set -e
    if [[ $RB -eq 2 ]] && grep -q "pid $PA on host $(cat /proc/sys/kernel/hostname)" "$T/two-b.log"; then
        pass "a second writer is refused, naming pid $PA and the host"
    else
        fail "second writer: exit $RB: $(tail -n 3 "$T/two-b.log")"
    fi
    if [[ $RA -eq 0 ]]; then pass "the first writer completed"; else fail "first writer exit $RA: $(tail -n 3 "$T/two-a.log")"; fi
    check "the first writer's file equals the reference" "$SQZ" disorder compare "$T/long-ref.h5" "$T/two.h5"
    check "two writers: no temporary or lock file left" bash -c "! ls '$T'/two.h5.*tmp '$T'/two.h5.lock 2>/dev/null | grep -q ."
else
    fail "two writers: the first run made no progress: $(tail -n 3 "$T/two-a.log")"
    kill -KILL "$PA" 2>/dev/null || true
fi

# SIGTERM on a 500 000-task study: one write, exit 75 within seconds
printf 'n = 2\nr = 0.5\nw = ["0.1pi", "0.3pi"]\nconfigurations = 250000\nseed = 9\n[steady]\nestimate_gap = false\n' >"$T/big.toml"
"$SQZ" disorder "$T/big.toml" --out "$T/big.h5" --quiet >"$T/big.log" 2>&1 &
P=$!
BG_PIDS+=("$P")
for _ in $(seq 600); do
    [[ -e "$T/big.h5" ]] && break
    sleep 0.1
done
if [[ -e "$T/big.h5" ]]; then
    sleep 2
    T0=$SECONDS
    kill -TERM "$P"
    STOPPED=0
    for _ in $(seq 300); do
        if ! kill -0 "$P" 2>/dev/null; then STOPPED=1; break; fi
        sleep 0.1
    done
    set +e
    if [[ $STOPPED == 1 ]]; then wait "$P"; RC=$?; else kill -KILL "$P"; wait "$P"; RC=137; fi
    set -e
    K="$(done_in "$T/big.h5")"
    if [[ $RC -eq 75 ]] && ((SECONDS - T0 <= 30)) && ((K > 0)); then
        pass "SIGTERM on 500 000 tasks: exit 75 after $((SECONDS - T0)) s, $K tasks saved"
    else
        fail "SIGTERM on 500 000 tasks: exit $RC after $((SECONDS - T0)) s, $K saved: $(tail -n 3 "$T/big.log")"
    fi
fi
# checkpoints write the new rows only: 100 checkpoints of a 60 MB file in well under 30 s
T0=$SECONDS
check "500 000 tasks, a checkpoint every 1000 tasks, 100 000 tasks" bash -c \
    "'$SQZ' disorder '$T/big.toml' --out '$T/big2.h5' --quiet --checkpoint-tasks 1000 --stop-after 100000; test \$? -eq 75"
if ((SECONDS - T0 <= 30)); then pass "100 checkpoints took $((SECONDS - T0)) s in all (cost of the new rows, not of the file)"; else
    fail "100 checkpoints took $((SECONDS - T0)) s"
fi
rm -f "$T"/big*.h5

# sqz reproduce on SIGTERM and SIGINT says what was saved (job control on: a background job of a
# script without it ignores SIGINT, and sqz keeps an ignored SIGINT or SIGHUP ignored; and
# `env --default-signal`, where coreutils has it, for a test-extra.sh that was itself started with
# SIGINT ignored, e.g. as a background job of a shell: `set -m` cannot undo that)
DEFAULT_SIG=()
env --default-signal=INT true 2>/dev/null && DEFAULT_SIG=(env --default-signal=INT,TERM)
for sig in TERM INT; do
    mkdir -p "$T/rep-$sig"
    set -m
    # the full run (minutes), not --quick: a fast machine finished --quick before the signal
    "${DEFAULT_SIG[@]}" "$SQZ" reproduce --out-dir "$T/rep-$sig" >"$T/rep-$sig.log" 2>&1 &
    P=$!
    set +m
    BG_PIDS+=("$P")
    sleep 3
    kill "-$sig" "$P" 2>/dev/null || echo "test-extra: sqz reproduce had already ended before SIG$sig" >&2
    set +e
    wait "$P"
    RC=$?
    set -e
    WANT=143
    [[ $sig == INT ]] && WANT=130
    if [[ $RC -eq $WANT ]] && grep -q "interrupted by SIG$sig" "$T/rep-$sig.log" &&
        grep -q "nothing of this run was saved" "$T/rep-$sig.log" && no_temps "$T/rep-$sig"; then
        pass "sqz reproduce on SIG$sig: exit $RC and says what was saved"
    else
        fail "sqz reproduce on SIG$sig: exit $RC: $(tail -n 3 "$T/rep-$sig.log")"
    fi
done

# a full disk: a 1 MiB tmpfs as the output's file system
if [[ "$(id -u)" != 0 ]]; then
    echo "test-extra: the full-disk tests need root (a private tmpfs mount): SKIPPED" >&2
elif ! mkdir -p "$T/full" || ! mount -t tmpfs -o size=1m sqz-test-full "$T/full"; then
    fail "could not mount a tmpfs for the full-disk tests"
else
    printf 'n = 2\nr = 0.5\nw = ["0.1pi", "0.3pi"]\nconfigurations = 5000\nseed = 4\n' >"$T/full-big.toml"
    set +e
    "$SQZ" disorder "$T/full-big.toml" --out "$T/full/big.h5" --quiet >"$T/full1.log" 2>&1
    RC=$?
    set -e
    if [[ $RC -eq 2 ]] && grep -q "No space left on device" "$T/full1.log" && [[ ! -e "$T/full/big.h5" ]] && no_temps "$T/full"; then
        pass "disk full at the first write: exit 2, the reason named, no file and no temporary left"
    else
        fail "disk full at the first write: exit $RC: $(tail -n 3 "$T/full1.log")"
    fi
    printf 'n = 3\nr = 0.5\nw = ["0.1pi", "0.3pi"]\nconfigurations = 800\nseed = 4\n' >"$T/full.toml"
    check "full-disk reference" "$SQZ" disorder "$T/full.toml" --out "$T/full-ref.h5" --quiet
    # the disk fills up while a run is going: checkpoints rewrite rows in place and need no space
    "$SQZ" disorder "$T/full.toml" --out "$T/full/r.h5" --checkpoint-tasks 10 --threads 1 --quiet >"$T/full2.log" 2>&1 &
    P=$!
    BG_PIDS+=("$P")
    wait_done "$T/full/r.h5" 10 60 || true
    dd if=/dev/zero of="$T/full/filler" bs=4k >/dev/null 2>&1 || true
    set +e
    wait "$P"
    RC=$?
    set -e
    if [[ $RC -eq 0 ]]; then pass "the disk filled up during a run: checkpoints in place, the run completed"; else
        fail "disk filled during a run: exit $RC: $(tail -n 3 "$T/full2.log")"
    fi
    check "... and its file equals the reference" "$SQZ" disorder compare "$T/full-ref.h5" "$T/full/r.h5"
    # resuming on a full disk: refused, the file kept as it was
    rm -f "$T/full/r.h5" "$T/full/filler"
    set +e
    "$SQZ" disorder "$T/full.toml" --out "$T/full/r.h5" --stop-after 300 --quiet >/dev/null 2>&1
    set -e
    cp "$T/full/r.h5" "$T/full-snap.h5"
    dd if=/dev/zero of="$T/full/filler" bs=4k >/dev/null 2>&1 || true
    set +e
    "$SQZ" disorder "$T/full.toml" --out "$T/full/r.h5" --quiet >"$T/full3.log" 2>&1
    RC=$?
    set -e
    if [[ $RC -eq 2 ]] && grep -q "No space left on device" "$T/full3.log" && grep -q "still holds the 300 of 1600 tasks" "$T/full3.log" &&
        no_temps "$T/full" && cmp -s "$T/full/r.h5" "$T/full-snap.h5"; then
        pass "resume on a full disk: exit 2, says what the file still holds, file unchanged, no temporary left"
    else
        fail "resume on a full disk: exit $RC: $(tail -n 3 "$T/full3.log")"
    fi
    rm -f "$T/full/filler"
    check "with space again, the resume completes" "$SQZ" disorder "$T/full.toml" --out "$T/full/r.h5" --quiet
    check "... equal to the reference" "$SQZ" disorder compare "$T/full-ref.h5" "$T/full/r.h5"
    check "... keeping the 300 tasks saved before" "$SQZ" disorder compare --kept "$T/full-snap.h5" "$T/full/r.h5"
    umount "$T/full" || true
fi

# ---------------------------------------------------------------- 5. plot
section plot "scripts/plot_disorder.py (h5py + matplotlib)"
PY_OK=0
if python3 -c 'import h5py, matplotlib' 2>/dev/null; then
    PY_OK=1
elif timeout 300 python3 -m pip install --quiet --disable-pip-version-check h5py matplotlib >"$T/pip.log" 2>&1 &&
    python3 -c 'import h5py, matplotlib' 2>/dev/null; then
    PY_OK=1
fi
if [[ $PY_OK == 1 ]]; then
    check "plot from the result file" python3 scripts/plot_disorder.py "$T/long-ref.h5" "$T/small-t1.h5" -o "$T/plot.png"
    check "plot written" test -s "$T/plot.png"
else
    echo "test-extra: plot test SKIPPED: python3 has no h5py/matplotlib and pip could not install them ($(tail -n 1 "$T/pip.log" 2>/dev/null))" >&2
fi

# ---------------------------------------------------------------- 5. multi-node Slurm
if [[ $HAVE_MPI != 1 || "${SQZ_SKIP_SLURM:-0}" == 1 || "${SQZ_SKIP_MULTINODE:-0}" == 1 ]]; then
    section multinode "SKIPPED (no MPI, SQZ_SKIP_SLURM=1 or SQZ_SKIP_MULTINODE=1)"
else
    section multinode "scripts/test-multinode.sh: 3-node private Slurm"
    set +e
    timeout --kill-after=30 1200 scripts/test-multinode.sh
    RC=$?
    set -e
    if [[ $RC -eq 0 ]]; then pass "multi-node tests (scripts/test-multinode.sh)"; else
        fail "multi-node tests (scripts/test-multinode.sh) failed (exit $RC; 124: timed out): see above"
    fi
fi

printf '\ntest-extra: %d passed, %d failed (%ds)\n' "$PASSED" "$FAILED" "$((SECONDS - START))"
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
