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
#   6. sqz-testkit (the shared test kit, layer 0.5) is only ever a dev-dependency: no crate
#      depends on it normally (nor as a build dependency).
#
# and, from the sources (comments and string literals ignored):
#
#   5. no print macro (print!, println!, eprint!, eprintln!) in sqz-model, sqz-krylov,
#      sqz-superop, sqz-dynamics, sqz-permutational, sqz-reproduce: libraries return values and
#      report progress through callbacks (sqz-study prints through its `out` module); sqz-steady
#      has exactly one print site, an eprintln! in a function that reads SQZ_TRACE (the timing
#      line of `twolevel`), and no other print macro;
#   7. no module cycle inside a crate: the graph of each crate's top-level modules (src/X.rs or
#      src/X/mod.rs, their submodules folded into X) from `crate::X`, `use crate::{X, ..}` and
#      `super::` paths that reach the crate root has no cycle;
#   8. no function over 120 lines (from `fn` to its closing brace) in crates/*/src, except one
#      with the comment line `// architecture: long function (REASON)` directly above it (SIMD
#      kernels whose length is documented).
#
# Exceptions to 7 and 8 are listed in scripts/architecture-allow.txt (`path:function LINES
# REASON`, `cycle CRATE A -> B -> A REASON`); an entry that no longer applies, or a listed
# function longer than its recorded LINES, is a violation too.
#
#   scripts/check-architecture.sh [--self-test]
#
# Before the real check, a self-test feeds made-up metadata and made-up sources with one violation
# of each rule and fails unless each is reported (--self-test: only that). Exit code 0: every
# invariant holds; 1: a violation (each is printed); 2: cargo or python3 missing, or the metadata
# unreadable.
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
    "sqz-superop": 1, "sqz-permutational": 1,
    "sqz-steady": 2, "sqz-dynamics": 2,
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
        ([("sqz-permutational", [("sqz-superop", None)], ["lib"]), ("sqz-superop", [], ["lib"])],
         "sqz-permutational (layer 1) depends on sqz-superop"),
        ([("sqz-permutational", [("sqz-steady", None)], ["lib"]), ("sqz-steady", [], ["lib"])],
         "sqz-permutational (layer 1) depends on sqz-steady"),
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

read -r -d '' SOURCES <<'PY' || true
import bisect, glob, os, re, sys

FN_LINES_MAX = 120
ALLOWLIST = "scripts/architecture-allow.txt"
MARKER = re.compile(r"^\s*//\s*architecture: long function \(.+\)\s*$")
PRINT = re.compile(r"(?<![\w$])(e?print(?:ln)?)!")
QUIET = ["sqz-model", "sqz-krylov", "sqz-superop", "sqz-dynamics", "sqz-permutational",
         "sqz-reproduce"]
TRACED = "sqz-steady"

def strip(text):
    """The text with comments and the contents of string and char literals blanked (newlines
    kept, so offsets and line numbers stay)."""
    out, i, n = list(text), 0, len(text)
    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and \
                re.match(r"b?r(#*)\"", text[i:i + 260]):
            m = re.match(r"b?r(#*)\"", text[i:])
            close = "\"" + m.group(1)
            j = text.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            blank(i, j)
            i = j
        elif c == "\"":
            j = i + 1
            while j < n and text[j] != "\"":
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            if text.startswith("\\", i + 1):
                j = text.find("'", i + 3)
                blank(i, j + 1)
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1  # a lifetime
        else:
            i += 1
    return "".join(out)

def line_of(text, pos):
    return text.count("\n", 0, pos) + 1

def closing_brace(s, start):
    """Offset of the brace that closes the one at `start`."""
    depth = 0
    for k in range(start, len(s)):
        if s[k] == "{":
            depth += 1
        elif s[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(s) - 1

def functions(text):
    """(name, first line, lines) of every function with a body: from the line of `fn` to the
    line of its closing brace."""
    s = strip(text)
    found = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_]\w*)", s):
        depth, k = 0, m.end()
        while k < len(s):
            ch = s[k]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif depth == 0 and ch in ";{":
                break
            k += 1
        if k >= len(s) or s[k] == ";":
            continue
        first, last = line_of(s, m.start()), line_of(s, closing_brace(s, k))
        found.append((m.group(1), first, last - first + 1))
    return found

