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

# The example stack runs PostgreSQL 17: without DATABASE_URL, and when the
# system's newest server is older, the demo runs on the PostgreSQL 17 build
# scripts/deps/postgres.sh installs under target/pg/17 (its client programs
# first on PATH, as on a machine with 17 installed).
stack_major=17
system_major=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1 | cut -d/ -f5)
if [ -z "${DATABASE_URL:-}" ] && [ "${system_major:-0}" -lt "$stack_major" ]; then
    if SHIPSHAPE_PG_MAJORS=$stack_major sh scripts/deps/postgres.sh; then
        export PG_MAJOR=$stack_major
        export PATH="$PWD/target/debug:$PWD/target/pg/$stack_major/bin:$PATH"
    else
        echo "note: could not install PostgreSQL $stack_major; the demo uses the system's ${system_major:-}" >&2
    fi
fi
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(scripts/pg-throwaway.sh start target/demo-pg)
    started_cluster=yes
fi
export DATABASE_URL
echo "PostgreSQL: $(psql -X -A -t -d "$DATABASE_URL" -c 'SELECT version()' | cut -d, -f1)"

status=0
for tool in validate-env alert-lint migrate-check pg-backup offsite pg-restore stack; do
    echo
    echo "================================================================"
    echo "== $tool"
    echo "================================================================"
    sh "scripts/demo/$tool.sh" || { echo "!! demo of $tool failed (exit $?)"; status=1; }
done
exit $status
