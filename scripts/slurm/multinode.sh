#!/usr/bin/env bash
# A private multi-node Slurm cluster on one machine, for tests (issue 15). Run as root; no
# systemd. Every node is a separate network namespace with its own address on a private bridge,
# its own hostname (UTS namespace), its own /dev/shm and IPC namespace, and its own slurmd; the
# controller (slurmctld) is one more namespace, "sqzhead". The file system is shared by all
# nodes, as a cluster's shared file system is; each node has its own temporary folder
# (Slurm's TmpFS and the tasks' TMPDIR: DIR/nodes/NODE/tmp). One munged (in sqzhead's namespace)
# serves all nodes through its socket file (the same key on every node). Open MPI ranks on different nodes cannot share
# memory and talk TCP over the bridge (the TaskProlog sets OMPI_MCA_btl=self,tcp, pml ob1 and
# the bridge subnet, unless the job sets them).
#
#   scripts/slurm/multinode.sh start DIR [--nodes N]   start (N >= 2, default 3); prints
#                                                      "export SLURM_CONF=DIR/slurm.conf"
#   scripts/slurm/multinode.sh stop DIR [--remove]     stop and remove everything start made
#   scripts/slurm/multinode.sh kill-node DIR NODE      crash a node: its link goes down, then
#                                                      SIGKILL to every process of the node
#   scripts/slurm/multinode.sh start-node DIR NODE     boot it again (link up, new slurmd)
#   scripts/slurm/multinode.sh node-mem DIR NODE [MB]  the node's free memory as its tasks see
#                                                      it (no MB: back to its RealMemory)
#   scripts/slurm/multinode.sh exec DIR NODE CMD...    run a command on a node
#   scripts/slurm/multinode.sh info DIR                nodes, addresses, namespaces
#   scripts/slurm/multinode.sh gc                      remove clusters whose folder is gone
#                                                      (noted in /run/sqz-multinode)
#
# scripts/slurm/start.sh --nodes N DIR and scripts/slurm/stop.sh DIR call this script.
#
# Nodes sqzn1 .. sqznN, addresses NET.ID.11 .. on the bridge "sqzmnID" (the host has NET.ID.1,
# sqzhead NET.ID.2); ID is the first free one from 0 to 63, so that several clusters can run at
# once; NET defaults to 10.217. Namespaces are called sqzmnID-NODE. Nothing else is touched: the
# single-node cluster of start.sh (127.0.0.1, port 16817) can run next to it.
#
# Memory: node i has RealMemory from SQZ_SLURM_MN_MEM (MB, comma separated, default
# 8192,7168,6144, the last repeated for more nodes); SlurmdParameters=config_overrides lets the
# nodes declare it whatever the machine has. As all nodes share one kernel, MemAvailable and
# cgroup limits cannot tell them apart, so the TaskProlog plays the node's kernel: it exports
# SQZ_MEMORY_LIMIT = min(node free memory, the job's memory on the node) / tasks on the node,
# which is the share sqz would compute itself on a real node (docs/cluster.md). The node's free
# memory is its RealMemory unless node-mem lowered it. The TaskProlog also logs every task
# (job, step, rank, hostname, network namespace) to DIR/log/tasks.log.
#
# Settings: SQZ_SLURM_MN_NET (first two octets, default 10.217), SQZ_SLURM_MN_MEM,
# SQZ_SLURM_MN_CPUS (CPUs per node, default 2), SQZ_SLURM_MN_TIMEOUT (SlurmdTimeout, default 30 s).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/multinode.sh"
PORT=6817 # inside the namespaces: no clash with anything on the host
REG=/run/sqz-multinode # one file per running cluster: its bridge name, holding its folder
log() { echo "slurm multinode: $*" >&2; }
die() {
    log "$*"
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

need_root() {
    [[ "$(id -u)" == 0 ]] || die "must run as root (network namespaces, slurmd)"
}

# Loads DIR/cluster.env (written by start) into the current shell.
load() {
    dir="$(cd "${1:?DIR}" 2>/dev/null && pwd)" || die "no cluster folder ${1:-}"
    [[ -f "$dir/cluster.env" ]] || die "$dir/cluster.env missing: not a multi-node cluster folder"
    # shellcheck source=/dev/null
    source "$dir/cluster.env"
}

ns_of() { echo "${MN_NSPFX}$1"; }
# host side of a node's veth pair (15 characters at most)
veth_of() {
    if [[ "$1" == sqzhead ]]; then echo "mn${MN_ID}h"; else echo "mn${MN_ID}n${1#sqzn}"; fi
}
addr_of() {
    if [[ "$1" == sqzhead ]]; then echo "$MN_PREFIX.2"; else echo "$MN_PREFIX.$((10 + ${1#sqzn}))"; fi
}
valid_node() {
    [[ " sqzhead $MN_NODES " == *" $1 "* ]] || die "no node '$1' (nodes: $MN_NODES)"
}

# Runs a command in a node's namespaces: network (ip netns), and, when the node is up, the
# UTS/IPC/mount namespaces of its daemon (so `hostname` answers the node's name).
node_exec() {
    local node="$1"
    shift
    local pidf="$dir/pids/$node.pid" pid=""
    [[ -f "$pidf" ]] && pid="$(cat "$pidf")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        nsenter --target "$pid" --net --uts --ipc --mount -- "$@"
    else
        nsenter --net="/run/netns/$(ns_of "$node")" -- "$@"
    fi
}

# Starts a daemon on a node: new UTS, IPC and mount namespaces inside the node's network
# namespace; "_boot" (below) sets the hostname and a private /dev/shm, then execs the daemon,
# so that the recorded process id is the daemon's.
boot() {
    local node="$1" logf="$2"
    shift 2
    nsenter --net="/run/netns/$(ns_of "$node")" -- \
        unshare --uts --ipc --mount --propagation slave -- \
        "$SELF" _boot "$node" "$@" >>"$logf" 2>&1 </dev/null &
    echo $! >"$dir/pids/$node.pid"
}

# Process ids in a node's network namespace (every process of the node).
node_pids() {
    ip netns pids "$(ns_of "$1")" 2>/dev/null || true
}

kill_node_procs() {
    local node="$1" sig="$2" pids
    pids="$(node_pids "$node")"
    # shellcheck disable=SC2086
    [[ -n "$pids" ]] && kill "-$sig" $pids 2>/dev/null || true
}

# Waits up to $2 seconds for the node's processes to be gone.
wait_node_empty() {
    local node="$1" limit="$2" i
    for ((i = 0; i < limit * 10; i++)); do
        [[ -z "$(node_pids "$node")" ]] && return 0
        sleep 0.1
    done
    return 1
}

sinfo_state() {
    SLURM_CONF="$dir/slurm.conf" timeout 10 sinfo -h -n "$1" -o %T 2>/dev/null | head -n 1 || true
}

# Waits until every node in "$@" is idle (or mixed/allocated), up to $limit seconds.
wait_idle() {
    local limit="$1" t0=$SECONDS n st all
    shift
    while :; do
        all=1
        for n in "$@"; do
            st="$(sinfo_state "$n")"
            case "$st" in
                idle | mixed | allocated) ;;
                down* | drain* | fail*)
                    all=0
                    SLURM_CONF="$dir/slurm.conf" timeout 10 scontrol update NodeName="$n" State=RESUME >/dev/null 2>&1 || true
                    ;;
                *) all=0 ;;
            esac
        done
        ((all)) && return 0
        ((SECONDS - t0 > limit)) && return 1
        sleep 0.5
    done
}

