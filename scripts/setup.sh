#!/usr/bin/env bash
# sqz build environment: make sure the system libraries that sqz links are
# present, and export what the cargo build needs.
#
#   source scripts/setup.sh            (what scripts/test.sh and scripts/run.sh do)
#   scripts/setup.sh [--dry-run] [--verbose]
#
# Needs: cargo, a C compiler, python3, pkg-config, HDF5 (libhdf5-dev), and,
# once the `sqz` crate has an `mpi` feature: MPI (libopenmpi-dev, openmpi-bin,
# `mpicc`) and libclang (libclang-dev, for the bindgen step of rsmpi).
#
# What it does:
#   * root with apt-get (fresh Debian/Ubuntu, CI): installs the missing Debian
#     packages (one `apt-get update`, then `apt-get install -y --no-install-recommends`).
#   * not root: the same through `sudo -n` when that works without a password;
#     otherwise, when a module system exists (Lmod / environment modules), tries
#     `module load` for what is missing, then reports each missing piece and how
#     to provide it, and fails.
#   * exports: SQZ_ROOT (repository root), SQZ_FEATURE_ARGS ("--features sqz/mpi"
#     when the sqz crate has an `mpi` feature and SQZ_NO_MPI is not 1, else empty),
#     HDF5_DIR when HDF5 was found through a module (HDF5_ROOT, EBROOTHDF5, h5cc, ...),
#     and, as root, OMPI_ALLOW_RUN_AS_ROOT{,_CONFIRM}=1 so that Open MPI starts.
#   * silent when everything is present (sourced); `--verbose` or
#     SQZ_SETUP_VERBOSE=1 prints what was found.
#
# Settings (environment):
#   SQZ_NO_MPI=1          build without the `mpi` feature; MPI and libclang are not required
#   SQZ_MODULES="a b"     module names to load on a cluster (default: the missing ones
#                         among openmpi, hdf5, llvm)
#   HDF5_DIR, MPICC, MPI_PKG_CONFIG, LIBCLANG_PATH   honoured as the Rust build scripts do
#   SQZ_SETUP_DRY_RUN=1   print the apt-get / sudo / module commands instead of running them
#   SQZ_SETUP_PRETEND_MISSING="..."   testing aid: Debian package names to treat as not
#                         installed, and @root @sudo @module @apt @cargo @cc @python3 @hdf5
#                         @mpi @libclang to treat that capability as absent
#
# Works under `set -euo pipefail` and does not change the caller's shell options.

__sqz_log() { printf 'sqz setup: %s\n' "$*" >&2; }

__sqz_vlog() {
    if [[ "${SQZ_SETUP_VERBOSE:-0}" == 1 ]]; then __sqz_log "$@"; fi
    return 0
}

__sqz_pretend() {
    [[ " ${SQZ_SETUP_PRETEND_MISSING:-} " == *" $1 "* ]]
}

__sqz_have_cmd() {
    if __sqz_pretend "@$1"; then return 1; fi
    command -v "$1" >/dev/null 2>&1
}

__sqz_is_root() {
    if __sqz_pretend @root; then return 1; fi
    [[ "$(id -u)" == 0 ]]
}

# Prints "dry-run: CMD" or runs CMD.
__sqz_run() {
    if [[ "${SQZ_SETUP_DRY_RUN:-0}" == 1 ]]; then
        __sqz_log "dry-run: $*"
        return 0
    fi
    "$@"
}