def marked(lines, first):
    """Whether the comment and attribute lines directly above line `first` (1-based) hold the
    long-function marker."""
    k = first - 2
    while k >= 0 and re.match(r"^\s*(//|#\[)", lines[k]):
        if MARKER.match(lines[k]):
            return True
        k -= 1
    return False

def parse_allow(text):
    """({(path, function): lines}, {(crate, frozenset of modules)}) of the allowlist."""
    allow, allow_cycles = {}, set()
    for no, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(\S+):(\w+)\s+(\d+)\s+(\S.*)$", line)
        c = re.match(r"^cycle\s+(\S+)\s+(\w+(?:\s*->\s*\w+)+)\s+(\S.*)$", line)
        if m:
            allow[(m.group(1), m.group(2))] = int(m.group(3))
        elif c:
            allow_cycles.add((c.group(1), frozenset(re.split(r"\s*->\s*", c.group(2)))))
        else:
            raise ValueError(f"{ALLOWLIST}:{no}: expected 'path:function LINES REASON' or "
                             f"'cycle CRATE A -> B -> A REASON', got {line!r}")
    return allow, allow_cycles

def long_functions(files, allow):
    """Violations of the function-length rule in `files` ({path: text}) with the allowlist
    `allow` ({(path, function): recorded lines})."""
    out, seen = [], {}
    for path in sorted(files):
        text = files[path]
        lines = text.split("\n")
        for name, first, length in functions(text):
            if length <= FN_LINES_MAX or marked(lines, first):
                continue
            key = (path, name)
            seen[key] = max(seen.get(key, 0), length)
            if key not in allow:
                out.append(f"{path}:{first}: fn {name} has {length} lines (more than "
                           f"{FN_LINES_MAX}): split it, or mark a documented kernel with "
                           "'// architecture: long function (REASON)' directly above it")
            elif length > allow[key]:
                out.append(f"{path}:{first}: fn {name} has {length} lines, more than the "
                           f"{allow[key]} recorded in {ALLOWLIST}")
    for key in sorted(allow):
        if key[0] in files and key not in seen:
            out.append(f"{ALLOWLIST}: {key[0]}:{key[1]} is no longer over {FN_LINES_MAX} lines "
                       "(or gone): remove it from the list")
        elif key[0] not in files:
            out.append(f"{ALLOWLIST}: {key[0]} does not exist: remove {key[0]}:{key[1]}")
    return out

def top_module(rel):
    """The top-level module a file under src/ belongs to (None: the crate root or a binary) and
    the depth of the file's module (root 0)."""
    parts = rel.split("/")
    if parts[0] in ("lib.rs", "main.rs") or parts[0] == "bin":
        return None, 0
    depth = len(parts) - (1 if parts[-1] == "mod.rs" else 0)
    return parts[0][:-3] if len(parts) == 1 else parts[0], depth

def brace_names(s, k):
    """The first name of every item of the `{...}` group opening at offset k."""
    end = closing_brace(s, k)
    names, depth, start = [], 0, k + 1
    for j in range(k + 1, end + 1):
        ch = s[j]
        if ch == "{":
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
        elif (ch == "," and depth == 0) or j == end:
            m = re.match(r"\s*(\w+)", s[start:j])
            if m:
                names.append(m.group(1))
            start = j + 1
    return names