show_logs() {
    local f
    for f in "$dir"/log/*.log "$dir"/log/*.out; do
        [[ -s "$f" ]] || continue
        echo "---- $f (last 20 lines)" >&2
        tail -n 20 "$f" >&2 || true
    done
}

# ---------------------------------------------------------------- start

start_munged() {
    local key="$dir/munge/munge.key" socket="$dir/munge/munge.socket"
    mkdir -p "$dir/munge"
    chown munge:munge "$dir/munge"
    chmod 700 "$dir/munge"
    setpriv --reuid=munge --regid=munge --init-groups test -w "$dir/munge" ||
        die "user munge cannot reach $dir/munge: make the folders above it traversable (chmod o+x)"
    if [[ ! -f "$key" ]]; then
        mungekey --create --keyfile="$key" --force >/dev/null 2>&1 ||
            dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    fi
    chown munge:munge "$key"
    chmod 400 "$key"
    touch "$dir/log/munged.log"
    chown munge:munge "$dir/log/munged.log"
    # in the controller's namespace, so that every process of the cluster is in its namespaces
    nsenter --net="/run/netns/$(ns_of sqzhead)" -- \
        setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground --force \
        --key-file="$key" --socket="$socket" \
        --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
        --log-file="$dir/log/munged.log" >>"$dir/log/munged.log" 2>&1 </dev/null &
    echo $! >"$dir/pids/munged.pid"
    for _ in $(seq 100); do
        [[ -S "$socket" ]] && break
        sleep 0.1
    done
    [[ -S "$socket" ]] || return 1
    munge --socket="$socket" -n </dev/null | unmunge --socket="$socket" >/dev/null 2>&1
}

write_conf() {
    local socket="$dir/munge/munge.socket" cpus="${SQZ_SLURM_MN_CPUS:-2}"
    local timeout="${SQZ_SLURM_MN_TIMEOUT:-30}"
    local -a mems
    IFS=, read -r -a mems <<<"${SQZ_SLURM_MN_MEM:-8192,7168,6144}"
    local conf="$dir/slurm.conf" i node mem
    cat >"$conf" <<EOF
# generated by scripts/slurm/multinode.sh: a private multi-node test cluster, one network
# namespace per node on the bridge $MN_BRIDGE ($MN_PREFIX.0/24)
ClusterName=sqzmn$MN_ID
SlurmctldHost=sqzhead($MN_PREFIX.2)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
# cred_expire also sets how long a requeued job waits before it starts again (default 120 s)
AuthInfo=socket=$socket,cred_expire=10
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/nodes/%n/spool
TmpFS=$dir/nodes/%n/tmp
SlurmctldPidFile=$dir/state/slurmctld.pid.file
SlurmdPidFile=$dir/nodes/%n/slurmd.pid.file
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
TaskProlog=$dir/task-prolog.sh
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
# short scheduling cycles: a requeued job starts seconds after it becomes eligible
SchedulerParameters=sched_interval=5,bf_interval=5
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
# --mem is enforced by polling: a step over its memory is killed
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=2
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
# the nodes declare CPUs and RealMemory below, whatever this machine has
SlurmdParameters=config_overrides
# a node that fails ends its jobs (no automatic requeue: the tests resubmit, or the job
# asks for --requeue); a node that comes back (slurmd registers) is used again
JobRequeue=0
ReturnToService=2
# a node that does not answer for SlurmdTimeout seconds is DOWN and its jobs end; generous
# message timeouts, so that a busy machine (other tests) does not look like dead nodes
SlurmdTimeout=$timeout
SlurmctldTimeout=60
MessageTimeout=20
TCPTimeout=10
KillWait=5
MinJobAge=3600
InactiveLimit=0
PlugStackConfig=$dir/plugstack.conf
EOF
    i=0
    for node in $MN_NODES; do
        mem="${mems[$i]:-${mems[-1]}}"
        echo "NodeName=$node NodeHostname=$node NodeAddr=$(addr_of "$node") CPUs=$cpus RealMemory=$mem State=UNKNOWN" >>"$conf"
        echo "$mem" >"$dir/nodes/$node/real_memory_mb"
        i=$((i + 1))
    done
    echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO" >>"$conf"
    : >"$dir/plugstack.conf"
}

write_task_prolog() {
    cat >"$dir/task-prolog.sh" <<EOF
#!/bin/bash
# TaskProlog of the private multi-node cluster (generated by scripts/slurm/multinode.sh): runs
# before every task on its node; "export NAME=value" lines on stdout go into the task's
# environment.
dir="$dir"
subnet="$MN_PREFIX.0/24"
EOF
    cat >>"$dir/task-prolog.sh" <<'EOF'
node="${SLURMD_NODENAME:-$(hostname)}"
nd="$dir/nodes/$node"
# node-local temporary folder (Open MPI's session folder goes there)
echo "export TMPDIR=$nd/tmp"
# Open MPI: TCP between nodes over the bridge, no shared memory (the nodes share one kernel)
[[ -n "${OMPI_MCA_btl:-}" ]] || echo "export OMPI_MCA_btl=self,tcp"
[[ -n "${OMPI_MCA_pml:-}" ]] || echo "export OMPI_MCA_pml=ob1"
[[ -n "${OMPI_MCA_btl_tcp_if_include:-}" ]] || echo "export OMPI_MCA_btl_tcp_if_include=$subnet"
[[ -n "${OMPI_MCA_oob_tcp_if_include:-}" ]] || echo "export OMPI_MCA_oob_tcp_if_include=$subnet"
# Tasks of this step on this node: SLURM_STEP_TASKS_PER_NODE ("2(x3),1") at SLURM_NODEID.
local_tasks=1
if [[ -n "${SLURM_STEP_TASKS_PER_NODE:-}" && -n "${SLURM_NODEID:-}" ]]; then
    idx=0
    IFS=, read -r -a parts <<<"$SLURM_STEP_TASKS_PER_NODE"
    for p in "${parts[@]}"; do
        c="${p%%(*}"
        r=1
        [[ "$p" == *"(x"* ]] && r="${p#*(x}" && r="${r%)}"
        if ((SLURM_NODEID < idx + r)); then
            local_tasks="$c"
            break
        fi
        idx=$((idx + r))
    done
fi
# The node's memory as its kernel would report it: MemAvailable (its free memory) capped by
# the job's allocation on the node (a cgroup limit), divided among the tasks of the step on
# the node: what sqz computes by itself on a real node. Left alone when the job sets it.
free_mb="$(cat "$nd/mem_available_mb" 2>/dev/null || cat "$nd/real_memory_mb")"
alloc_mb="$free_mb"
if [[ -n "${SLURM_MEM_PER_NODE:-}" ]]; then
    alloc_mb="$SLURM_MEM_PER_NODE"
elif [[ -n "${SLURM_MEM_PER_CPU:-}" ]]; then
    alloc_mb=$((SLURM_MEM_PER_CPU * ${SLURM_CPUS_ON_NODE:-1}))
fi
((alloc_mb > 0 && alloc_mb < free_mb)) || alloc_mb="$free_mb"
share=$((alloc_mb * 1048576 / local_tasks))
if [[ -z "${SLURM_STEP_ID:-}" ]]; then
    # the batch script: its environment goes to the steps it starts, which get their own share
    limit="(batch script: none)"
elif [[ -z "${SQZ_MEMORY_LIMIT:-}" ]]; then
    echo "export SQZ_MEMORY_LIMIT=$share"
    limit="$share"
else
    limit="$SQZ_MEMORY_LIMIT (set by the job)"
fi
printf '%s job=%s step=%s rank=%s host=%s nodename=%s netns=%s local_tasks=%s mem_limit=%s\n' \
    "$(date +%s)" "${SLURM_JOB_ID:-?}" "${SLURM_STEP_ID:-batch}" "${SLURM_PROCID:-?}" "$(hostname)" \
    "$node" "$(readlink /proc/self/ns/net)" "$local_tasks" "$limit" >>"$dir/log/tasks.log"
exit 0
EOF
    chmod 755 "$dir/task-prolog.sh"
}

cmd_start() {
    need_root
    local nodes=3 arg
    [[ $# -ge 1 ]] || usage
    local d="$1"
    shift
    while [[ $# -gt 0 ]]; do
        arg="$1"
        shift
        case "$arg" in
            --nodes) nodes="${1:?--nodes N}" && shift ;;
            --nodes=*) nodes="${arg#--nodes=}" ;;
            *) usage ;;
        esac
    done
    [[ "$nodes" =~ ^[0-9]+$ ]] && ((nodes >= 2 && nodes <= 40)) || die "--nodes must be 2 .. 40"
    local c
    for c in ip nsenter unshare setpriv slurmctld slurmd sinfo scontrol munged munge; do
        command -v "$c" >/dev/null 2>&1 || die "$c not found (scripts/slurm/setup.sh installs what is needed)"
    done
    mkdir -p "$d"
    dir="$(cd "$d" && pwd)"
    [[ ! -f "$dir/cluster.env" ]] || die "$dir already holds a cluster: scripts/slurm/stop.sh $dir first"
    mkdir -p "$dir/log" "$dir/state" "$dir/pids" "$dir/nodes"
    chmod 755 "$dir" "$dir/log"

    # A free bridge: "ip link add" is atomic, so two clusters starting at once get two IDs.
    local net="${SQZ_SLURM_MN_NET:-10.217}" id="" i
    [[ "$net" =~ ^[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "SQZ_SLURM_MN_NET must be two octets, like 10.217"
    for i in $(seq 0 63); do
        if ip -4 addr show 2>/dev/null | grep -q "inet $net\.$i\."; then continue; fi
        if ip link add "sqzmn$i" type bridge 2>/dev/null; then
            id="$i"
            break
        fi
    done
    [[ -n "$id" ]] || die "no free bridge name sqzmn0 .. sqzmn63 / subnet $net.0-63.0/24"
    MN_ID="$id"
    MN_BRIDGE="sqzmn$id"
    MN_PREFIX="$net.$id"
    MN_NSPFX="sqzmn$id-"
    MN_NODES="$(for i in $(seq 1 "$nodes"); do printf 'sqzn%d ' "$i"; done)"
    MN_NODES="${MN_NODES% }"
    # a note for "gc": which folder owns this bridge
    mkdir -p "$REG" 2>/dev/null && echo "$dir" >"$REG/$MN_BRIDGE" || true
    cat >"$dir/cluster.env" <<EOF
MN_ID=$MN_ID
MN_BRIDGE=$MN_BRIDGE
MN_PREFIX=$MN_PREFIX
MN_NSPFX=$MN_NSPFX
MN_NODES="$MN_NODES"
EOF
    # from here on a failure cleans up what was made
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then show_logs; "$SELF" stop "$dir" >/dev/null 2>&1 || true; fi' EXIT

    # Network: bridge with the host's address, one namespace and veth pair per node.
    ip addr add "$MN_PREFIX.1/24" dev "$MN_BRIDGE"
    ip link set "$MN_BRIDGE" up
    if [[ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" == 1 ]]; then
        log "note: bridge-nf-call-iptables=1: iptables rules apply to the bridge; if nodes cannot reach each other, allow $MN_PREFIX.0/24 in FORWARD"
    fi
    local node ns veth
    for node in sqzhead $MN_NODES; do
        ns="$(ns_of "$node")"
        veth="$(veth_of "$node")"
        ip netns add "$ns"
        ip link add "$veth" type veth peer name eth0 netns "$ns"
        ip link set "$veth" master "$MN_BRIDGE"
        ip link set "$veth" up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$(addr_of "$node")/24" dev eth0
        ip -n "$ns" link set eth0 up
        mkdir -p "$dir/nodes/$node/tmp" "$dir/nodes/$node/spool"
        chmod 1777 "$dir/nodes/$node/tmp"
    done

    start_munged || die "munged did not start (socket $dir/munge/munge.socket)"
    write_conf
    write_task_prolog
    touch "$dir/log/tasks.log"
    chmod 666 "$dir/log/tasks.log"
    export SLURM_CONF="$dir/slurm.conf"

    boot sqzhead "$dir/log/slurmctld.out" /usr/sbin/slurmctld -D -c -i -f "$SLURM_CONF"
    for node in $MN_NODES; do
        boot "$node" "$dir/log/slurmd-$node.out" /usr/sbin/slurmd -D -f "$SLURM_CONF" -N "$node"
    done

    # The controller answers, then every node is idle.
    local t0=$SECONDS
    until timeout 10 scontrol ping 2>/dev/null | grep -q UP; do
        kill -0 "$(cat "$dir/pids/sqzhead.pid")" 2>/dev/null || die "slurmctld exited (see $dir/log)"
        ((SECONDS - t0 < 60)) || die "slurmctld not answering after 60 s"
        sleep 0.5
    done
    # shellcheck disable=SC2086
    wait_idle 90 $MN_NODES || {
        timeout 10 sinfo -N >&2 || true
        die "nodes not idle after 90 s"
    }
    # Node to node: every node reaches the slurmd of every other one over the bridge.
    local a b
    for a in $MN_NODES; do
        for b in $MN_NODES; do
            [[ "$a" == "$b" ]] && continue
            node_exec "$a" timeout 5 bash -c "exec 3<>/dev/tcp/$(addr_of "$b")/$((PORT + 1))" 2>/dev/null ||
                die "$a cannot open a TCP connection to $b ($(addr_of "$b"):$((PORT + 1)))"
        done
    done
    trap - EXIT
    log "cluster sqzmn$MN_ID up: nodes $MN_NODES ($MN_PREFIX.11 ..) on bridge $MN_BRIDGE, controller sqzhead ($MN_PREFIX.2:$PORT), folder $dir"
    echo "export SLURM_CONF=$dir/slurm.conf"
}

# ---------------------------------------------------------------- stop

cmd_stop() {
    [[ $# -ge 1 ]] || usage
    local d="$1" remove="${2:-}"
    [[ -d "$d" ]] || return 0
    dir="$(cd "$d" && pwd)"
    if [[ ! -f "$dir/cluster.env" ]]; then
        [[ "$remove" == --remove ]] && rm -rf "$dir"
        return 0
    fi
    # shellcheck source=/dev/null
    source "$dir/cluster.env"
    if [[ -f "$dir/slurm.conf" ]]; then
        SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1 || true
    fi
    local node ns
    # TERM to every process of every node (daemons, job steps), then KILL what is left
    for node in $MN_NODES sqzhead; do kill_node_procs "$node" TERM; done
    for node in $MN_NODES sqzhead; do
        wait_node_empty "$node" 5 || kill_node_procs "$node" KILL
    done
    for node in $MN_NODES sqzhead; do
        wait_node_empty "$node" 5 || log "processes of $node still alive: $(node_pids "$node" | tr '\n' ' ')"
        ns="$(ns_of "$node")"
        ip netns del "$ns" 2>/dev/null || true
        ip link del "$(veth_of "$node")" 2>/dev/null || true
    done
    ip link del "$MN_BRIDGE" 2>/dev/null || true
    local f pid
    if [[ -f "$dir/pids/munged.pid" ]]; then
        pid="$(cat "$dir/pids/munged.pid")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    for f in "$dir"/pids/*.pid; do rm -f "$f"; done
    rm -f "$dir/cluster.env" "$REG/$MN_BRIDGE"
    if [[ "$remove" == --remove ]]; then
        rm -rf "$dir"
    fi
}

# ---------------------------------------------------------------- node failures

cmd_kill_node() {
    need_root
    load "${1:?DIR}"
    local node="${2:?NODE}"
    valid_node "$node"
    # cable first, so that no FIN/RST reaches the other nodes: a crash, not an orderly exit
    ip link set "$(veth_of "$node")" down
    kill_node_procs "$node" KILL
    wait_node_empty "$node" 10 || die "processes of $node survived SIGKILL: $(node_pids "$node" | tr '\n' ' ')"
    rm -f "$dir/pids/$node.pid"
    log "node $node crashed (link down, every process killed)"
}

cmd_start_node() {
    need_root
    load "${1:?DIR}"
    local node="${2:?NODE}"
    valid_node "$node"
    [[ "$node" != sqzhead ]] || die "start-node is for compute nodes"
    [[ -z "$(node_pids "$node")" ]] || die "$node is running (kill-node first)"
    ip link set "$(veth_of "$node")" up
    export SLURM_CONF="$dir/slurm.conf"
    boot "$node" "$dir/log/slurmd-$node.out" /usr/sbin/slurmd -D -f "$SLURM_CONF" -N "$node"
    wait_idle 90 "$node" || die "$node not idle 90 s after its restart"
    log "node $node up again"
}

cmd_node_mem() {
    load "${1:?DIR}"
    local node="${2:?NODE}" mb="${3:-}"
    valid_node "$node"
    if [[ -z "$mb" ]]; then
        rm -f "$dir/nodes/$node/mem_available_mb"
    else
        [[ "$mb" =~ ^[0-9]+$ ]] || die "node-mem: MB must be a whole number of MiB"
        echo "$mb" >"$dir/nodes/$node/mem_available_mb"
    fi
}

cmd_exec() {
    load "${1:?DIR}"
    local node="${2:?NODE}"
    shift 2
    valid_node "$node"
    node_exec "$node" "$@"
}

# Removes clusters whose folder is gone or no longer holds them (a test killed before its
# cleanup): every process in their namespaces (munged included), the namespaces, the bridge.
cmd_gc() {
    need_root
    local f d id n ns
    for f in "$REG"/sqzmn*; do
        [[ -f "$f" ]] || continue
        d="$(cat "$f")"
        id="${f##*/sqzmn}"
        if [[ -f "$d/cluster.env" ]] && grep -qx "MN_ID=$id" "$d/cluster.env"; then
            continue
        fi
        log "removing the stale cluster sqzmn$id (folder $d is gone)"
        MN_ID="$id"
        MN_NSPFX="sqzmn$id-"
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$MN_NSPFX" || true); do
            n="${ns#"$MN_NSPFX"}"
            kill_node_procs "$n" KILL
            wait_node_empty "$n" 5 || true
            ip netns del "$ns" 2>/dev/null || true
            ip link del "$(veth_of "$n")" 2>/dev/null || true
        done
        ip link del "sqzmn$id" 2>/dev/null || true
        rm -f "$f"
    done
}

