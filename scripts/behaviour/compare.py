#!/usr/bin/env python3
"""Compares two output directories of scripts/behaviour/run.sh field by field.

    python3 scripts/behaviour/compare.py OLD_DIR NEW_DIR [--rtol R]

Every JSON file of OLD_DIR must exist in NEW_DIR with the same structure: the same keys, the
same list lengths, equal strings, booleans and integers, and floating-point numbers equal to the
bit (default) or within the relative tolerance R (`--rtol`; |a - b| <= R max(|a|, |b|)). Fields
that measure the run rather than the result are excluded by name (EXCLUDED below: wall times,
timing breakdowns, the code version and git hash, the command line, the creation date, thread
counts and host names, the HDF5 provenance group and the per-task wall times and their checksums
of a study file, and wall times written inside note strings). A field present on one side only is a difference, except a field that
the new side adds where the old side has none (`--allow-new`, off by default).

Exit code 0: no difference; 1: differences (each printed with its path); 2: a usage error.
"""
import argparse
import json
import math
import os
import re
import sys

# Keys (the last path component) that record how and when a run ran, not what it computed.
EXCLUDED = re.compile(
    r"^(time_s|wall_s|seconds|elapsed_s|.*_seconds|.*_time_s|time_.*_s|timing|timings|"
    r"pass_seconds|git_hash|git|code_version|code_versions|version|command_line|command|created|date|"
    r"host|hostname|threads|ranks|rss.*|peak_rss.*|available_memory.*|bytes_with_available_memory|"
    r"study_path|out|out_dir|file|path|timings_s|cpu_seconds|stage_seconds|stage_cpu_seconds|"
    r"/?steady/checksum|/?steady/seconds|/?provenance.*)$"
)
# Inside free text (notes), wall times such as "built in 0.01 s" or "restart 100, 0.74 s" are
# replaced by "<t> s" before strings are compared.
SECONDS_IN_TEXT = re.compile(r"\b\d+(\.\d+)?(e[-+]?\d+)? s\b")


def compare(a, b, path, rtol, allow_new, diffs, stats):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}/{k}"
            if EXCLUDED.match(k):
                stats["excluded"].add(k)
                continue
            if k not in b:
                diffs.append(f"{p}: missing in new")
            elif k not in a:
                if not allow_new:
                    diffs.append(f"{p}: only in new")
            else:
                compare(a[k], b[k], p, rtol, allow_new, diffs, stats)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append(f"{path}: length {len(a)} vs {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", rtol, allow_new, diffs, stats)
        return
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str) \
            or a is None or b is None:
        stats["values"] += 1
        if isinstance(a, str) and isinstance(b, str):
            a, b = SECONDS_IN_TEXT.sub("<t> s", a), SECONDS_IN_TEXT.sub("<t> s", b)
        if a != b:
            diffs.append(f"{path}: {a!r} vs {b!r}")
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        stats["values"] += 1
        if isinstance(a, int) and isinstance(b, int):
            if a != b:
                diffs.append(f"{path}: {a} vs {b}")
            return
        fa, fb = float(a), float(b)
        if math.isnan(fa) and math.isnan(fb):
            return
        if fa == fb:
            return
        scale = max(abs(fa), abs(fb))
        rel = abs(fa - fb) / scale if scale > 0 else 0.0
        stats["max_rel"] = max(stats["max_rel"], rel)
        if rel > rtol:
            diffs.append(f"{path}: {fa!r} vs {fb!r} (relative {rel:.2e})")
        else:
            stats["within_tol"] += 1
        return
    diffs.append(f"{path}: type {type(a).__name__} vs {type(b).__name__}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rtol", type=float, default=0.0)
    ap.add_argument("--allow-new", action="store_true",
                    help="a field only in NEW is not a difference (an added report field)")
    a = ap.parse_args()
    names = sorted(f for f in os.listdir(a.old) if f.endswith(".json"))
    if not names:
        print(f"compare: no JSON files in {a.old}", file=sys.stderr)
        return 2
    total = 0
    stats = {"values": 0, "within_tol": 0, "max_rel": 0.0, "excluded": set()}
    for name in names:
        new = os.path.join(a.new, name)
        if not os.path.exists(new):
            print(f"{name}: missing in {a.new}")
            total += 1
            continue
        with open(os.path.join(a.old, name)) as f:
            old_v = json.load(f)
        with open(new) as f:
            new_v = json.load(f)
        diffs = []
        compare(old_v, new_v, "", a.rtol, a.allow_new, diffs, stats)
        for d in diffs[:20]:
            print(f"{name}: {d}")
        if len(diffs) > 20:
            print(f"{name}: ... {len(diffs) - 20} more")
        total += len(diffs)
        print(f"{name}: {'same' if not diffs else f'{len(diffs)} differences'}", file=sys.stderr)
    print(f"compare: {len(names)} files, {stats['values']} values compared, "
          f"{stats['within_tol']} equal within rtol {a.rtol:g} but not to the bit "
          f"(largest relative difference {stats['max_rel']:.2e}), {total} differences; "
          f"excluded keys: {', '.join(sorted(stats['excluded'])) or '-'}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
