#!/bin/sh
# `make demo` part for pg-restore: make a small demo database on
# $DATABASE_URL's server, back it up the way backup_db.sh did
# (pg_dump | gzip), then show what a user sees: list, a refusal without
# --yes, a damaged file refused, a restore over a live database that keeps
# the previous one, rollback and prune. Exits 0 when pg-restore behaves as
# expected; drops everything it created.
set -eu
cd "${SHIPSHAPE_ROOT:-$(dirname "$0")/../..}"
: "${DATABASE_URL:?DATABASE_URL must name a PostgreSQL server (make demo sets it)}"

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

# psql and pg_dump get the connection through PG* variables (no password on
# a command line); pg-restore reads DATABASE_URL itself.
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL"

src=shipshape_demo_shop_backup_source
app=shipshape_demo_shop
work=target/demo/pg-restore
cleanup() {
    for db in $(psql -X -A -t -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'shipshape\_demo\_shop%'" 2>/dev/null); do
        dropdb --force "$db" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM
cleanup
mkdir -p "$work"

echo "# A demo shop database with orders; backed up the old way: pg_dump | gzip"
createdb "$src"
psql -X -q -d "$src" -c "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2));
  INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, 500) g;
  INSERT INTO orders (customer_id, total) SELECT 1 + g % 500, g * 0.25 FROM generate_series(1, 5000) g;"
pg_dump "$src" | gzip > "$work/shop.sql.gz"
echo "\$ pg_dump $src | gzip > $work/shop.sql.gz"

echo
echo "\$ pg-restore list $work/shop.sql.gz            # no server needed"
expect 0 pg-restore --no-config list "$work/shop.sql.gz"

echo
echo "# The live database, which today's bad deploy damaged:"
createdb "$app"
psql -X -q -d "$app" -c "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO customers (name) VALUES ('only one left');"
echo "\$ psql -c 'SELECT count(*) FROM customers' $app  →  $(psql -X -A -t -d "$app" -c 'SELECT count(*) FROM customers')"

echo
echo "# In a pipeline (no terminal) a restore needs --yes; nothing is changed without it:"
echo "\$ pg-restore --target $app $work/shop.sql.gz < /dev/null"
expect 2 pg-restore --no-config --target "$app" "$work/shop.sql.gz" < /dev/null

echo
echo "# A damaged copy is refused before the server is touched:"
head -c 3000 "$work/shop.sql.gz" > "$work/damaged.sql.gz"
echo "\$ pg-restore --yes --target $app $work/damaged.sql.gz"
expect 1 pg-restore --no-config --yes --target "$app" "$work/damaged.sql.gz"

echo
echo "# The restore: verified, loaded beside the live database, checked, swapped; the old one is kept"
echo "\$ pg-restore --yes --target $app $work/shop.sql.gz"
expect 0 pg-restore --no-config --yes --target "$app" "$work/shop.sql.gz"
echo "\$ psql -c 'SELECT count(*) FROM orders' $app  →  $(psql -X -A -t -d "$app" -c 'SELECT count(*) FROM orders')"
echo "\$ psql -l | grep $app"
psql -X -A -t -d postgres -c "SELECT '  ' || datname FROM pg_database WHERE datname LIKE '${app}%' ORDER BY 1"

echo
echo "# Changed your mind? Put the previous database back:"
echo "\$ pg-restore rollback --yes --target $app"
expect 0 pg-restore --no-config rollback --yes --target "$app"
echo "\$ psql -c 'SELECT name FROM customers' $app  →  $(psql -X -A -t -d "$app" -c 'SELECT name FROM customers')"

echo
echo "# And tidy up the kept copies (here: keep none):"
echo "\$ pg-restore prune --keep 0 --target $app"
expect 0 pg-restore --no-config prune --keep 0 --target "$app"
