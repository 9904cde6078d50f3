#!/usr/bin/env python3
"""List Rust functions longer than N lines (default 150) under the given
directories (default crates/), longest first, and print their count.

A function runs from its `fn` line to the line of the brace that closes its
body; braces inside string and char literals and comments are ignored.
Usage: scripts/dev/long-functions.py [--min N] [DIR ...]
"""

import re
import sys
from pathlib import Path

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+|async\s+|unsafe\s+)*fn\s+(\w+)")


def code_only(line, state):
    """The line without comments and literals; state carries block comments."""
    out, i = [], 0
    while i < len(line):
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"], i = False, end + 2
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"], i = True, i + 2
            continue
        if c == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        if c == "'" and re.match(r"'(\\.|[^\\'])'", line[i:]):
            i += len(re.match(r"'(\\.|[^\\'])'", line[i:]).group(0))
            continue
        out.append(c)
        i += 1
    return "".join(out)


def functions(path):
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    state = {"block": False}
    stack = []  # (name, start line, depth at which its body opened)
    depth, found = 0, []
    for number, line in enumerate(lines, 1):
        match = FN.match(line)
        if match:
            stack.append([match.group(4), number, None])
        for c in code_only(line, state):
            if c == "{":
                depth += 1
                if stack and stack[-1][2] is None:
                    stack[-1][2] = depth
            elif c == "}":
                if stack and stack[-1][2] == depth:
                    name, start, _ = stack.pop()
                    found.append((number - start + 1, f"{path}:{start}", name))
                depth -= 1
            elif c == ";" and stack and stack[-1][2] is None:
                stack.pop()  # a declaration without a body (trait method)
    return found


def main(argv):
    minimum, dirs = 150, []
    while argv:
        arg = argv.pop(0)
        if arg == "--min":
            minimum = int(argv.pop(0))
        else:
            dirs.append(arg)
    long = []
    for root in dirs or ["crates"]:
        for path in sorted(Path(root).rglob("*.rs")):
            if "target" in path.parts:
                continue
            long += [f for f in functions(path) if f[0] > minimum]
    for length, place, name in sorted(long, reverse=True):
        print(f"{length:5} {place} {name}")
    print(f"{len(long)} functions over {minimum} lines")


if __name__ == "__main__":
    main(sys.argv[1:])