# Does the `sqz` crate declare a feature `mpi` (a key `mpi = ...` in its [features] table)?
sqz_has_mpi_feature() {
    local manifest="${SQZ_ROOT:?}/crates/driver/Cargo.toml"
    [[ -r "$manifest" ]] || return 1
    awk '
        /^[[:space:]]*\[/ { in_features = ($0 ~ /^[[:space:]]*\[features\][[:space:]]*(#.*)?$/); next }
        in_features && /^[[:space:]]*"?mpi"?[[:space:]]*=/ { found = 1 }
        END { exit(found ? 0 : 1) }
    ' "$manifest"
}

# Is the MPI build needed (feature present and not switched off)?
__sqz_mpi_wanted() {
    [[ "${SQZ_NO_MPI:-0}" != 1 ]] && sqz_has_mpi_feature
}

# ---------------------------------------------------------------- component checks

__sqz_find_cargo() {
    if __sqz_pretend @cargo; then return 1; fi
    if command -v cargo >/dev/null 2>&1; then return 0; fi
    local d
    for d in "${CARGO_HOME:-}/bin" "${HOME:-}/.cargo/bin"; do
        if [[ -n "$d" && "$d" != /bin && -x "$d/cargo" ]]; then
            PATH="$d:$PATH"
            export PATH
            return 0
        fi
    done
    return 1
}

__sqz_check_cc() {
    if __sqz_pretend @cc; then return 1; fi
    __sqz_have_cmd cc || __sqz_have_cmd gcc
}

__sqz_check_python() {
    __sqz_have_cmd python3
}

__sqz_is_hdf5_root() {
    [[ -n "$1" && "$1" == /* && -f "$1/include/H5pubconf.h" ]]
}

# Finds HDF5 the way hdf5-metno-sys does: HDF5_DIR, else pkg-config `hdf5`, else the
# Debian serial layout. On clusters, HDF5_DIR is derived from module variables or h5cc.
__sqz_check_hdf5() {
    if __sqz_pretend @hdf5; then return 1; fi
    if [[ -n "${HDF5_DIR:-}" ]]; then
        if __sqz_is_hdf5_root "$HDF5_DIR"; then return 0; fi
        __SQZ_HDF5_NOTE="HDF5_DIR=$HDF5_DIR is set but is not an absolute directory with include/H5pubconf.h"
        return 1
    fi
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists hdf5 2>/dev/null; then
        return 0
    fi
    if [[ -f /usr/include/hdf5/serial/H5pubconf.h || -f /usr/include/H5pubconf.h ]]; then
        return 0
    fi
    local cand tool
    for cand in "${HDF5_ROOT:-}" "${HDF5_HOME:-}" "${HDF5_PATH:-}" "${EBROOTHDF5:-}" \
        "${TACC_HDF5_DIR:-}" "${OLCF_HDF5_ROOT:-}"; do
        if __sqz_is_hdf5_root "$cand"; then
            export HDF5_DIR="$cand"
            return 0
        fi
    done
    for tool in h5cc h5pcc; do
        if command -v "$tool" >/dev/null 2>&1; then
            cand="$(cd "$(dirname "$(command -v "$tool")")/.." && pwd)"
            if __sqz_is_hdf5_root "$cand"; then
                export HDF5_DIR="$cand"
                return 0
            fi
        fi
    done
    return 1
}

# build-probe-mpi (used by the `mpi` crate) runs `$MPICC -show`, then pkg-config.
__sqz_check_mpi() {
    if __sqz_pretend @mpi; then return 1; fi
    local mpicc="${MPICC:-mpicc}"
    if command -v "$mpicc" >/dev/null 2>&1 && "$mpicc" -show >/dev/null 2>&1; then
        return 0
    fi
    if command -v pkg-config >/dev/null 2>&1; then
        local pc
        for pc in "${MPI_PKG_CONFIG:-}" mpich ompi; do
            if [[ -n "$pc" ]] && pkg-config --exists "$pc" 2>/dev/null; then return 0; fi
        done
    fi
    return 1
}

__sqz_dir_has_libclang() {
    local f
    [[ -n "$1" && -d "$1" ]] || return 1
    for f in "$1"/libclang.so "$1"/libclang.so.* "$1"/libclang-*.so "$1"/libclang-*.so.*; do
        if [[ -e "$f" ]]; then return 0; fi
    done
    return 1
}

# Mirrors clang-sys: LIBCLANG_PATH, `llvm-config --libdir`, LD_LIBRARY_PATH, system dirs.
__sqz_check_libclang() {
    if __sqz_pretend @libclang; then return 1; fi
    if [[ -n "${LIBCLANG_PATH:-}" ]]; then
        if __sqz_dir_has_libclang "$LIBCLANG_PATH" || [[ -f "$LIBCLANG_PATH" ]]; then return 0; fi
        __SQZ_LIBCLANG_NOTE="LIBCLANG_PATH=$LIBCLANG_PATH is set but holds no libclang.so"
        return 1
    fi
    local d libdir
    if command -v "${LLVM_CONFIG_PATH:-llvm-config}" >/dev/null 2>&1; then
        libdir="$("${LLVM_CONFIG_PATH:-llvm-config}" --libdir 2>/dev/null || true)"
        if __sqz_dir_has_libclang "$libdir"; then return 0; fi
    fi
    local -a ldpath=()
    IFS=: read -r -a ldpath <<<"${LD_LIBRARY_PATH:-}"
    for d in ${ldpath[@]+"${ldpath[@]}"}; do
        if __sqz_dir_has_libclang "$d"; then return 0; fi
    done
    for d in /usr/lib/llvm-*/lib /usr/lib64/llvm*/lib /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu \
        /usr/lib64 /usr/lib /usr/local/llvm*/lib /usr/local/lib; do
        if __sqz_dir_has_libclang "$d"; then return 0; fi
    done
    return 1
}

# Fills __SQZ_MISSING with the names of missing components (cargo cc python3 hdf5 mpi libclang).
__sqz_check_all() {
    __SQZ_MISSING=()
    __SQZ_HDF5_NOTE=""
    __SQZ_LIBCLANG_NOTE=""
    __sqz_find_cargo || __SQZ_MISSING+=(cargo)
    __sqz_check_cc || __SQZ_MISSING+=(cc)
    __sqz_check_python || __SQZ_MISSING+=(python3)
    __sqz_check_hdf5 || __SQZ_MISSING+=(hdf5)
    if __sqz_mpi_wanted; then
        __sqz_check_mpi || __SQZ_MISSING+=(mpi)
        __sqz_check_libclang || __SQZ_MISSING+=(libclang)
    fi
    return 0
}

# ---------------------------------------------------------------- Debian packages

__SQZ_DEBS=(pkg-config libhdf5-dev libopenmpi-dev openmpi-bin libclang-dev build-essential python3)

__sqz_missing_debs() {
    __SQZ_MISSING_DEBS=()
    local p status
    for p in "${__SQZ_DEBS[@]}"; do
        status=""
        if ! __sqz_pretend "$p"; then
            status="$(dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null || true)"
        fi
        case "$status" in
            *" ok installed"*) ;;
            *) __SQZ_MISSING_DEBS+=("$p") ;;
        esac
    done
    return 0
}

# Runs apt-get (as root, or through "sudo -n") to install __SQZ_MISSING_DEBS.
__sqz_apt_install() {
    local -a pre=()
    if ! __sqz_is_root; then pre=(sudo -n); fi
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    __sqz_log "installing missing system packages: ${__SQZ_MISSING_DEBS[*]}"
    if [[ "${__SQZ_APT_UPDATED:-0}" != 1 ]]; then
        if ! __sqz_run ${pre[@]+"${pre[@]}"} "${apt[@]}" update </dev/null >&2; then
            __sqz_log "apt-get update failed"
            return 1
        fi
        __SQZ_APT_UPDATED=1
    fi
    if ! __sqz_run ${pre[@]+"${pre[@]}"} "${apt[@]}" install -y --no-install-recommends \
        "${__SQZ_MISSING_DEBS[@]}" </dev/null >&2; then
        __sqz_log "apt-get install failed"
        return 1
    fi
    hash -r
    return 0
}

# ---------------------------------------------------------------- modules (clusters)

# Makes the `module` command available in this (possibly non-interactive) shell.
__sqz_init_module() {
    if __sqz_pretend @module; then return 1; fi
    if [[ "$(type -t module 2>/dev/null || true)" == function ]]; then return 0; fi
    local f
    for f in "${MODULESHOME:-/nonexistent}/init/bash" /etc/profile.d/lmod.sh /etc/profile.d/modules.sh \
        /usr/share/lmod/lmod/init/bash /usr/share/modules/init/bash; do
        if [[ -r "$f" ]]; then
            # shellcheck disable=SC1090
            source "$f" >/dev/null 2>&1 || true
            if [[ "$(type -t module 2>/dev/null || true)" == function ]]; then return 0; fi
        fi
    done
    if [[ -n "${LMOD_CMD:-}" && -x "${LMOD_CMD}" ]]; then
        module() { eval "$("$LMOD_CMD" bash "$@")"; }
        return 0
    fi
    if command -v modulecmd >/dev/null 2>&1; then
        module() { eval "$(modulecmd bash "$@")"; }
        return 0
    fi
    return 1
}

# module load of the default names for the missing components (or of $SQZ_MODULES).
__sqz_try_modules() {
    local -a names=()
    if [[ -n "${SQZ_MODULES:-}" ]]; then
        read -r -a names <<<"$SQZ_MODULES"
    else
        local m
        for m in "${__SQZ_MISSING[@]}"; do
            case "$m" in
                mpi) names+=(openmpi) ;;
                hdf5) names+=(hdf5) ;;
                libclang) names+=(llvm) ;;
            esac
        done
        # MPI first: in a hierarchical Lmod tree, hdf5 may only be visible after it.
        local -a ordered=()
        for m in openmpi hdf5 llvm; do
            if [[ " ${names[*]-} " == *" $m "* ]]; then ordered+=("$m"); fi
        done
        names=(${ordered[@]+"${ordered[@]}"})
    fi
    if [[ ${#names[@]} -eq 0 ]]; then return 1; fi
    __sqz_init_module || return 1
    local loaded="" n restore="" # not "$(set +o)": a subshell does not report errexit
    if [[ $- == *e* ]]; then restore+="set -e;"; fi
    if [[ $- == *u* ]]; then restore+="set -u;"; fi
    if shopt -qo pipefail; then restore+="set -o pipefail;"; fi
    set +eu +o pipefail # module scripts are not written for strict mode
    for n in "${names[@]}"; do
        if [[ "${SQZ_SETUP_DRY_RUN:-0}" == 1 ]]; then
            __sqz_log "dry-run: module load $n"
        elif module load "$n" >/dev/null 2>&1; then
            loaded+=" $n"
        fi
    done
    eval "$restore"
    if [[ -n "$loaded" ]]; then
        __sqz_log "loaded modules:$loaded (load them in your job scripts too)"
        __SQZ_LOADED_MODULES="${loaded# }"
        hash -r
    fi
    return 0
}

# ---------------------------------------------------------------- report

__sqz_report_missing() {
    local m
    __sqz_log "cannot build sqz: missing build requirements:"
    for m in "${__SQZ_MISSING[@]}"; do
        case "$m" in
            cargo)
                cat >&2 <<'EOF'
  - cargo (Rust toolchain, 1.84 or newer) not found in PATH nor in ~/.cargo/bin.
      Install rustup from https://rustup.rs (as your user, no root needed):
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
      then open a new shell or run: source "$HOME/.cargo/env"
EOF
                ;;
            cc)
                cat >&2 <<'EOF'
  - C compiler (cc/gcc), used by the build scripts of the HDF5 and MPI bindings.
      Debian/Ubuntu: sudo apt-get install build-essential      RHEL/Rocky: sudo dnf install gcc
      Cluster: module load gcc
EOF
                ;;
            python3)
                cat >&2 <<'EOF'
  - python3 (used by the test and reproduction scripts).
      Debian/Ubuntu: sudo apt-get install python3      Cluster: module load python
EOF
                ;;
            hdf5)
                if [[ -n "${__SQZ_HDF5_NOTE:-}" ]]; then echo "  ! ${__SQZ_HDF5_NOTE}" >&2; fi
                cat >&2 <<'EOF'
  - HDF5 C library and headers (1.10 or newer; results are written as HDF5).
      Debian/Ubuntu: sudo apt-get install --no-install-recommends pkg-config libhdf5-dev
      RHEL/Rocky:    sudo dnf install hdf5-devel pkgconf-pkg-config
      Cluster: module load hdf5, or export HDF5_DIR=/abs/prefix (with include/H5pubconf.h
               and lib/libhdf5.so) and add $HDF5_DIR/lib to LD_LIBRARY_PATH
EOF
                ;;
            mpi)
                cat >&2 <<'EOF'
  - MPI (the `mpicc` compiler wrapper of Open MPI or MPICH), for the `mpi` feature of sqz.
      Debian/Ubuntu: sudo apt-get install --no-install-recommends libopenmpi-dev openmpi-bin
      RHEL/Rocky:    sudo dnf install openmpi-devel && module load mpi/openmpi-x86_64
      Cluster: module load openmpi (or your site's MPI), or export MPICC=/path/to/mpicc
      Or build without MPI (single node only): export SQZ_NO_MPI=1
EOF
                ;;
            libclang)
                if [[ -n "${__SQZ_LIBCLANG_NOTE:-}" ]]; then echo "  ! ${__SQZ_LIBCLANG_NOTE}" >&2; fi
                cat >&2 <<'EOF'
  - libclang (bindgen generates the MPI bindings with it at build time).
      Debian/Ubuntu: sudo apt-get install --no-install-recommends libclang-dev
      RHEL/Rocky:    sudo dnf install clang-devel
      Cluster: module load llvm (or clang), or export LIBCLANG_PATH=/dir/containing/libclang.so
      Or build without MPI (single node only): export SQZ_NO_MPI=1
