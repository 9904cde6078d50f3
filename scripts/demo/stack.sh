#!/bin/sh
# `make demo` part for fixtures/stack/Makefile: the example stack's preflight
# (passing, then failing fast at the first tool), a backup of an application
# database, a bad deploy, the restore of the latest backup and its rollback.
# docs/runbook.md and docs/makefile.md quote this output. Run by
# scripts/demo.sh from the repository root with target/debug on PATH and
# DATABASE_URL naming a server; exits 0 when every step behaves as expected
# and drops every database it created.
set -eu
cd "${SHIPSHAPE_ROOT:-$(dirname "$0")/../..}"
: "${DATABASE_URL:?DATABASE_URL must name a PostgreSQL server (make demo sets it)}"

stack=fixtures/stack
app=shipshape_demo_stack
# Relative to fixtures/stack/, where make -C runs the recipes.
backups=../../target/demo/stack-backups

# psql gets the connection through PG* variables (no password on a command
# line); the tools read DATABASE_URL themselves.
server_url=$DATABASE_URL
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL"
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
    for db in $(sql -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'shipshape\_demo\_stack%'" 2>/dev/null); do
        dropdb --force "$db" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM
cleanup
rm -rf target/demo/stack-backups

# expect CODE command...: show the command, run it, check its exit code.
expect() {
    want=$1; shift
    echo
    echo "\$ $*"
    set +e; "$@"; got=$?; set -e
    if [ "$got" -ne "$want" ]; then echo "!! expected exit $want, got $got: $*"; exit 1; fi
}

echo "# Before a deploy: the stack's env file, migrations and monitoring, in that order."
expect 0 make --no-print-directory -C "$stack" preflight

echo
echo "# The unfilled example fails the first gate; migrate-check and alert-lint do not run."
echo "# (make itself exits 2; the tool's exit code is in the last two lines.)"
expect 2 make --no-print-directory -C "$stack" preflight ENV_FILE=.env.production.example

echo
echo "# The application's database: the stack's migrations and some users."
createdb "$app"
for up in "$stack"/migrations/updown/*.up.sql; do sql -d "$app" -f "$up"; done
sql -d "$app" -c "INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 1000) g"
echo "\$ psql -c 'SELECT count(*) FROM users' $app  ->  $(sql -d "$app" -c 'SELECT count(*) FROM users')"

export DATABASE_URL="${server_url%/*}/$app"
case "$server_url" in *\?*) DATABASE_URL="$DATABASE_URL?${server_url#*\?}" ;; esac

echo
echo "# The nightly backup (cron or the systemd timer run the same command):"
expect 0 make --no-print-directory -C "$stack" backup BACKUP_DIR="$backups"

echo
echo "# A bad deploy deletes most users."
sql -d "$app" -c "DELETE FROM users WHERE id > 10"
echo "\$ psql -c 'SELECT count(*) FROM users' $app  ->  $(sql -d "$app" -c 'SELECT count(*) FROM users')"

echo
echo "# Restore the latest backup. Without a terminal and without YES=1 nothing happens:"
expect 2 make --no-print-directory -C "$stack" restore BACKUP_DIR="$backups" < /dev/null
expect 0 make --no-print-directory -C "$stack" restore BACKUP_DIR="$backups" YES=1
echo "\$ psql -c 'SELECT count(*) FROM users' $app  ->  $(sql -d "$app" -c 'SELECT count(*) FROM users')"
echo "\$ psql -l | grep $app"
sql -d postgres -c "SELECT '  ' || datname FROM pg_database WHERE datname LIKE '${app}%' ORDER BY 1"

echo
echo "# The restore was the wrong call after all: put the previous database back."
expect 0 make --no-print-directory -C "$stack" rollback YES=1
echo "\$ psql -c 'SELECT count(*) FROM users' $app  ->  $(sql -d "$app" -c 'SELECT count(*) FROM users')"

echo
echo "# A second rollback has nothing left to put back: exit 2, nothing changed."
expect 2 pg-restore rollback --yes

echo
echo "# Tidy up the kept copies once the incident is over."
expect 0 pg-restore prune --keep 0

echo
echo "# The server is down (nothing listens on port 1): exit 3, and what to check."
(
    DATABASE_URL=postgres://postgres@127.0.0.1:1/$app
    export DATABASE_URL
    expect 3 pg-backup --dir target/demo/stack-backups
)