def module_edges(files):
    """{(from, to): 'file:line'} between the top-level modules of one crate (`files`: {path
    relative to src/: text}) from `crate::X`, `use crate::{X, ..}` and `super::` paths."""
    mods = {top_module(rel)[0] for rel in files} - {None}
    edges = {}
    for rel in sorted(files):
        src, depth = top_module(rel)
        if src is None:
            continue
        s = strip(files[rel])
        # inline `mod x { .. }` blocks deepen `super::`
        events, stack = [], []
        for k, ch in enumerate(s):
            if ch == "{":
                is_mod = re.search(r"\bmod\s+\w+\s*$", s[max(0, k - 80):k]) is not None
                stack.append(is_mod)
                if is_mod:
                    events.append((k, 1))
            elif ch == "}" and stack:
                if stack.pop():
                    events.append((k, -1))
        pos = [e[0] for e in events]
        cum = [0]
        for e in events:
            cum.append(cum[-1] + e[1])
        def inline_depth(p):
            return cum[bisect.bisect_left(pos, p)]
        refs = []
        for m in re.finditer(r"(?<![\w$])crate::(?:(\w+)|\{)", s):
            names = [m.group(1)] if m.group(1) else brace_names(s, m.end() - 1)
            refs += [(m.start(), x) for x in names]
        for m in re.finditer(r"(?<![\w$])((?:super::)+)(?:(\w+)|\{)", s):
            k = m.group(1).count("super")
            if depth + inline_depth(m.start()) - k != 0:
                continue
            names = [m.group(2)] if m.group(2) else brace_names(s, m.end() - 1)
            refs += [(m.start(), x) for x in names]
        for p, name in sorted(refs):
            if name in mods and name != src:
                edges.setdefault((src, name), f"{rel}:{line_of(s, p)}")
    return edges

