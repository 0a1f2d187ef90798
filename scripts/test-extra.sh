#!/usr/bin/env bash
# MPI and Slurm integration tests of `sqz disorder` (issue 6); scripts/test.sh runs this file.
#
#   scripts/test-extra.sh
#
# 1. mpi     the CI study (jobs/ci-small.toml: N = 4, 2 w, 20 configurations) with `mpirun -n 1`
#            and `-n 3` (oversubscribed) and with threads: identical result datasets; a panic in
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
# 4. plot    scripts/plot_disorder.py on a result file, when python3 has h5py and matplotlib
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

# The longer study of the kill tests: N = 5, 2 w values x 300 configurations (~8 s on 2 cores).
cat >"$T/long.toml" <<'EOF'
description = "test-extra: kill and resume"
n = 5
r = 0.5
w = ["0.1pi", "0.3pi"]
configurations = 300
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
        if ((K > 0 && K < 600)); then
            pass "killed with SIGKILL mid-way: $K of 600 tasks saved"
        else
            fail "kill was not mid-way ($K of 600 tasks saved)"
        fi
        cp "$T/long-k.h5" "$T/long-k-snapshot.h5"
        check "resume under mpirun -n 3" mpirun -n 3 "$SQZ" disorder "$T/long.toml" --out "$T/long-k.h5" --quiet
        check "resumed file equals the uninterrupted one" "$SQZ" disorder compare "$T/long-ref.h5" "$T/long-k.h5"
        check "tasks saved before the kill were not recomputed" "$SQZ" disorder compare --kept "$T/long-k-snapshot.h5" "$T/long-k.h5"
        check "no temporary file left" test ! -e "$T/long-k.h5.tmp"
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
        if [[ $RC -eq 75 ]] && ((K > 0 && K < 600)) && grep -q "interrupted (SIGUSR1)" "$T/term.log"; then
            pass "SIGUSR1 to mpirun mid-way: exit 75, $K of 600 tasks saved"
        else
            fail "SIGUSR1 to mpirun: exit $RC, $K of 600 tasks saved: $(tail -n 5 "$T/term.log")"
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
                if ((K > 0 && K < 600)) && grep -q "interrupted (SIGTERM)" "$T/slurm-long-$JOB.out" &&
                    [[ "$STATE" == *"ExitCode=75:0"* ]]; then
                    pass "scancel --signal=TERM: job $JOB saved $K of 600 tasks and exited cleanly (${STATE% })"
                else
                    fail "scancel --signal=TERM: $K of 600 saved, $STATE; log: $(tail -n 8 "$T/slurm-long-$JOB.out")"
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
                check "resubmitted job resumed from $K tasks" grep -q "resuming .*($K of 600 tasks done)" "$T"/slurm-resume-*.out
                check "resubmitted job computed only the other $((600 - K))" grep -q "this run computed $((600 - K)) in" "$T"/slurm-resume-*.out
                check "tasks finished before scancel were not recomputed" "$SQZ" disorder compare --kept "$T/long-slurm-snapshot.h5" "$T/long-slurm.h5"
                check "resumed Slurm result equals the uninterrupted run" "$SQZ" disorder compare "$T/long-ref.h5" "$T/long-slurm.h5"
            else
                fail "Slurm job $JOB made no progress: $(tail -n 8 "$T"/slurm-long-*.out 2>/dev/null)"
                scancel "$JOB" 2>/dev/null || true
            fi
        fi
    fi
fi

# ---------------------------------------------------------------- 4. plot
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
