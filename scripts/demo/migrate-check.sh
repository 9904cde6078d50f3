#!/bin/sh
# migrate-check's part of `make demo`: the example stack's migrations in each
# layout (all pass), then the broken fixtures (each fails, naming the object
# and the migration file). Run by scripts/demo.sh from the repository root
# with target/debug on PATH and DATABASE_URL pointing at a throwaway server.
set -u

status=0
expect() {
    want=$1
    shift
    echo
    echo "\$ migrate-check $*"
    migrate-check "$@"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "!! expected exit $want, got $got"
        status=1
    fi
}

echo "-- the example stack's history, updown layout (sqlx / golang-migrate): every check passes"
expect 0 fixtures/stack/migrations/updown

echo
echo "-- the same history as dbmate and diesel migrations (summary only)"
expect 0 --quiet fixtures/stack/migrations/dbmate
expect 0 --quiet fixtures/stack/migrations/diesel

venv=target/migrate-check-venv
if [ ! -x "$venv/bin/alembic" ]; then
    sh scripts/deps/migrate-check.sh >/dev/null 2>&1 || true
fi
if [ -x "$venv/bin/alembic" ]; then
    echo
    echo "-- the Alembic project, driven through the real alembic command"
    PATH="$PWD/$venv/bin:$PATH" expect 0 --quiet fixtures/stack/migrations/alembic

    # The FastAPI template's layout: env.py builds its URL from settings that
    # read the environment and ../.env. Here [migrate-check.env] forgets
    # POSTGRES_DB and .env names the server's "postgres" database: the probe
    # finds env.py connected elsewhere and nothing runs anywhere (exit 2).
    echo
    echo "-- a settings-based env.py whose .env names another database: stopped before any migration"
    project=$(mktemp -d)
    cp -r fixtures/migrate-check/alembic-settings/. "$project/"
    (
        . scripts/lib/pg-env.sh
        pg_env_from_url "$DATABASE_URL"
        printf 'POSTGRES_SERVER=%s\nPOSTGRES_PORT=%s\nPOSTGRES_USER=%s\nPOSTGRES_PASSWORD=%s\nPOSTGRES_DB=postgres\n' \
            "$PGHOST" "${PGPORT:-5432}" "$PGUSER" "${PGPASSWORD:-}" > "$project/.env"
    )
    printf "[migrate-check]\ndir = 'backend'\n\n[migrate-check.env]\nPOSTGRES_SERVER = '{host}'\nPOSTGRES_PORT = '{port}'\nPOSTGRES_USER = '{user}'\nPOSTGRES_PASSWORD = '{password}'\n" \
        > "$project/shipshape.toml"
    PATH="$PWD/$venv/bin:$PATH" expect 2 --config "$project/shipshape.toml" "$project/backend"
    rm -rf "$project"
else
    echo "(skipping the Alembic demo: scripts/deps/migrate-check.sh could not install Alembic)"
fi

echo
echo "-- a down that forgets an index; a later DROP TABLE hides it from reset, not from the stairway"
expect 1 fixtures/migrate-check/down-forgets-index

echo
echo "-- a down that leaves a column behind, as GitHub Actions annotations"
expect 1 --format github fixtures/migrate-check/down-leaves-column

echo
echo "-- a down that leaves an enum type and an extension behind"
expect 1 --quiet fixtures/migrate-check/down-leaves-type

echo
echo "-- an up that fails halfway outside a transaction: the partial state is listed"
expect 1 fixtures/migrate-check/up-fails-outside-transaction

echo
echo "-- a missing down, as JSON (history check only)"
expect 1 --only history --format json fixtures/migrate-check/missing-down

exit $status