def cycles(edges):
    """One cycle (a list of modules, first = last) per strongly connected component."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(set(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    out = []
    for comp in comps:
        start = min(comp)
        # shortest way back to start inside the component
        prev, frontier = {start: None}, [start]
        while frontier and start not in [w for v in frontier for w in graph[v]]:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & comp):
                    if w not in prev:
                        prev[w] = v
                        nxt.append(w)
            frontier = nxt
        last = next(v for v in frontier if start in graph[v])
        path = [last]
        while prev[path[-1]] is not None:
            path.append(prev[path[-1]])
        path.reverse()
        out.append((path + [start], frozenset(comp)))
    return out

def module_cycles(crate, files, allowed=frozenset(), found=None):
    """Violations of the no-cycle rule in one crate; `allowed`: the allowlist's cycles, by their
    modules; `found` collects the cycles seen (for stale entries)."""
    edges = module_edges(files)
    out = []
    for cyc, comp in cycles(edges):
        if found is not None:
            found.add((crate, comp))
        if (crate, comp) in allowed:
            continue
        where = ", ".join(f"{a} -> {b} at {edges[(a, b)]}" for a, b in zip(cyc, cyc[1:]))
        out.append(f"{crate}: module cycle {' -> '.join(cyc)} ({where}; modules in the cycle: "
                   f"{', '.join(sorted(comp))})")
    return out

def print_sites(crate, files):
    """Violations of the print rule: no print macro in the quiet crates, exactly one in
    sqz-steady, an eprintln! in a function that reads SQZ_TRACE."""
    if crate not in QUIET and crate != TRACED:
        return []
    sites = []
    for path in sorted(files):
        s = strip(files[path])
        for m in PRINT.finditer(s):
            sites.append((path, line_of(s, m.start()), m.group(1)))
    if crate in QUIET:
        return [f"{crate}: {p}:{l}: {mac}! in a library (return the value, or take a callback)"
                for p, l, mac in sites]
    out = [f"{crate}: {p}:{l}: {mac}! (sqz-steady prints only its one SQZ_TRACE line)"
           for p, l, mac in sites[1:]]
    if not sites:
        return [f"{crate}: no SQZ_TRACE timing line (one eprintln! under SQZ_TRACE expected)"]
    p, l, mac = sites[0]
    lines = files[p].split("\n")
    inside = [(name, first, length) for name, first, length in functions(files[p])
              if first <= l < first + length]
    body = "\n".join(lines[inside[-1][1] - 1:inside[-1][1] - 1 + inside[-1][2]]) if inside else ""
    if mac != "eprintln" or "SQZ_TRACE" not in body:
        out.insert(0, f"{crate}: {p}:{l}: {mac}! outside a function that reads SQZ_TRACE "
                      "(sqz-steady prints only one eprintln! under SQZ_TRACE)")
    return out

def crate_sources():
    """{crate name: {path relative to src/: text}} of every workspace crate."""
    crates = {}
    for toml in sorted(glob.glob("crates/*/Cargo.toml") + glob.glob("benches/Cargo.toml")):
        root = os.path.dirname(toml)
        m = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', open(toml).read(), re.M | re.S)
        files = {}
        for path in glob.glob(f"{root}/src/**/*.rs", recursive=True):
            files[os.path.relpath(path, f"{root}/src")] = open(path, encoding="utf-8").read()
        crates[m.group(1)] = (root, files)
    return crates

def check(crates, allow, allow_cycles):
    out, found = [], set()
    for crate, (root, files) in sorted(crates.items()):
        out += module_cycles(crate, files, allow_cycles, found)
        out += print_sites(crate, files)
    for crate, comp in sorted(allow_cycles - found, key=lambda e: (e[0], sorted(e[1]))):
        out.append(f"{ALLOWLIST}: no cycle of {', '.join(sorted(comp))} in {crate} any more: "
                   "remove its entry")
    fn_files = {f"{root}/src/{rel}": text for crate, (root, files) in crates.items()
                if root.startswith("crates/") for rel, text in files.items()}
    out += long_functions(fn_files, allow)
    return out

def self_test():
    def long_fn(name, lines, above=""):
        body = "".join(f"    let x{i} = {i};\n" for i in range(lines - 2))
        return f"{above}/// docs\n/// more docs\nfn {name}() {{\n{body}}}\n"
    trace = ('fn trace(t: f64) {\n    if std::env::var_os("SQZ_TRACE").is_some() {\n'
             '        eprintln!("twolevel: {t}");\n    }\n}\n')
    cases = [
        # (a) module cycles: `crate::X`, `use crate::{..}`, `super::super::X`, through mod.rs
        (module_cycles, ("sqz-x", {"lib.rs": "mod a; mod b;", "a.rs": "use crate::b::f;",
                                   "b.rs": "fn g() { crate::a::h() }"}),
         "sqz-x: module cycle a -> b -> a"),
        (module_cycles, ("sqz-x", {"lib.rs": "", "a.rs": "use crate::{Error, b::{f, g}};",
                                   "b/mod.rs": "mod c;", "b/c.rs": "use super::super::c2::x;",
                                   "c2.rs": "pub use crate::{a};"}),
         "sqz-x: module cycle a -> b -> c2 -> a"),
        (lambda: check({"sqz-x": ("crates/x", {"lib.rs": "", "a.rs": ""})}, {},
                       {("sqz-x", frozenset({"a", "b"}))}), (), "no cycle of a, b in sqz-x"),
        # (b) a function over the limit, unmarked and not listed
        (lambda f: long_functions(f, {}), ({"crates/x/src/a.rs": long_fn("big", 121)},),
         "crates/x/src/a.rs:3: fn big has 121 lines"),
        # (b) a listed function that grew beyond its recorded length, and a stale entry
        (lambda f: long_functions(f, {("crates/x/src/a.rs", "big"): 125}),
         ({"crates/x/src/a.rs": long_fn("big", 130)},), "fn big has 130 lines, more than the 125"),
        (lambda f: long_functions(f, {("crates/x/src/a.rs", "big"): 125}),
         ({"crates/x/src/a.rs": long_fn("big", 120)},), "a.rs:big is no longer over 120 lines"),
        # (c) a print in a quiet crate; a second print, or none, in sqz-steady
        (print_sites, ("sqz-krylov", {"lib.rs": 'fn f() { println!("x"); }'}),
         "sqz-krylov: lib.rs:1: println! in a library"),
        (print_sites, ("sqz-steady", {"lib.rs": trace, "a.rs": 'fn f() {\n print!("x");\n}'}),
         "sqz-steady: a.rs:2: print!"),
        (print_sites, ("sqz-steady", {"lib.rs": "fn f() {}"}), "sqz-steady: no SQZ_TRACE"),
        (print_sites, ("sqz-steady", {"lib.rs": 'fn f() { eprintln!("x"); }'}),
         "sqz-steady: lib.rs:1: eprintln! outside a function that reads SQZ_TRACE"),
    ]
    for fn, args, want in cases:
        got = fn(*args)
        if not any(want in v for v in got):
            print(f"check-architecture self-test: expected a violation {want!r}, got {got}")
            sys.exit(1)
    # no false alarms: comments, strings, a test module's `super::*`, `pub(crate)`, a marked
    # kernel, exactly 120 lines, the one SQZ_TRACE line
    ok_files = {"lib.rs": "pub mod a; pub mod b; mod tests { use super::*; }",
                "a.rs": ('// crate::b::x\n/* crate::b */ const S: &str = "crate::b::f";\n'
                         "pub(crate) fn f<'a>(x: &'a str) -> char { let _ = x; '{' }\n"
                         "mod tests { use super::*; use super::f; }"),
                "b.rs": "use crate::a::f; mod tests { use super::*; }"}
    listed = {"lib.rs": "", "a.rs": "use crate::b::f;", "b.rs": "use crate::a::g;"}
    fine = (module_cycles("sqz-x", ok_files)
            + module_cycles("sqz-x", listed, {("sqz-x", frozenset({"a", "b"}))})
            + long_functions({"crates/x/src/a.rs": long_fn("k", 200, "// architecture: long "
                              "function (SIMD kernel, documented)\n#[inline]\n")
                              + long_fn("j", 120)}, {})
            + print_sites("sqz-steady", {"lib.rs": trace, "b.rs": "// println!(\"x\")"}))
    if fine:
        print(f"check-architecture self-test: false alarm {fine}")
        sys.exit(1)
    parsed = parse_allow("# a comment\ncrates/x/src/a.rs:f 130 issue 21: why\n"
                         "cycle sqz-x a -> b -> a issue 21: why\n")
    if parsed != ({("crates/x/src/a.rs", "f"): 130}, {("sqz-x", frozenset({"a", "b"}))}):
        print(f"check-architecture self-test: allowlist misread {parsed}")
        sys.exit(1)

self_test()
if sys.argv[1] == "--self-test":
    print("check-architecture: source self-test ok")
    sys.exit(0)
try:
    allow, allow_cycles = parse_allow(open(ALLOWLIST).read()) if os.path.exists(ALLOWLIST) \
        else ({}, set())
except ValueError as e:
    print(f"architecture invariant broken: {e}")
    sys.exit(1)
crates = crate_sources()
bad = check(crates, allow, allow_cycles)
for v in bad:
    print(f"architecture invariant broken: {v}")
if bad:
    sys.exit(1)
print(f"check-architecture: ok ({len(crates)} crates: no module cycle, no function over "
      f"{FN_LINES_MAX} lines outside {ALLOWLIST} and the marked kernels, no print in "
      f"{', '.join(QUIET)}, one SQZ_TRACE line in {TRACED})")
PY

if [[ "${1:-}" == "--self-test" ]]; then
    python3 -c "$CHECK" --self-test </dev/null
    python3 -c "$SOURCES" --self-test </dev/null
    exit $?
fi
meta="$(cargo metadata --format-version 1 --no-deps)" || {
    echo "check-architecture: cargo metadata failed" >&2
    exit 2
}
python3 -c "$CHECK" --check <<<"$meta"

python3 -c "$SOURCES" --check </dev/null
