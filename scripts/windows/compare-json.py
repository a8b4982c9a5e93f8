#!/usr/bin/env python3
"""compare-json.py A.json B.json TOL: every number in A equals B's within TOL (relative to
max(1, |a|)), every string and key the same except file paths. Exit 1 with the differences."""
import json, sys

def walk(a, b, where, out, tol):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b: out.append(f"{where}.{k}: only in one"); continue
            walk(a[k], b[k], f"{where}.{k}", out, tol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b): out.append(f"{where}: {len(a)} vs {len(b)} items"); return
        for i, (x, y) in enumerate(zip(a, b)): walk(x, y, f"{where}[{i}]", out, tol)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if abs(a - b) > tol * max(1.0, abs(a)): out.append(f"{where}: {a} vs {b}")
    elif isinstance(a, str) and isinstance(b, str) and ("/" in a or "\\" in b):
        pass  # paths differ by OS
    elif a != b:
        out.append(f"{where}: {a!r} vs {b!r}")

a, b = (json.load(open(p)) for p in sys.argv[1:3])
diffs = []
walk(a, b, "$", diffs, float(sys.argv[3]))
for d in diffs[:40]: print(d)
sys.exit(1 if diffs else 0)
