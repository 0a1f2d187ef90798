#!/usr/bin/env bash
# The architecture invariants of docs/architecture.md that the dependency graph shows, checked
# from `cargo metadata --format-version 1` (the declared dependencies of every workspace
# package, optional and dev-dependencies included):
#
#   1. layers: a crate depends only on sqz crates of lower layers (the table LAYERS below, the
#      same as in docs/architecture.md); a workspace crate missing from the table is an error;
#   2. sqz-krylov depends on no other sqz crate;
#   3. no crate other than sqz-study and the binary (sqz) declares mpi or HDF5 (hdf5-metno);
#   4. no library crate declares clap (the command line is the binary's);
#   5. (from the sources) no print macro in sqz-model, sqz-krylov, sqz-superop, sqz-dynamics,
#      sqz-permutational, sqz-reproduce: libraries return values and report progress through callbacks (sqz-study
#      prints through its `out` module, sqz-steady one timing line under SQZ_TRACE);
#   6. sqz-testkit (the shared test kit, layer 0.5) is only ever a dev-dependency: no crate
#      depends on it normally (nor as a build dependency).
#
#   scripts/check-architecture.sh [--self-test]
#
# Before the real check, a self-test feeds made-up metadata with one violation of each rule and
# fails unless each is reported (--self-test: only that). Exit code 0: every invariant holds;
# 1: a violation (each is printed); 2: cargo or python3 missing, or the metadata unreadable.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "check-architecture: $tool not found" >&2
        exit 2
    fi
done

read -r -d '' CHECK <<'PY' || true
import json, sys

# Layer of every workspace crate (docs/architecture.md, "Crates and layers"). A crate may depend
# only on sqz crates of a lower layer; crates of one layer are independent of each other.
LAYERS = {
    "sqz-krylov": 0, "sqz-model": 0,
    "sqz-testkit": 0.5,
    "sqz-superop": 1,
    "sqz-steady": 2, "sqz-dynamics": 2, "sqz-permutational": 2,
    "sqz-study": 3, "sqz-reproduce": 3,
    "sqz": 4, "sqz-benches": 4,
}
IO_ALLOWED = {"sqz-study", "sqz"}
IO_CRATES = {"mpi", "hdf5", "hdf5-metno"}
TEST_ONLY = {"sqz-testkit"}

def violations(meta):
    out = []
    ws = {p["name"]: p for p in meta["packages"] if p["id"] in set(meta["workspace_members"])}
    for name in sorted(ws):
        if name not in LAYERS:
            out.append(f"{name}: not in the layer table; add it to LAYERS in "
                       "scripts/check-architecture.sh and to docs/architecture.md")
    for name, p in sorted(ws.items()):
        is_lib = any("lib" in t["kind"] or "rlib" in t["kind"] for t in p["targets"])
        for d in p["dependencies"]:
            dep, kind = d["name"], d["kind"] or "normal"
            if dep in ws or dep in LAYERS or dep.startswith("sqz-"):
                if name == "sqz-krylov":
                    out.append(f"sqz-krylov depends on {dep}: it must depend on no other sqz crate")
                elif name in LAYERS and dep in LAYERS and LAYERS[dep] >= LAYERS[name]:
                    out.append(f"{name} (layer {LAYERS[name]}) depends on {dep} (layer "
                               f"{LAYERS[dep]}, {kind}): only lower layers may be used")
            if dep in IO_CRATES and name not in IO_ALLOWED and kind != "dev":
                out.append(f"{name} depends on {dep}: only sqz-study and the binary link MPI "
                           "or HDF5")
            if dep in TEST_ONLY and kind != "dev":
                out.append(f"{name} depends on {dep} ({kind}): the test kit is a dev-dependency "
                           "only")
            if dep == "clap" and is_lib and kind != "dev":
                out.append(f"{name} (a library) depends on clap: the command line is the binary's")
    return out

def fake(packages):
    pk = []
    for name, deps, kinds in packages:
        pk.append({"name": name, "id": name,
                   "targets": [{"kind": kinds}],
                   "dependencies": [{"name": d, "kind": k} for d, k in deps]})
    return {"packages": pk, "workspace_members": [p["id"] for p in pk]}

