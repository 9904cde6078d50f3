#!/bin/sh
# `make demo` part for alert-lint: lint the example stack's monitoring/
# (clean), then a few broken variants a user could plausibly write, showing
# what they see. Exits 0 when alert-lint behaves as expected.
set -eu
cd "${SHIPSHAPE_ROOT:-$(dirname "$0")/../..}"
stack=fixtures/stack/monitoring
bad=fixtures/alert-lint/bad
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

expect() { # expect CODE -- command...
    want=$1; shift
    set +e
    "$@"
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "!! expected exit $want, got $got: $*"
        exit 1
    fi
}

echo "\$ alert-lint $stack/"
expect 0 alert-lint --no-config "$stack/"

echo
echo "\$ alert-lint --prometheus-version 2.42 --alertmanager-version 0.25 $stack/   # Debian's versions"
expect 0 alert-lint --no-config --prometheus-version 2.42 --alertmanager-version 0.25 "$stack/"

echo
echo "# A typo in a team label, and the pager receiver lost its integrations in a merge:"
mkdir -p "$work/monitoring"
cp "$stack"/*.yml "$work/monitoring/"
sed -i 's/team: database/team: databse/' "$work/monitoring/alert_rules.yml"
sed -i '/name: critical-pager/,/send_resolved: true/{/pagerduty_configs/,/send_resolved: true/d}' "$work/monitoring/alertmanager.yml"
echo "\$ alert-lint monitoring/"
(cd "$work" && expect 1 alert-lint --no-config monitoring/)

echo
echo "# Broken rules the way promtool would reject them, all reported at once, with positions:"
for f in unknown-field template-syntax invalid-duration promql-syntax; do
    echo "\$ alert-lint $bad/$f.yml"
    expect 1 alert-lint --no-config "$bad/$f.yml"
done

echo
echo "# Style and risk findings are warnings (exit 0) unless --strict:"
echo "\$ alert-lint $bad/rate-window.yml"
expect 0 alert-lint --no-config "$bad/rate-window.yml"
echo "\$ alert-lint --strict $bad/rate-window.yml"
expect 1 alert-lint --no-config --strict "$bad/rate-window.yml"

echo
echo "\$ alert-lint --explain rate-window"
expect 0 alert-lint --explain rate-window
