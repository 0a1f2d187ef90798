#!/usr/bin/env bash
# sqz main job: set up, build the release binary, run the default study.
#
#   scripts/run.sh                       runs: sqz $SQZ_DEFAULT_CMD
#   scripts/run.sh --quick               options are appended to the default command
#   scripts/run.sh analytic --n 10 --r 1 a first argument that is not an option
#                                        replaces the default command
#
# Runs in the repository root: relative paths (the default out/...) are relative to it.
# SQZ_LAUNCHER="mpirun -np 4" (or "srun") prefixes the sqz command for an MPI run;
# the build itself always runs once, without the launcher.
set -euo pipefail

# The default job (command line of the `sqz` binary): every figure of the paper into out/
# (reproduce.h5, fig1.png .. fig4.png).
SQZ_DEFAULT_CMD=(reproduce --out-dir out)

cd "$(dirname "$0")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh
read -r -a FEATURES <<<"${SQZ_FEATURE_ARGS:-}"

echo "==> cargo build --release -p sqz ${SQZ_FEATURE_ARGS:-}" >&2
cargo build --release -p sqz ${FEATURES[@]+"${FEATURES[@]}"}

SQZ_BIN="${CARGO_TARGET_DIR:-target}/release/sqz"
if [[ ! -x "$SQZ_BIN" ]]; then
    echo "run.sh: built binary not found at $SQZ_BIN" >&2
    exit 1
fi

if [[ $# -gt 0 && "$1" != -* ]]; then
    CMD=("$@")
else
    CMD=("${SQZ_DEFAULT_CMD[@]}" "$@")
fi

LAUNCHER=()
if [[ -n "${SQZ_LAUNCHER:-}" ]]; then
    read -r -a LAUNCHER <<<"$SQZ_LAUNCHER"
fi

mkdir -p out
echo "==> ${LAUNCHER[*]:+${LAUNCHER[*]} }$SQZ_BIN ${CMD[*]}" >&2
${LAUNCHER[@]+"${LAUNCHER[@]}"} "$SQZ_BIN" "${CMD[@]}"
echo "==> done; results are in $(pwd)/out/ unless the command named another place" >&2
