#!/bin/sh
# `make demo`: run every tool on the bundled example stack (fixtures/stack/),
# printing what a user would see. Each tool's walkthrough is
# scripts/demo/<tool>.sh; scripts/demo/stack.sh last drives
# fixtures/stack/Makefile (preflight, backup, restore, rollback). The PostgreSQL tools use $DATABASE_URL when set, else a throwaway
# cluster in target/demo-pg (stopped at the end).
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/target/debug:$PATH"
export SHIPSHAPE_ROOT="$PWD"

started_cluster=""
cleanup() {
    if [ -n "$started_cluster" ]; then scripts/pg-throwaway.sh stop target/demo-pg; fi
}
trap cleanup EXIT INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(scripts/pg-throwaway.sh start target/demo-pg)
    started_cluster=yes
fi
export DATABASE_URL

status=0
for tool in validate-env alert-lint migrate-check pg-backup pg-restore stack; do
    echo
    echo "================================================================"
    echo "== $tool"
    echo "================================================================"
    sh "scripts/demo/$tool.sh" || { echo "!! demo of $tool failed (exit $?)"; status=1; }
done
exit $status