cmd_info() {
    load "${1:?DIR}"
    local node
    echo "cluster sqzmn$MN_ID, bridge $MN_BRIDGE ($MN_PREFIX.0/24), SLURM_CONF=$dir/slurm.conf"
    for node in sqzhead $MN_NODES; do
        printf '%-8s %-15s namespace %-16s veth %-8s pids %s\n' "$node" "$(addr_of "$node")" \
            "$(ns_of "$node")" "$(veth_of "$node")" "$(node_pids "$node" | wc -l)"
    done
}

# ---------------------------------------------------------------- main

case "${1:-}" in
    _boot)
        # inside the node's fresh UTS/IPC/mount namespaces
        shift
        echo "$1" >/proc/sys/kernel/hostname
        shift
        mount -t tmpfs -o mode=1777,size=25% sqz-node-shm /dev/shm
        exec "$@"
        ;;
    start) shift && cmd_start "$@" ;;
    stop) shift && cmd_stop "$@" ;;
    kill-node) shift && cmd_kill_node "$@" ;;
    start-node) shift && cmd_start_node "$@" ;;
    node-mem) shift && cmd_node_mem "$@" ;;
    exec) shift && cmd_exec "$@" ;;
    info) shift && cmd_info "$@" ;;
    gc) shift && cmd_gc "$@" ;;
    *) usage ;;
esac
