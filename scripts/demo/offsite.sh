#!/bin/sh
# Off-site walkthrough (run by `make demo` with target/debug on PATH and
# DATABASE_URL pointing at a throwaway server): a three-node Garage cluster
# on this machine stands in for S3; pg-backup encrypts a backup to an age
# key and streams it there, lists and verifies it, runs the restore drill,
# and pg-restore brings it back into a new database, decrypted. The
# cluster is stopped at the end. Exits 0 when every step behaves.
set -eu
: "${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL server}"
db=shipshape_demo_offsite
work=target/demo-offsite
base=${DATABASE_URL%/*}
query=""
case "$DATABASE_URL" in *\?*) query="?${DATABASE_URL#*\?}" ;; esac
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
step() { echo; echo "\$ $*"; }
expect() { # expect CODE command...
    want=$1; shift
    set +e; "$@"; got=$?; set -e
    if [ "$got" -ne "$want" ]; then echo "!! expected exit $want, got $got: $*"; exit 1; fi
}

sh scripts/deps/garage.sh
# Its own ports and data, so a store started by hand is left alone.
export GARAGE_DEV_PORT=3960
garage() { sh scripts/dev/garage.sh "$@"; }
cleanup() {
    garage stop >/dev/null 2>&1 || true
    psql_ -d "$base/postgres$query" -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS ${db}_copy" 2>/dev/null || true
    for kept in $(psql -X -A -t -d "$base/postgres$query" -c "SELECT datname FROM pg_database WHERE datname LIKE '${db}_copy_%'" 2>/dev/null); do
        psql_ -d "$base/postgres$query" -c "DROP DATABASE IF EXISTS \"$kept\"" 2>/dev/null || true
    done
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work"
garage reset >/dev/null 2>&1 || true
step 'eval "$(scripts/dev/garage.sh start --nodes 3)"'
eval "$(garage start --nodes 3)"

psql_ -d "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_ -d "$base/$db$query" <<'SQL'
CREATE TABLE accounts (id serial PRIMARY KEY, email text UNIQUE NOT NULL, balance numeric(12,2));
INSERT INTO accounts (email, balance) SELECT 'a' || i || '@example.com', i * 1.5 FROM generate_series(1, 20000) i;
SQL
export DATABASE_URL="$base/$db$query"
repo=s3://shipshape/demo

step pg-backup keygen --output "$work/backup.key"
public=$(pg-backup keygen --output "$work/backup.key")

step pg-backup --to "$repo" --encrypt-to "$public"
expect 0 pg-backup --to "$repo" --encrypt-to "$public"

step pg-backup list --to "$repo"
expect 0 pg-backup list --to "$repo"

echo
echo "# without the identity the stored bytes are checked, the contents cannot be:"
step pg-backup verify --to "$repo"
expect 0 pg-backup verify --to "$repo"

step pg-backup verify --restore --latest --to "$repo" --identity "$work/backup.key" --metrics-file "$work/drill.prom"
expect 0 pg-backup verify --restore --latest --to "$repo" --identity "$work/backup.key" --metrics-file "$work/drill.prom"
grep -v '^#' "$work/drill.prom"

step pg-restore --latest --from "$repo" --identity "$work/backup.key" --target ${db}_copy --yes
expect 0 pg-restore --latest --from "$repo" --identity "$work/backup.key" --target ${db}_copy --yes
echo "rows restored: $(psql -X -A -t -d "$base/${db}_copy$query" -c 'SELECT count(*) FROM accounts')"
