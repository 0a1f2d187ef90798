#!/usr/bin/env bash
# sqz test suite: the one test command (README, CI).
#
#   scripts/test.sh [ARGS...]     ARGS go to `cargo test` (e.g. a test-name filter)
#
# Steps, in order; the first one that fails stops the run and is named:
#   setup    scripts/setup.sh (installs missing system packages as root)
#   fmt      cargo fmt --all -- --check
#   architecture  scripts/check-architecture.sh (the dependency invariants of docs/architecture.md)
#   clippy   cargo clippy --workspace --all-targets [--features sqz/mpi] -- -D warnings
#   test     cargo test --workspace --release [--features sqz/mpi]
#   extra    scripts/test-extra.sh, when it exists and is executable (MPI / Slurm tests)
#
# `--features sqz/mpi` is passed when crates/driver/Cargo.toml has an `mpi` feature
# (and SQZ_NO_MPI is not 1). Runs from any working directory.
set -euo pipefail

cd "$(dirname "$0")/.."

STEP=""
STEP_START=0
TOTAL_START=$SECONDS

on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$STEP" ]]; then
        printf '\n*** sqz test.sh: step "%s" FAILED (exit code %d, after %ds) ***\n' \
            "$STEP" "$rc" "$((SECONDS - STEP_START))" >&2
    fi
}
trap on_exit EXIT

section() {
    STEP="$1"
    STEP_START=$SECONDS
    printf '\n==> [%s] %s\n' "$1" "$2"
}

done_step() {
    printf '<== [%s] ok (%ds)\n' "$STEP" "$((SECONDS - STEP_START))"
    STEP=""
}

section setup "scripts/setup.sh: system packages and build environment"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
read -r -a FEATURES <<<"${SQZ_FEATURE_ARGS:-}"
echo "cargo: $(cargo --version); features: ${SQZ_FEATURE_ARGS:-(default)}"
done_step

# rustfmt and clippy are rustup components; name them clearly if absent.
section tools "rustfmt and clippy present"
for tool in fmt clippy; do
    if ! cargo "$tool" --version >/dev/null 2>&1; then
        echo "cargo $tool is not installed; with rustup: rustup component add ${tool/fmt/rustfmt}" >&2
        exit 1
    fi
done
done_step

section fmt "cargo fmt --all -- --check"
cargo fmt --all -- --check
done_step

section architecture "scripts/check-architecture.sh: layers, MPI/HDF5 and clap only where allowed"
scripts/check-architecture.sh
done_step

section clippy "cargo clippy --workspace --all-targets${SQZ_FEATURE_ARGS:+ $SQZ_FEATURE_ARGS} -- -D warnings"
cargo clippy --workspace --all-targets ${FEATURES[@]+"${FEATURES[@]}"} -- -D warnings
done_step

# Open MPI counts cores as slots; MPI tests may ask for more ranks than this machine has.
export OMPI_MCA_rmaps_base_oversubscribe="${OMPI_MCA_rmaps_base_oversubscribe:-1}"

section test "cargo test --workspace --release${SQZ_FEATURE_ARGS:+ $SQZ_FEATURE_ARGS}${*:+ $*}"
cargo test --workspace --release ${FEATURES[@]+"${FEATURES[@]}"} "$@"
done_step

if [[ -f scripts/test-extra.sh && -x scripts/test-extra.sh ]]; then
    section extra "scripts/test-extra.sh"
    scripts/test-extra.sh
    done_step
fi

printf '\nsqz test.sh: all steps OK in %ds\n' "$((SECONDS - TOTAL_START))"
