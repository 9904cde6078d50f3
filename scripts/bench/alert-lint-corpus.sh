#!/bin/sh
# Assemble the real-world rule corpus that scripts/bench/alert-lint.sh
# measures (target/bench/alert-lint/real/), from local git clones of public
# rule sets. Nothing is downloaded and nothing is committed: public rule sets
# keep their own licences, so each developer clones them where the network
# allows and points this script at the clones.
#
#   sh scripts/bench/alert-lint-corpus.sh CLONE...
#
# Recognised clones (by their content, any directory name):
#   samber/awesome-prometheus-alerts   dist/rules/**/*.yml
#   monitoring-mixins/website          assets/*/alerts.yaml, rules.yaml
#   prometheus-operator/kube-prometheus manifests/*-prometheusRule.yaml, each
#                                      PrometheusRule's spec written out as a
#                                      plain rule file (promtool reads only those)
#   prometheus/prometheus              cmd/promtool/testdata rule files that
#                                      promtool 2.42 accepts (not the generated
#                                      rules_large.yml)
# A clone may be bare (a mirror): files are read with `git show HEAD:path`.
# Files promtool 2.42 rejects (Prometheus 3 syntax) are left out so both
# tools do the same work; the count is printed.
set -eu
cd "$(dirname "$0")/../.."

out="target/bench/alert-lint/real"
rm -rf "$out"
mkdir -p "$out"

# list CLONE: the files of HEAD; show CLONE PATH: one file's text.
list() { git -C "$1" ls-tree -r --name-only HEAD; }
show() { git -C "$1" show "HEAD:$2"; }

for clone in "$@"; do
    files=$(list "$clone")
    for path in $(printf '%s\n' "$files" | grep -E '^dist/rules/.*\.ya?ml$' || true); do
        show "$clone" "$path" >"$out/awesome-$(echo "$path" | tr '/' '_' | sed 's/\.yaml$/.yml/')"
    done
    for path in $(printf '%s\n' "$files" | grep -E '^assets/[^/]+/(alerts|rules)\.ya?ml$' || true); do
        show "$clone" "$path" >"$out/mixin-$(echo "$path" | cut -d/ -f2-3 | tr '/' '_' | sed 's/\.yaml$/.yml/')"
    done
    for path in $(printf '%s\n' "$files" | grep -E '^manifests/[^/]+-prometheusRule\.yaml$' || true); do
        # The manifests are written by kube-prometheus' generator: `spec:`
        # at column 0 and everything under it indented by two spaces.
        show "$clone" "$path" | awk 'on { sub(/^  /, ""); print } /^spec:/ { on = 1 }' \
            >"$out/kube-$(basename "$path" .yaml).yml"
    done
    # rules_large.yml is 10,000 generated rules, not a real rule set.
    for path in $(printf '%s\n' "$files" | grep -E '^cmd/promtool/testdata/.*\.ya?ml$' | grep -v rules_large || true); do
        show "$clone" "$path" >"$out/prometheus-$(basename "$path" | sed 's/\.yaml$/.yml/')"
    done
    echo "corpus: read $clone" >&2
done

kept=0
dropped=0
for f in "$out"/*.yml; do
    [ -e "$f" ] || continue
    if promtool check rules "$f" >/dev/null 2>&1 || promtool check rules --lint=none "$f" >/dev/null 2>&1; then
        kept=$((kept + 1))
    else
        echo "left out (promtool 2.42 rejects it): $(basename "$f")" >&2
        rm -f "$f"
        dropped=$((dropped + 1))
    fi
done
rules=$(cat "$out"/*.yml | grep -cE '^ *- (alert|record):' || true)
echo "corpus: $kept files, $rules rules in $out ($dropped files promtool 2.42 rejects left out)" >&2
