#!/usr/bin/env bash
# Performance side by side with QuTiP (issue 8): one command from a fresh clone.
#   scripts/bench/compare.sh            # full table (tens of minutes)
#   scripts/bench/compare.sh --quick    # small sizes only (a few minutes)
#   scripts/bench/compare.sh --resume   # reuse rows already measured (out/compare_rows.json)
# Builds sqz (release), creates a local virtual environment .venv-bench with QuTiP 5, h5py,
# matplotlib, runs scripts/bench/compare_qutip.py, and rewrites the generated section of
# docs/performance.md plus docs/figures/perf_vs_n.png.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../setup.sh
source scripts/setup.sh
cargo build --release -p sqz ${SQZ_FEATURE_ARGS:-}
venv="$root/.venv-bench"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { apt-get install -y --no-install-recommends python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "qutip>=5,<6" numpy scipy h5py matplotlib
"$venv/bin/python" scripts/bench/compare_qutip.py --sqz "$root/target/release/sqz" "$@"
