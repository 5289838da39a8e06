#!/usr/bin/env python3
"""The layers' invariants (ARCHITECTURE.md), checked in CI from the repository root:

1. Only the store crate (server/store, cotton-store) depends on diesel: no other
   workspace package lists diesel, diesel-async or diesel_migrations as a
   (normal or build) dependency, and no Rust file outside server/store names
   `diesel::`, `diesel_async::` or `db_run!` (tests/ excepted: the audit and
   fault tests tamper with the database directly, a dev-dependency).
2. The four layers depend only downwards, api → service → store → domain: among
   them the domain depends on none, the store on the domain, the service on the
   store and the domain (its rules), the API (cotton-trace) on the service alone.
   Helper crates outside the layers (import formats, plugin host) may be used by any.
3. No import cycle between the top-level modules of a crate under server/
   (A uses crate::B and B uses crate::A, directly or through others), except the
   cycles listed in tests/tools/known_cycles.txt, which may only shrink: a new
   cycle, or a listed one that grew, fails.

Exit status 1 on any problem.
"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

DIESEL = {"diesel", "diesel-async", "diesel_migrations"}
STORE = "cotton-store"
SERVICE = "cotton-service"
API = "cotton-trace"
# Which layer crates each layer crate may depend on (normal and build dependencies).
ALLOWED_WORKSPACE_DEPS = {
    "cotton-domain": set(),
    STORE: {"cotton-domain"},
    SERVICE: {STORE, "cotton-domain"},
    API: {SERVICE},
}
LAYERS = set(ALLOWED_WORKSPACE_DEPS)
problems = []


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def check_manifests(meta):
    members = {p["name"] for p in meta["packages"]}
    for p in meta["packages"]:
        deps = {d["name"] for d in p["dependencies"] if d.get("kind") in (None, "build")}
        if p["name"] != STORE and deps & DIESEL:
            problems.append(f"{p['manifest_path']}: {p['name']} depends on {', '.join(sorted(deps & DIESEL))} (only {STORE} may)")
        if p["name"] in ALLOWED_WORKSPACE_DEPS:
            wrong = (deps & members & LAYERS) - ALLOWED_WORKSPACE_DEPS[p["name"]]
            if wrong:
                problems.append(f"{p['manifest_path']}: {p['name']} depends on {', '.join(sorted(wrong))} (api → service → store → domain, each only on the next)")


def rust_files(root):
    for d, dirs, fs in os.walk(root):
        dirs[:] = [x for x in dirs if x not in ("target", "node_modules", ".git")]
        for f in fs:
            if f.endswith(".rs"):
                yield os.path.join(d, f)


def check_sources():
    for path in rust_files("."):
        norm = os.path.normpath(path)
        # Tests may tamper with the database behind the server's back (audit,
        # fault tests): they use diesel as a dev-dependency, never shipped.
        if norm.startswith(os.path.join("server", "store") + os.sep) or norm.split(os.sep)[0] in ("fuzz", "tests"):
            continue
        text = open(path, encoding="utf-8").read()
        for n, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            if re.search(r"\bdiesel(_async)?::|\bdb_run!", line):
                problems.append(f"{norm}:{n}: names diesel outside the store")
                break


def module_graph(src):
    graph = defaultdict(set)
    for path in rust_files(src):
        rel = os.path.relpath(path, src).split(os.sep)
        top = rel[0][:-3] if len(rel) == 1 else rel[0]
        if top in ("lib", "main"):
            continue
        graph.setdefault(top, set())
        for used in re.findall(r"\bcrate::(\w+)", open(path, encoding="utf-8").read()):
            if used != top:
                graph[top].add(used)
    return graph


def strongly_connected(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    nodes = set(graph) | {v for vs in graph.values() for v in vs}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def check_cycles():
    known_path = os.path.join("tests", "tools", "known_cycles.txt")
    known = []
    if os.path.exists(known_path):
        for line in open(known_path, encoding="utf-8"):
            line = line.split("#", 1)[0].strip()
            if line:
                crate_dir, mods = line.split(":", 1)
                known.append((crate_dir.strip(), {m.strip() for m in mods.split(",")}))
    seen_known = set()
    for manifest_dir, _, fs in os.walk("server"):
        if "Cargo.toml" not in fs or "target" in manifest_dir:
            continue
        src = os.path.join(manifest_dir, "src")
        if not os.path.isdir(src):
            continue
        for comp in strongly_connected(module_graph(src)):
            allowed = [i for i, (d, mods) in enumerate(known) if d == os.path.normpath(manifest_dir) and comp <= mods]
            if allowed:
                seen_known.update(allowed)
            else:
                problems.append(f"{src}: modules in an import cycle: {', '.join(sorted(comp))}")
    for i, (d, mods) in enumerate(known):
        if i not in seen_known:
            print(f"note: the known cycle in {d} ({', '.join(sorted(mods))}) is gone: remove it from {known_path}")


check_manifests(metadata())
check_sources()
check_cycles()
for p in problems:
    print(p)
print(f"layers: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