EOF
                ;;
        esac
    done
    if [[ ${#__SQZ_MISSING_DEBS[@]} -gt 0 ]]; then
        __sqz_log "missing Debian packages (root can install them all at once):"
        echo "    sudo apt-get install -y --no-install-recommends ${__SQZ_MISSING_DEBS[*]}" >&2
    fi
    return 0
}

__sqz_report_found() {
    __sqz_vlog "repository: $SQZ_ROOT"
    __sqz_vlog "cargo: $(cargo --version 2>/dev/null || echo '?')"
    if [[ -n "${HDF5_DIR:-}" ]]; then
        __sqz_vlog "HDF5: HDF5_DIR=$HDF5_DIR"
    elif command -v pkg-config >/dev/null 2>&1 && pkg-config --exists hdf5 2>/dev/null; then
        __sqz_vlog "HDF5: $(pkg-config --modversion hdf5 2>/dev/null) ($(pkg-config --cflags-only-I hdf5 2>/dev/null))"
    else
        __sqz_vlog "HDF5: system headers"
    fi
    if __sqz_check_mpi; then
        __sqz_vlog "MPI: $(command -v "${MPICC:-mpicc}" 2>/dev/null || echo pkg-config)"
    else
        __sqz_vlog "MPI: not found (not needed: sqz has no mpi feature or SQZ_NO_MPI=1)"
    fi
    __sqz_vlog "cargo feature arguments: ${SQZ_FEATURE_ARGS:-(none)}"
    return 0
}

# ---------------------------------------------------------------- main

sqz_setup() {
    SQZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    export SQZ_ROOT
    __SQZ_MISSING=()
    __SQZ_MISSING_DEBS=()
    __SQZ_LOADED_MODULES=""

    # 1. Debian/Ubuntu packages.
    if __sqz_have_cmd dpkg-query; then
        __sqz_missing_debs
        if [[ ${#__SQZ_MISSING_DEBS[@]} -gt 0 ]]; then
            if __sqz_have_cmd apt-get && __sqz_is_root; then
                __sqz_apt_install || return 1
                if [[ "${SQZ_SETUP_DRY_RUN:-0}" != 1 ]]; then __sqz_missing_debs; fi
            elif __sqz_have_cmd apt-get && __sqz_have_cmd sudo && sudo -n true >/dev/null 2>&1; then
                __sqz_apt_install || return 1
                if [[ "${SQZ_SETUP_DRY_RUN:-0}" != 1 ]]; then __sqz_missing_debs; fi
            else
                __sqz_vlog "not root and no password-less sudo: cannot install ${__SQZ_MISSING_DEBS[*]}"
            fi
        fi
    fi

    # 2. What the build actually uses; on a cluster, try the module system.
    __sqz_check_all
    if [[ ${#__SQZ_MISSING[@]} -gt 0 ]]; then
        if __sqz_try_modules; then
            __sqz_check_all
        fi
    fi
    if [[ ${#__SQZ_MISSING[@]} -gt 0 ]]; then
        __sqz_report_missing
        return 1
    fi

    # 3. Exports.
    if __sqz_mpi_wanted; then
        SQZ_FEATURE_ARGS="--features sqz/mpi"
    else
        SQZ_FEATURE_ARGS=""
    fi
    export SQZ_FEATURE_ARGS
    if [[ -n "${HDF5_DIR:-}" && -d "$HDF5_DIR/lib" && ":${LD_LIBRARY_PATH:-}:" != *":$HDF5_DIR/lib:"* ]]; then
        LD_LIBRARY_PATH="$HDF5_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        export LD_LIBRARY_PATH
    fi
    if __sqz_is_root; then
        # Open MPI refuses to start as root (CI, containers) without these.
        export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}"
        export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
    fi
    __sqz_report_found
    return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    # Executed, not sourced.
    set -euo pipefail
    for __sqz_arg in "$@"; do
        case "$__sqz_arg" in
            --dry-run) export SQZ_SETUP_DRY_RUN=1 ;;
            -v | --verbose) export SQZ_SETUP_VERBOSE=1 ;;
            -h | --help)
                sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
            *)
                echo "usage: $0 [--dry-run] [--verbose]" >&2
                exit 2
                ;;
        esac
    done
    sqz_setup
    if [[ "${SQZ_SETUP_VERBOSE:-0}" != 1 ]]; then
        __sqz_log "ok: all build requirements present${SQZ_FEATURE_ARGS:+ (cargo $SQZ_FEATURE_ARGS)}"
    fi
else
    sqz_setup
fi
