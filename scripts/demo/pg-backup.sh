#!/bin/sh
# pg-backup walkthrough (run by `make demo` with target/debug on PATH and
# DATABASE_URL pointing at a throwaway server): create a small demo database,
# back it up into target/demo-backups, list, verify, show what a damaged
# backup and a concurrent run look like, prune. Exits 0 when every step
# behaves as expected.
set -eu
: "${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL server}"
dir=target/demo-backups
db=shipshape_demo_backup
base=${DATABASE_URL%/*}
query=""
case "$DATABASE_URL" in *\?*) query="?${DATABASE_URL#*\?}" ;; esac
demo_url="$base/$db$query"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

step() { echo; echo "\$ $*"; }
expect() { # expect CODE command...
    want=$1; shift
    set +e; "$@"; got=$?; set -e
    if [ "$got" -ne "$want" ]; then echo "!! expected exit $want, got $got: $*"; exit 1; fi
}

rm -rf "$dir"
psql_ -d "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_ -d "$demo_url" <<'SQL'
CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, profile jsonb);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id int REFERENCES users, total numeric(10,2), placed timestamptz DEFAULT now());
INSERT INTO users (email, profile) SELECT 'user' || i || '@example.com', jsonb_build_object('plan', CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END) FROM generate_series(1, 5000) i;
INSERT INTO orders (user_id, total) SELECT 1 + i % 5000, (i % 200) + 0.99 FROM generate_series(1, 50000) i;
SQL
export DATABASE_URL="$demo_url"

step pg-backup --dir "$dir" --verify-restore --metrics-file "$dir/pg_backup.prom"
expect 0 pg-backup --dir "$dir" --verify-restore --metrics-file "$dir/pg_backup.prom"

step pg-backup --dir "$dir" --dump-format custom
expect 0 pg-backup --dir "$dir" --dump-format custom

step gzip -t "$dir"/*.sql.gz '&&' gunzip -c ... '|' head -n 5
gzip -t "$dir"/*.sql.gz && echo "gzip -t: ok"
gunzip -c "$dir"/*.sql.gz | head -n 5

step pg-backup list --dir "$dir"
expect 0 pg-backup list --dir "$dir"

step pg-backup verify --all --dir "$dir"
expect 0 pg-backup verify --all --dir "$dir"

echo
echo "# a copy of the backup with one flipped byte, under an older name:"
good=$(ls "$dir"/*.sql.gz | head -n 1)
bad="$dir/${db}_20200101_000000.sql.gz"
cp "$good" "$bad"
sed "s/$(basename "$good")/$(basename "$bad")/" "$good.json" > "$bad.json"
size=$(wc -c < "$bad")
printf '\001' | dd of="$bad" bs=1 seek=$((size / 2)) conv=notrunc status=none
step pg-backup verify "$(basename "$bad")" --dir "$dir"
expect 1 pg-backup verify "$(basename "$bad")" --dir "$dir"

echo
echo "# a second run while the directory is locked (flock held by this script):"
step pg-backup --dir "$dir"
expect 3 flock "$dir/.pg-backup.lock" pg-backup --dir "$dir"

step pg-backup prune --dry-run --dir "$dir"
expect 0 pg-backup prune --dry-run --dir "$dir"
step pg-backup prune --dir "$dir"
expect 0 pg-backup prune --dir "$dir"

step cat "$dir/pg_backup.prom" '|' grep -v '^#'
grep -v '^#' "$dir/pg_backup.prom"

psql_ -d "$base/postgres$query" -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
