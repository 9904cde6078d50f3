#!/bin/sh
# Review alert-lint on a real-world rule corpus (scripts/bench/alert-lint-corpus.sh
# assembles one in target/bench/alert-lint/real/): for each file, promtool's
# verdict and alert-lint's (each file alone, as promtool reads it), then how
# often each check fires on the whole corpus and at which severity — the
# table docs/alert-lint.md keeps, to judge whether a check is too noisy for
# its default severity.
#
#   sh scripts/dev/alert-lint-review.sh [DIR]
set -eu
cd "$(dirname "$0")/../.."
dir="${1:-target/bench/alert-lint/real}"
bin=target/release/alert-lint
[ -d "$dir" ] || { echo "no corpus in $dir: run scripts/bench/alert-lint-corpus.sh first" >&2; exit 2; }
cargo build --release -q -p alert-lint
out=target/bench/alert-lint/review
rm -rf "$out"
mkdir -p "$out"

for f in "$dir"/*.yml; do
    name=$(basename "$f")
    if promtool check rules "$f" >/dev/null 2>&1; then p=accept; else p=reject; fi
    for version in 2.42 current; do
        if [ "$version" = current ]; then flags=""; else flags="--prometheus-version $version"; fi
        # shellcheck disable=SC2086 # flags is a word list
        "$bin" --no-config --kind rules $flags --format json "$f" >"$out/$name.$version.json" 2>/dev/null || true
    done
    echo "$name $p" >>"$out/promtool.txt"
done

python3 - "$out" <<'EOF'
import collections, json, os, sys
out = sys.argv[1]
verdicts = dict(line.split() for line in open(f"{out}/promtool.txt"))
for version in ("2.42", "current"):
    agree, disagree, counts, files_hit = 0, [], collections.Counter(), collections.defaultdict(set)
    for name, promtool in sorted(verdicts.items()):
        report = json.load(open(f"{out}/{name}.{version}.json"))
        diags = report.get("diagnostics", [])
        ours = "reject" if any(d["severity"] == "error" for d in diags) else "accept"
        if ours == promtool or version == "current":
            agree += ours == promtool
        if ours != promtool:
            disagree.append((name, promtool, ours, [d["code"] for d in diags if d["severity"] == "error"]))
        for d in diags:
            counts[(d["code"], d["severity"])] += 1
            files_hit[(d["code"], d["severity"])].add(name)
    total = len(verdicts)
    print(f"## --prometheus-version {version}: verdict agrees with promtool 2.42 on {total - len(disagree)}/{total} files")
    for name, p, o, codes in disagree:
        print(f"  {name}: promtool {p}, alert-lint {o} {sorted(set(codes))}")
    print("| check | severity | findings | files |")
    print("|---|---|---|---|")
    for (code, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| `{code}` | {sev} | {n} | {len(files_hit[(code, sev)])} |")
    print()
EOF
