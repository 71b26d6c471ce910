#!/usr/bin/env python3
"""Checks that sglab's top-level modules depend on each other one way (ARCHITECTURE.md).

Reads every file under src/ (the binary aside), finds the top-level modules each one names
through `crate::name` paths (in `use` lists too: `use crate::{a, b::c}`), leaving out comments
and `#[cfg(test)]` modules, and builds the graph module -> modules it uses. Prints the graph
with `--print`; exits 1, naming the files of every edge in the cycle, when the graph has one.

    python3 scripts/check_module_graph.py [--print] [SRC]
"""
import os
import re
import sys


def strip(text):
    """The code of a Rust file without comments and without its `#[cfg(test)]` module."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def uses(code, modules):
    """Top-level modules named by `crate::` paths in `code`."""
    found = set(re.findall(r"crate::(\w+)", code))
    for group in re.findall(r"use\s+crate::\{(.*?)\};", code, flags=re.S):
        depth, start = 0, 0
        for i, ch in enumerate(group + ","):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                head = group[start:i].strip().split("::")[0].strip()
                if head:
                    found.add(head)
                start = i + 1
    return found & modules


def graph(src):
    modules = {name[:-3] if name.endswith(".rs") else name for name in os.listdir(src)} - {"lib", "bin", "main"}
    edges, where = {m: set() for m in modules}, {}
    for folder, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            top = os.path.relpath(path, src).split(os.sep)[0].removesuffix(".rs")
            if top not in modules:
                continue
            with open(path, encoding="utf-8") as f:
                code = strip(f.read())
            for other in uses(code, modules) - {top}:
                edges[top].add(other)
                where.setdefault((top, other), set()).add(os.path.relpath(path, src))
    return edges, where


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src")
    edges, where = graph(src)
    if "--print" in sys.argv:
        for module in sorted(edges):
            print(f"{module:>10} -> {', '.join(sorted(edges[module])) or '(leaf)'}")
    found = cycles(edges)
    for component in found:
        print(f"cycle between {', '.join(component)}:", file=sys.stderr)
        for a in component:
            for b in component:
                if (a, b) in where:
                    print(f"  {a} -> {b} in {', '.join(sorted(where[(a, b)]))}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"module graph: {len(edges)} top-level modules, {sum(map(len, edges.values()))} edges, no cycle")


if __name__ == "__main__":
    main()
