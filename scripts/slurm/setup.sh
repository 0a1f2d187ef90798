#!/usr/bin/env bash
# Installs what the local test Slurm needs (Debian/Ubuntu, as root): slurm-wlm (slurmctld,
# slurmd, sbatch, srun with the pmix plugin) and munge; for the multi-node cluster also iproute2
# (ip, ss), util-linux (nsenter, unshare) and python3. Only scripts/test-extra.sh needs them;
# scripts/setup.sh does not install them, so that users without Slurm are not forced to.
#
#   scripts/slurm/setup.sh        exit 0 when everything is present (installing it if needed)
set -euo pipefail

need=()
# ip/ss (iproute2), nsenter/unshare (util-linux) and python3 serve the multi-node cluster
# (scripts/slurm/multinode.sh) and its tests.
for cmd in slurmctld slurmd sbatch srun squeue scancel scontrol munged mungekey ip ss nsenter unshare python3; do
    command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd")
done
if [[ ${#need[@]} -eq 0 ]]; then
    exit 0
fi
echo "slurm setup: missing ${need[*]}; installing slurm-wlm, munge, iproute2, util-linux, python3" >&2
if [[ "$(id -u)" != 0 ]]; then
    echo "slurm setup: not root: install them with: sudo apt-get install --no-install-recommends slurm-wlm munge iproute2 util-linux python3" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "slurm setup: no apt-get on this machine: install Slurm (slurmctld, slurmd, srun with pmix) and munge by hand" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -q -o DPkg::Lock::Timeout=600 update </dev/null >&2
# policy-rc.d may refuse to start the services on install: we start our own daemons anyway
apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends slurm-wlm munge \
    iproute2 util-linux python3 </dev/null >&2
hash -r
for cmd in slurmctld slurmd sbatch srun munged mungekey ip ss nsenter unshare python3; do
    command -v "$cmd" >/dev/null 2>&1 || {
        echo "slurm setup: $cmd still missing after apt-get install" >&2
        exit 1
    }
done
