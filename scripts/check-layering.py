#!/usr/bin/env python3
"""Fails if the files of src/ depend on each other in a cycle.

A module is a .c file and the .h of the same name beside it (either may be
missing). Module A depends on module B when
  - a file of A #includes a header of B, or
  - A's object file uses a symbol (a function, a table) that B's object defines:
    the undefined and defined symbols `nm` lists give these call edges.
Every strongly connected group of more than one module is a cycle; each is
printed with one closed path through it, and the status is 1.

    scripts/check-layering.py [OBJ_DIR]    (default build/obj, from `make`)
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    return os.path.splitext(os.path.normpath(path))[0]


def source_files(root):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def include_edges(files):
    edges = {}
    known = set(files)
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            # "engine/interp/cpu.h" is relative to src/ (-Isrc); "x.h" may be beside the file.
            for cand in (os.path.join("src", name), os.path.join(os.path.dirname(path), name)):
                cand = os.path.normpath(cand)
                if cand in known:
                    if module_of(cand) != module_of(path):
                        edges.setdefault(module_of(path), set()).add(module_of(cand))
                    break
    return edges


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDRBVWG":
            defined.add(parts[2])
    return defined, undefined


def call_edges(obj_dir, files):
    owner, uses = {}, {}
    for path in files:
        if not path.endswith(".c"):
            continue
        obj = os.path.join(obj_dir, path[:-2] + ".o")
        if not os.path.exists(obj):
            sys.exit(f"check-layering: {obj} is missing (build first: make)")
        defined, undefined = symbols(obj)
        for s in defined:
            owner[s] = module_of(path)
        uses[module_of(path)] = undefined
    edges = {}
    for m, undefined in uses.items():
        for s in undefined:
            if s in owner and owner[s] != m:
                edges.setdefault(m, set()).add(owner[s])
    return edges


def strongly_connected(graph):
    """Tarjan's algorithm, iterative: the groups of mutually reachable nodes."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    group.append(n)
                    if n == node:
                        break
                groups.append(sorted(group))
    return groups


def cycle_path(graph, group):
    """One closed path through the group: breadth-first from its first node back to it."""
    members, start = set(group), group[0]
    prev, frontier = {}, [start]
    while frontier:
        nxt_frontier = []
        for n in frontier:
            for m in sorted(graph.get(n, ())):
                if m not in members:
                    continue
                if m == start:
                    path = [n]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return path[::-1] + [start]
                if m not in prev:
                    prev[m] = n
                    nxt_frontier.append(m)
        frontier = nxt_frontier
    return group


def main():
    obj_dir = sys.argv[1] if len(sys.argv) > 1 else "build/obj"
    files = sorted(source_files("src"))
    graph = {}
    for edges in (include_edges(files), call_edges(obj_dir, files)):
        for a, bs in edges.items():
            graph.setdefault(a, set()).update(bs)
    cycles = [g for g in strongly_connected(graph) if len(g) > 1]
    for g in cycles:
        print(f"FAIL: cycle among {len(g)} modules: " + " -> ".join(p.removeprefix("src/") for p in cycle_path(graph, g)))
        if len(g) > 2:
            print("  all of: " + ", ".join(p.removeprefix("src/") for p in g))
    nmodules = len({module_of(f) for f in files})
    if cycles:
        print(f"FAIL: layering: {len(cycles)} cycles among the {nmodules} modules of src/")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    print(f"PASS: layering: no cycle among the {nmodules} modules of src/")
    print("1 passed, 0 failed, 0 skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