def self_test():
    cases = [
        ([("sqz-krylov", [("sqz-model", None)], ["lib"])], "sqz-krylov depends on sqz-model"),
        ([("sqz-model", [("sqz-steady", None)], ["lib"]), ("sqz-steady", [], ["lib"])],
         "sqz-model (layer 0) depends on sqz-steady"),
        ([("sqz-steady", [("sqz-dynamics", None)], ["lib"]), ("sqz-dynamics", [], ["lib"])],
         "sqz-steady (layer 2) depends on sqz-dynamics"),
        ([("sqz-permutational", [("sqz-steady", None)], ["lib"]), ("sqz-steady", [], ["lib"])],
         "sqz-permutational (layer 2) depends on sqz-steady"),
        ([("sqz-dynamics", [("hdf5-metno", None)], ["lib"])], "sqz-dynamics depends on hdf5-metno"),
        ([("sqz-reproduce", [("mpi", None)], ["lib"])], "sqz-reproduce depends on mpi"),
        ([("sqz-steady", [("clap", None)], ["lib"])], "sqz-steady (a library) depends on clap"),
        ([("sqz-newcrate", [], ["lib"])], "sqz-newcrate: not in the layer table"),
        ([("sqz-superop", [("sqz-testkit", None)], ["lib"]), ("sqz-testkit", [], ["lib"])],
         "sqz-superop depends on sqz-testkit (normal)"),
        ([("sqz", [("sqz-testkit", "build")], ["bin"]), ("sqz-testkit", [], ["lib"])],
         "sqz depends on sqz-testkit (build)"),
        ([("sqz-testkit", [("sqz-superop", None)], ["lib"]), ("sqz-superop", [], ["lib"])],
         "sqz-testkit (layer 0.5) depends on sqz-superop"),
    ]
    for meta, want in cases:
        got = violations(fake(meta))
        if not any(want in v for v in got):
            print(f"check-architecture self-test: expected a violation {want!r}, got {got}")
            sys.exit(1)
    ok = fake([("sqz-model", [], ["lib"]), ("sqz-study", [("sqz-model", None), ("hdf5-metno", None),
               ("mpi", None)], ["lib"]), ("sqz", [("clap", None), ("sqz-study", None),
               ("sqz-testkit", "dev")], ["bin"]), ("sqz-testkit", [("sqz-model", None)], ["lib"]),
               ("sqz-superop", [("sqz-model", None), ("sqz-testkit", "dev")], ["lib"])])
    if violations(ok):
        print(f"check-architecture self-test: false alarm {violations(ok)}")
        sys.exit(1)

self_test()
if sys.argv[1] == "--self-test":
    print("check-architecture: self-test ok")
    sys.exit(0)
meta = json.load(sys.stdin)
bad = violations(meta)
for v in bad:
    print(f"architecture invariant broken: {v}")
if bad:
    sys.exit(1)
n = len(meta["workspace_members"])
print(f"check-architecture: ok ({n} workspace crates: layers, sqz-krylov alone, MPI and HDF5 only "
      "in sqz-study and sqz, no clap in a library, sqz-testkit only as a dev-dependency)")
PY

if [[ "${1:-}" == "--self-test" ]]; then
    python3 -c "$CHECK" --self-test </dev/null
    exit $?
fi
meta="$(cargo metadata --format-version 1 --no-deps)" || {
    echo "check-architecture: cargo metadata failed" >&2
    exit 2
}
python3 -c "$CHECK" --check <<<"$meta"

quiet_crates=(crates/model crates/krylov crates/superop crates/dynamics crates/permutational
    crates/reproduce)
prints="$(grep -rnE '(^|[^_[:alnum:]])e?print(ln)?!' "${quiet_crates[@]/%//src}" |
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)"
if [[ -n "$prints" ]]; then
    echo "architecture invariant broken: a library prints (return the value, or take a callback):"
    echo "$prints"
    exit 1
fi
echo "check-architecture: ok (no print macro in ${quiet_crates[*]#crates/})"
