#!/usr/bin/env python3
"""Lists the import cycles between modules of each workspace crate and fails on any.

A module is a file (`a.rs` or `a/mod.rs` is `a`, `a/b.rs` is `a::b`). Module M imports module N
when M's source names a path into N (`use crate::n::X`, `super::n::f()`, `use self::...`), with
re-exports followed to the module that defines the name (`pub use inner::X` in `n` makes
`crate::n::X` point at `n::inner`). A parent declaring `mod child;` is not an import. Cycles are the
strongly connected components of that graph with more than one module.

Usage: scripts/import-cycles.py [--list]   (exit 1 when a cycle exists; --list prints the graph)
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = [".", "actors", "entities", "migration", "engine", "collector", "standin", "load"]

USE_RE = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)
PATH_RE = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
# Comments, string literals and char literals, in one pass so that `//` in a string is no comment.
NOISE_RE = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])'", re.S)


def modules(src: Path):
    """Maps module path (tuple) -> file, for one crate's src directory."""
    out = {}
    for f in src.rglob("*.rs"):
        rel = f.relative_to(src).with_suffix("").parts
        if rel in (("lib",), ("main",)):
            out[()] = f
        elif rel[-1] == "mod":
            out[tuple(rel[:-1])] = f
        elif "bin" in rel[:1]:
            continue
        else:
            out[tuple(rel)] = f
    return out


def expand(tree: str):
    """Expands a use tree `a::{b, c::{d, e}}` into paths."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    def rec(prefix, s):
        i = s.find("{")
        if i < 0:
            return [prefix + s]
        head, body = s[:i], s[i + 1 : -1]
        parts, depth, cur = [], 0, ""
        for ch in body:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        if cur:
            parts.append(cur)
        out = []
        for p in parts:
            out += rec(prefix + head, p)
        return out
    return [p.rstrip(":") for p in rec("", tree)]


def absolute(module, path):
    """`crate::a::b`, `super::x`, `self::y` seen in `module` -> absolute segment list."""
    segs = path.split("::")
    if segs[0] == "crate":
        return segs[1:]
    base = list(module)
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super":
            base = base[:-1]
        segs = segs[1:]
    return base + segs


TEST_MOD_RE = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*\{")


def source(f):
    """The file's code without comments, string contents and `#[cfg(test)]` modules."""
    text = NOISE_RE.sub(lambda m: '""' if m.group(0)[0] in "\"'" else "", f.read_text())
    while m := TEST_MOD_RE.search(text):
        depth, end = 0, len(text)
        for i in range(m.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
        text = text[: m.start()] + text[end:]
    return text


def crate_graph(src: Path):
    mods = modules(src)
    texts = {m: source(f) for m, f in mods.items()}
    # Re-exports: (module, name) -> absolute path it stands for.
    reexports = {}
    for m, t in texts.items():
        for tree in re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]*);", t):
            for p in expand(tree):
                if not re.match(r"(crate|super|self)\b", p):
                    p = "self::" + p
                segs = absolute(m, p)
                if segs and segs[-1] != "*":
                    reexports[(m, segs[-1])] = segs

    def resolve(segs, depth=0):
        """Longest module prefix of segs, following re-exports of the next name."""
        for n in range(len(segs), -1, -1):
            prefix = tuple(segs[:n])
            if prefix in mods:
                if n < len(segs) and (prefix, segs[n]) in reexports and depth < 8:
                    target = reexports[(prefix, segs[n])]
                    if target != list(segs[: n + 1]):
                        return resolve(target + list(segs[n + 1 :]), depth + 1)
                return prefix
        return None

    edges = {m: set() for m in mods}
    for m, t in texts.items():
        paths = []
        for tree in USE_RE.findall(t):
            paths += expand(tree)
        paths += PATH_RE.findall(USE_RE.sub("", t))
        for p in paths:
            segs = [s for s in absolute(m, p) if s not in ("*", "self")]
            target = resolve(segs)
            if target is None or target == m:
                continue
            # A module naming its own descendant through a `mod` it declares is no import,
            # but `use child::X` is; only the root's `crate::x` of itself is skipped.
            edges[m].add(target)
    return edges


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

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
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(m):
    return "::".join(m) or "(root)"


def main():
    found = 0
    for crate in CRATES:
        src = ROOT / crate / "src"
        if not src.is_dir():
            continue
        graph = crate_graph(src)
        if "--list" in sys.argv:
            for m in sorted(graph):
                print(f"{crate}: {name(m)} -> {', '.join(sorted(map(name, graph[m])))}")
        for comp in sccs(graph):
            found += 1
            print(f"cycle in {crate}: {' <-> '.join(name(m) for m in comp)}")
    if found:
        print(f"{found} import cycle(s)")
        return 1
    print("no import cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
